//! The attention and activation kernels: `exp` against f64, every SIMD level bit for bit against the scalar
//! specification, and a tiled attention against a direct softmax computed in f64.

use proptest::prelude::*;

use crate::common::Rng;
use vibrant_kernels::attention::{attn_block_scalar, exp, exp_inplace_scalar, silu_mul_scalar};
use vibrant_kernels::{Isa, Kernels, supported_isas};

fn simd_levels() -> Vec<Kernels> {
    supported_isas()
        .into_iter()
        .filter(|i| *i != Isa::Scalar)
        .map(|i| Kernels::new(i).unwrap())
        .collect()
}

#[test]
fn exp_is_within_two_ulp_of_f64() {
    assert_eq!(exp(0.0), 1.0);
    assert_eq!(exp(-87.5), 0.0);
    assert_eq!(exp(f32::NEG_INFINITY), 0.0);
    assert!(exp(88.0).is_finite() && exp(1000.0) == exp(88.0));
    let mut worst = 0.0f64;
    let mut x = -87.0f32;
    while x < 88.0 {
        let want = f64::from(x).exp();
        let got = f64::from(exp(x));
        worst = worst.max(((got - want) / want).abs());
        x += 0.000_73;
    }
    // 2 ulp of f32 is 2.4e-7 relative.
    assert!(worst < 2.4e-7, "worst relative error {worst:e}");
}

fn values(rng: &mut Rng, n: usize, spread: f32) -> Vec<f32> {
    (0..n).map(|_| rng.normal() * spread).collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96),
        ..ProptestConfig::default()
    })]

    #[test]
    fn exp_and_silu_levels_equal_the_scalar_spec(seed in any::<u64>(), n in 0usize..100, spread in 0.1f32..60.0) {
        let mut rng = Rng::new(seed);
        let x = values(&mut rng, n, spread);
        let up = values(&mut rng, n, 1.0);
        let mut want = x.clone();
        exp_inplace_scalar(&mut want);
        let mut want_silu = x.clone();
        silu_mul_scalar(&mut want_silu, &up);
        for k in simd_levels() {
            let mut got = x.clone();
            k.exp_inplace(&mut got);
            prop_assert_eq!(got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "{} exp", k.isa());
            let mut got = x.clone();
            k.silu_mul(&mut got, &up);
            prop_assert_eq!(got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want_silu.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "{} silu", k.isa());
        }
    }

    #[test]
    fn attention_levels_equal_the_scalar_spec(
        seed in any::<u64>(),
        hd8 in 1usize..20,
        nq in 1usize..7,
        blocks in prop::collection::vec(1usize..40, 1..4),
    ) {
        let hd = hd8 * 8;
        let mut rng = Rng::new(seed);
        let q = values(&mut rng, nq * hd, 1.0);
        let scale = 1.0 / (hd as f32).sqrt();
        let mut states = Vec::new();
        let mut spec = (vec![f32::NEG_INFINITY; nq], vec![0.0f32; nq], vec![0.0f32; nq * hd]);
        let mut levels: Vec<_> = simd_levels().into_iter().map(|k| (k, spec.clone())).collect();
        for &nk in &blocks {
            let k = values(&mut rng, nk * hd, 2.0);
            let v = values(&mut rng, nk * hd, 1.0);
            // Causal-style visibility: some rows see the whole block, some a prefix, some nothing.
            let visible: Vec<usize> = (0..nq).map(|_| rng.below(nk as u64 + 1) as usize).collect();
            let mut scores = vec![0.0f32; 2 * nk];
            attn_block_scalar(&q, hd, scale, &k, &v, &visible, &mut spec.0, &mut spec.1, &mut spec.2, &mut scores);
            for (kern, st) in &mut levels {
                kern.attn_block(&q, hd, scale, &k, &v, &visible, &mut st.0, &mut st.1, &mut st.2, &mut scores);
            }
            states.push(visible);
        }
        for (kern, st) in &levels {
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&st.0), bits(&spec.0), "{} max", kern.isa());
            prop_assert_eq!(bits(&st.1), bits(&spec.1), "{} sum", kern.isa());
            prop_assert_eq!(bits(&st.2), bits(&spec.2), "{} acc", kern.isa());
        }
    }
}

/// Tiled attention over several blocks equals a direct softmax-weighted sum (f64), whatever the block split.
#[test]
fn blocks_compose_to_the_full_softmax() {
    let (hd, nq, n) = (64usize, 3usize, 100usize);
    let mut rng = Rng::new(7);
    let q = values(&mut rng, nq * hd, 1.0);
    let k = values(&mut rng, n * hd, 3.0);
    let v = values(&mut rng, n * hd, 1.0);
    let scale = 0.125f32;
    // Query i sees keys 0..limit[i].
    let limit = [n, 57, 1];
    for split in [n, 32, 7] {
        let (mut m, mut l, mut acc) = (
            vec![f32::NEG_INFINITY; nq],
            vec![0.0f32; nq],
            vec![0.0f32; nq * hd],
        );
        let mut scores = vec![0.0f32; 2 * split];
        let mut start = 0;
        while start < n {
            let nk = split.min(n - start);
            let visible: Vec<usize> = limit
                .iter()
                .map(|&lim| lim.saturating_sub(start).min(nk))
                .collect();
            vibrant_kernels::attention::attn_block(
                &q,
                hd,
                scale,
                &k[start * hd..(start + nk) * hd],
                &v[start * hd..(start + nk) * hd],
                &visible,
                &mut m,
                &mut l,
                &mut acc,
                &mut scores,
            );
            start += nk;
        }
        for i in 0..nq {
            let s: Vec<f64> = (0..limit[i])
                .map(|j| {
                    (0..hd)
                        .map(|d| f64::from(q[i * hd + d]) * f64::from(k[j * hd + d]))
                        .sum::<f64>()
                        * f64::from(scale)
                })
                .collect();
            let mx = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let p: Vec<f64> = s.iter().map(|x| (x - mx).exp()).collect();
            let total: f64 = p.iter().sum();
            for d in 0..hd {
                let want: f64 = (0..limit[i])
                    .map(|j| p[j] * f64::from(v[j * hd + d]))
                    .sum::<f64>()
                    / total;
                let got = f64::from(acc[i * hd + d] / l[i]);
                assert!(
                    (got - want).abs() < 1e-5,
                    "split {split} row {i} dim {d}: {got} vs {want}"
                );
            }
        }
    }
}
