//! Dequantization and Q8_0 quantization checked against fixtures written by `scripts/gen-quant-fixtures.py`
//! with the `gguf` Python package (ggml's numpy port).

use std::path::PathBuf;

use vibrant_kernels::{ActFormat, WeightFormat, dequantize_row, quantize_row, scalar};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; regenerate with `python3 scripts/gen-quant-fixtures.py`",
            path.display()
        )
    })
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn ulps(a: f32, b: f32) -> u32 {
    if a == b {
        return 0;
    }
    if a.is_sign_negative() != b.is_sign_negative() {
        // Only +0/-0 may differ in sign; anything else is a real mismatch.
        return if a.abs() < f32::MIN_POSITIVE && b.abs() < f32::MIN_POSITIVE {
            0
        } else {
            u32::MAX
        };
    }
    a.to_bits().abs_diff(b.to_bits())
}

#[test]
fn dequantize_matches_gguf_for_every_format() {
    let formats = WeightFormat::ALL
        .into_iter()
        .filter(|f| *f != WeightFormat::F32);
    let mut checked = 0;
    for fmt in formats {
        let q = fixture(&format!("{}.q", fmt.name()));
        let want = f32s(&fixture(&format!("{}.f32", fmt.name())));
        assert_eq!(
            q.len(),
            fmt.row_bytes(want.len()),
            "{fmt}: fixture sizes disagree"
        );
        for got in [
            {
                let mut v = vec![0.0f32; want.len()];
                scalar::dequantize_row(fmt, &q, &mut v);
                v
            },
            {
                let mut v = vec![0.0f32; want.len()];
                dequantize_row(fmt, &q, &mut v);
                v
            },
        ] {
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    ulps(*g, *w) <= 1,
                    "{fmt} element {i}: got {g:e}, gguf says {w:e}"
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 12);
}

#[test]
fn q8_0_quantization_matches_gguf_bytes() {
    let x = f32s(&fixture("Q8_0.quant.in.f32"));
    let want = fixture("Q8_0.quant.q");
    let mut got = vec![0u8; ActFormat::Q8_0.row_bytes(x.len())];
    scalar::quantize_row(ActFormat::Q8_0, &x, &mut got);
    assert_eq!(got, want, "scalar Q8_0 quantization differs from gguf");
    for isa in vibrant_kernels::supported_isas() {
        let k = vibrant_kernels::Kernels::new(isa).unwrap();
        let mut got = vec![0u8; want.len()];
        k.quantize_row(ActFormat::Q8_0, &x, &mut got);
        assert_eq!(got, want, "{isa} Q8_0 quantization differs from gguf");
    }
    let mut got = vec![0u8; want.len()];
    quantize_row(ActFormat::Q8_0, &x, &mut got);
    assert_eq!(got, want);
}
