//! Decode throughput of N sequences that share a prompt, batched (`generate_many`) against one
//! sequence alone (`generate`): `cargo run --release -p vibrant-engine --example batch_decode --
//! MODEL.gguf [TOKENS] [N...]`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use vibrant_engine::{GenerateParams, LoadOptions, Model, SamplerParams, generate, generate_many};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .expect("usage: batch_decode MODEL.gguf [TOKENS] [N...]");
    let tokens: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(128);
    let ns: Vec<usize> = args.iter().skip(3).filter_map(|s| s.parse().ok()).collect();
    let ns = if ns.is_empty() { vec![1, 2, 4, 8] } else { ns };
    let model = Model::load(path, &LoadOptions::default()).unwrap();
    let prompt = model
        .tokenizer()
        .encode(
            "// A binary search tree in Rust with insert, remove and an in-order iterator.\n",
            false,
            false,
        )
        .unwrap();
    let cancel = AtomicBool::new(false);
    // Never stop early: every sequence decodes `tokens` tokens.
    let p = |seed: u64| GenerateParams {
        max_tokens: tokens,
        stop_at_eog: false,
        sampler: SamplerParams {
            temperature: 0.8,
            seed: Some(seed),
            ..SamplerParams::default()
        },
        ..GenerateParams::default()
    };
    let mut s = model.session(2048);
    let t = Instant::now();
    let one = generate(&mut s, &prompt, &p(1), &cancel, &mut |_| {}).unwrap();
    let single = one.stats.generated_tokens as f64 / one.stats.decode.as_secs_f64();
    println!(
        "alone: {} tokens in {:.2} s decode = {single:.1} tok/s (wall {:.2} s)",
        one.stats.generated_tokens,
        one.stats.decode.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );
    for n in ns {
        let params: Vec<GenerateParams> = (0..n as u64).map(p).collect();
        let mut s = model.session(2048);
        s.eval(&prompt, vibrant_engine::Logits::Last).unwrap();
        let t = Instant::now();
        let gens = generate_many(&mut s, &prompt, &params, &cancel).unwrap();
        let wall = t.elapsed().as_secs_f64();
        let total: usize = gens.iter().map(|g| g.stats.generated_tokens).sum();
        let tps = total as f64 / wall;
        println!(
            "batch of {n}: {total} tokens in {wall:.2} s = {tps:.1} tok/s ({:.2}x one sequence alone)",
            tps / single
        );
    }
}
