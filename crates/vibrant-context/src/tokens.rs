//! Token counting, injected so the budget is measured with the active model's tokenizer.

/// Counts the tokens a text costs in the model's prompt.
pub trait TokenCounter: Send + Sync {
    /// Number of tokens `text` encodes to.
    fn count(&self, text: &str) -> usize;
}

/// A tokenizer-free estimate: `ceil(chars / chars_per_token)`.
///
/// Used when no model is loaded. The default, 3.5 characters per token, is a deliberately
/// conservative figure for source code with the byte-level BPE vocabularies of current code
/// models (Qwen2.5-Coder, Llama 3, GPT-4 style): they encode English prose at about 4 characters
/// per token and code, with its short identifiers, punctuation and indentation, at about 3 to 4.
/// Erring low on characters per token over-counts, so a budget met by the estimate is, in the
/// common case, also met by the real tokenizer. docs/results/context.md records the comparison
/// against a real tokenizer where one was available.
#[derive(Debug, Clone, Copy)]
pub struct CharEstimate {
    chars_per_token: f32,
}

impl CharEstimate {
    /// Characters per token assumed for source code.
    pub const CODE: f32 = 3.5;

    /// An estimate with the given characters per token (clamped to at least 1).
    pub fn new(chars_per_token: f32) -> Self {
        let chars_per_token = if chars_per_token.is_finite() {
            chars_per_token.max(1.0)
        } else {
            Self::CODE
        };
        Self { chars_per_token }
    }
}

impl Default for CharEstimate {
    fn default() -> Self {
        Self::new(Self::CODE)
    }
}

impl TokenCounter for CharEstimate {
    fn count(&self, text: &str) -> usize {
        let chars = text.chars().count();
        // Float rounding is fine here: counts stay far below 2^24.
        (chars as f64 / f64::from(self.chars_per_token)).ceil() as usize
    }
}

impl<T: TokenCounter + ?Sized> TokenCounter for &T {
    fn count(&self, text: &str) -> usize {
        (**self).count(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_rounds_up() {
        let c = CharEstimate::default();
        assert_eq!(c.count(""), 0);
        assert_eq!(c.count("a"), 1);
        assert_eq!(c.count("abcdefg"), 2);
        assert_eq!(c.count("abcdefgh"), 3);
        // Characters, not bytes.
        assert_eq!(CharEstimate::new(1.0).count("ééé"), 3);
    }
}
