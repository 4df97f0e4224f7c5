//! Prompt-lookup speculative decoding against plain decoding on the same chat prompt: a source
//! file and an instruction about it, greedy (outputs compared token for token) and a batch of
//! sampled candidates. `cargo run --release -p vibrant-engine --example speculative --
//! MODEL.gguf FILE "INSTRUCTION" [MAX_TOKENS] [BATCH]`.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use vibrant_engine::{
    ChatMessage, GenerateParams, LoadOptions, Model, PromptLookup, SamplerParams, generate,
    generate_many,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: speculative MODEL.gguf FILE \"INSTRUCTION\" [MAX_TOKENS] [BATCH]";
    let path = args.get(1).expect(usage);
    let file = std::fs::read_to_string(args.get(2).expect(usage)).unwrap();
    let instruction = args.get(3).expect(usage);
    let max_tokens: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(400);
    let batch: usize = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(4);
    let model = Model::load(path, &LoadOptions::default()).unwrap();
    let messages = [
        ChatMessage::new("system", "You are a careful coding assistant."),
        ChatMessage::new("user", format!("```\n{file}```\n\n{instruction}")),
    ];
    let text = model.chat_template().render(&messages, None, true).unwrap();
    let prompt = model.tokenizer().encode(&text, false, true).unwrap();
    let cancel = AtomicBool::new(false);
    let params = |lookup: bool, temperature: f32, seed: u64| GenerateParams {
        max_tokens,
        sampler: SamplerParams {
            temperature,
            seed: Some(seed),
            ..SamplerParams::default()
        },
        lookup: lookup.then(PromptLookup::default),
        ..GenerateParams::default()
    };
    println!("prompt: {} tokens", prompt.len());
    let mut outputs = Vec::new();
    for lookup in [false, true, false, true] {
        let mut s = model.session(8192);
        s.eval(&prompt, vibrant_engine::Logits::Last).unwrap();
        let g = generate(
            &mut s,
            &prompt,
            &params(lookup, 0.0, 1),
            &cancel,
            &mut |_| {},
        )
        .unwrap();
        let st = &g.stats;
        println!(
            "greedy lookup={lookup}: {} tokens in {:.2} s = {:.1} tok/s; drafted {} accepted {}",
            st.generated_tokens,
            st.decode.as_secs_f64(),
            st.generated_tokens as f64 / st.decode.as_secs_f64(),
            st.drafted,
            st.accepted
        );
        outputs.push(g.tokens);
    }
    println!(
        "greedy outputs identical: {}",
        outputs.iter().all(|o| o == &outputs[0])
    );
    let mut batches = Vec::new();
    for lookup in [false, true, false, true] {
        let ps: Vec<GenerateParams> = (0..batch as u64)
            .map(|i| params(lookup, 0.7, 10 + i))
            .collect();
        let mut s = model.session(8192);
        s.eval(&prompt, vibrant_engine::Logits::Last).unwrap();
        let t = Instant::now();
        let gens = generate_many(&mut s, &prompt, &ps, &cancel).unwrap();
        let wall = t.elapsed().as_secs_f64();
        let total: usize = gens.iter().map(|g| g.stats.generated_tokens).sum();
        let drafted: usize = gens.iter().map(|g| g.stats.drafted).sum();
        let accepted: usize = gens.iter().map(|g| g.stats.accepted).sum();
        println!(
            "batch of {batch} lookup={lookup}: {total} tokens in {wall:.2} s = {:.1} tok/s; drafted {drafted} accepted {accepted}",
            total as f64 / wall
        );
        batches.push(gens.into_iter().map(|g| g.tokens).collect::<Vec<_>>());
    }
    println!(
        "sampled batch outputs identical: {}",
        batches.iter().all(|b| b == &batches[0])
    );
    for (k, b) in batches.iter().enumerate().skip(1) {
        for (j, (x, y)) in b.iter().zip(&batches[0]).enumerate() {
            if let Some(at) = x.iter().zip(y).position(|(a, b)| a != b) {
                println!(
                    "  run {k} sequence {j}: first difference at token {at} of {}",
                    y.len()
                );
            }
        }
    }
}
