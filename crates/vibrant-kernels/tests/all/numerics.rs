//! The scalar specification checked on its own terms: dot products against dequantized rows, quantizer
//! rounding conventions and round trips, matmul tiles against dot.

use crate::common::{self, Rng, Scales};
use half::f16;
use vibrant_kernels::{ActFormat, Kernels, QK_K, WeightFormat, scalar, supported_isas};

#[test]
fn dot_equals_sum_of_dequantized_products() {
    let mut rng = Rng::new(1);
    for fmt in WeightFormat::ALL {
        for &n in &[256usize, 1024, 2816] {
            let w = common::weights(fmt, n, &mut rng, Scales::Any);
            let act = common::activations(fmt.act_format(), n, &mut rng, Scales::Any);
            let (want, abs) = common::reference_dot(fmt, n, &w, &act);
            // Q4_1/Q5_1 use the activation block sum s stored as f16, so their min term carries f16 rounding.
            let min_term_slack = match fmt {
                WeightFormat::Q4_1 | WeightFormat::Q5_1 => {
                    let ab = fmt.act_format().block_bytes();
                    (0..n / 32)
                        .map(|b| {
                            let m = scalar_f16(&w[b * fmt.block_bytes() + 2..]);
                            let s = scalar_f16(&act[b * ab + 2..]);
                            f64::from((m * s).abs()) * 2e-3
                        })
                        .sum::<f64>()
                }
                _ => 0.0,
            };
            let tol = abs * 2e-6 + min_term_slack + 1e-9;
            for got in [
                scalar::dot(fmt, n, &w, &act),
                vibrant_kernels::dot(fmt, n, &w, &act),
            ] {
                assert!(
                    (f64::from(got) - want).abs() <= tol,
                    "{fmt} n={n}: dot {got} vs dequantized reference {want} (tolerance {tol})"
                );
            }
        }
    }
}

fn scalar_f16(b: &[u8]) -> f32 {
    f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32()
}

#[test]
fn quantizers_round_trip_within_half_a_step() {
    let mut rng = Rng::new(2);
    let n = 4 * QK_K;
    for af in [ActFormat::Q8_0, ActFormat::Q8_1, ActFormat::Q8K] {
        for isa in supported_isas() {
            let k = Kernels::new(isa).unwrap();
            let x = common::floats(n, &mut rng);
            let mut q = vec![0u8; af.row_bytes(n)];
            k.quantize_row(af, &x, &mut q);
            let mut y = vec![0.0f32; n];
            scalar::dequantize_act_row(af, &q, &mut y);
            let bl = af.block_len();
            for (b, (xb, yb)) in x.chunks(bl).zip(y.chunks(bl)).enumerate() {
                let amax = xb.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                let step = amax / 127.0;
                for (i, (a, c)) in xb.iter().zip(yb).enumerate() {
                    assert!(
                        (a - c).abs() <= 0.56 * step + 1e-30,
                        "{isa} {af} block {b} element {i}: {a} came back as {c} (step {step})"
                    );
                }
            }
            match af {
                ActFormat::Q8_1 => {
                    for blk in q.chunks_exact(36) {
                        let d = scalar_f16(blk);
                        let sum: i32 = blk[4..].iter().map(|&v| i32::from(v as i8)).sum();
                        let s = scalar_f16(&blk[2..]);
                        assert!((s - d * sum as f32).abs() <= (d * sum as f32).abs() * 2e-3 + 1e-6);
                    }
                }
                ActFormat::Q8K => {
                    for blk in q.chunks_exact(292) {
                        for g in 0..16 {
                            let sum: i32 = blk[4 + 16 * g..20 + 16 * g]
                                .iter()
                                .map(|&v| i32::from(v as i8))
                                .sum();
                            let bsum = i16::from_le_bytes([blk[260 + 2 * g], blk[261 + 2 * g]]);
                            assert_eq!(i32::from(bsum), sum, "Q8_K bsums[{g}]");
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

#[test]
fn q8_0_rounds_half_away_from_zero_and_q8k_half_to_even() {
    // amax = 127 gives d = 1 (Q8_0: id = 1/d = 1) and, with the max negative, Q8_K iscale = 1.
    let mut x = vec![0.0f32; QK_K];
    x[0] = -127.0;
    x[1] = 0.5;
    x[2] = 1.5;
    x[3] = 2.5;
    x[4] = -2.5;
    let mut q = vec![0u8; ActFormat::Q8_0.row_bytes(QK_K)];
    scalar::quantize_row(ActFormat::Q8_0, &x, &mut q);
    let q0: Vec<i8> = q[2..7].iter().map(|&v| v as i8).collect();
    assert_eq!(q0, [-127, 1, 2, 3, -3]);
    let mut q = vec![0u8; ActFormat::Q8K.row_bytes(QK_K)];
    scalar::quantize_row(ActFormat::Q8K, &x, &mut q);
    let qk: Vec<i8> = q[4..9].iter().map(|&v| v as i8).collect();
    // Q8_K negates through iscale = -127/max = 1 here and rounds ties to even (ggml's nearest_int).
    assert_eq!(qk, [-127, 0, 2, 2, -2]);
    assert_eq!(f32::from_le_bytes([q[0], q[1], q[2], q[3]]), 1.0);
    for isa in supported_isas() {
        let k = Kernels::new(isa).unwrap();
        for af in [ActFormat::Q8_0, ActFormat::Q8_1, ActFormat::Q8K] {
            let mut want = vec![0u8; af.row_bytes(QK_K)];
            scalar::quantize_row(af, &x, &mut want);
            let mut got = vec![0u8; want.len()];
            k.quantize_row(af, &x, &mut got);
            assert_eq!(got, want, "{isa} {af} rounding");
        }
    }
}

#[test]
fn all_zero_blocks_quantize_to_zero() {
    for af in [ActFormat::Q8_0, ActFormat::Q8_1, ActFormat::Q8K] {
        let x = vec![0.0f32; QK_K];
        let mut q = vec![0xAAu8; af.row_bytes(QK_K)];
        scalar::quantize_row(af, &x, &mut q);
        assert!(q.iter().all(|&b| b == 0), "{af}: {q:?}");
    }
}

#[test]
fn weight_quantizers_round_trip() {
    let mut rng = Rng::new(3);
    let n = 512;
    for fmt in [
        WeightFormat::F16,
        WeightFormat::BF16,
        WeightFormat::Q4_0,
        WeightFormat::Q4_1,
        WeightFormat::Q5_0,
        WeightFormat::Q5_1,
        WeightFormat::Q8_0,
    ] {
        let x = common::floats(n, &mut rng);
        let mut q = vec![0u8; fmt.row_bytes(n)];
        assert!(vibrant_kernels::quantize_row_weights(fmt, &x, &mut q));
        let mut y = vec![0.0f32; n];
        vibrant_kernels::dequantize_row(fmt, &q, &mut y);
        let levels = match fmt {
            WeightFormat::Q4_0 | WeightFormat::Q4_1 => 15.0,
            WeightFormat::Q5_0 | WeightFormat::Q5_1 => 31.0,
            _ => 0.0,
        };
        for (xb, yb) in x.chunks(32).zip(y.chunks(32)) {
            let (lo, hi) = xb
                .iter()
                .fold((f32::MAX, f32::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
            let amax = lo.abs().max(hi.abs());
            let tol = match fmt {
                WeightFormat::F16 | WeightFormat::BF16 => amax * 2f32.powi(-7),
                // Half a step of (hi - lo) / levels, plus the f16 rounding of d and m.
                WeightFormat::Q4_1 | WeightFormat::Q5_1 => (hi - lo) / levels * 0.5 + amax * 4e-3,
                // Q4_0/Q5_0 map the signed max to -8/-16, so the far end may clamp by up to one step |d|.
                WeightFormat::Q4_0 | WeightFormat::Q5_0 => {
                    amax / (levels + 1.0) * 2.0 + amax * 4e-3
                }
                _ => amax / 127.0 * 0.5 + amax * 4e-3,
            };
            for (a, b) in xb.iter().zip(yb) {
                assert!((a - b).abs() <= tol, "{fmt}: {a} -> {b} (tol {tol})");
            }
        }
    }
    let mut q = vec![0u8; WeightFormat::Q4K.row_bytes(256)];
    assert!(!vibrant_kernels::quantize_row_weights(
        WeightFormat::Q4K,
        &[0.0; 256],
        &mut q
    ));
}

#[test]
fn matmul_rows_equals_dot_for_every_row_and_token() {
    let mut rng = Rng::new(4);
    let k = 512;
    let n_rows = 7;
    for fmt in WeightFormat::ALL {
        let w: Vec<u8> = (0..n_rows)
            .flat_map(|_| common::weights(fmt, k, &mut rng, Scales::Any))
            .collect();
        for n_tok in [1usize, 3, 4, 5, 9] {
            let act: Vec<u8> = (0..n_tok)
                .flat_map(|_| common::activations(fmt.act_format(), k, &mut rng, Scales::Any))
                .collect();
            let ab = fmt.act_format().row_bytes(k);
            let rb = fmt.row_bytes(k);
            let rows = 2..6;
            let stride = rows.len() + 3;
            for isa in supported_isas() {
                let kern = Kernels::new(isa).unwrap();
                let mut out = vec![f32::NAN; (n_tok - 1) * stride + rows.len()];
                kern.matmul_rows(fmt, k, &w, rows.clone(), &act, n_tok, &mut out, stride);
                for t in 0..n_tok {
                    for r in rows.clone() {
                        let want =
                            kern.dot(fmt, k, &w[r * rb..(r + 1) * rb], &act[t * ab..(t + 1) * ab]);
                        let got = out[t * stride + r - rows.start];
                        assert_eq!(
                            got.to_bits(),
                            want.to_bits(),
                            "{isa} {fmt} row {r} token {t} of {n_tok}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn format_table_matches_ggml() {
    let expect = [
        (WeightFormat::F32, 1, 4, ActFormat::F32, "F32"),
        (WeightFormat::F16, 1, 2, ActFormat::F32, "F16"),
        (WeightFormat::BF16, 1, 2, ActFormat::F32, "BF16"),
        (WeightFormat::Q4_0, 32, 18, ActFormat::Q8_0, "Q4_0"),
        (WeightFormat::Q4_1, 32, 20, ActFormat::Q8_1, "Q4_1"),
        (WeightFormat::Q5_0, 32, 22, ActFormat::Q8_0, "Q5_0"),
        (WeightFormat::Q5_1, 32, 24, ActFormat::Q8_1, "Q5_1"),
        (WeightFormat::Q8_0, 32, 34, ActFormat::Q8_0, "Q8_0"),
        (WeightFormat::Q2K, 256, 84, ActFormat::Q8K, "Q2_K"),
        (WeightFormat::Q3K, 256, 110, ActFormat::Q8K, "Q3_K"),
        (WeightFormat::Q4K, 256, 144, ActFormat::Q8K, "Q4_K"),
        (WeightFormat::Q5K, 256, 176, ActFormat::Q8K, "Q5_K"),
        (WeightFormat::Q6K, 256, 210, ActFormat::Q8K, "Q6_K"),
    ];
    for (fmt, bl, bb, af, name) in expect {
        assert_eq!(
            (
                fmt.block_len(),
                fmt.block_bytes(),
                fmt.act_format(),
                fmt.name()
            ),
            (bl, bb, af, name)
        );
        assert_eq!(fmt.row_bytes(bl * 3), bb * 3);
    }
    assert_eq!(ActFormat::Q8_0.row_bytes(64), 68);
    assert_eq!(ActFormat::Q8_1.row_bytes(64), 72);
    assert_eq!(ActFormat::Q8K.row_bytes(512), 584);
    assert_eq!(ActFormat::F32.row_bytes(5), 20);
}

#[test]
#[should_panic(expected = "not a whole number")]
fn row_bytes_rejects_partial_blocks() {
    WeightFormat::Q4K.row_bytes(100);
}

#[test]
fn dispatch_reports_a_supported_level() {
    let isas = supported_isas();
    assert_eq!(isas[0], vibrant_kernels::Isa::Scalar);
    assert!(isas.contains(&vibrant_kernels::active_isa()));
    for isa in isas {
        assert_eq!(vibrant_kernels::Isa::from_name(isa.name()), Some(isa));
    }
    assert_eq!(vibrant_kernels::Isa::from_name("sse9"), None);
}
