//! The repacked GEMM inside the forward pass: the same model with and without repacked weights gives
//! the same greedy tokens and logits equal up to float summation order (the kernels' proptests check
//! the integer sums exactly; this checks the engine's wiring: row ranges, token tiles, decode).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use vibrant_engine::{LoadOptions, Logits, Model};
use vibrant_gguf::GgufFile;
use vibrant_testutil::model_path;

fn load(repack: bool) -> Arc<Model> {
    let parts = GgufFile::open_split(model_path("qwen2.5-coder-1.5b-instruct-q4_k_m")).unwrap();
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
        if vibrant_kernels::repack_pays(vibrant_kernels::WeightFormat::Q4K) {
            // The 168 layer Q4_K (597 MiB in the file) and 28 layer Q6_K matrices of the 1.5B;
            // `token_embd` and `output` stay mapped.
            assert!(bytes > 600 << 20, "only {bytes} bytes repacked");
            assert_eq!(model.weights().repacked_bytes(), bytes as u64);
        } else {
            assert_eq!(bytes, 0);
        }
    }
    Arc::new(model)
}

#[test]
fn repacked_weights_give_the_same_logits() {
    let (plain, packed) = (load(false), load(true));
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
        assert_eq!(
            vibrant_engine::argmax(x),
            vibrant_engine::argmax(y),
            "row {i}"
        );
        let scale = x.iter().fold(0f32, |m, v| m.max(v.abs()));
        let worst = x.iter().zip(y).fold(0f32, |m, (p, q)| m.max((p - q).abs()));
        assert!(
            worst <= 0.1 * scale,
            "row {i}: logits differ by {worst} (largest logit {scale})"
        );
    }
}
