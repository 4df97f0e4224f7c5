//! Exact agreement with llama.cpp on the three real test models: token ids for every reference string in
//! both special-token modes, byte-exact chat-template renders, and lossless decoding.
#![allow(clippy::unwrap_used)]

mod common;

use common::{ids, reference, tokenizer};
use vibrant_tokenizer::{ChatMessage, ChatTemplate, StreamDecoder};

const SMOLLM: &str = "smollm2-135m-instruct-q4_1";
const QWEN_05: &str = "qwen2.5-coder-0.5b-instruct-awq-mixed";
const QWEN_15: &str = "qwen2.5-coder-1.5b-instruct-q4_k_m";

/// Encodes every reference string in both modes and compares with llama.cpp; checks decode round-trips.
fn check_tokenize(model: &str) {
    let (_file, tok) = tokenizer(model);
    let cases = reference(&format!("tokenize-{model}.json"));
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 30, "reference file changed");
    let mut failures = Vec::new();
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let plain = tok.encode(text, false, false).unwrap();
        if plain != ids(&case["ids"]) {
            failures.push(format!(
                "{text:?} (parse_special=false)\n  got  {plain:?}\n  want {:?}",
                ids(&case["ids"])
            ));
        }
        let special = tok.encode(text, false, true).unwrap();
        if special != ids(&case["ids_parse_special"]) {
            failures.push(format!(
                "{text:?} (parse_special=true)\n  got  {special:?}\n  want {:?}",
                ids(&case["ids_parse_special"])
            ));
        }
        // Decoding is lossless: special tokens rendered when they were parsed, text otherwise.
        assert_eq!(tok.decode(&plain, false), text, "decode(encode({text:?}))");
        assert_eq!(
            tok.decode(&special, true),
            text,
            "decode(encode({text:?}, parse_special), render_special)"
        );
    }
    assert!(
        failures.is_empty(),
        "{model}: {} mismatches with llama.cpp:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn check_templates(model: &str) {
    let (file, tok) = tokenizer(model);
    let tmpl = ChatTemplate::from_gguf(&file, &tok).unwrap();
    assert!(!tmpl.is_default(), "{model} has its own template");
    let gen_ref = reference(&format!("generate-{model}.json"));
    let renders = gen_ref["chat_template_renders"].as_array().unwrap();
    assert_eq!(renders.len(), 3);
    let mut saw_tools = false;
    for r in renders {
        let messages: Vec<ChatMessage> = r["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| ChatMessage::new(m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
            .collect();
        let tools = r.get("tools").and_then(|t| t.as_array()).cloned();
        saw_tools |= tools.is_some();
        let out = tmpl
            .render(
                &messages,
                tools.as_deref(),
                r["add_generation_prompt"].as_bool().unwrap(),
            )
            .unwrap();
        assert_eq!(
            out,
            r["prompt"].as_str().unwrap(),
            "{model}: render of {messages:?}"
        );
    }
    assert!(saw_tools, "one reference render passes tools");
}

#[test]
fn smollm_tokenize_matches_llama_cpp() {
    check_tokenize(SMOLLM);
}

#[test]
fn qwen_05b_tokenize_matches_llama_cpp() {
    check_tokenize(QWEN_05);
}

#[test]
fn qwen_15b_tokenize_matches_llama_cpp() {
    check_tokenize(QWEN_15);
}

#[test]
fn smollm_chat_template_matches_llama_cpp() {
    check_templates(SMOLLM);
}

#[test]
fn qwen_05b_chat_template_matches_llama_cpp() {
    check_templates(QWEN_05);
}

#[test]
fn qwen_15b_chat_template_matches_llama_cpp() {
    check_templates(QWEN_15);
}

#[test]
fn qwen_special_tokens_follow_llama_cpp_rules() {
    let (_file, tok) = tokenizer(QWEN_15);
    assert_eq!(tok.model_kind(), "gpt2");
    assert_eq!(tok.pre(), Some("qwen2"));
    assert_eq!(tok.n_vocab(), 151_936);
    assert_eq!(tok.bos(), Some(151_643));
    assert_eq!(tok.eos(), Some(151_645));
    assert_eq!(tok.token_text(151_645), "<|im_end|>");
    // <|endoftext|>, <|im_end|>, and the FIM pad/repo/file-separator tokens end generation.
    assert_eq!(
        tok.eog_ids(),
        &[151_643, 151_645, 151_662, 151_663, 151_664]
    );
    assert!(tok.is_eog(151_645) && !tok.is_eog(151_644));
    assert!(tok.is_control(151_644) && !tok.is_control(151_657));
    // add_bos_token is false: add_special adds nothing.
    assert_eq!(
        tok.encode("hi", true, false).unwrap(),
        tok.encode("hi", false, false).unwrap()
    );
    // Control text is a single id only with parse_special ...
    assert_eq!(tok.encode("<|im_start|>", false, true).unwrap(), [151_644]);
    assert!(tok.encode("<|im_start|>", false, false).unwrap().len() > 1);
    // ... while user-defined tokens (type 4) are split out either way, as llama.cpp does.
    assert_eq!(
        tok.encode("<tool_call>x</tool_call>", false, false)
            .unwrap()[0],
        151_657
    );
    assert_eq!(
        *tok.encode("<tool_call>x</tool_call>", false, false)
            .unwrap()
            .last()
            .unwrap(),
        151_658
    );
    // Unused [PAD…] tokens (type 5) stay ordinary text and print nothing.
    assert!(tok.encode("[PAD151665]", false, true).unwrap().len() > 1);
    assert_eq!(tok.decode(&[151_665], true), "");
    // Control tokens print only when asked; token_bytes gives the raw bytes.
    assert_eq!(
        tok.decode(&[151_644, 14990], false),
        tok.decode(&[14990], false)
    );
    assert_eq!(tok.decode(&[151_644], true), "<|im_start|>");
    assert_eq!(tok.token_bytes(220), b" ");
    // Qwen's vocabulary has an ordinary "</s>" (the HTML tag); it stays text, not an end of generation
    // (a deliberate difference from llama.cpp's newest EOG list, see specs/tokenizer.md).
    assert_eq!(tok.token_id("</s>"), Some(128_247));
    assert!(!tok.is_eog(128_247) && !tok.is_control(128_247));
    assert_eq!(tok.decode(&[128_247], false), "</s>");
    assert_eq!(tok.token_text(220), "Ġ");
}

#[test]
fn smollm_special_tokens_follow_llama_cpp_rules() {
    let (_file, tok) = tokenizer(SMOLLM);
    assert_eq!(tok.pre(), Some("smollm"));
    assert_eq!((tok.bos(), tok.eos()), (Some(1), Some(2)));
    // <|endoftext|>, <|im_end|> and <reponame> (detected as the FIM repo token).
    assert_eq!(tok.eog_ids(), &[0, 2, 4]);
    assert_eq!(tok.encode("<|im_end|>", true, true).unwrap(), [2]);
}

#[test]
fn stream_decoder_on_a_real_model_never_splits_characters() {
    let (_file, tok) = tokenizer(QWEN_15);
    let text = "中文编码测试：你好，世界！ emoji 🚀🔥👍🏽 and ZWJ 👨‍👩‍👧‍👦 family 日本語のテキスト";
    let ids = tok.encode(text, false, false).unwrap();
    let mut dec = StreamDecoder::new(&tok);
    let mut out = String::new();
    let mut held_back = 0;
    for &id in &ids {
        match dec.push(id) {
            Some(piece) => {
                assert!(
                    !piece.contains('\u{FFFD}'),
                    "no replacement characters in {piece:?}"
                );
                out.push_str(&piece);
            }
            None => held_back += 1,
        }
    }
    out.push_str(&dec.flush());
    assert_eq!(out, text);
    // The test is only meaningful when some characters really are split across tokens.
    assert!(
        held_back > 0,
        "no token of {ids:?} ended inside a character"
    );
}

#[test]
fn qwen_template_renders_tool_calls_and_tool_results() {
    let (file, tok) = tokenizer(QWEN_15);
    let tmpl = ChatTemplate::from_gguf(&file, &tok).unwrap();
    let call = serde_json::json!({
        "type": "function",
        "function": {"name": "read_file", "arguments": {"path": "src/main.rs"}}
    });
    let messages = [
        ChatMessage::user("Show me main.rs"),
        ChatMessage {
            tool_calls: Some(vec![call]),
            ..ChatMessage::assistant("")
        },
        ChatMessage::tool(
            "fn main() {}",
            Some("call_1".into()),
            Some("read_file".into()),
        ),
    ];
    let out = tmpl.render(&messages, None, true).unwrap();
    assert!(
        out.contains("<|im_start|>assistant\n<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"src/main.rs\"}}\n</tool_call><|im_end|>\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "<|im_start|>user\n<tool_response>\nfn main() {}\n</tool_response><|im_end|>\n"
        ),
        "{out}"
    );
    assert!(out.ends_with("<|im_start|>assistant\n"), "{out}");
}

#[test]
fn tokenizer_and_template_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<vibrant_tokenizer::Tokenizer>();
    assert_send_sync::<ChatTemplate>();
    assert_send_sync::<StreamDecoder<std::sync::Arc<vibrant_tokenizer::Tokenizer>>>();
}

#[test]
fn long_runs_of_whitespace_and_letters_encode_and_round_trip() {
    let (_file, tok) = tokenizer(QWEN_15);
    for text in [
        format!("{}x", " ".repeat(300_000)),
        format!("a{}b", "\n".repeat(100_000)),
        "y".repeat(200_000),
        format!("{}!", "\t ".repeat(100_000)),
        // Longer than the regex engine's backtracking stack allows in one piece: split into chunks.
        format!("{}x", " ".repeat(1_500_000)),
    ] {
        let ids = tok.encode(&text, false, false).unwrap();
        assert!(!ids.is_empty());
        assert_eq!(tok.decode(&ids, false), text);
    }
}
