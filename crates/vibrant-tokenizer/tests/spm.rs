//! SentencePiece-style BPE (`tokenizer.ggml.model = llama`, e.g. CodeLlama).
//!
//! None of the real test models uses it, so these tests build a small vocabulary by hand. The expected ids
//! are derived by reasoning through llama.cpp's `llm_tokenizer_spm_session::tokenize` (src/llama-vocab.cpp):
//! the text gets a leading space when the previous fragment was special (or at the start) with
//! `add_space_prefix`, spaces become `▁`, the input is split into UTF-8 characters, and adjacent pairs whose
//! concatenation is a vocabulary entry are merged highest score first (the leftmost pair on ties); symbols
//! that are not tokens fall back to `<0xNN>` byte tokens.
#![allow(clippy::unwrap_used)]

use vibrant_tokenizer::{StreamDecoder, Tokenizer, TokenizerSpec};

const UNK: u32 = 0;
const BOS: u32 = 1;
const EOS: u32 = 2;
/// `<0xNN>` is id `BYTE0 + NN`.
const BYTE0: u32 = 3;
const SPACE: u32 = 259; // "▁"
const HELLO: u32 = 267;
const SP_HELLO: u32 = 268; // "▁hello"
const SP_H: u32 = 269; // "▁h"
const A: u32 = 271;
const C: u32 = 273;
const AB: u32 = 274;
const BC: u32 = 275;

fn spec() -> TokenizerSpec {
    let mut tokens = vec!["<unk>".to_owned(), "<s>".to_owned(), "</s>".to_owned()];
    let mut types = vec![2, 3, 3];
    let mut scores = vec![0.0f32; 3];
    for b in 0..=255u8 {
        tokens.push(format!("<0x{b:02X}>"));
        types.push(6);
        scores.push(0.0);
    }
    let normal: [(&str, f32); 17] = [
        ("▁", -1.0),       // 259
        ("h", -2.0),       // 260
        ("e", -2.0),       // 261
        ("l", -2.0),       // 262
        ("o", -2.0),       // 263
        ("ll", -0.5),      // 264
        ("he", -0.8),      // 265
        ("llo", -0.3),     // 266
        ("hello", -0.1),   // 267
        ("▁hello", -0.05), // 268
        ("▁h", -3.0),      // 269
        (",", -2.0),       // 270
        ("a", -2.0),       // 271
        ("b", -2.0),       // 272
        ("c", -2.0),       // 273
        ("ab", -1.0),      // 274
        ("bc", -1.0),      // 275
    ];
    for (t, s) in normal {
        tokens.push(t.to_owned());
        types.push(1);
        scores.push(s);
    }
    TokenizerSpec {
        model: "llama".into(),
        tokens,
        scores: Some(scores),
        token_types: Some(types),
        bos: Some(BOS),
        eos: Some(EOS),
        unk: Some(UNK),
        ..Default::default()
    }
}

fn tok() -> Tokenizer {
    Tokenizer::from_spec(spec()).unwrap()
}

#[test]
fn merges_by_score_with_space_prefix_and_bos() {
    let t = tok();
    assert_eq!(t.model_kind(), "llama");
    assert_eq!(t.pre(), None);
    // "▁hello": ll (-0.5) → llo (-0.3) → he (-0.8) → hello (-0.1) → ▁hello (-0.05); "▁h" (-3.0) goes stale.
    assert_eq!(t.encode("hello", false, false).unwrap(), [SP_HELLO]);
    // add_bos defaults to true for `llama`, add_eos to false.
    assert!(t.add_bos() && !t.add_eos());
    assert_eq!(t.encode("hello", true, false).unwrap(), [BOS, SP_HELLO]);
    assert_eq!(t.encode("", true, false).unwrap(), [BOS]);
    assert_eq!(t.encode("", false, false).unwrap(), Vec::<u32>::new());
}

#[test]
fn ties_merge_the_leftmost_pair_first() {
    // "▁abc": "ab" and "bc" both score -1.0; the left one wins, leaving "c".
    assert_eq!(tok().encode("abc", false, false).unwrap(), [SPACE, AB, C]);
    // With "ab" scored lower, "bc" wins.
    let mut s = spec();
    s.scores.as_mut().unwrap()[AB as usize] = -1.5;
    let t = Tokenizer::from_spec(s).unwrap();
    assert_eq!(t.encode("abc", false, false).unwrap(), [SPACE, A, BC]);
}

#[test]
fn unknown_characters_fall_back_to_byte_tokens() {
    let t = tok();
    // "▁hi": "▁h" merges; "i" is not a token → <0x69>.
    assert_eq!(t.encode("hi", false, false).unwrap(), [SP_H, BYTE0 + 0x69]);
    // "é" is C3 A9 in UTF-8.
    assert_eq!(
        t.encode("é", false, false).unwrap(),
        [SPACE, BYTE0 + 0xC3, BYTE0 + 0xA9]
    );
}

#[test]
fn add_space_prefix_can_be_turned_off() {
    let mut s = spec();
    s.add_space_prefix = Some(false);
    let t = Tokenizer::from_spec(s).unwrap();
    assert_eq!(t.encode("hello", false, false).unwrap(), [HELLO]);
    assert_eq!(t.decode(&[HELLO], false), "hello");
}

#[test]
fn special_tokens_and_space_prefix_after_them() {
    let t = tok();
    // Parsed: <s> is one id and the text after it gets a space prefix again.
    assert_eq!(t.encode("<s>hello", false, true).unwrap(), [BOS, SP_HELLO]);
    // Not parsed: "▁<s>hello" is text; "<", "s", ">" are not tokens → bytes; "▁" stays alone.
    assert_eq!(
        t.encode("<s>hello", false, false).unwrap(),
        [
            SPACE,
            BYTE0 + b'<' as u32,
            BYTE0 + b's' as u32,
            BYTE0 + b'>' as u32,
            HELLO
        ]
    );
    assert!(t.is_eog(EOS) && !t.is_eog(BOS));
    assert_eq!(t.eog_ids(), &[EOS]);
}

#[test]
fn decoding_turns_markers_back_into_spaces_and_bytes() {
    let t = tok();
    assert_eq!(t.token_bytes(SP_HELLO), b" hello");
    assert_eq!(t.token_bytes(BYTE0 + 0xC3), [0xC3]);
    assert_eq!(t.token_text(SP_HELLO), "▁hello");
    // Like llama_detokenize: the first token loses its leading space (the prefix encode added) ...
    assert_eq!(t.decode(&[SP_HELLO, SP_HELLO], false), "hello hello");
    // ... unless a BOS comes first (llama.cpp only skips the space for the very first token).
    assert_eq!(t.decode(&[BOS, SP_HELLO], false), " hello");
    assert_eq!(t.decode(&[BOS, SP_HELLO], true), "<s> hello");
    assert_eq!(t.decode(&[SPACE, BYTE0 + 0xC3, BYTE0 + 0xA9], false), "é");
    for s in ["hello", "hi", "é", "abc hello"] {
        assert_eq!(t.decode(&t.encode(s, false, false).unwrap(), false), s);
    }
}

#[test]
fn stream_decoder_holds_back_split_utf8_bytes() {
    let t = tok();
    let mut d = StreamDecoder::new(&t);
    assert_eq!(d.push(SP_HELLO).as_deref(), Some(" hello"));
    assert_eq!(d.push(BYTE0 + 0xC3), None);
    assert_eq!(d.pending_len(), 1);
    assert_eq!(d.push(BYTE0 + 0xA9).as_deref(), Some("é"));
    // 🚀 is F0 9F 9A 80: nothing until the last byte.
    for b in [0xF0, 0x9F, 0x9A] {
        assert_eq!(d.push(BYTE0 + b), None);
    }
    assert_eq!(d.push(BYTE0 + 0x80).as_deref(), Some("🚀"));
    // A byte that can never start a character is replaced, not held forever.
    assert_eq!(d.push(BYTE0 + 0xFF).as_deref(), Some("\u{FFFD}"));
    // An unfinished character at the end comes out of flush as U+FFFD.
    assert_eq!(d.push(BYTE0 + 0xE4), None);
    assert_eq!(d.flush(), "\u{FFFD}");
    assert_eq!(d.flush(), "");
    // Control tokens print nothing unless asked.
    assert_eq!(d.push(EOS), None);
    let mut d = StreamDecoder::new(&t).render_special(true);
    assert_eq!(d.push(EOS).as_deref(), Some("</s>"));
}
