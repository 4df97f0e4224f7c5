//! Bad metadata gives errors that name the key at fault; odd inputs to decoding degrade gracefully.
#![allow(clippy::unwrap_used)]

use vibrant_gguf::GgufFile;
use vibrant_gguf::writer::GgufWriter;
use vibrant_tokenizer::{ChatMessage, ChatTemplate, Tokenizer, TokenizerError, TokenizerSpec};

/// A tiny valid byte-level BPE spec: "a", "b", "ab", "<|end|>" (control).
fn gpt2_spec() -> TokenizerSpec {
    TokenizerSpec {
        model: "gpt2".into(),
        pre: Some("gpt-2".into()),
        tokens: ["a", "b", "ab", "<|im_end|>", "Ġ"]
            .map(String::from)
            .to_vec(),
        merges: vec!["a b".into()],
        token_types: Some(vec![1, 1, 1, 3, 1]),
        eos: Some(3),
        ..Default::default()
    }
}

fn err(spec: TokenizerSpec) -> TokenizerError {
    Tokenizer::from_spec(spec).unwrap_err()
}

#[test]
fn the_minimal_spec_works() {
    let t = Tokenizer::from_spec(gpt2_spec()).unwrap();
    assert_eq!(t.encode("ab a", false, false).unwrap(), [2, 4, 0]);
    assert_eq!(t.encode("ab<|im_end|>", false, true).unwrap(), [2, 3]);
    // The default BOS id of `gpt2` (11) is outside this vocabulary, so there is none.
    assert_eq!(t.bos(), None);
    assert_eq!(t.eos(), Some(3));
    assert_eq!(t.eog_ids(), &[3]);
}

#[test]
fn unknown_model_type_is_named() {
    let e = err(TokenizerSpec {
        model: "bert".into(),
        ..gpt2_spec()
    });
    assert!(
        matches!(&e, TokenizerError::UnknownModel { model } if model == "bert"),
        "{e}"
    );
    assert!(
        e.to_string().contains("`bert`") && e.to_string().contains("tokenizer.ggml.model"),
        "{e}"
    );
}

#[test]
fn unknown_pre_tokenizer_is_named() {
    let e = err(TokenizerSpec {
        pre: Some("klingon".into()),
        ..gpt2_spec()
    });
    assert!(
        matches!(&e, TokenizerError::UnknownPre { pre, .. } if pre == "klingon"),
        "{e}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("`klingon`") && msg.contains("qwen2") && msg.contains("llama-bpe"),
        "{msg}"
    );
}

#[test]
fn missing_pre_falls_back_to_default() {
    let t = Tokenizer::from_spec(TokenizerSpec {
        pre: None,
        ..gpt2_spec()
    })
    .unwrap();
    assert_eq!(t.pre(), None);
    assert_eq!(t.encode("ab", false, false).unwrap(), [2]);
}

#[test]
fn missing_tokens_and_merges_are_errors() {
    let e = err(TokenizerSpec {
        tokens: Vec::new(),
        ..gpt2_spec()
    });
    assert!(
        matches!(
            e,
            TokenizerError::MissingKey {
                key: "tokenizer.ggml.tokens",
                ..
            }
        ),
        "{e}"
    );
    let e = err(TokenizerSpec {
        merges: Vec::new(),
        ..gpt2_spec()
    });
    assert!(
        matches!(
            e,
            TokenizerError::MissingKey {
                key: "tokenizer.ggml.merges",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn bad_merges_are_errors_with_their_rank() {
    let e = err(TokenizerSpec {
        merges: vec!["a b".into(), "a c".into()],
        ..gpt2_spec()
    });
    assert!(
        matches!(&e, TokenizerError::BadMerge { index: 1, .. }),
        "{e}"
    );
    assert!(
        e.to_string().contains("\"c\" is not in the vocabulary"),
        "{e}"
    );
    let e = err(TokenizerSpec {
        merges: vec!["ab".into()],
        ..gpt2_spec()
    });
    assert!(
        matches!(&e, TokenizerError::BadMerge { index: 0, .. }),
        "{e}"
    );
    // The merged text must be a token too.
    let e = err(TokenizerSpec {
        merges: vec!["b a".into()],
        ..gpt2_spec()
    });
    assert!(e.to_string().contains("\"ba\""), "{e}");
}

#[test]
fn out_of_range_ids_and_short_arrays_are_errors() {
    let e = err(TokenizerSpec {
        eos: Some(99),
        ..gpt2_spec()
    });
    assert!(
        matches!(
            e,
            TokenizerError::SpecialTokenOutOfRange {
                key: "tokenizer.ggml.eos_token_id",
                id: 99,
                n_vocab: 5
            }
        ),
        "{e}"
    );
    let e = err(TokenizerSpec {
        bos: Some(5),
        ..gpt2_spec()
    });
    assert!(
        matches!(e, TokenizerError::SpecialTokenOutOfRange { id: 5, .. }),
        "{e}"
    );
    let e = err(TokenizerSpec {
        token_types: Some(vec![1, 1]),
        ..gpt2_spec()
    });
    assert!(
        matches!(
            e,
            TokenizerError::LengthMismatch {
                key: "tokenizer.ggml.token_type",
                len: 2,
                n_vocab: 5
            }
        ),
        "{e}"
    );
    let e = err(TokenizerSpec {
        model: "llama".into(),
        scores: Some(vec![0.0]),
        ..gpt2_spec()
    });
    assert!(
        matches!(
            e,
            TokenizerError::LengthMismatch {
                key: "tokenizer.ggml.scores",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn duplicate_tokens_and_impossible_flags_are_errors() {
    let mut s = gpt2_spec();
    s.tokens[4] = "a".into();
    assert!(matches!(
        err(s),
        TokenizerError::DuplicateToken {
            first: 0,
            second: 4,
            ..
        }
    ));
    let e = err(TokenizerSpec {
        add_bos: Some(true),
        ..gpt2_spec()
    });
    assert!(
        matches!(
            e,
            TokenizerError::MissingSpecialToken {
                flag: "tokenizer.ggml.add_bos_token",
                ..
            }
        ),
        "{e}"
    );
    // add_bos with a BOS id works and adds it.
    let t = Tokenizer::from_spec(TokenizerSpec {
        add_bos: Some(true),
        bos: Some(3),
        ..gpt2_spec()
    })
    .unwrap();
    assert_eq!(t.encode("a", true, false).unwrap(), [3, 0]);
    let t = Tokenizer::from_spec(TokenizerSpec {
        add_eos: Some(true),
        ..gpt2_spec()
    })
    .unwrap();
    assert_eq!(t.encode("a", true, false).unwrap(), [0, 3]);
    assert_eq!(t.encode("a", false, false).unwrap(), [0]);
}

#[test]
fn decoding_odd_ids_does_not_panic() {
    let t = Tokenizer::from_spec(gpt2_spec()).unwrap();
    assert_eq!(t.decode(&[0, 1_000_000, 1], false), "ab");
    assert_eq!(t.token_text(1_000_000), "");
    assert!(t.token_bytes(1_000_000).is_empty());
    assert!(!t.is_control(1_000_000) && !t.is_eog(1_000_000));
}

fn gguf(f: impl FnOnce(&mut GgufWriter)) -> GgufFile {
    let mut w = GgufWriter::new();
    w.metadata("general.architecture", "llama");
    f(&mut w);
    GgufFile::from_bytes(w.to_bytes().unwrap()).unwrap()
}

fn tokenizer_keys(w: &mut GgufWriter) {
    tokenizer_keys_except(w, "");
}

/// The keys of a tiny valid tokenizer, leaving out `skip`.
fn tokenizer_keys_except(w: &mut GgufWriter, skip: &str) {
    let keys: [(&str, vibrant_gguf::Value); 7] = [
        ("tokenizer.ggml.model", "gpt2".into()),
        ("tokenizer.ggml.pre", "qwen2".into()),
        (
            "tokenizer.ggml.tokens",
            vec!["a", "b", "ab", "<|im_end|>", "<s>"].into(),
        ),
        ("tokenizer.ggml.merges", vec!["a b"].into()),
        ("tokenizer.ggml.token_type", vec![1i32, 1, 1, 3, 3].into()),
        ("tokenizer.ggml.bos_token_id", 4u32.into()),
        ("tokenizer.ggml.eos_token_id", 3u32.into()),
    ];
    for (k, v) in keys {
        if k != skip {
            w.metadata(k, v);
        }
    }
}

#[test]
fn from_gguf_reads_metadata_and_falls_back_to_chatml() {
    let file = gguf(tokenizer_keys);
    let t = Tokenizer::from_gguf(&file).unwrap();
    assert_eq!((t.model_kind(), t.pre()), ("gpt2", Some("qwen2")));
    assert_eq!(t.encode("ab<|im_end|>", false, true).unwrap(), [2, 3]);
    assert_eq!((t.bos(), t.eos()), (Some(4), Some(3)));
    let spec = TokenizerSpec::from_gguf(&file).unwrap();
    assert_eq!(spec.tokens.len(), 5);
    assert_eq!(spec.merges, ["a b"]);
    // No tokenizer.chat_template: ChatML, seeing the model's BOS/EOS texts.
    let tmpl = ChatTemplate::from_gguf(&file, &t).unwrap();
    assert!(tmpl.is_default());
    assert_eq!((tmpl.bos_token(), tmpl.eos_token()), ("<s>", "<|im_end|>"));
    assert_eq!(
        tmpl.render(&[ChatMessage::user("hi")], None, false)
            .unwrap(),
        "<|im_start|>user\nhi<|im_end|>\n"
    );
    // With one, it is used.
    let file = gguf(|w| {
        tokenizer_keys(w);
        w.metadata(
            "tokenizer.chat_template",
            "{{ bos_token }}{{ messages[0].content }}",
        );
    });
    let tmpl = ChatTemplate::from_gguf(&file, &t).unwrap();
    assert!(!tmpl.is_default());
    assert_eq!(
        tmpl.render(&[ChatMessage::user("hi")], None, true).unwrap(),
        "<s>hi"
    );
    // A tokenizer that adds BOS itself: the template's leading BOS text is dropped (as llama.cpp does).
    let file = gguf(|w| {
        tokenizer_keys(w);
        w.metadata("tokenizer.ggml.add_bos_token", true).metadata(
            "tokenizer.chat_template",
            "{{ bos_token }}{{ messages[0].content }}<s>",
        );
    });
    let t = Tokenizer::from_gguf(&file).unwrap();
    let tmpl = ChatTemplate::from_gguf(&file, &t).unwrap();
    let prompt = tmpl.render(&[ChatMessage::user("ab")], None, true).unwrap();
    assert_eq!(prompt, "ab<s>");
    assert_eq!(t.encode(&prompt, true, true).unwrap(), [4, 2, 4]);
}

#[test]
fn from_gguf_names_missing_and_mistyped_keys() {
    let e = Tokenizer::from_gguf(&gguf(|_| {})).unwrap_err();
    assert!(
        matches!(
            e,
            TokenizerError::MissingKey {
                key: "tokenizer.ggml.model",
                ..
            }
        ),
        "{e}"
    );
    let e = Tokenizer::from_gguf(&gguf(|w| {
        w.metadata("tokenizer.ggml.model", "gpt2");
    }))
    .unwrap_err();
    assert!(
        matches!(
            e,
            TokenizerError::MissingKey {
                key: "tokenizer.ggml.tokens",
                ..
            }
        ),
        "{e}"
    );
    let e = Tokenizer::from_gguf(&gguf(|w| {
        tokenizer_keys_except(w, "tokenizer.ggml.tokens");
        w.metadata("tokenizer.ggml.tokens", 7u32);
    }))
    .unwrap_err();
    assert!(
        matches!(
            e,
            TokenizerError::Gguf {
                key: "tokenizer.ggml.tokens",
                ..
            }
        ),
        "{e}"
    );
    let e = Tokenizer::from_gguf(&gguf(|w| {
        tokenizer_keys_except(w, "tokenizer.ggml.eos_token_id");
        w.metadata("tokenizer.ggml.eos_token_id", 40u32);
    }))
    .unwrap_err();
    assert!(
        matches!(e, TokenizerError::SpecialTokenOutOfRange { id: 40, .. }),
        "{e}"
    );
}

#[test]
fn template_errors_are_reported() {
    let e = ChatTemplate::from_source("{% for %}", "", "").unwrap_err();
    assert!(matches!(e, TokenizerError::TemplateSyntax(_)), "{e}");
    let t = ChatTemplate::from_source(
        "{% if messages[0].role != 'user' %}{{ raise_exception('first message must be from the user') }}{% endif %}",
        "",
        "",
    )
    .unwrap();
    let e = t
        .render(&[ChatMessage::system("s")], None, false)
        .unwrap_err();
    assert!(matches!(e, TokenizerError::TemplateRender(_)));
    assert!(
        e.to_string()
            .contains("first message must be from the user"),
        "{e}"
    );
}
