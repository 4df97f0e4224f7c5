//! The repacked GEMM (Q4_K, Q6_K; Q4_0, Q4_1, Q5_0, Q5_1, Q8_0): every level against its scalar specification (bit for
//! bit), and against the row-major dot products of the same weights (only the float summation order differs).

use proptest::prelude::*;

use crate::common::{self, Rng, Scales};
use vibrant_kernels::repack::{self, repack_rows};
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
    let (k, rows) = (blocks * fmt.block_len(), groups * repack_rows(fmt));
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
        if rows > repack_rows(fmt) {
            let sub = repack_rows(fmt)..rows;
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
    prop::sample::select(vec![
        WeightFormat::Q4K,
        WeightFormat::Q6K,
        WeightFormat::Q4_0,
        WeightFormat::Q4_1,
        WeightFormat::Q5_0,
        WeightFormat::Q5_1,
        WeightFormat::Q8_0,
    ])
}

/// The 32-element formats with a repacked layout.
const B32: [WeightFormat; 5] = [
    WeightFormat::Q4_0,
    WeightFormat::Q4_1,
    WeightFormat::Q5_0,
    WeightFormat::Q5_1,
    WeightFormat::Q8_0,
];

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

    /// Rows long enough (300 blocks) that the SIMD kernel prepares the activations in two slices.
    #[test]
    fn repacked_b32_gemm_over_long_rows(
        fi in 0usize..5, n_tok in 1usize..7, seed in any::<u64>(),
    ) {
        check(&case(B32[fi], 2, 300, n_tok, seed, Scales::Any), Scales::Any)?;
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
    // The 32-element formats interleave 16 rows, each layout exactly the row-major size.
    for fmt in B32 {
        assert_eq!(
            repack::repacked_len(fmt, 32, 512),
            Some(32 * fmt.row_bytes(512)),
            "{fmt}"
        );
        assert_eq!(repack::repacked_len(fmt, 24, 512), None, "{fmt}");
    }
    assert_eq!(repack::repacked_len(WeightFormat::Q5K, 16, 512), None);
    assert_eq!(repack::repacked_len(WeightFormat::F32, 16, 512), None);
}

/// The repacked 32-element layouts keep every quant: a block of known values survives repacking in the
/// documented positions (Q5_0's high bits as masks, Q8_0's quants shifted by 128).
#[test]
fn b32_layouts_place_each_quant() {
    let k = 32;
    for fmt in [WeightFormat::Q5_0, WeightFormat::Q8_0] {
        let rb = fmt.row_bytes(k);
        let mut w = vec![0u8; 16 * rb];
        for r in 0..16 {
            let b = &mut w[r * rb..(r + 1) * rb];
            b[0] = r as u8;
            if fmt == WeightFormat::Q5_0 {
                // Row r: element r has its high bit set; nibbles = element index mod 16 (low), r (high).
                b[2..6].copy_from_slice(&(1u32 << r).to_le_bytes());
                for j in 0..16 {
                    b[6 + j] = (j as u8) | ((r as u8) << 4);
                }
            } else {
                for e in 0..32 {
                    b[2 + e] = (e as i8 - 16 - r as i8) as u8;
                }
            }
        }
        let mut packed = vec![0u8; repack::repacked_len(fmt, 16, k).unwrap()];
        repack::repack(fmt, k, 16, &w, &mut packed);
        for r in 0..16 {
            assert_eq!(packed[2 * r], r as u8, "{fmt} d of row {r}");
            for e in 0..32 {
                let (j, i) = ((e % 16) / 4, e % 4);
                if fmt == WeightFormat::Q5_0 {
                    let byte = packed[96 + 64 * j + 4 * r + i];
                    let nib = if e < 16 { byte & 0xF } else { byte >> 4 };
                    let want_nib = if e < 16 { e as u8 } else { r as u8 };
                    assert_eq!(nib, want_nib, "Q5_0 row {r} element {e}");
                    let v = 2 * j + e / 16;
                    let mask =
                        u64::from_le_bytes(packed[32 + 8 * v..40 + 8 * v].try_into().unwrap());
                    assert_eq!(
                        (mask >> (4 * r + i)) & 1 == 1,
                        e == r,
                        "Q5_0 row {r} element {e} high bit"
                    );
                } else {
                    let (j, i) = (e / 4, e % 4);
                    let q = packed[32 + 64 * j + 4 * r + i] ^ 0x80;
                    assert_eq!(q as i8, e as i8 - 16 - r as i8, "Q8_0 row {r} element {e}");
                }
            }
        }
    }
}

/// The pool driver writes each chunk's columns straight into the output: the same floats as one call of
/// `matmul_repacked` over all rows, at every level, for chunk sizes that do and do not divide the rows.
#[test]
fn pool_driver_equals_one_call() {
    let pool = vibrant_kernels::ThreadPool::new(3);
    for (i, fmt) in [
        WeightFormat::Q4K,
        WeightFormat::Q6K,
        WeightFormat::Q5_0,
        WeightFormat::Q4_1,
    ]
    .into_iter()
    .enumerate()
    {
        let c = case(fmt, 5, 2, 7, 11 + i as u64, Scales::Any);
        let g = repack_rows(fmt);
        for kern in supported_isas()
            .into_iter()
            .map(|i| Kernels::new(i).unwrap())
        {
            let mut want = vec![0.0f32; c.n_tok * c.rows];
            kern.matmul_repacked(
                fmt,
                c.k,
                &c.packed,
                0..c.rows,
                &c.act,
                c.n_tok,
                &mut want,
                c.rows,
            );
            for chunk in [g, 2 * g, 16 * g] {
                let mut got = vec![f32::NAN; c.n_tok * c.rows];
                kern.matmul_repacked_pool(
                    &pool, fmt, c.k, &c.packed, c.rows, &c.act, c.n_tok, &mut got, chunk,
                );
                assert_eq!(
                    got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "{} {fmt} chunk {chunk}",
                    kern.isa()
                );
            }
        }
    }
}
