//! Incremental detokenization for streaming generation.

use std::borrow::Borrow;
use std::sync::Arc;

use crate::Tokenizer;

/// Turns generated token ids into text as they arrive, never emitting half a UTF-8 character: bytes of
/// a character split across tokens (CJK, emoji with byte-fallback tokens) are held back until complete.
/// Bytes that can never become valid UTF-8 are emitted as U+FFFD.
///
/// Works with a borrowed tokenizer (`StreamDecoder::new(&tok)`) or a shared one
/// (`StreamDecoder::new(Arc::clone(&tok))`). Each token's text is its llama.cpp piece, so the
/// concatenated output is what llama.cpp prints while generating.
#[derive(Debug)]
pub struct StreamDecoder<T: Borrow<Tokenizer> = Arc<Tokenizer>> {
    tokenizer: T,
    pending: Vec<u8>,
    render_special: bool,
}

impl<T: Borrow<Tokenizer>> StreamDecoder<T> {
    /// A decoder that renders control tokens (such as `<|im_end|>`) as nothing.
    pub fn new(tokenizer: T) -> Self {
        Self {
            tokenizer,
            pending: Vec::new(),
            render_special: false,
        }
    }

    /// Whether control tokens are rendered as their text.
    pub fn render_special(mut self, yes: bool) -> Self {
        self.render_special = yes;
        self
    }

    /// Adds one token; returns the text it completes, if any.
    pub fn push(&mut self, id: u32) -> Option<String> {
        self.tokenizer
            .borrow()
            .piece(id, self.render_special, &mut self.pending);
        let mut out = String::new();
        let mut consumed = 0;
        loop {
            let rest = &self.pending[consumed..];
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    consumed = self.pending.len();
                    break;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    out.push_str(&String::from_utf8_lossy(&rest[..valid]));
                    match e.error_len() {
                        // Invalid bytes: they can never start a character; replace and go on.
                        Some(n) => {
                            out.push('\u{FFFD}');
                            consumed += valid + n;
                        }
                        // An incomplete character at the end: wait for more bytes.
                        None => {
                            consumed += valid;
                            break;
                        }
                    }
                }
            }
        }
        self.pending.drain(..consumed);
        if out.is_empty() { None } else { Some(out) }
    }

    /// Returns whatever is still held back (an incomplete character becomes U+FFFD) and resets.
    pub fn flush(&mut self) -> String {
        let s = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        s
    }

    /// Bytes held back waiting for the rest of a character.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// The tokenizer this decoder uses.
    pub fn tokenizer(&self) -> &Tokenizer {
        self.tokenizer.borrow()
    }
}
