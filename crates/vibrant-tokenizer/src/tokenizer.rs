//! The tokenizer: vocabulary, special-token rules, encoding and decoding (mirrors llama.cpp's
//! `llama_vocab`, src/llama-vocab.cpp).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use crate::TokenizerError;
use crate::pretok::{self, PreTokenizer};
use crate::vocab::{FxHashMap, Vocab};

/// Everything a tokenizer is built from: the `tokenizer.ggml.*` metadata of a GGUF file as plain data,
/// so tests and tools can build tokenizers without a file. `None` means "key absent".
#[derive(Debug, Clone, Default)]
pub struct TokenizerSpec {
    /// `tokenizer.ggml.model`: `"gpt2"` (byte-level BPE) or `"llama"` (SentencePiece BPE with scores).
    pub model: String,
    /// `tokenizer.ggml.pre`: the pre-tokenizer of a `gpt2` model (`"qwen2"`, `"llama-bpe"`, `"smollm"`, …).
    pub pre: Option<String>,
    /// `tokenizer.ggml.tokens`: the vocabulary, id = index.
    pub tokens: Vec<String>,
    /// `tokenizer.ggml.merges`: `"left right"` merge rules, highest priority first (`gpt2` only).
    pub merges: Vec<String>,
    /// `tokenizer.ggml.scores` (`llama` merges by score).
    pub scores: Option<Vec<f32>>,
    /// `tokenizer.ggml.token_type`: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    pub token_types: Option<Vec<i32>>,
    /// `tokenizer.ggml.bos_token_id`.
    pub bos: Option<u32>,
    /// `tokenizer.ggml.eos_token_id`.
    pub eos: Option<u32>,
    /// `tokenizer.ggml.eot_token_id`.
    pub eot: Option<u32>,
    /// `tokenizer.ggml.eom_token_id`.
    pub eom: Option<u32>,
    /// `tokenizer.ggml.padding_token_id`.
    pub pad: Option<u32>,
    /// `tokenizer.ggml.unknown_token_id`.
    pub unk: Option<u32>,
    /// `tokenizer.ggml.fim_pre_token_id` (or the older `prefix_token_id`).
    pub fim_pre: Option<u32>,
    /// `tokenizer.ggml.fim_suf_token_id` (or `suffix_token_id`).
    pub fim_suf: Option<u32>,
    /// `tokenizer.ggml.fim_mid_token_id` (or `middle_token_id`).
    pub fim_mid: Option<u32>,
    /// `tokenizer.ggml.fim_pad_token_id`.
    pub fim_pad: Option<u32>,
    /// `tokenizer.ggml.fim_rep_token_id`.
    pub fim_rep: Option<u32>,
    /// `tokenizer.ggml.fim_sep_token_id`.
    pub fim_sep: Option<u32>,
    /// `tokenizer.ggml.add_bos_token`.
    pub add_bos: Option<bool>,
    /// `tokenizer.ggml.add_eos_token`.
    pub add_eos: Option<bool>,
    /// `tokenizer.ggml.add_space_prefix`.
    pub add_space_prefix: Option<bool>,
}

// Token attributes, as llama.cpp's `llama_token_attr` bits.
pub(crate) const ATTR_UNKNOWN: u16 = 1 << 0;
pub(crate) const ATTR_UNUSED: u16 = 1 << 1;
pub(crate) const ATTR_NORMAL: u16 = 1 << 2;
pub(crate) const ATTR_CONTROL: u16 = 1 << 3;
pub(crate) const ATTR_USER_DEFINED: u16 = 1 << 4;
pub(crate) const ATTR_BYTE: u16 = 1 << 5;
pub(crate) const ATTR_LSTRIP: u16 = 1 << 7;
pub(crate) const ATTR_RSTRIP: u16 = 1 << 8;

fn attr_from_type(t: i32) -> u16 {
    match t {
        1 => ATTR_NORMAL,
        2 => ATTR_UNKNOWN,
        3 => ATTR_CONTROL,
        4 => ATTR_USER_DEFINED,
        5 => ATTR_UNUSED,
        6 => ATTR_BYTE,
        _ => 0, // undefined
    }
}

/// Texts that mark end-of-turn tokens when the metadata names none (llama.cpp's EOT auto-detection list).
const EOT_TEXTS: &[&str] = &[
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|end_of_text|>",
    "<EOT>",
    "_<EOT>",
    "[EOT]",
    "<｜end▁of▁sentence｜>",
    "<end_of_utterance>",
];
const EOM_TEXTS: &[&str] = &["<|eom_id|>"];
const FIM_PRE_TEXTS: &[&str] = &[
    "<|fim_prefix|>",
    "<fim-prefix>",
    "<fim_prefix>",
    "<｜fim▁begin｜>",
    "<PRE>",
    "▁<PRE>",
    "<|code_prefix|>",
    "<|prefix|>",
];
const FIM_SUF_TEXTS: &[&str] = &[
    "<|fim_suffix|>",
    "<fim-suffix>",
    "<fim_suffix>",
    "<｜fim▁hole｜>",
    "<SUF>",
    "▁<SUF>",
    "<|code_suffix|>",
    "<|suffix|>",
];
const FIM_MID_TEXTS: &[&str] = &[
    "<|fim_middle|>",
    "<fim-middle>",
    "<fim_middle>",
    "<｜fim▁end｜>",
    "<MID>",
    "▁<MID>",
    "<|code_middle|>",
    "<|middle|>",
];
const FIM_PAD_TEXTS: &[&str] = &["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"];
const FIM_REP_TEXTS: &[&str] = &[
    "<|fim_repo|>",
    "<|repo_name|>",
    "<fim-repo>",
    "<REPO>",
    "<reponame>",
];
const FIM_SEP_TEXTS: &[&str] = &["<|file_sep|>"];
/// Texts that end generation (llama.cpp's `special_eog_ids` list).
const EOG_TEXTS: &[&str] = &[
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<|return|>",
    "<|call|>",
    "<|flush|>",
    "<|calls|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "</s>",
    "<|eom_id|>",
    "<EOT>",
    "_<EOT>",
    "[EOT]",
    "[EOS]",
    "<|end_of_text|>",
    "<end_of_utterance>",
    "<eos>",
    "<turn|>",
    "<|tool_response>",
    "<｜end▁of▁sentence｜>",
    "[e~[",
];

/// The tokenizer family.
#[derive(Debug)]
enum Model {
    /// Byte-level BPE (`tokenizer.ggml.model = gpt2`).
    Bpe {
        pre: PreTokenizer,
        ignore_merges: bool,
        /// `(left << 32 | right) → (rank, merged id)`.
        merges: FxHashMap<u64, (u32, u32)>,
        /// Token of each byte's GPT-2 unicode character; `NO_TOKEN` where the vocabulary lacks it.
        byte_tokens: [u32; 256],
    },
    /// SentencePiece-style BPE with scores (`tokenizer.ggml.model = llama`).
    Spm {
        scores: Vec<f32>,
        /// `<0xNN>` (or the single-byte text) token per byte; `NO_TOKEN` where absent.
        byte_tokens: [u32; 256],
    },
}

const NO_TOKEN: u32 = u32::MAX;

/// A text tokenizer matching llama.cpp's tokenization of the same GGUF metadata, id for id.
///
/// `Send + Sync`; share it behind an `Arc`.
#[derive(Debug)]
pub struct Tokenizer {
    model_name: String,
    pre_name: Option<String>,
    model: Model,
    vocab: Vocab,
    attrs: Vec<u16>,
    bos: Option<u32>,
    eos: Option<u32>,
    eot: Option<u32>,
    eom: Option<u32>,
    pad: Option<u32>,
    unk: Option<u32>,
    add_bos: bool,
    add_eos: bool,
    add_space_prefix: bool,
    /// Control, user-defined and unknown tokens, longest text first: the texts split out before tokenizing.
    special_cache: Vec<u32>,
    /// End-of-generation ids, ascending.
    eog: Vec<u32>,
}

/// A piece of the input after special-token partitioning.
#[derive(Debug, Clone, Copy)]
enum Fragment {
    Text(usize, usize),
    Token(u32),
}

fn check_id(
    key: &'static str,
    id: Option<u32>,
    n_vocab: usize,
) -> Result<Option<u32>, TokenizerError> {
    match id {
        Some(id) if id as usize >= n_vocab => {
            Err(TokenizerError::SpecialTokenOutOfRange { key, id, n_vocab })
        }
        other => Ok(other),
    }
}

/// GPT-2's byte → printable character map.
pub(crate) fn byte_to_char(b: u8) -> char {
    match b {
        b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF => char::from(b),
        _ => {
            // The remaining bytes map to U+0100.. in ascending order.
            let n = match b {
                0x00..=0x20 => u32::from(b),
                0x7F..=0xA0 => u32::from(b) - 0x7F + 33,
                _ => u32::from(b) - 0xAD + 33 + 34, // 0xAD
            };
            char::from_u32(0x100 + n).unwrap_or('\u{FFFD}')
        }
    }
}

/// The inverse of [`byte_to_char`].
pub(crate) fn char_to_byte(c: char) -> Option<u8> {
    let u = u32::from(c);
    match u {
        0x21..=0x7E | 0xA1..=0xAC | 0xAE..=0xFF => Some(u as u8),
        0x100..=0x120 => Some((u - 0x100) as u8),
        0x121..=0x142 => Some((u - 0x121 + 0x7F) as u8),
        0x143 => Some(0xAD),
        _ => None,
    }
}

impl Tokenizer {
    /// Builds a tokenizer from plain metadata, applying llama.cpp's defaults and special-token rules.
    pub fn from_spec(spec: TokenizerSpec) -> Result<Tokenizer, TokenizerError> {
        let n = spec.tokens.len();
        if n == 0 {
            return Err(TokenizerError::MissingKey {
                key: "tokenizer.ggml.tokens",
                hint: "the vocabulary is empty or absent; the file carries no tokenizer",
            });
        }
        let vocab = Vocab::new(spec.tokens.iter().map(String::as_str), n)?;
        drop(spec.tokens);
        Self::build(
            vocab,
            SpecRest {
                model: spec.model,
                pre: spec.pre,
                merges: MergeSource::Owned(spec.merges),
                scores: spec.scores,
                token_types: spec.token_types,
                ids: SpecialIds {
                    bos: spec.bos,
                    eos: spec.eos,
                    eot: spec.eot,
                    eom: spec.eom,
                    pad: spec.pad,
                    unk: spec.unk,
                    fim_pre: spec.fim_pre,
                    fim_suf: spec.fim_suf,
                    fim_mid: spec.fim_mid,
                    fim_pad: spec.fim_pad,
                    fim_rep: spec.fim_rep,
                    fim_sep: spec.fim_sep,
                },
                add_bos: spec.add_bos,
                add_eos: spec.add_eos,
                add_space_prefix: spec.add_space_prefix,
            },
        )
    }

    pub(crate) fn build(vocab: Vocab, spec: SpecRest<'_>) -> Result<Tokenizer, TokenizerError> {
        let n = vocab.len();
        let ids = &spec.ids;
        let mut eot = check_id("tokenizer.ggml.eot_token_id", ids.eot, n)?;
        let mut eom = check_id("tokenizer.ggml.eom_token_id", ids.eom, n)?;
        let pad = check_id("tokenizer.ggml.padding_token_id", ids.pad, n)?;
        let mut fim_pre = check_id("tokenizer.ggml.fim_pre_token_id", ids.fim_pre, n)?;
        let mut fim_suf = check_id("tokenizer.ggml.fim_suf_token_id", ids.fim_suf, n)?;
        let mut fim_mid = check_id("tokenizer.ggml.fim_mid_token_id", ids.fim_mid, n)?;
        let mut fim_pad = check_id("tokenizer.ggml.fim_pad_token_id", ids.fim_pad, n)?;
        let mut fim_rep = check_id("tokenizer.ggml.fim_rep_token_id", ids.fim_rep, n)?;
        let mut fim_sep = check_id("tokenizer.ggml.fim_sep_token_id", ids.fim_sep, n)?;
        let bos_meta = check_id("tokenizer.ggml.bos_token_id", ids.bos, n)?;
        let eos_meta = check_id("tokenizer.ggml.eos_token_id", ids.eos, n)?;
        let unk_meta = check_id("tokenizer.ggml.unknown_token_id", ids.unk, n)?;

        // Per-family defaults (llama.cpp `llama_vocab::impl::load`). Default ids outside the vocabulary
        // are dropped, as llama.cpp does.
        let in_range = |id: u32| ((id as usize) < n).then_some(id);
        let (model, mut bos, mut eos, mut unk, mut add_bos, add_eos, mut add_space_prefix);
        match spec.model.as_str() {
            "gpt2" => {
                let pre_name = spec.pre.as_deref().unwrap_or("default");
                if spec.pre.is_none() {
                    tracing::warn!(
                        "tokenizer.ggml.pre is missing, using the `default` pre-tokenizer"
                    );
                }
                let Some((patterns, flags)) = pretok::rules(pre_name) else {
                    return Err(TokenizerError::UnknownPre {
                        pre: pre_name.to_owned(),
                        supported: pretok::SUPPORTED.join(", "),
                    });
                };
                let pre = PreTokenizer::new(pre_name, &patterns)?;
                let merges = build_merges(&vocab, spec.merges)?;
                let mut byte_tokens = [NO_TOKEN; 256];
                for (b, slot) in byte_tokens.iter_mut().enumerate() {
                    let mut buf = [0u8; 4];
                    let s = byte_to_char(b as u8).encode_utf8(&mut buf);
                    *slot = vocab.find(s).unwrap_or(NO_TOKEN);
                }
                model = Model::Bpe {
                    pre,
                    ignore_merges: flags.ignore_merges,
                    merges,
                    byte_tokens,
                };
                bos = if flags.no_bos { None } else { in_range(11) };
                eos = in_range(11);
                unk = None;
                add_bos = flags.add_bos;
                add_eos = false;
                add_space_prefix = false;
            }
            "llama" => {
                let scores = match spec.scores {
                    Some(s) if s.len() < n => {
                        return Err(TokenizerError::LengthMismatch {
                            key: "tokenizer.ggml.scores",
                            len: s.len(),
                            n_vocab: n,
                        });
                    }
                    Some(mut s) => {
                        s.truncate(n);
                        s
                    }
                    None => vec![0.0; n],
                };
                let mut byte_tokens = [NO_TOKEN; 256];
                for (b, slot) in byte_tokens.iter_mut().enumerate() {
                    let hex = format!("<0x{b:02X}>");
                    *slot = vocab.find(&hex).unwrap_or_else(|| {
                        let single = [b as u8];
                        std::str::from_utf8(&single)
                            .ok()
                            .and_then(|s| vocab.find(s))
                            .unwrap_or(NO_TOKEN)
                    });
                }
                model = Model::Spm {
                    scores,
                    byte_tokens,
                };
                bos = in_range(1);
                eos = in_range(2);
                unk = in_range(0);
                add_bos = true;
                add_eos = false;
                add_space_prefix = true;
            }
            other => {
                return Err(TokenizerError::UnknownModel {
                    model: other.to_owned(),
                });
            }
        }
        if let Some(v) = spec.add_space_prefix {
            add_space_prefix = v;
        }
        bos = bos_meta.or(bos);
        eos = eos_meta.or(eos);
        unk = unk_meta.or(unk);
        if let Some(v) = spec.add_bos {
            add_bos = v;
        }
        let add_eos = spec.add_eos.unwrap_or(add_eos);
        if add_bos && bos.is_none() {
            return Err(TokenizerError::MissingSpecialToken {
                flag: "tokenizer.ggml.add_bos_token",
                id_key: "tokenizer.ggml.bos_token_id",
            });
        }
        if add_eos && eos.is_none() {
            return Err(TokenizerError::MissingSpecialToken {
                flag: "tokenizer.ggml.add_eos_token",
                id_key: "tokenizer.ggml.eos_token_id",
            });
        }

        // Attributes from token types.
        let mut attrs = match &spec.token_types {
            Some(t) if t.len() < n => {
                return Err(TokenizerError::LengthMismatch {
                    key: "tokenizer.ggml.token_type",
                    len: t.len(),
                    n_vocab: n,
                });
            }
            Some(t) => t[..n].iter().map(|&t| attr_from_type(t)).collect(),
            None => vec![ATTR_NORMAL; n],
        };

        // Auto-detect EOT/EOM/FIM tokens by text when the metadata names none; each detected token becomes
        // a control token (llama.cpp does the same and warns).
        let mut detect = |slot: &mut Option<u32>, texts: &[&str]| {
            if slot.is_none()
                && let Some(id) = texts.iter().find_map(|t| vocab.find(t))
            {
                *slot = Some(id);
                let a = &mut attrs[id as usize];
                if *a & ATTR_CONTROL == 0 {
                    tracing::debug!(
                        id,
                        text = vocab.text(id),
                        "control-looking token was not control-type"
                    );
                    *a |= ATTR_CONTROL;
                }
            }
        };
        detect(&mut eot, EOT_TEXTS);
        detect(&mut eom, EOM_TEXTS);
        detect(&mut fim_pre, FIM_PRE_TEXTS);
        detect(&mut fim_suf, FIM_SUF_TEXTS);
        detect(&mut fim_mid, FIM_MID_TEXTS);
        detect(&mut fim_pad, FIM_PAD_TEXTS);
        detect(&mut fim_rep, FIM_REP_TEXTS);
        detect(&mut fim_sep, FIM_SEP_TEXTS);

        // Control tokens whose text says "unused" are unused.
        for (id, a) in attrs.iter_mut().enumerate() {
            if *a & ATTR_CONTROL != 0
                && *a & ATTR_UNUSED == 0
                && vocab.text(id as u32).contains("unused")
            {
                *a |= ATTR_UNUSED;
            }
        }

        // End-of-generation set.
        let mut eog: Vec<u32> = [fim_pad, fim_rep, fim_sep].into_iter().flatten().collect();
        for text in EOG_TEXTS {
            if let Some(id) = vocab.find(text) {
                // Deviation: llama.cpp also takes a *normal* "</s>" token (added for paddleocr), which makes
                // models such as Qwen 2.5 stop when they write the HTML tag `</s>`. Only a special one counts.
                if *text == "</s>"
                    && attrs[id as usize] & (ATTR_CONTROL | ATTR_UNKNOWN | ATTR_USER_DEFINED) == 0
                {
                    continue;
                }
                eog.push(id);
                attrs[id as usize] |= ATTR_CONTROL;
            }
        }
        // gpt-oss: these are always rendered.
        for text in ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"] {
            if let Some(id) = vocab.find(text) {
                attrs[id as usize] = ATTR_USER_DEFINED;
            }
        }
        eog.extend([eos, eot, eom].into_iter().flatten());
        eog.sort_unstable();
        eog.dedup();
        let has = |eog: &[u32], t: &str| vocab.find(t).is_some_and(|id| eog.contains(&id));
        // o200k_harmony / solar-open: "<|end|>" is not an end of generation there.
        if ((has(&eog, "<|return|>") && has(&eog, "<|call|>") && has(&eog, "<|end|>"))
            || ((has(&eog, "<|call|>") || has(&eog, "<|calls|>"))
                && has(&eog, "<|flush|>")
                && has(&eog, "<|end|>")))
            && let Some(id) = vocab.find("<|end|>")
        {
            eog.retain(|&e| e != id);
            attrs[id as usize] = ATTR_USER_DEFINED;
        }
        // gemma4 / paddleocr: "</s>" is not an end of generation when "<|tool_response>" is one.
        if has(&eog, "<|tool_response>")
            && has(&eog, "</s>")
            && let Some(id) = vocab.find("</s>")
        {
            eog.retain(|&e| e != id);
            attrs[id as usize] = ATTR_NORMAL;
        }

        let mut special_cache: Vec<u32> = (0..n as u32)
            .filter(|&id| {
                attrs[id as usize] & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN) != 0
            })
            .collect();
        special_cache.sort_by(|&a, &b| {
            vocab
                .text(b)
                .len()
                .cmp(&vocab.text(a).len())
                .then(a.cmp(&b))
        });

        tracing::debug!(
            n_vocab = n,
            model = spec.model.as_str(),
            pre = spec.pre.as_deref().unwrap_or(""),
            specials = special_cache.len(),
            eog = ?eog,
            "tokenizer built"
        );
        Ok(Tokenizer {
            model_name: spec.model,
            pre_name: spec.pre,
            model,
            vocab,
            attrs,
            bos,
            eos,
            eot,
            eom,
            pad,
            unk,
            add_bos,
            add_eos,
            add_space_prefix,
            special_cache,
            eog,
        })
    }

    /// Encodes `text` into token ids, exactly as llama.cpp's `llama_tokenize` does.
    ///
    /// `add_special` adds BOS/EOS as the model asks (`tokenizer.ggml.add_bos_token`/`add_eos_token` and
    /// the family defaults). With `parse_special`, control-token text such as `<|im_start|>` becomes its
    /// single id; without it, that text is tokenized as plain text. User-defined tokens (type 4) are always
    /// split out, as llama.cpp does.
    pub fn encode(
        &self,
        text: &str,
        add_special: bool,
        parse_special: bool,
    ) -> Result<Vec<u32>, TokenizerError> {
        let fragments = self.partition(text, parse_special);
        let mut out = Vec::with_capacity(text.len() / 3 + 2);
        if add_special && self.add_bos {
            out.extend(self.bos);
        }
        match &self.model {
            Model::Bpe {
                pre,
                ignore_merges,
                merges,
                byte_tokens,
            } => {
                let mut scratch = BpeScratch::default();
                for f in &fragments {
                    match *f {
                        Fragment::Token(id) => out.push(id),
                        Fragment::Text(s, e) => {
                            let piece = &text[s..e];
                            for (ws, we) in pre.split(piece)? {
                                self.bpe_word(
                                    &piece.as_bytes()[ws..we],
                                    *ignore_merges,
                                    merges,
                                    byte_tokens,
                                    &mut scratch,
                                    &mut out,
                                );
                            }
                        }
                    }
                }
            }
            Model::Spm {
                scores,
                byte_tokens,
            } => {
                let mut is_prev_special = true;
                for f in &fragments {
                    match *f {
                        Fragment::Token(id) => {
                            out.push(id);
                            is_prev_special = true;
                        }
                        Fragment::Text(s, e) => {
                            let mut t = String::with_capacity(e - s + 4);
                            if self.add_space_prefix && is_prev_special {
                                t.push(' ');
                            }
                            t.push_str(&text[s..e]);
                            let t = t.replace(' ', "\u{2581}");
                            self.spm_tokenize(&t, scores, byte_tokens, &mut out)?;
                            is_prev_special = false;
                        }
                    }
                }
            }
        }
        if add_special && self.add_eos {
            out.extend(self.eos);
        }
        Ok(out)
    }

    /// Splits the special tokens' texts out of `text` (llama.cpp's `tokenizer_st_partition`): longest
    /// special text first, every occurrence in every remaining text fragment.
    fn partition(&self, text: &str, parse_special: bool) -> Vec<Fragment> {
        let mut frags = Vec::new();
        if text.is_empty() {
            return frags;
        }
        frags.push(Fragment::Text(0, text.len()));
        let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r');
        for &id in &self.special_cache {
            let attr = self.attrs[id as usize];
            if !parse_special && attr & (ATTR_CONTROL | ATTR_UNKNOWN) != 0 {
                continue;
            }
            let needle = self.vocab.text(id);
            if !frags
                .iter()
                .any(|f| matches!(*f, Fragment::Text(s, e) if text[s..e].contains(needle)))
            {
                continue;
            }
            let mut next = Vec::with_capacity(frags.len() + 2);
            for f in frags.drain(..) {
                let Fragment::Text(mut s, e) = f else {
                    next.push(f);
                    continue;
                };
                while let Some(pos) = text[s..e].find(needle) {
                    let m = s + pos;
                    let mut left_end = m;
                    if attr & ATTR_LSTRIP != 0 {
                        while left_end > s && is_space(text.as_bytes()[left_end - 1]) {
                            left_end -= 1;
                        }
                    }
                    if left_end > s {
                        next.push(Fragment::Text(s, left_end));
                    }
                    next.push(Fragment::Token(id));
                    s = m + needle.len();
                    if attr & ATTR_RSTRIP != 0 {
                        while s < e && is_space(text.as_bytes()[s]) {
                            s += 1;
                        }
                    }
                }
                if s < e {
                    next.push(Fragment::Text(s, e));
                }
            }
            frags = next;
        }
        frags
    }

    fn bpe_word(
        &self,
        word: &[u8],
        ignore_merges: bool,
        merges: &FxHashMap<u64, (u32, u32)>,
        byte_tokens: &[u32; 256],
        scratch: &mut BpeScratch,
        out: &mut Vec<u32>,
    ) {
        if word.len() == 1 {
            let id = byte_tokens[word[0] as usize];
            if id != NO_TOKEN {
                out.push(id);
            }
            return;
        }
        if ignore_merges {
            scratch.text.clear();
            scratch.text.extend(word.iter().map(|&b| byte_to_char(b)));
            if let Some(id) = self.vocab.find(&scratch.text) {
                out.push(id);
                return;
            }
        }
        let syms = &mut scratch.syms;
        syms.clear();
        syms.extend(word.iter().enumerate().map(|(i, &b)| Sym {
            id: byte_tokens[b as usize],
            prev: i as i32 - 1,
            next: if i + 1 == word.len() {
                -1
            } else {
                i as i32 + 1
            },
            alive: true,
        }));
        let heap = &mut scratch.heap;
        heap.clear();
        let pair = |syms: &[Sym], l: i32, r: i32| -> Option<Reverse<BpeCandidate>> {
            if l < 0 || r < 0 {
                return None;
            }
            let (a, b) = (syms[l as usize].id, syms[r as usize].id);
            if a == NO_TOKEN || b == NO_TOKEN {
                return None;
            }
            merges
                .get(&((u64::from(a) << 32) | u64::from(b)))
                .map(|&(rank, _)| Reverse((rank, l as u32, r as u32, a, b)))
        };
        for i in 1..syms.len() {
            if let Some(p) = pair(syms, i as i32 - 1, i as i32) {
                heap.push(p);
            }
        }
        while let Some(Reverse((_, l, r, a, b))) = heap.pop() {
            let (l, r) = (l as usize, r as usize);
            if !syms[l].alive
                || !syms[r].alive
                || syms[l].id != a
                || syms[r].id != b
                || syms[l].next != r as i32
            {
                continue;
            }
            let Some(&(_, merged)) = merges.get(&((u64::from(a) << 32) | u64::from(b))) else {
                continue;
            };
            syms[l].id = merged;
            syms[r].alive = false;
            let nn = syms[r].next;
            syms[l].next = nn;
            if nn >= 0 {
                syms[nn as usize].prev = l as i32;
            }
            let prev = syms[l].prev;
            if let Some(p) = pair(syms, prev, l as i32) {
                heap.push(p);
            }
            if let Some(p) = pair(syms, l as i32, nn) {
                heap.push(p);
            }
        }
        let mut i = 0i32;
        while i >= 0 {
            let s = &syms[i as usize];
            if s.id != NO_TOKEN {
                out.push(s.id);
            }
            i = s.next;
        }
    }

    fn spm_tokenize(
        &self,
        text: &str,
        scores: &[f32],
        byte_tokens: &[u32; 256],
        out: &mut Vec<u32>,
    ) -> Result<(), TokenizerError> {
        if text.is_empty() {
            return Ok(());
        }
        // Symbols: (start, len, prev, next) over UTF-8 characters.
        let mut syms: Vec<SpmSym> = Vec::with_capacity(text.len());
        let n_chars = text.chars().count();
        for (i, (start, c)) in text.char_indices().enumerate() {
            syms.push(SpmSym {
                start,
                len: c.len_utf8(),
                prev: i as i32 - 1,
                next: if i + 1 == n_chars { -1 } else { i as i32 + 1 },
            });
        }
        let mut heap = BinaryHeap::new();
        let try_add = |syms: &[SpmSym], heap: &mut BinaryHeap<SpmBigram>, l: i32, r: i32| {
            if l < 0 || r < 0 {
                return;
            }
            let (ls, rs) = (&syms[l as usize], &syms[r as usize]);
            let s = &text[ls.start..ls.start + ls.len + rs.len];
            if let Some(id) = self.vocab.find(s) {
                heap.push(SpmBigram {
                    score: scores[id as usize],
                    left: l as usize,
                    right: r as usize,
                    size: s.len(),
                });
            }
        };
        for i in 1..syms.len() {
            try_add(&syms, &mut heap, i as i32 - 1, i as i32);
        }
        while let Some(bg) = heap.pop() {
            let (ll, rl) = (syms[bg.left].len, syms[bg.right].len);
            if ll == 0 || rl == 0 || ll + rl != bg.size {
                continue;
            }
            syms[bg.left].len += rl;
            syms[bg.right].len = 0;
            let nn = syms[bg.right].next;
            syms[bg.left].next = nn;
            if nn >= 0 {
                syms[nn as usize].prev = bg.left as i32;
            }
            let prev = syms[bg.left].prev;
            try_add(&syms, &mut heap, prev, bg.left as i32);
            try_add(&syms, &mut heap, bg.left as i32, nn);
        }
        let mut i = 0i32;
        while i >= 0 {
            let s = &syms[i as usize];
            let piece = &text[s.start..s.start + s.len];
            if let Some(id) = self.vocab.find(piece) {
                out.push(id);
            } else {
                for &b in piece.as_bytes() {
                    let id = byte_tokens[b as usize];
                    if id == NO_TOKEN {
                        return Err(TokenizerError::MissingByteToken { byte: b });
                    }
                    out.push(id);
                }
            }
            i = s.next;
        }
        Ok(())
    }

    /// The bytes token `id` stands for when printed (llama.cpp's `token_to_piece`); control and unknown
    /// tokens give their text only with `special`.
    pub(crate) fn piece(&self, id: u32, special: bool, out: &mut Vec<u8>) {
        let Some(&attr) = self.attrs.get(id as usize) else {
            return;
        };
        let text = self.vocab.text(id);
        if attr & (ATTR_UNKNOWN | ATTR_CONTROL) != 0 {
            if special {
                out.extend_from_slice(text.as_bytes());
            }
        } else if attr & ATTR_USER_DEFINED != 0 {
            out.extend_from_slice(text.as_bytes());
        } else if attr & ATTR_NORMAL != 0 {
            match self.model {
                Model::Bpe { .. } => {
                    for c in text.chars() {
                        match char_to_byte(c) {
                            Some(b) => out.push(b),
                            None => {
                                let mut buf = [0u8; 4];
                                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                            }
                        }
                    }
                }
                Model::Spm { .. } => {
                    for (i, part) in text.split('\u{2581}').enumerate() {
                        if i > 0 {
                            out.push(b' ');
                        }
                        out.extend_from_slice(part.as_bytes());
                    }
                }
            }
        } else if attr & ATTR_BYTE != 0
            && let Some(b) = text
                .strip_prefix("<0x")
                .and_then(|h| h.strip_suffix('>'))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
        }
    }

    /// Decodes ids to text like llama.cpp's `llama_detokenize(remove_special = false, unparse_special =
    /// render_special)` without its `clean_spaces` pass: the concatenated token pieces, minus the one
    /// leading space of a SentencePiece first token. Invalid UTF-8 becomes U+FFFD; unknown ids are skipped.
    pub fn decode(&self, ids: &[u32], render_special: bool) -> String {
        let mut bytes = Vec::with_capacity(ids.len() * 4);
        let mut remove_space = self.add_space_prefix;
        for &id in ids {
            let start = bytes.len();
            self.piece(id, render_special, &mut bytes);
            if remove_space && bytes.get(start) == Some(&b' ') {
                bytes.remove(start);
            }
            remove_space = false;
        }
        match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    }

    /// The raw bytes token `id` stands for: byte-level decoded (`gpt2`), `▁` → space (`llama`), `<0xNN>` →
    /// that byte; control tokens give their text. Empty for unused tokens and ids out of range.
    pub fn token_bytes(&self, id: u32) -> Vec<u8> {
        let mut out = Vec::new();
        self.piece(id, true, &mut out);
        out
    }

    /// Number of tokens in the vocabulary.
    pub fn n_vocab(&self) -> usize {
        self.vocab.len()
    }

    /// The beginning-of-sequence token.
    pub fn bos(&self) -> Option<u32> {
        self.bos
    }

    /// The end-of-sequence token.
    pub fn eos(&self) -> Option<u32> {
        self.eos
    }

    /// The end-of-turn token (from metadata, else detected by text such as `<|im_end|>`).
    pub fn eot(&self) -> Option<u32> {
        self.eot
    }

    /// The end-of-message token (`<|eom_id|>`).
    pub fn eom(&self) -> Option<u32> {
        self.eom
    }

    /// The padding token.
    pub fn pad(&self) -> Option<u32> {
        self.pad
    }

    /// The unknown token.
    pub fn unk(&self) -> Option<u32> {
        self.unk
    }

    /// Whether `encode(.., add_special = true, ..)` prepends BOS.
    pub fn add_bos(&self) -> bool {
        self.add_bos
    }

    /// Whether `encode(.., add_special = true, ..)` appends EOS.
    pub fn add_eos(&self) -> bool {
        self.add_eos
    }

    /// Whether generation should stop at `id` (llama.cpp's `special_eog_ids`).
    pub fn is_eog(&self, id: u32) -> bool {
        self.eog.binary_search(&id).is_ok()
    }

    /// All end-of-generation ids, ascending.
    pub fn eog_ids(&self) -> &[u32] {
        &self.eog
    }

    /// Whether `id` is a control token (type 3, or detected as one).
    pub fn is_control(&self, id: u32) -> bool {
        self.attrs
            .get(id as usize)
            .is_some_and(|a| a & ATTR_CONTROL != 0)
    }

    /// Whether `id` is a user-defined (added) token, type 4.
    pub fn is_user_defined(&self, id: u32) -> bool {
        self.attrs
            .get(id as usize)
            .is_some_and(|a| a & ATTR_USER_DEFINED != 0)
    }

    /// The vocabulary string of `id` (as stored: byte-level characters for `gpt2`, `▁` for `llama`);
    /// empty for ids out of range.
    pub fn token_text(&self, id: u32) -> &str {
        if (id as usize) < self.vocab.len() {
            self.vocab.text(id)
        } else {
            ""
        }
    }

    /// The id whose vocabulary string is exactly `text`.
    pub fn token_id(&self, text: &str) -> Option<u32> {
        self.vocab.find(text)
    }

    /// `tokenizer.ggml.model`: `"gpt2"` or `"llama"`.
    pub fn model_kind(&self) -> &str {
        &self.model_name
    }

    /// `tokenizer.ggml.pre`, when present.
    pub fn pre(&self) -> Option<&str> {
        self.pre_name.as_deref()
    }
}

impl AsRef<Tokenizer> for Tokenizer {
    fn as_ref(&self) -> &Tokenizer {
        self
    }
}

/// Merge rules, owned (from a [`TokenizerSpec`]) or borrowed (straight from a GGUF file).
pub(crate) enum MergeSource<'a> {
    Owned(Vec<String>),
    Borrowed(Vec<&'a str>),
}

pub(crate) struct SpecialIds {
    pub bos: Option<u32>,
    pub eos: Option<u32>,
    pub eot: Option<u32>,
    pub eom: Option<u32>,
    pub pad: Option<u32>,
    pub unk: Option<u32>,
    pub fim_pre: Option<u32>,
    pub fim_suf: Option<u32>,
    pub fim_mid: Option<u32>,
    pub fim_pad: Option<u32>,
    pub fim_rep: Option<u32>,
    pub fim_sep: Option<u32>,
}

/// The spec without its token list (already turned into a [`Vocab`]).
pub(crate) struct SpecRest<'a> {
    pub model: String,
    pub pre: Option<String>,
    pub merges: MergeSource<'a>,
    pub scores: Option<Vec<f32>>,
    pub token_types: Option<Vec<i32>>,
    pub ids: SpecialIds,
    pub add_bos: Option<bool>,
    pub add_eos: Option<bool>,
    pub add_space_prefix: Option<bool>,
}

fn build_merges(
    vocab: &Vocab,
    merges: MergeSource<'_>,
) -> Result<FxHashMap<u64, (u32, u32)>, TokenizerError> {
    let owned: Vec<&str>;
    let list: &[&str] = match &merges {
        MergeSource::Owned(v) => {
            owned = v.iter().map(String::as_str).collect();
            &owned
        }
        MergeSource::Borrowed(v) => v,
    };
    if list.is_empty() {
        return Err(TokenizerError::MissingKey {
            key: "tokenizer.ggml.merges",
            hint: "a `gpt2` (byte-level BPE) tokenizer needs its merge rules",
        });
    }
    let mut map = FxHashMap::with_capacity_and_hasher(list.len(), Default::default());
    let mut joined = String::new();
    for (rank, m) in list.iter().enumerate() {
        let bad = |reason: String| TokenizerError::BadMerge {
            index: rank,
            merge: (*m).to_owned(),
            reason,
        };
        // llama.cpp splits at the first space after the first byte.
        let Some(pos) = m
            .as_bytes()
            .iter()
            .skip(1)
            .position(|&b| b == b' ')
            .map(|p| p + 1)
        else {
            return Err(bad("expected two tokens separated by a space".to_owned()));
        };
        let (left, right) = (&m[..pos], &m[pos + 1..]);
        let l = vocab
            .find(left)
            .ok_or_else(|| bad(format!("{left:?} is not in the vocabulary")))?;
        let r = vocab
            .find(right)
            .ok_or_else(|| bad(format!("{right:?} is not in the vocabulary")))?;
        joined.clear();
        joined.push_str(left);
        joined.push_str(right);
        let merged = vocab
            .find(&joined)
            .ok_or_else(|| bad(format!("the result {joined:?} is not in the vocabulary")))?;
        // The first (highest-priority) occurrence of a pair wins, as with llama.cpp's `emplace`.
        map.entry((u64::from(l) << 32) | u64::from(r))
            .or_insert((rank as u32, merged));
    }
    Ok(map)
}

#[derive(Debug, Clone, Copy)]
struct Sym {
    id: u32,
    prev: i32,
    next: i32,
    alive: bool,
}

/// A candidate BPE merge: `(rank, left index, right index, left id, right id)`; the lowest rank, then the
/// leftmost, merges first.
type BpeCandidate = (u32, u32, u32, u32, u32);

#[derive(Default)]
struct BpeScratch {
    text: String,
    syms: Vec<Sym>,
    heap: BinaryHeap<Reverse<BpeCandidate>>,
}

#[derive(Debug, Clone, Copy)]
struct SpmSym {
    start: usize,
    len: usize,
    prev: i32,
    next: i32,
}

/// A candidate SentencePiece merge: the highest score first, then the leftmost.
#[derive(Debug)]
struct SpmBigram {
    score: f32,
    left: usize,
    right: usize,
    size: usize,
}

impl PartialEq for SpmBigram {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for SpmBigram {}
impl PartialOrd for SpmBigram {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for SpmBigram {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.left.cmp(&self.left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_map_round_trips_and_matches_gpt2() {
        for b in 0..=255u8 {
            assert_eq!(char_to_byte(byte_to_char(b)), Some(b), "byte {b}");
        }
        assert_eq!(byte_to_char(b' '), 'Ġ');
        assert_eq!(byte_to_char(b'\n'), 'Ċ');
        assert_eq!(byte_to_char(b'\t'), 'ĉ');
        assert_eq!(byte_to_char(0xAD), 'Ń');
        assert_eq!(byte_to_char(b'A'), 'A');
        let distinct: std::collections::HashSet<char> = (0..=255u8).map(byte_to_char).collect();
        assert_eq!(distinct.len(), 256);
    }
}
