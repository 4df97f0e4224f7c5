//! Reading the tokenizer and chat template from a GGUF file's `tokenizer.*` metadata.

use vibrant_gguf::GgufFile;

use crate::template::ChatTemplate;
use crate::tokenizer::{MergeSource, SpecRest, SpecialIds};
use crate::vocab::Vocab;
use crate::{Tokenizer, TokenizerError, TokenizerSpec};

pub(crate) const KEY_MODEL: &str = "tokenizer.ggml.model";
pub(crate) const KEY_PRE: &str = "tokenizer.ggml.pre";
pub(crate) const KEY_TOKENS: &str = "tokenizer.ggml.tokens";
pub(crate) const KEY_MERGES: &str = "tokenizer.ggml.merges";
pub(crate) const KEY_SCORES: &str = "tokenizer.ggml.scores";
pub(crate) const KEY_TOKEN_TYPE: &str = "tokenizer.ggml.token_type";
pub(crate) const KEY_CHAT_TEMPLATE: &str = "tokenizer.chat_template";

fn gguf_err(key: &'static str) -> impl Fn(vibrant_gguf::GgufError) -> TokenizerError {
    move |e| TokenizerError::Gguf {
        key,
        message: e.to_string(),
    }
}

fn id(file: &GgufFile, key: &'static str) -> Result<Option<u32>, TokenizerError> {
    file.get_u32(key).map_err(gguf_err(key))
}

fn flag(file: &GgufFile, key: &'static str) -> Result<Option<bool>, TokenizerError> {
    file.get_bool(key).map_err(gguf_err(key))
}

fn special_ids(file: &GgufFile) -> Result<SpecialIds, TokenizerError> {
    let either = |new: &'static str, old: &'static str| -> Result<Option<u32>, TokenizerError> {
        Ok(id(file, new)?.or(id(file, old)?))
    };
    Ok(SpecialIds {
        bos: id(file, "tokenizer.ggml.bos_token_id")?,
        eos: id(file, "tokenizer.ggml.eos_token_id")?,
        eot: id(file, "tokenizer.ggml.eot_token_id")?,
        eom: id(file, "tokenizer.ggml.eom_token_id")?,
        pad: id(file, "tokenizer.ggml.padding_token_id")?,
        unk: id(file, "tokenizer.ggml.unknown_token_id")?,
        fim_pre: either(
            "tokenizer.ggml.fim_pre_token_id",
            "tokenizer.ggml.prefix_token_id",
        )?,
        fim_suf: either(
            "tokenizer.ggml.fim_suf_token_id",
            "tokenizer.ggml.suffix_token_id",
        )?,
        fim_mid: either(
            "tokenizer.ggml.fim_mid_token_id",
            "tokenizer.ggml.middle_token_id",
        )?,
        fim_pad: id(file, "tokenizer.ggml.fim_pad_token_id")?,
        fim_rep: id(file, "tokenizer.ggml.fim_rep_token_id")?,
        fim_sep: id(file, "tokenizer.ggml.fim_sep_token_id")?,
    })
}

fn model(file: &GgufFile) -> Result<String, TokenizerError> {
    file.get_str(KEY_MODEL)
        .map_err(gguf_err(KEY_MODEL))?
        .map(str::to_owned)
        .ok_or(TokenizerError::MissingKey {
            key: KEY_MODEL,
            hint: "the file carries no tokenizer; convert the model with its tokenizer",
        })
}

fn tokens(file: &GgufFile) -> Result<Vec<&str>, TokenizerError> {
    file.get_str_array(KEY_TOKENS)
        .map_err(gguf_err(KEY_TOKENS))?
        .ok_or(TokenizerError::MissingKey {
            key: KEY_TOKENS,
            hint: "the vocabulary is missing; the file carries no usable tokenizer",
        })
}

impl Tokenizer {
    /// Builds the tokenizer from a GGUF file's `tokenizer.ggml.*` metadata (the same rules as
    /// [`Tokenizer::from_spec`], without copying the vocabulary into a [`TokenizerSpec`] first).
    pub fn from_gguf(file: &GgufFile) -> Result<Tokenizer, TokenizerError> {
        let model = model(file)?;
        let toks = tokens(file)?;
        if toks.is_empty() {
            return Err(TokenizerError::MissingKey {
                key: KEY_TOKENS,
                hint: "the vocabulary is empty",
            });
        }
        let vocab = Vocab::new(toks.iter().copied(), toks.len())?;
        drop(toks);
        let merges = if model == "gpt2" {
            file.get_str_array(KEY_MERGES)
                .map_err(gguf_err(KEY_MERGES))?
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let scores = if model == "llama" {
            file.get_f32_array(KEY_SCORES)
                .map_err(gguf_err(KEY_SCORES))?
        } else {
            None
        };
        Tokenizer::build(
            vocab,
            SpecRest {
                pre: file
                    .get_str(KEY_PRE)
                    .map_err(gguf_err(KEY_PRE))?
                    .map(str::to_owned),
                model,
                merges: MergeSource::Borrowed(merges),
                scores,
                token_types: file
                    .get_i32_array(KEY_TOKEN_TYPE)
                    .map_err(gguf_err(KEY_TOKEN_TYPE))?,
                ids: special_ids(file)?,
                add_bos: flag(file, "tokenizer.ggml.add_bos_token")?,
                add_eos: flag(file, "tokenizer.ggml.add_eos_token")?,
                add_space_prefix: flag(file, "tokenizer.ggml.add_space_prefix")?,
            },
        )
    }
}

impl TokenizerSpec {
    /// Copies a GGUF file's tokenizer metadata into a spec (for tools and tests that adjust it before
    /// building; [`Tokenizer::from_gguf`] is faster).
    pub fn from_gguf(file: &GgufFile) -> Result<TokenizerSpec, TokenizerError> {
        let model = model(file)?;
        let ids = special_ids(file)?;
        let owned = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect::<Vec<_>>();
        Ok(TokenizerSpec {
            pre: file
                .get_str(KEY_PRE)
                .map_err(gguf_err(KEY_PRE))?
                .map(str::to_owned),
            tokens: owned(tokens(file)?),
            merges: owned(
                file.get_str_array(KEY_MERGES)
                    .map_err(gguf_err(KEY_MERGES))?
                    .unwrap_or_default(),
            ),
            scores: file
                .get_f32_array(KEY_SCORES)
                .map_err(gguf_err(KEY_SCORES))?,
            token_types: file
                .get_i32_array(KEY_TOKEN_TYPE)
                .map_err(gguf_err(KEY_TOKEN_TYPE))?,
            bos: ids.bos,
            eos: ids.eos,
            eot: ids.eot,
            eom: ids.eom,
            pad: ids.pad,
            unk: ids.unk,
            fim_pre: ids.fim_pre,
            fim_suf: ids.fim_suf,
            fim_mid: ids.fim_mid,
            fim_pad: ids.fim_pad,
            fim_rep: ids.fim_rep,
            fim_sep: ids.fim_sep,
            add_bos: flag(file, "tokenizer.ggml.add_bos_token")?,
            add_eos: flag(file, "tokenizer.ggml.add_eos_token")?,
            add_space_prefix: flag(file, "tokenizer.ggml.add_space_prefix")?,
            model,
        })
    }
}

impl ChatTemplate {
    /// The model's `tokenizer.chat_template`, or ChatML (with an info log) when the file has none.
    /// The template sees the tokenizer's BOS/EOS texts as `bos_token`/`eos_token`.
    pub fn from_gguf(
        file: &GgufFile,
        tokenizer: &Tokenizer,
    ) -> Result<ChatTemplate, TokenizerError> {
        let source = file
            .get_str(KEY_CHAT_TEMPLATE)
            .map_err(gguf_err(KEY_CHAT_TEMPLATE))?;
        ChatTemplate::for_tokenizer(source, tokenizer)
    }
}
