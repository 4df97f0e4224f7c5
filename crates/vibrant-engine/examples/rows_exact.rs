//! Whether a token's logits are bit-identical when it is evaluated alone after the tokens before
//! it and when it is one row of a pass of several (what exact speculative decoding needs):
//! `cargo run --release -p vibrant-engine --example rows_exact -- MODEL.gguf [CONTEXT]`.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use vibrant_engine::{LoadOptions, Logits, Model};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let model = Model::load(args.get(1).expect("MODEL"), &LoadOptions::default()).unwrap();
    let ctx: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(600);
    let text = "fn main() { println!(\"hello\"); }\n".repeat(ctx / 10 + 1);
    let mut prompt = model.tokenizer().encode(&text, false, false).unwrap();
    prompt.truncate(ctx);
    let extra: Vec<u32> = prompt[10..19].to_vec();
    let mut base = model.session(4096);
    base.eval(&prompt, Logits::Last).unwrap();
    let n_vocab = model.config().n_vocab;
    let mut alone = Vec::new();
    let mut s1 = base.fork();
    for &t in &extra {
        alone.extend_from_slice(s1.eval(&[t], Logits::Last).unwrap());
    }
    for n in [2usize, 5, 9] {
        let mut s2 = base.fork();
        let rows = s2.eval(&extra[..n], Logits::All).unwrap().to_vec();
        let mut diff = 0f32;
        let mut same_rows = 0;
        for r in 0..n {
            let a = &alone[r * n_vocab..(r + 1) * n_vocab];
            let b = &rows[r * n_vocab..(r + 1) * n_vocab];
            let d = a
                .iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0f32, f32::max);
            if d == 0.0 {
                same_rows += 1;
            }
            diff = diff.max(d);
        }
        println!("pass of {n}: {same_rows}/{n} rows bit-identical, max |diff| {diff:e}");
    }
}
