//! Compact string ↔ id index for the vocabulary.
//!
//! All token texts live in one arena string; a power-of-two open-addressing table of ids answers
//! `text → id`. Built once per model load, so it is made for fast construction (one allocation for the
//! texts, one for the table) as well as fast lookups.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::TokenizerError;

/// FxHash-style hasher (the rustc hasher): fast for the short keys tokenizers look up.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` with [`FxHasher`].
pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    // Mix the high bits down: the table is indexed by the low bits.
    let x = h.finish();
    x ^ (x >> 29) ^ (x >> 47)
}

const EMPTY: u64 = u64::MAX;

/// A table slot: the hash's high 32 bits (a tag that rejects most mismatches without touching the
/// texts) and the id.
#[inline]
fn slot_value(hash: u64, id: u32) -> u64 {
    (hash & 0xFFFF_FFFF_0000_0000) | u64::from(id)
}

/// The vocabulary: id → text and text → id.
#[derive(Debug)]
pub(crate) struct Vocab {
    arena: String,
    /// `offsets[i]..offsets[i + 1]` is token `i` in `arena`.
    offsets: Vec<u32>,
    table: Vec<u64>,
    mask: usize,
}

impl Vocab {
    /// Builds the index. Empty texts become `[EMPTY_<id>]` (as llama.cpp does); duplicates are an error.
    pub(crate) fn new<'a, I>(tokens: I, n: usize) -> Result<Self, TokenizerError>
    where
        I: IntoIterator<Item = &'a str>,
    {
        let mut arena = String::new();
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0u32);
        for (i, t) in tokens.into_iter().enumerate() {
            if t.is_empty() {
                tracing::warn!(
                    id = i,
                    "empty token in tokenizer.ggml.tokens, using [EMPTY_{i}]"
                );
                arena.push_str(&format!("[EMPTY_{i}]"));
            } else {
                arena.push_str(t);
            }
            let end = u32::try_from(arena.len()).map_err(|_| TokenizerError::InvalidKey {
                key: "tokenizer.ggml.tokens",
                reason: "the token texts exceed 4 GiB".to_owned(),
            })?;
            offsets.push(end);
        }
        let n = offsets.len() - 1;
        let size = (n * 2).next_power_of_two().max(16);
        let mut vocab = Self {
            arena,
            offsets,
            table: vec![EMPTY; size],
            mask: size - 1,
        };
        for id in 0..n as u32 {
            let text = vocab.text(id);
            let hash = hash_str(text);
            let mut slot = hash as usize & vocab.mask;
            loop {
                let cur = vocab.table[slot];
                if cur == EMPTY {
                    vocab.table[slot] = slot_value(hash, id);
                    break;
                }
                if cur >> 32 == hash >> 32 && vocab.text(cur as u32) == text {
                    return Err(TokenizerError::DuplicateToken {
                        text: text.to_owned(),
                        first: cur as u32,
                        second: id,
                    });
                }
                slot = (slot + 1) & vocab.mask;
            }
        }
        Ok(vocab)
    }

    pub(crate) fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The text of token `id` (which must be in range).
    #[inline]
    pub(crate) fn text(&self, id: u32) -> &str {
        let i = id as usize;
        &self.arena[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// The id whose text is exactly `text`.
    #[inline]
    pub(crate) fn find(&self, text: &str) -> Option<u32> {
        let hash = hash_str(text);
        let mut slot = hash as usize & self.mask;
        loop {
            let cur = self.table[slot];
            if cur == EMPTY {
                return None;
            }
            if cur >> 32 == hash >> 32 && self.text(cur as u32) == text {
                return Some(cur as u32);
            }
            slot = (slot + 1) & self.mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_token_and_rejects_duplicates() {
        let words: Vec<String> = (0..1000).map(|i| format!("w{i}")).collect();
        let v = Vocab::new(words.iter().map(String::as_str), words.len()).unwrap();
        assert_eq!(v.len(), 1000);
        for (i, w) in words.iter().enumerate() {
            assert_eq!(v.find(w), Some(i as u32));
            assert_eq!(v.text(i as u32), w);
        }
        assert_eq!(v.find("nope"), None);
        let err = Vocab::new(["a", "b", "a"], 3).unwrap_err();
        assert!(
            matches!(
                err,
                TokenizerError::DuplicateToken {
                    first: 0,
                    second: 2,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn empty_tokens_get_placeholder_text() {
        let v = Vocab::new(["a", ""], 2).unwrap();
        assert_eq!(v.text(1), "[EMPTY_1]");
    }
}
