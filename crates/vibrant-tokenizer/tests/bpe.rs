//! Byte-level BPE behaviour that the real test models do not exercise: the other pre-tokenizer families
//! (llama 3's digit groups and `ignore_merges`, family BOS defaults) on a small hand-built vocabulary.
#![allow(clippy::unwrap_used)]

use vibrant_tokenizer::{Tokenizer, TokenizerSpec};

/// GPT-2's byte → character table (the published `bytes_to_unicode`).
fn byte_chars() -> Vec<char> {
    let printable = |b: u32| {
        (0x21..=0x7E).contains(&b) || (0xA1..=0xAC).contains(&b) || (0xAE..=0xFF).contains(&b)
    };
    let mut n = 0;
    (0..256u32)
        .map(|b| {
            if printable(b) {
                char::from_u32(b).unwrap()
            } else {
                n += 1;
                char::from_u32(0x100 + n - 1).unwrap()
            }
        })
        .collect()
}

/// All 256 byte tokens (ids 0..256), then merged tokens; "xyz" is in the vocabulary without a merge path.
fn spec(pre: &str) -> TokenizerSpec {
    let mut tokens: Vec<String> = byte_chars().into_iter().map(String::from).collect();
    for t in ["ab", "abc", "12", "123", "xyz", "<s>"] {
        tokens.push(t.into());
    }
    let mut types = vec![1; tokens.len()];
    *types.last_mut().unwrap() = 3;
    TokenizerSpec {
        model: "gpt2".into(),
        pre: Some(pre.into()),
        merges: ["a b", "ab c", "1 2", "12 3"].map(String::from).to_vec(),
        token_types: Some(types),
        bos: Some(261),
        tokens,
        ..Default::default()
    }
}

const AB: u32 = 256;
const ABC: u32 = 257;
const N123: u32 = 259;
const XYZ: u32 = 260;
const BOS: u32 = 261;

fn tok(pre: &str) -> Tokenizer {
    Tokenizer::from_spec(spec(pre)).unwrap()
}

fn b(c: char) -> u32 {
    c as u32 // ASCII letters and digits are their own byte tokens
}

#[test]
fn merges_apply_lowest_rank_first() {
    let t = tok("qwen2");
    assert_eq!(t.encode("abc", false, false).unwrap(), [ABC]);
    assert_eq!(t.encode("abab", false, false).unwrap(), [AB, AB]);
    assert_eq!(t.encode("cab", false, false).unwrap(), [b('c'), AB]);
}

#[test]
fn llama3_groups_digits_in_threes_and_qwen2_splits_them() {
    assert_eq!(
        tok("llama-bpe").encode("1231231", false, false).unwrap(),
        [N123, N123, b('1')]
    );
    assert_eq!(
        tok("qwen2").encode("123", false, false).unwrap(),
        [b('1'), b('2'), b('3')]
    );
    // smollm isolates single digits as well.
    assert_eq!(
        tok("smollm").encode("123", false, false).unwrap(),
        [b('1'), b('2'), b('3')]
    );
    // gpt-2 keeps digit runs together, so the merges apply.
    assert_eq!(tok("gpt-2").encode("123", false, false).unwrap(), [N123]);
}

#[test]
fn llama3_ignores_merges_for_whole_words_in_the_vocabulary() {
    // "xyz" has no merge path; llama 3 takes the whole word because it is a token.
    assert_eq!(tok("llama-bpe").encode("xyz", false, false).unwrap(), [XYZ]);
    // dbrx has the same split regex but no ignore_merges.
    assert_eq!(
        tok("dbrx").encode("xyz", false, false).unwrap(),
        [b('x'), b('y'), b('z')]
    );
}

#[test]
fn family_defaults_for_bos() {
    // llama 3 adds BOS by default; qwen2 does not; metadata overrides either way.
    assert_eq!(
        tok("llama-bpe").encode("ab", true, false).unwrap(),
        [BOS, AB]
    );
    assert_eq!(tok("qwen2").encode("ab", true, false).unwrap(), [AB]);
    let t = Tokenizer::from_spec(TokenizerSpec {
        add_bos: Some(false),
        ..spec("llama-bpe")
    })
    .unwrap();
    assert_eq!(t.encode("ab", true, false).unwrap(), [AB]);
    // glm4 has no BOS by default.
    let t = Tokenizer::from_spec(TokenizerSpec {
        bos: None,
        ..spec("glm4")
    })
    .unwrap();
    assert_eq!(t.bos(), None);
}

#[test]
fn every_family_round_trips_arbitrary_text() {
    let text = "Héllo, wörld! 1234567 x=[1,2]; 'tis i'm\r\n\t  中文编码 🚀👍🏽 ΣΩ Кириллица  \n";
    for pre in [
        "default",
        "qwen2",
        "llama-bpe",
        "llama3",
        "dbrx",
        "smollm",
        "starcoder",
        "gpt-2",
        "deepseek-llm",
        "deepseek-coder",
        "deepseek-v3",
        "falcon",
        "chatglm-bpe",
        "seed-coder",
        "bailingmoe",
        "command-r",
        "olmo",
    ] {
        let t = tok(pre);
        let ids = t.encode(text, false, false).unwrap();
        assert_eq!(t.decode(&ids, false), text, "{pre}");
        // Every byte of the text becomes at most one token.
        assert!(ids.len() <= text.len(), "{pre}");
    }
}

#[test]
fn special_text_is_only_parsed_on_request() {
    let t = tok("qwen2");
    assert_eq!(t.encode("ab<s>", false, true).unwrap(), [AB, BOS]);
    let plain = t.encode("ab<s>", false, false).unwrap();
    assert_eq!(plain, [AB, b('<'), b('s'), b('>')]);
    assert_eq!(t.decode(&[AB, BOS], false), "ab");
    assert_eq!(t.decode(&[AB, BOS], true), "ab<s>");
}
