use std::path::PathBuf;

/// Everything that can go wrong while loading a model or running it.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Gguf(#[from] vibrant_gguf::GgufError),

    #[error("constrained decoding failed: {0}")]
    Constraint(String),

    #[error(transparent)]
    Tokenizer(#[from] vibrant_tokenizer::TokenizerError),

    #[error(
        "{path}: architecture `{arch}` is not supported (supported: {supported})\n\
         hint: use a model of a supported architecture, e.g. Qwen2.5-Coder (qwen2) or a llama-family model"
    )]
    UnsupportedArchitecture {
        path: PathBuf,
        arch: String,
        supported: String,
    },

    #[error(
        "{path}: tensor `{tensor}` has type {ty}, which the engine does not support yet \
         (supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)\n\
         hint: pick another quantization of this model (Q4_K_M and Q8_0 are widely published)"
    )]
    UnsupportedTensorType {
        path: PathBuf,
        tensor: String,
        ty: String,
    },

    #[error(
        "{path}: required tensor `{tensor}` is missing; the file is incomplete or not a {arch} model"
    )]
    MissingTensor {
        path: PathBuf,
        tensor: String,
        arch: String,
    },

    #[error("{path}: tensor `{tensor}` has shape {actual:?}, expected {expected:?}")]
    TensorShape {
        path: PathBuf,
        tensor: String,
        expected: Vec<u64>,
        actual: Vec<u64>,
    },

    #[error("{path}: required metadata key `{key}` is missing")]
    MissingMetadata { path: PathBuf, key: String },

    #[error("{path}: metadata `{key}` = {value} is invalid: {reason}")]
    InvalidMetadata {
        path: PathBuf,
        key: String,
        value: String,
        reason: String,
    },

    #[error(
        "the context window is full: {needed} tokens needed, the session holds at most {capacity}\n\
         hint: start with a larger context (--ctx) or shorten the prompt"
    )]
    ContextFull { needed: usize, capacity: usize },

    #[error("token id {id} is out of range for a vocabulary of {n_vocab}")]
    InvalidToken { id: u32, n_vocab: usize },

    #[error("the prompt is empty: at least one token is needed to start generating")]
    EmptyPrompt,

    #[error(
        "a batch of {sessions} sessions got {tokens} tokens, or sessions of different models; \
         batched decoding needs one token per session of one model"
    )]
    BatchMismatch { sessions: usize, tokens: usize },

    #[error("could not start the engine's thread pool: {0}")]
    ThreadPool(String),
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
