//! The constraint over Qwen2.5-Coder's real vocabulary, and with the real model generating.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde_json::{Value, json};
use vibrant_engine::{
    GenerateParams, LoadOptions, Model, SamplerParams, TokenConstraint, generate_constrained,
};
use vibrant_grammar::{ToolCallConstraint, ToolMode, Vocab};
use vibrant_tokenizer::Tokenizer;

const MODEL: &str = "qwen2.5-coder-0.5b-instruct-awq-mixed";

fn tools() -> Vec<Value> {
    vec![
        json!({"type": "function", "function": {"name": "read_file", "description": "Read a text file.",
            "parameters": {"type": "object", "properties": {
                "path": {"type": "string"},
                "start_line": {"type": "integer", "minimum": 1},
                "end_line": {"type": "integer", "minimum": 1}},
            "required": ["path"], "additionalProperties": false}}}),
        json!({"type": "function", "function": {"name": "grep", "description": "Search file contents with a regular expression.",
            "parameters": {"type": "object", "properties": {
                "pattern": {"type": "string"},
                "case_insensitive": {"type": "boolean"},
                "max_results": {"type": "integer", "minimum": 1, "maximum": 500}},
            "required": ["pattern"], "additionalProperties": false}}}),
    ]
}

fn tokenizer() -> Tokenizer {
    let file = vibrant_gguf::GgufFile::open(vibrant_testutil::model_path(MODEL)).unwrap();
    Tokenizer::from_gguf(&file).unwrap()
}

fn allowed(c: &mut ToolCallConstraint, n: usize, token: u32) -> bool {
    let mut logits = vec![0.0f32; n];
    c.mask(&mut logits).unwrap();
    logits[token as usize].is_finite()
}

#[test]
fn a_valid_call_passes_token_by_token_and_mistakes_are_masked() {
    let tok = tokenizer();
    let started = Instant::now();
    let vocab = Arc::new(Vocab::new(&tok));
    println!(
        "vocab of {} tokens prepared in {:.0} ms ({} trie nodes)",
        tok.n_vocab(),
        started.elapsed().as_secs_f64() * 1e3,
        vocab.trie_nodes()
    );
    assert!(vocab.has_call_tokens());
    let n = tok.n_vocab();
    let text = "Let me read it.\n<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"src/main.rs\", \"start_line\": 3}}\n</tool_call>";
    let ids = tok.encode(text, false, true).unwrap();
    let mut c = ToolCallConstraint::new(vocab.clone(), &tools(), ToolMode::Auto).unwrap();
    let mut worst = 0.0f64;
    for &id in &ids {
        let t0 = Instant::now();
        assert!(
            allowed(&mut c, n, id),
            "token {id} {:?} was masked",
            tok.token_text(id)
        );
        worst = worst.max(t0.elapsed().as_secs_f64());
        c.commit(id).unwrap();
    }
    assert_eq!(c.calls(), 1);
    println!("{} tokens, slowest mask {:.2} ms", ids.len(), worst * 1e3);
    // After the call: the end of the answer or another call.
    let eos = tok.token_id("<|im_end|>").unwrap();
    assert!(allowed(&mut c, n, eos));

    // Masked: a tool that does not exist, an argument the named tool does not have, a string
    // where an integer goes, prose with a code fence or JSON, a tool response.
    let check_prefix_then = |prefix: &str, next: &str| {
        let mut c = ToolCallConstraint::new(vocab.clone(), &tools(), ToolMode::Auto).unwrap();
        for id in tok.encode(prefix, false, true).unwrap() {
            assert!(
                allowed(&mut c, n, id),
                "prefix token {:?}",
                tok.token_text(id)
            );
            c.commit(id).unwrap();
        }
        let next_ids = tok.encode(next, false, true).unwrap();
        allowed(&mut c, n, next_ids[0])
    };
    assert!(!check_prefix_then("<tool_call>\n{\"name\": \"", "delete"));
    assert!(check_prefix_then("<tool_call>\n{\"name\": \"", "read"));
    assert!(!check_prefix_then(
        "<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"",
        "pattern"
    ));
    assert!(!check_prefix_then(
        "<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\", \"start_line\": ",
        "\""
    ));
    assert!(!check_prefix_then("Here it is:\n", "```"));
    assert!(!check_prefix_then("Here it is:\n", "{"));
    assert!(!check_prefix_then("Done.", "<tool_response>"));
    // `</tool_call>` only once the JSON is complete.
    let close = tok.token_id("</tool_call>").unwrap();
    let mut c = ToolCallConstraint::new(vocab.clone(), &tools(), ToolMode::Required).unwrap();
    let open = tok.token_id("<tool_call>").unwrap();
    assert!(allowed(&mut c, n, open));
    assert!(
        !allowed(&mut c, n, eos),
        "required: the answer must be a call"
    );
    c.commit(open).unwrap();
    for id in tok
        .encode(
            "{\"name\": \"grep\", \"arguments\": {\"pattern\": \"x\"",
            false,
            true,
        )
        .unwrap()
    {
        c.commit(id).unwrap();
    }
    assert!(!allowed(&mut c, n, close));
    for id in tok.encode("}}", false, true).unwrap() {
        assert!(allowed(&mut c, n, id));
        c.commit(id).unwrap();
    }
    assert!(allowed(&mut c, n, close));
}

#[test]
fn the_model_writes_a_valid_call_under_the_constraint() {
    let path = vibrant_testutil::model_path(MODEL);
    let model = Model::load(
        &path,
        &LoadOptions {
            threads: 2,
            ..LoadOptions::default()
        },
    )
    .unwrap();
    let tok = model.tokenizer().clone();
    let vocab = Arc::new(Vocab::new(&tok));
    let tools = tools();
    let messages = vec![
        vibrant_engine::ChatMessage::system("You are a coding agent. Use the tools."),
        vibrant_engine::ChatMessage::user("Find where the function parse_config is defined."),
    ];
    let prompt = model
        .chat_template()
        .render(&messages, Some(&tools), true)
        .unwrap();
    let ids = tok.encode(&prompt, true, true).unwrap();
    let mut session = model.session(4096);
    let params = GenerateParams {
        max_tokens: 160,
        sampler: SamplerParams::greedy(),
        ..GenerateParams::default()
    };
    let mut c = ToolCallConstraint::new(vocab, &tools, ToolMode::Required).unwrap();
    let out = generate_constrained(
        &mut session,
        &ids,
        &params,
        Some(&mut c),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    let text = tok.decode(&out.tokens, true);
    println!("{text}");
    assert!(c.calls() >= 1, "no complete call in {text:?}");
    let body = text
        .split("<tool_call>")
        .nth(1)
        .and_then(|s| s.split("</tool_call>").next())
        .unwrap();
    let call: Value = serde_json::from_str(body.trim()).unwrap();
    let name = call["name"].as_str().unwrap();
    assert!(name == "grep" || name == "read_file", "{call}");
    let args = call["arguments"].as_object().unwrap();
    let allowed: &[&str] = if name == "grep" {
        &["pattern", "case_insensitive", "max_results"]
    } else {
        &["path", "start_line", "end_line"]
    };
    assert!(args.keys().all(|k| allowed.contains(&k.as_str())), "{call}");
    assert!(args.contains_key(if name == "grep" { "pattern" } else { "path" }));
}
