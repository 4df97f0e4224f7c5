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
