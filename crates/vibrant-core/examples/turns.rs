//! Measures the second turn of a conversation with the embedded backend: time to first token
//! with the KV cache of the first turn reused, and again with the cache cleared.
//!
//! ```text
//! cargo run --release -p vibrant-core --example turns -- MODEL.gguf CONTEXT_FILE [THREADS]
//! ```
//!
//! The first question carries CONTEXT_FILE as repository context (like `vibrant ask` does).

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::sync::atomic::AtomicBool;

use vibrant_core::prompt::SYSTEM_PROMPT;
use vibrant_core::{Backend, CompletionRequest, Conversation, EmbeddedBackend, Message};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        println!("usage: turns MODEL.gguf CONTEXT_FILE [THREADS]");
        return;
    }
    let threads = args.get(3).map_or(2, |t| t.parse().unwrap());
    let context = std::fs::read_to_string(&args[2]).unwrap();
    let mut backend = EmbeddedBackend::load(args[1].as_ref(), threads, 4096).unwrap();
    let cancel = AtomicBool::new(false);
    let mut conv = Conversation::new(SYSTEM_PROMPT);
    conv.push(Message::user_with_context(
        "Which function in this code loads the model? Answer in one sentence.",
        Some(context),
    ));
    let req = |conv: &Conversation, b: &mut EmbeddedBackend, n: usize| {
        let mut r = CompletionRequest::new(conv.messages(), n);
        r.temperature = 0.0;
        b.complete(&r, &cancel, &mut |_| {}).unwrap()
    };
    let first = req(&conv, &mut backend, 32);
    println!(
        "turn 1: prompt {} tokens, ttft {:.2}s, total {:.2}s",
        first.usage.prompt_tokens.unwrap(),
        first.usage.time_to_first_token.unwrap().as_secs_f64(),
        first.usage.total.as_secs_f64()
    );
    conv.push(Message::assistant(first.text));
    conv.push(Message::user("And which function writes the output?"));
    let reused = req(&conv, &mut backend, 16);
    println!(
        "turn 2 with reuse: prompt {} tokens ({} reused), ttft {:.2}s",
        reused.usage.prompt_tokens.unwrap(),
        reused.usage.reused_tokens.unwrap(),
        reused.usage.time_to_first_token.unwrap().as_secs_f64()
    );
    backend.clear_cache();
    let fresh = req(&conv, &mut backend, 16);
    println!(
        "turn 2 without reuse: prompt {} tokens ({} reused), ttft {:.2}s",
        fresh.usage.prompt_tokens.unwrap(),
        fresh.usage.reused_tokens.unwrap(),
        fresh.usage.time_to_first_token.unwrap().as_secs_f64()
    );
    println!("window {}", backend.context_window());
}
