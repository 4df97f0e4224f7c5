//! Vibrant's embedded inference engine: loads GGUF models (llama and qwen2 graphs), keeps a KV
//! cache per session, samples, and streams generated text — in pure Rust, on the CPU.
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//! use vibrant_engine::{GenerateParams, LoadOptions, Model, generate};
//!
//! let model = Model::load("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", &LoadOptions::default())?;
//! let prompt = model.tokenizer().encode("fn main() {", false, false)?;
//! let mut session = model.session(4096);
//! let out = generate(&mut session, &prompt, &GenerateParams::default(), &AtomicBool::new(false), &mut |t| print!("{t}"))?;
//! eprintln!("{:.1} tok/s", out.stats.decode_tps());
//! # Ok::<(), vibrant_engine::EngineError>(())
//! ```
//!
//! Layers: `vibrant-gguf` reads the file, `vibrant-kernels` does the arithmetic on quantized
//! blocks, `vibrant-tokenizer` turns text into tokens and renders chat templates; this crate owns
//! the model graphs ([`Session::eval`]), the KV cache, sampling and generation.

mod attention;
mod config;
mod error;
mod generate;
mod lookup;
mod matmul;
mod model;
pub mod ops;
mod perplexity;
mod sampler;
mod session;
mod weights;

pub use config::{Architecture, ModelConfig, RopeStyle};
pub use error::{EngineError, Result};
pub use generate::{
    Batch, GenerateParams, Generation, GenerationStats, Nudge, StopReason, TokenConstraint,
    generate, generate_constrained, generate_many, looping,
};
pub use lookup::PromptLookup;
pub use model::{LoadOptions, Model, default_threads};
pub use perplexity::{Perplexity, perplexity};
pub use sampler::{Rng, Sampler, SamplerParams, argmax};
pub use session::{Logits, MAX_BATCH, Session, eval_many, eval_runs};
pub use weights::{Matrix, Weights, repack_override, weight_format};

pub use vibrant_tokenizer::{ChatMessage, ChatTemplate, StreamDecoder, Tokenizer};
