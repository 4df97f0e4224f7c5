//! Pre-tokenizer split rules for byte-level BPE, chosen by `tokenizer.ggml.pre`.
//!
//! The regex lists mirror llama.cpp's `llm_tokenizer_bpe` constructor (src/llama-vocab.cpp). Each list is
//! applied in order: every regex splits every piece produced so far into its matches *and* the text between
//! them ("isolated" splitting), exactly like llama.cpp's `unicode_regex_split`. The `(?i:…)` contractions of
//! the original Hugging Face patterns are spelled out as `'[sS]` etc., as llama.cpp does.

use fancy_regex::Regex;

use crate::TokenizerError;

/// GPT-2's pattern, shared by many families.
const GPT2: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";

/// Llama 3's pattern (digits in runs of up to three).
const LLAMA3: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// Qwen 2's pattern (single digits).
const QWEN2: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

const DEEPSEEK_LLM_LETTERS: &str = "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅ\u{1F50}-\u{1F57}\u{1F59}\u{1F5B}\u{1F5D}\u{1F5F}-\u{1F7D}\u{1F80}-\u{1FB4}\u{1FB6}-\u{1FBC}\u{1FBE}\u{1FC2}-\u{1FC4}\u{1FC6}-\u{1FCC}\u{1FD0}-\u{1FD3}\u{1FD6}-\u{1FDB}\u{1FE0}-\u{1FEC}\u{1FF2}-\u{1FF4}\u{1FF6}-\u{1FFC}\u{2102}\u{2107}\u{210A}-\u{2113}\u{2115}\u{2119}-\u{211D}\u{2124}\u{2126}\u{2128}\u{212A}-\u{212D}ℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+";

/// How a pre-tokenizer family behaves besides its regex list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PreFlags {
    /// A whole pre-tokenized word that is itself a vocabulary entry becomes that token without merging.
    pub ignore_merges: bool,
    /// The family turns `add_bos` on by default (llama.cpp's defaults, overridable by metadata).
    pub add_bos: bool,
    /// The family has no BOS token by default.
    pub no_bos: bool,
}

const PLAIN: PreFlags = PreFlags {
    ignore_merges: false,
    add_bos: false,
    no_bos: false,
};

/// Names accepted for `tokenizer.ggml.pre` (aliases included), for error messages and docs.
pub(crate) const SUPPORTED: &[&str] = &[
    "default",
    "qwen2",
    "deepseek-r1-qwen",
    "kormo",
    "f2llmv2",
    "megrez",
    "stablelm2",
    "hunyuan",
    "solar-open",
    "llama3",
    "llama-v3",
    "llama-bpe",
    "falcon3",
    "falcon-h1",
    "pixtral",
    "midm-2.0",
    "lfm2",
    "jina-v5-nano",
    "dbrx",
    "smaug-bpe",
    "glm4",
    "chatglm-bpe",
    "smollm",
    "starcoder",
    "refact",
    "command-r",
    "codeshell",
    "exaone",
    "minerva-7b",
    "mellum2",
    "gpt-2",
    "phi-2",
    "jina-es",
    "jina-de",
    "gigachat",
    "jina-v2-es",
    "jina-v2-de",
    "a.x-4.0",
    "mellum",
    "modern-bert",
    "jina-v1-en",
    "jina-v2-code",
    "roberta-bpe",
    "mpt",
    "olmo",
    "jais",
    "trillion",
    "granite-docling",
    "exaone4",
    "deepseek-llm",
    "deepseek-coder",
    "deepseek-v3",
    "falcon",
    "seed-coder",
    "grok-2",
    "bailingmoe",
    "bailingmoe2",
    "llada-moe",
    "ufakzeka",
];

/// The regex list and flags for a `tokenizer.ggml.pre` value; `None` for names this crate does not know.
pub(crate) fn rules(pre: &str) -> Option<(Vec<&'static str>, PreFlags)> {
    let r = match pre {
        "default" => (
            vec![r"[\p{P}\$\+<=>\^~\|]+", GPT2, r"\p{N}+", "[0-9][0-9][0-9]"],
            PLAIN,
        ),
        "qwen2" | "deepseek-r1-qwen" | "kormo" | "f2llmv2" | "megrez" | "stablelm2" | "hunyuan"
        | "solar-open" => (vec![QWEN2], PLAIN),
        "llama3" | "llama-v3" | "llama-bpe" | "falcon3" | "falcon-h1" | "pixtral" | "midm-2.0"
        | "lfm2" | "jina-v5-nano" => (
            vec![LLAMA3],
            PreFlags {
                ignore_merges: true,
                add_bos: true,
                no_bos: false,
            },
        ),
        "dbrx" | "smaug-bpe" => (vec![LLAMA3], PLAIN),
        "glm4" | "chatglm-bpe" => (
            vec![LLAMA3],
            PreFlags {
                no_bos: true,
                ..PLAIN
            },
        ),
        "smollm" | "starcoder" | "refact" | "command-r" | "codeshell" | "exaone" | "minerva-7b"
        | "mellum2" => (vec![r"\p{N}", GPT2], PLAIN),
        "gpt-2" | "phi-2" | "jina-es" | "jina-de" | "gigachat" | "jina-v2-es" | "jina-v2-de"
        | "a.x-4.0" | "mellum" | "modern-bert" | "jina-v1-en" | "jina-v2-code" | "roberta-bpe"
        | "mpt" | "olmo" | "jais" | "trillion" | "granite-docling" | "exaone4" => {
            (vec![GPT2], PLAIN)
        }
        "deepseek-llm" => (
            vec![
                "[\r\n]",
                DEEPSEEK_LLM_LETTERS,
                "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
                "\\s+$",
                "[一-龥ࠀ-一가-퟿]+",
                r"\p{N}+",
            ],
            PLAIN,
        ),
        "deepseek-coder" => (
            vec![
                "[\r\n]",
                r"\s?\p{L}+",
                r"\s?\p{P}+",
                "[一-龥ࠀ-一가-퟿]+",
                r"\p{N}",
            ],
            PLAIN,
        ),
        "deepseek-v3" => (
            vec![
                r"\p{N}{1,3}",
                "[一-龥぀-ゟ゠-ヿ]+",
                "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
            ],
            PLAIN,
        ),
        "falcon" => (
            vec![r"[\p{P}\$\+<=>\^~\|`]+", GPT2, "[0-9][0-9][0-9]"],
            PLAIN,
        ),
        "seed-coder" => (
            vec![
                r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+",
            ],
            PLAIN,
        ),
        "grok-2" => (vec![QWEN2], PLAIN),
        "bailingmoe" | "bailingmoe2" | "llada-moe" => (
            vec![
                r"'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+",
            ],
            PLAIN,
        ),
        "ufakzeka" => (
            vec![
                r"[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
            ],
            PLAIN,
        ),
        _ => return None,
    };
    Some(r)
}

/// A compiled pre-tokenizer: an ordered list of regexes applied with isolated splitting.
#[derive(Debug)]
pub(crate) struct PreTokenizer {
    name: String,
    regexes: Vec<Regex>,
}

impl PreTokenizer {
    pub(crate) fn new(name: &str, patterns: &[&str]) -> Result<Self, TokenizerError> {
        let regexes = patterns
            .iter()
            .map(|p| {
                Regex::new(p).map_err(|e| TokenizerError::Regex {
                    pre: name.to_owned(),
                    pattern: (*p).to_owned(),
                    message: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            name: name.to_owned(),
            regexes,
        })
    }

    /// Splits `text` into word ranges (byte offsets), covering all of `text` in order.
    pub(crate) fn split(&self, text: &str) -> Result<Vec<(usize, usize)>, TokenizerError> {
        let mut pieces = vec![(0, text.len())];
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let mut next = Vec::new();
        for re in &self.regexes {
            next.clear();
            for &(start, end) in &pieces {
                if let Err(e) = split_piece(re, text, start, end, &mut next) {
                    // The backtracking engine has a fixed stack: a single run of hundreds of thousands of
                    // characters (e.g. whitespace before `(?!\S)`) can exhaust it. Split such a piece into
                    // chunks and go on; only the chunk boundaries can differ from llama.cpp.
                    tracing::warn!(
                        pre = self.name.as_str(),
                        len = end - start,
                        "pre-tokenizer regex failed on a long piece ({e}); splitting it into chunks"
                    );
                    let mut s = start;
                    while s < end {
                        let mut e = (s + CHUNK).min(end);
                        while !text.is_char_boundary(e) {
                            e += 1;
                        }
                        split_piece(re, text, s, e, &mut next).map_err(|err| {
                            TokenizerError::Regex {
                                pre: self.name.clone(),
                                pattern: re.as_str().to_owned(),
                                message: err.to_string(),
                            }
                        })?;
                        s = e;
                    }
                }
            }
            std::mem::swap(&mut pieces, &mut next);
        }
        Ok(pieces)
    }
}

/// Size of the chunks a piece is cut into when the regex engine cannot handle it whole.
const CHUNK: usize = 64 * 1024;

/// Isolated split of `text[start..end]` by `re`, appended to `out`. On error `out` is left as it was.
fn split_piece(
    re: &Regex,
    text: &str,
    start: usize,
    end: usize,
    out: &mut Vec<(usize, usize)>,
) -> Result<(), fancy_regex::Error> {
    let piece = &text[start..end];
    let before = out.len();
    let mut last = 0;
    for m in re.find_iter(piece) {
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                out.truncate(before);
                return Err(e);
            }
        };
        if m.start() == m.end() {
            continue;
        }
        if m.start() > last {
            out.push((start + last, start + m.start()));
        }
        out.push((start + m.start(), start + m.end()));
        last = m.end();
    }
    if last < piece.len() {
        out.push((start + last, end));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_name_compiles() {
        for name in SUPPORTED {
            let (patterns, _) = rules(name).unwrap_or_else(|| panic!("{name} has no rules"));
            PreTokenizer::new(name, &patterns).unwrap();
        }
        assert!(rules("no-such-pre").is_none());
    }

    fn words(pre: &str, text: &str) -> Vec<String> {
        let (patterns, _) = rules(pre).unwrap();
        let p = PreTokenizer::new(pre, &patterns).unwrap();
        p.split(text)
            .unwrap()
            .into_iter()
            .map(|(s, e)| text[s..e].to_owned())
            .collect()
    }

    #[test]
    fn qwen2_splits_digits_singly_and_keeps_space_before_words() {
        assert_eq!(
            words("qwen2", "I'm 123  ok\n\n"),
            ["I", "'m", " ", "1", "2", "3", " ", " ok", "\n\n"]
        );
    }

    #[test]
    fn llama3_groups_digits_in_threes() {
        assert_eq!(words("llama-bpe", "1234567"), ["123", "456", "7"]);
    }

    #[test]
    fn smollm_isolates_digits_first() {
        assert_eq!(words("smollm", "ab 12 c"), ["ab", " ", "1", "2", " c"]);
    }

    #[test]
    fn gpt2_keeps_last_space_for_the_next_word() {
        assert_eq!(words("gpt-2", "a   b"), ["a", "  ", " b"]);
    }
}
