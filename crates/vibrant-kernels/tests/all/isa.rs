//! Every SIMD level the machine supports against the scalar specification, on random inputs.
//!
//! With exact scales (signed powers of two) every float operation is exact, so all levels must agree bit for
//! bit: this checks the integer parts. With arbitrary scales only the order of float additions may differ.

use proptest::prelude::*;

use crate::common::{self, Rng, Scales};
use vibrant_kernels::{ActFormat, Isa, Kernels, WeightFormat, scalar, supported_isas};

fn simd_levels() -> Vec<Kernels> {
    supported_isas()
        .into_iter()
        .filter(|i| *i != Isa::Scalar)
        .map(|i| Kernels::new(i).unwrap())
        .collect()
}

fn check_dot(
    fmt: WeightFormat,
    blocks: usize,
    seed: u64,
    scales: Scales,
) -> Result<(), TestCaseError> {
    let n = blocks * fmt.block_len().max(32);
    let mut rng = Rng::new(seed);
    let w = common::weights(fmt, n, &mut rng, scales);
    let act = common::activations(fmt.act_format(), n, &mut rng, scales);
    let want = scalar::dot(fmt, n, &w, &act);
    let (_, abs) = common::reference_dot(fmt, n, &w, &act);
    for k in simd_levels() {
        let got = k.dot(fmt, n, &w, &act);
        match scales {
            Scales::Exact => prop_assert_eq!(got, want, "{} {} n={}", k.isa(), fmt, n),
            Scales::Any => {
                let tol = abs * 1e-6 + 1e-9;
                prop_assert!(
                    (f64::from(got) - f64::from(want)).abs() <= tol,
                    "{} {} n={}: {} vs scalar {} (tol {})",
                    k.isa(),
                    fmt,
                    n,
                    got,
                    want,
                    tol
                );
            }
        }
    }
    Ok(())
}

fn format() -> impl Strategy<Value = WeightFormat> {
    prop::sample::select(WeightFormat::ALL.to_vec())
}

proptest! {
    // 96 cases by default (fast); `PROPTEST_CASES=5000` for a deeper run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96),
        ..ProptestConfig::default()
    })]

    #[test]
    fn simd_dot_is_exact_with_exact_scales(fmt in format(), blocks in 1usize..12, seed in any::<u64>()) {
        check_dot(fmt, blocks, seed, Scales::Exact)?;
    }

    #[test]
    fn simd_dot_matches_scalar(fmt in format(), blocks in 1usize..12, seed in any::<u64>()) {
        check_dot(fmt, blocks, seed, Scales::Any)?;
    }

    #[test]
    fn simd_quantizers_match_scalar_bytes(blocks in 1usize..6, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let n = blocks * 256;
        let x = common::floats(n, &mut rng);
        for af in [ActFormat::F32, ActFormat::Q8_0, ActFormat::Q8_1, ActFormat::Q8K] {
            let mut want = vec![0u8; af.row_bytes(n)];
            scalar::quantize_row(af, &x, &mut want);
            for k in simd_levels() {
                let mut got = vec![0u8; want.len()];
                k.quantize_row(af, &x, &mut got);
                prop_assert_eq!(&got, &want, "{} {}", k.isa(), af);
            }
        }
    }
}

#[test]
fn simd_dot_multi_matches_single_dots() {
    let mut rng = Rng::new(9);
    for fmt in WeightFormat::ALL {
        let n = 2 * fmt.block_len().max(128);
        let w = common::weights(fmt, n, &mut rng, Scales::Any);
        let acts: Vec<Vec<u8>> = (0..4)
            .map(|_| common::activations(fmt.act_format(), n, &mut rng, Scales::Any))
            .collect();
        let refs: Vec<&[u8]> = acts.iter().map(|a| a.as_slice()).collect();
        for k in supported_isas()
            .into_iter()
            .map(|i| Kernels::new(i).unwrap())
        {
            for nt in 1..=4 {
                let mut out = [0.0f32; 4];
                k.dot_multi(fmt, n, &w, &refs[..nt], &mut out);
                for t in 0..nt {
                    assert_eq!(
                        out[t].to_bits(),
                        k.dot(fmt, n, &w, refs[t]).to_bits(),
                        "{} {fmt} t={t}/{nt}",
                        k.isa()
                    );
                }
            }
        }
    }
}

#[test]
fn vector_helpers_match_scalar_on_every_level() {
    use half::f16;
    let mut rng = Rng::new(12);
    for n in [0usize, 1, 7, 8, 15, 16, 17, 64, 128, 131] {
        let a: Vec<f32> = (0..n).map(|_| rng.normal()).collect();
        let b: Vec<f32> = (0..n).map(|_| rng.normal()).collect();
        let h: Vec<f16> = (0..n).map(|_| f16::from_f32(rng.normal())).collect();
        let y0: Vec<f32> = (0..n).map(|_| rng.normal()).collect();
        let abs_ab: f32 = a.iter().zip(&b).map(|(x, y)| (x * y).abs()).sum();
        let abs_hb: f32 = h.iter().zip(&b).map(|(x, y)| (x.to_f32() * y).abs()).sum();
        let want_ab = scalar::dot_f32(&a, &b);
        let want_hb = scalar::dot_f16(&h, &b);
        let exact_ab: f64 = a
            .iter()
            .zip(&b)
            .map(|(x, y)| f64::from(*x) * f64::from(*y))
            .sum();
        assert!(
            (f64::from(want_ab) - exact_ab).abs() <= f64::from(abs_ab) * 1e-6 + 1e-9,
            "scalar dot_f32 n={n}"
        );
        let mut want_y = y0.clone();
        scalar::axpy_f16(&mut want_y, 0.37, &h);
        for k in supported_isas()
            .into_iter()
            .map(|i| Kernels::new(i).unwrap())
        {
            let got = k.dot_f32(&a, &b);
            assert!(
                (got - want_ab).abs() <= abs_ab * 1e-6 + 1e-9,
                "{} dot_f32 n={n}: {got} vs {want_ab}",
                k.isa()
            );
            let got = k.dot_f16(&h, &b);
            assert!(
                (got - want_hb).abs() <= abs_hb * 1e-6 + 1e-9,
                "{} dot_f16 n={n}: {got} vs {want_hb}",
                k.isa()
            );
            let mut y = y0.clone();
            k.axpy_f16(&mut y, 0.37, &h);
            assert_eq!(
                y,
                want_y,
                "{} axpy_f16 n={n} (fused, so bit-identical)",
                k.isa()
            );
        }
    }
    // The top-level functions use the active level.
    assert_eq!(vibrant_kernels::dot_f32(&[1.0, 2.0], &[3.0, 4.0]), 11.0);
    assert_eq!(vibrant_kernels::dot_f16(&[f16::from_f32(0.5)], &[4.0]), 2.0);
    let mut y = [1.0f32];
    vibrant_kernels::axpy_f16(&mut y, 2.0, &[f16::from_f32(0.25)]);
    assert_eq!(y, [1.5]);
}

#[test]
fn f16_accumulator_matches_scalar_bit_for_bit() {
    use half::f16;
    let mut rng = Rng::new(13);
    for n in [0usize, 3, 8, 64, 128, 133] {
        let x: Vec<f16> = (0..n).map(|_| f16::from_f32(rng.normal())).collect();
        let y0: Vec<f16> = (0..n).map(|_| f16::from_f32(rng.normal() * 0.1)).collect();
        let mut want = y0.clone();
        scalar::mad_f16(&mut want, &x, 0.0123);
        scalar::scale_f16(&mut want, 0.77);
        for k in supported_isas()
            .into_iter()
            .map(|i| Kernels::new(i).unwrap())
        {
            let mut got = y0.clone();
            k.mad_f16(&mut got, &x, 0.0123);
            k.scale_f16(&mut got, 0.77);
            let bits = |v: &[f16]| v.iter().map(|h| h.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "{} n={n}", k.isa());
        }
    }
    // The accumulator really is f16: a term below half its rounding step is lost, as in ggml.
    let mut y = [f16::from_f32(1.0)];
    vibrant_kernels::mad_f16(&mut y, &[f16::from_f32(1.0)], 1e-4);
    assert_eq!(y[0].to_f32(), 1.0);
    vibrant_kernels::scale_f16(&mut y, 0.5);
    assert_eq!(y[0].to_f32(), 0.5);
}
