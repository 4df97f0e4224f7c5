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

/// `VIBRANT_EXPECT_ISAS=scalar,neon,neondot` (as `scripts/test-aarch64.sh` sets it for each emulated CPU)
/// makes sure the levels under test really are the ones detected, so a detection bug cannot quietly shrink
/// the property tests above to the scalar level.
#[test]
fn detected_levels_are_the_expected_ones() {
    let names: Vec<&str> = supported_isas().iter().map(|i| i.name()).collect();
    if let Ok(want) = std::env::var("VIBRANT_EXPECT_ISAS") {
        assert_eq!(names.join(","), want.trim(), "detected kernel levels");
    }
    #[cfg(target_arch = "aarch64")]
    {
        assert!(supported_isas().contains(&Isa::Neon), "{names:?}");
        assert_eq!(
            supported_isas().contains(&Isa::NeonDot),
            std::arch::is_aarch64_feature_detected!("dotprod"),
            "{names:?}"
        );
        assert!(!supported_isas().contains(&Isa::Avx2));
    }
    #[cfg(target_arch = "x86_64")]
    assert!(!supported_isas().contains(&Isa::Neon) && !supported_isas().contains(&Isa::NeonDot));
}

/// Every format, a spread of row lengths and both kinds of scales, on every level (the proptests above draw
/// formats at random; this makes sure each one is covered on every run).
#[test]
fn every_format_on_every_level() {
    for fmt in WeightFormat::ALL {
        for blocks in [1usize, 2, 3, 4, 5, 8, 11] {
            for seed in 0..4u64 {
                for scales in [Scales::Exact, Scales::Any] {
                    if let Err(e) = check_dot(fmt, blocks, seed * 1000 + blocks as u64, scales) {
                        panic!("{e}");
                    }
                }
            }
        }
    }
}

/// The matmul tile on every level against the scalar tile: token counts that fill and split the groups of
/// four, a row range not starting at 0 and an output stride wider than the range. With exact scales the
/// tiles agree bit for bit.
#[test]
fn simd_matmul_rows_matches_scalar() {
    let mut rng = Rng::new(21);
    for fmt in WeightFormat::ALL {
        let k = 2 * fmt.block_len().max(128);
        let n_rows = 5;
        let w: Vec<u8> = (0..n_rows)
            .flat_map(|_| common::weights(fmt, k, &mut rng, Scales::Exact))
            .collect();
        for n_tok in [1usize, 2, 3, 4, 5, 7, 9] {
            let act: Vec<u8> = (0..n_tok)
                .flat_map(|_| common::activations(fmt.act_format(), k, &mut rng, Scales::Exact))
                .collect();
            let (rows, stride) = (1..n_rows, n_rows + 2);
            let mut want = vec![0.0f32; n_tok * stride];
            scalar::matmul_rows(fmt, k, &w, rows.clone(), &act, n_tok, &mut want, stride);
            for kern in simd_levels() {
                let mut got = vec![f32::NAN; n_tok * stride];
                kern.matmul_rows(fmt, k, &w, rows.clone(), &act, n_tok, &mut got, stride);
                for t in 0..n_tok {
                    let r = t * stride..t * stride + rows.len();
                    assert_eq!(
                        got[r.clone()],
                        want[r],
                        "{} {fmt} n_tok={n_tok} t={t}",
                        kern.isa()
                    );
                }
            }
        }
    }
}

/// On aarch64 the 32-element formats and the float dots repeat the scalar float operations in order, so they
/// are bit-identical to it even with arbitrary scales (a stronger contract than the x86 levels keep).
#[cfg(target_arch = "aarch64")]
#[test]
fn neon_b32_and_float_dots_are_bit_identical() {
    let mut rng = Rng::new(31);
    for fmt in [
        WeightFormat::F32,
        WeightFormat::F16,
        WeightFormat::BF16,
        WeightFormat::Q4_0,
        WeightFormat::Q4_1,
        WeightFormat::Q5_0,
        WeightFormat::Q5_1,
        WeightFormat::Q8_0,
    ] {
        for blocks in [1usize, 3, 7] {
            let n = blocks * 64 + if fmt.block_len() == 1 { 5 } else { 0 };
            let w = common::weights(fmt, n, &mut rng, Scales::Any);
            let act = common::activations(fmt.act_format(), n, &mut rng, Scales::Any);
            let want = scalar::dot(fmt, n, &w, &act);
            for kern in simd_levels() {
                assert_eq!(
                    kern.dot(fmt, n, &w, &act).to_bits(),
                    want.to_bits(),
                    "{} {fmt} n={n}",
                    kern.isa()
                );
            }
        }
    }
    let a: Vec<f32> = (0..77).map(|_| rng.normal()).collect();
    let b: Vec<f32> = (0..77).map(|_| rng.normal()).collect();
    let h: Vec<half::f16> = a.iter().map(|v| half::f16::from_f32(*v)).collect();
    for kern in simd_levels() {
        assert_eq!(
            kern.dot_f32(&a, &b).to_bits(),
            scalar::dot_f32(&a, &b).to_bits()
        );
        assert_eq!(
            kern.dot_f16(&h, &b).to_bits(),
            scalar::dot_f16(&h, &b).to_bits()
        );
    }
}
