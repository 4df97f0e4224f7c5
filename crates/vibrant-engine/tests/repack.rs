//! The repacked GEMM inside the forward pass (the 1.5B's K-quants, the 0.5B's and SmolLM2's 32-element
//! formats): the same model with and without repacked weights gives
//! the same greedy tokens and logits equal up to float summation order (the kernels' proptests check
//! the integer sums exactly; this checks the engine's wiring: row ranges, token tiles, decode).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use vibrant_engine::{LoadOptions, Logits, Model};
use vibrant_gguf::GgufFile;
use vibrant_kernels::WeightFormat;
use vibrant_testutil::model_path;

fn load(name: &str, repack: bool, main_fmt: WeightFormat, min_bytes: usize) -> Arc<Model> {
    let parts = GgufFile::open_split(model_path(name)).unwrap();
    let mut model = Model::from_parts(
        parts,
        &LoadOptions {
            threads: 2,
            repack: false,
        },
    )
    .unwrap();
    if repack {
        let bytes = model.repack_weights();
        if vibrant_kernels::repack_pays(main_fmt) {
            assert!(bytes > min_bytes, "{name}: only {bytes} bytes repacked");
            assert_eq!(model.weights().repacked_bytes(), bytes as u64);
        } else {
            assert_eq!(bytes, 0);
        }
    }
    Arc::new(model)
}

/// The same prompt through `name` with and without repacked weights: same argmax per row (or, where
/// `tie` > 0, a near tie: each run ranks the other's choice within `tie` of its own), logits close.
fn same_logits(name: &str, main_fmt: WeightFormat, min_bytes: usize, tie: f32) {
    let (plain, packed) = (
        load(name, false, main_fmt, min_bytes),
        load(name, true, main_fmt, min_bytes),
    );
    let ids = plain
        .tokenizer()
        .encode("fn fibonacci(n: u64) -> u64 {\n    match n {", false, true)
        .unwrap();
    let n_vocab = plain.config().n_vocab;
    let (mut a, mut b) = (plain.session(64), packed.session(64));
    // Prefill with every row's logits (a 13-token batch: three full 4-token tiles and a remainder),
    // then decode four tokens one at a time.
    let la = a.eval(&ids, Logits::All).unwrap().to_vec();
    let lb = b.eval(&ids, Logits::All).unwrap().to_vec();
    let mut rows: Vec<(Vec<f32>, Vec<f32>)> = la
        .chunks(n_vocab)
        .zip(lb.chunks(n_vocab))
        .map(|(x, y)| (x.to_vec(), y.to_vec()))
        .collect();
    let mut next = vibrant_engine::argmax(&la[la.len() - n_vocab..]);
    for _ in 0..4 {
        let x = a.eval(&[next], Logits::Last).unwrap().to_vec();
        let y = b.eval(&[next], Logits::Last).unwrap().to_vec();
        next = vibrant_engine::argmax(&x);
        rows.push((x, y));
    }
    // Float summation order alone moves these logits by up to ~0.05 of the largest one (0.4–0.7 on
    // this prompt; the AVX2 and AVX-512 row-major kernels differ from each other by as much), while a
    // wrong row, token or scale would move them by the size of the logits.
    for (i, (x, y)) in rows.iter().enumerate() {
        let (ax, ay) = (
            vibrant_engine::argmax(x) as usize,
            vibrant_engine::argmax(y) as usize,
        );
        if ax != ay {
            assert!(
                x[ax] - x[ay] <= tie && y[ay] - y[ax] <= tie,
                "{name} row {i}: argmax {ax} ({} vs {}) without repacking, {ay} ({} vs {}) with",
                x[ax],
                x[ay],
                y[ay],
                y[ax]
            );
        }
        let scale = x.iter().fold(0f32, |m, v| m.max(v.abs()));
        let worst = x.iter().zip(y).fold(0f32, |m, (p, q)| m.max((p - q).abs()));
        assert!(
            worst <= 0.1 * scale,
            "{name} row {i}: logits differ by {worst} (largest logit {scale})"
        );
    }
}

#[test]
fn repacked_weights_give_the_same_logits() {
    // The 168 layer Q4_K (597 MiB in the file) and 28 layer Q6_K matrices of the 1.5B; `token_embd` and
    // `output` stay mapped.
    same_logits(
        "qwen2.5-coder-1.5b-instruct-q4_k_m",
        WeightFormat::Q4K,
        600 << 20,
        0.0,
    );
}

#[test]
fn repacked_32_element_formats_give_the_same_logits_on_the_0_5b() {
    // Layer matrices mostly Q5_0, plus Q8_0, Q4_K and Q6_K (236 MiB); `token_embd` (Q5_0) and `output`
    // (Q8_0) stay mapped.
    same_logits(
        "qwen2.5-coder-0.5b-instruct-awq-mixed",
        WeightFormat::Q5_0,
        230 << 20,
        0.0,
    );
}

#[test]
fn repacked_32_element_formats_give_the_same_logits_on_smollm2() {
    // The 210 layer Q4_1 matrices (63 MiB); the tied Q8_0 embedding stays mapped. SmolLM2's residual
    // stream reaches ±500, so float order alone moves its logits by up to ~0.35 (of 30–40) here, and
    // two rows of this prompt are near ties (top-2 gaps 0.11): there the runs may pick either token.
    same_logits(
        "smollm2-135m-instruct-q4_1",
        WeightFormat::Q4_1,
        60 << 20,
        0.25,
    );
}
