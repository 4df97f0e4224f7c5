//! The repacked GEMM (Q4_K, Q6_K): every level against its scalar specification (bit for bit), and against the row-major
//! dot products of the same weights (only the float summation order differs).

use proptest::prelude::*;

use crate::common::{self, Rng, Scales};
use vibrant_kernels::repack::{self, REPACK_ROWS};
use vibrant_kernels::{Kernels, WeightFormat, scalar, supported_isas};

struct Case {
    fmt: WeightFormat,
    k: usize,
    rows: usize,
    w: Vec<u8>,
    packed: Vec<u8>,
    act: Vec<u8>,
    n_tok: usize,
}

fn case(
    fmt: WeightFormat,
    groups: usize,
    blocks: usize,
    n_tok: usize,
    seed: u64,
    scales: Scales,
) -> Case {
    let (k, rows) = (blocks * 256, groups * REPACK_ROWS);
    let mut rng = Rng::new(seed);
    let w: Vec<u8> = (0..rows)
        .flat_map(|_| common::weights(fmt, k, &mut rng, scales))
        .collect();
    let act: Vec<u8> = (0..n_tok)
        .flat_map(|_| common::activations(fmt.act_format(), k, &mut rng, scales))
        .collect();
    let mut packed = vec![0u8; repack::repacked_len(fmt, rows, k).unwrap()];
    repack::repack(fmt, k, rows, &w, &mut packed);
    Case {
        fmt,
        k,
        rows,
        w,
        packed,
        act,
        n_tok,
    }
}

fn check(c: &Case, scales: Scales) -> Result<(), TestCaseError> {
    let fmt = c.fmt;
    let (k, rows, n_tok) = (c.k, c.rows, c.n_tok);
    // A stride wider than the tile, to check the output addressing.
    let stride = rows + 3;
    let mut want = vec![f32::NAN; n_tok * stride];
    repack::matmul_repacked_scalar(fmt, k, &c.packed, 0..rows, &c.act, n_tok, &mut want, stride);
    let ab = fmt.act_format().row_bytes(k);
    let rb = fmt.row_bytes(k);
    for t in 0..n_tok {
        for r in 0..rows {
            let a = &c.act[t * ab..(t + 1) * ab];
            let w = &c.w[r * rb..(r + 1) * rb];
            let dot = scalar::dot(fmt, k, w, a);
            let got = want[t * stride + r];
            match scales {
                Scales::Exact => prop_assert_eq!(got, dot, "t={} r={}", t, r),
                Scales::Any => {
                    let (_, abs) = common::reference_dot(fmt, k, w, a);
                    let tol = abs * 1e-6 + 1e-9;
                    prop_assert!(
                        (f64::from(got) - f64::from(dot)).abs() <= tol,
                        "t={} r={}: repacked {} vs dot {} (tol {})",
                        t,
                        r,
                        got,
                        dot,
                        tol
                    );
                }
            }
        }
    }
    for kern in supported_isas()
        .into_iter()
        .map(|i| Kernels::new(i).unwrap())
    {
        let mut got = vec![f32::NAN; n_tok * stride];
        kern.matmul_repacked(fmt, k, &c.packed, 0..rows, &c.act, n_tok, &mut got, stride);
        for t in 0..n_tok {
            for r in 0..rows {
                let (g, w) = (got[t * stride + r], want[t * stride + r]);
                prop_assert_eq!(
                    g.to_bits(),
                    w.to_bits(),
                    "{} t={} r={}: {} vs {}",
                    kern.isa(),
                    t,
                    r,
                    g,
                    w
                );
            }
        }
        // A sub-range of whole groups lands at the start of the output rows.
        if rows > REPACK_ROWS {
            let sub = REPACK_ROWS..rows;
            let mut part = vec![f32::NAN; n_tok * stride];
            kern.matmul_repacked(
                fmt,
                k,
                &c.packed,
                sub.clone(),
                &c.act,
                n_tok,
                &mut part,
                stride,
            );
            for t in 0..n_tok {
                for r in sub.clone() {
                    prop_assert_eq!(
                        part[t * stride + r - sub.start].to_bits(),
                        want[t * stride + r].to_bits()
                    );
                }
            }
        }
    }
    Ok(())
}

fn format() -> impl Strategy<Value = WeightFormat> {
    prop::sample::select(vec![WeightFormat::Q4K, WeightFormat::Q6K])
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48),
        ..ProptestConfig::default()
    })]

    #[test]
    fn repacked_gemm_matches_its_spec_and_dot(
        fmt in format(), groups in 1usize..4, blocks in 1usize..4, n_tok in 1usize..10, seed in any::<u64>(),
    ) {
        check(&case(fmt, groups, blocks, n_tok, seed, Scales::Any), Scales::Any)?;
    }

    #[test]
    fn repacked_gemm_is_exact_with_exact_scales(
        fmt in format(), groups in 1usize..3, blocks in 1usize..3, n_tok in 1usize..6, seed in any::<u64>(),
    ) {
        check(&case(fmt, groups, blocks, n_tok, seed, Scales::Exact), Scales::Exact)?;
    }
}

#[test]
fn only_whole_groups_of_supported_formats_repack() {
    assert_eq!(
        repack::repacked_len(WeightFormat::Q4K, 16, 512),
        Some(2 * 2 * 1184)
    );
    assert_eq!(repack::repacked_len(WeightFormat::Q4K, 12, 512), None);
    assert_eq!(
        repack::repacked_len(WeightFormat::Q6K, 16, 512),
        Some(2 * 2 * 1680)
    );
    assert_eq!(repack::repacked_len(WeightFormat::Q8_0, 16, 512), None);
}
