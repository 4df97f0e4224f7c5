//! The crate's error type.

/// Everything that can go wrong while building a tokenizer, encoding text or rendering a chat template.
///
/// Each variant names the GGUF key (or the template) at fault and says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenizerError {
    /// `tokenizer.ggml.model` names a tokenizer family this crate does not implement.
    #[error(
        "unknown tokenizer model `{model}` (key tokenizer.ggml.model); supported: `gpt2` (byte-level BPE) \
         and `llama` (SentencePiece BPE). Use a GGUF converted with one of those tokenizers"
    )]
    UnknownModel {
        /// The value found in the file.
        model: String,
    },

    /// `tokenizer.ggml.pre` names a pre-tokenizer this crate has no split rules for.
    #[error(
        "unknown pre-tokenizer `{pre}` (key tokenizer.ggml.pre); supported: {supported}. \
         The model needs a pre-tokenizer that vibrant does not know yet"
    )]
    UnknownPre {
        /// The value found in the file.
        pre: String,
        /// Comma-separated list of the supported names.
        supported: String,
    },

    /// A required metadata key is absent.
    #[error("missing tokenizer metadata key `{key}`: {hint}")]
    MissingKey {
        /// The GGUF key.
        key: &'static str,
        /// What the key is for.
        hint: &'static str,
    },

    /// A metadata key has a value of the wrong type or shape.
    #[error("invalid tokenizer metadata key `{key}`: {reason}")]
    InvalidKey {
        /// The GGUF key.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// The same token text appears twice in `tokenizer.ggml.tokens`.
    #[error(
        "duplicate token {text:?} in tokenizer.ggml.tokens: ids {first} and {second}; the vocabulary is corrupt"
    )]
    DuplicateToken {
        /// The token text.
        text: String,
        /// The first id holding it.
        first: u32,
        /// The second id holding it.
        second: u32,
    },

    /// A merge rule in `tokenizer.ggml.merges` cannot be used.
    #[error("bad BPE merge #{index} {merge:?} in tokenizer.ggml.merges: {reason}")]
    BadMerge {
        /// Index of the merge (its rank).
        index: usize,
        /// The merge text.
        merge: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A per-token array (scores, token types) is shorter than the vocabulary.
    #[error("`{key}` has {len} entries but the vocabulary has {n_vocab} tokens")]
    LengthMismatch {
        /// The GGUF key.
        key: &'static str,
        /// Entries found.
        len: usize,
        /// Tokens in the vocabulary.
        n_vocab: usize,
    },

    /// A special-token id given in the metadata is not a valid token id.
    #[error("`{key}` = {id} is out of range: the vocabulary has {n_vocab} tokens")]
    SpecialTokenOutOfRange {
        /// The GGUF key.
        key: &'static str,
        /// The id found.
        id: u32,
        /// Tokens in the vocabulary.
        n_vocab: usize,
    },

    /// `add_bos`/`add_eos` is on but the corresponding token id is unknown.
    #[error("`{flag}` is true but `{id_key}` is not set; the model cannot add that token")]
    MissingSpecialToken {
        /// The flag key.
        flag: &'static str,
        /// The id key.
        id_key: &'static str,
    },

    /// A pre-tokenizer regex failed to compile (a bug in this crate's tables) or to run.
    #[error("pre-tokenizer `{pre}` regex {pattern:?}: {message}")]
    Regex {
        /// The pre-tokenizer name.
        pre: String,
        /// The regex.
        pattern: String,
        /// The regex engine's message.
        message: String,
    },

    /// Encoding needed a byte-fallback token that the vocabulary does not have.
    #[error(
        "cannot encode byte 0x{byte:02X}: the vocabulary has neither a <0x{byte:02X}> byte token nor a \
         single-byte token for it"
    )]
    MissingByteToken {
        /// The byte.
        byte: u8,
    },

    /// Reading the tokenizer metadata from the GGUF file failed.
    #[error("reading tokenizer metadata key `{key}` from the GGUF file: {message}")]
    Gguf {
        /// The key being read.
        key: &'static str,
        /// The reader's message.
        message: String,
    },

    /// A chat template does not compile.
    #[error("chat template does not compile: {0:#}")]
    TemplateSyntax(#[source] minijinja::Error),

    /// A chat template (from a model file, so possibly hostile) did more work than any real
    /// template needs for the conversation: an endless or huge loop, or unbounded output.
    #[error(
        "the model's chat template did too much work rendering {messages} message(s) (over {fuel} \
         steps; {source}).\nthe template in the GGUF file is broken or hostile: use another model \
         file or override the template"
    )]
    TemplateTooExpensive {
        /// The messages in the conversation rendered.
        messages: usize,
        /// The budget that was exhausted (minijinja fuel).
        fuel: u64,
        /// minijinja's error.
        #[source]
        source: minijinja::Error,
    },

    /// Rendering a chat template failed (or the template called `raise_exception`).
    #[error("chat template rendering failed: {0:#}")]
    TemplateRender(#[source] minijinja::Error),
}
