//! A loaded model: configuration, memory-mapped weights, tokenizer, chat template and the thread
//! pool its forward passes run on.

use std::path::Path;
use std::sync::Arc;

use vibrant_gguf::GgufFile;
use vibrant_tokenizer::{ChatTemplate, Tokenizer};

use crate::config::ModelConfig;
use crate::error::{EngineError, Result};
use crate::session::Session;
use crate::weights::Weights;

/// Options for [`Model::load`].
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Worker threads for the forward pass (0 = the number of physical cores, or logical when unknown).
    pub threads: usize,
    /// Copy the layer matrices whose format has an interleaved layout that pays on this CPU into it
    /// at load ([`Model::repack_weights`]): prompt processing runs the tiled GEMM over them. On by
    /// default; `VIBRANT_REPACK=0|1` overrides this field (see [`crate::repack_override`]).
    pub repack: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            threads: 0,
            repack: true,
        }
    }
}

/// A model ready to run. Cheap to share (`Arc<Model>`); each conversation gets its own [`Session`].
pub struct Model {
    /// The model's file, or the parts of a split model in order (metadata comes from the first).
    pub(crate) parts: Vec<GgufFile>,
    pub(crate) config: ModelConfig,
    pub(crate) weights: Weights,
    tokenizer: Arc<Tokenizer>,
    template: ChatTemplate,
    pub(crate) pool: vibrant_kernels::ThreadPool,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// Opens and validates a GGUF model. Weights stay memory-mapped; only norms and biases are copied.
    pub fn load(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Arc<Model>> {
        let started = std::time::Instant::now();
        let parts = GgufFile::open_split(path.as_ref())?;
        let model = Self::from_parts(parts, opts)?;
        tracing::info!(
            path = %path.as_ref().display(),
            arch = model.config.arch.name(),
            layers = model.config.n_layer,
            threads = model.pool.threads(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "model loaded"
        );
        Ok(Arc::new(model))
    }

    /// Builds a model from an already-opened GGUF file (tests use synthetic in-memory files).
    pub fn from_file(file: GgufFile, opts: &LoadOptions) -> Result<Model> {
        Self::from_parts(vec![file], opts)
    }

    /// Builds a model from the parts of a split GGUF model, in order (one part for a plain file).
    pub fn from_parts(parts: Vec<GgufFile>, opts: &LoadOptions) -> Result<Model> {
        let Some(file) = parts.first() else {
            return Err(EngineError::MissingMetadata {
                path: "<no file>".into(),
                key: "general.architecture".into(),
            });
        };
        let config = ModelConfig::from_gguf(file)?;
        let weights = Weights::load(&parts, &config)?;
        let tokenizer = Tokenizer::from_gguf(file)?;
        if tokenizer.n_vocab() != config.n_vocab {
            return Err(EngineError::InvalidMetadata {
                path: file.path().unwrap_or(Path::new("<memory>")).to_path_buf(),
                key: "tokenizer.ggml.tokens".into(),
                value: tokenizer.n_vocab().to_string(),
                reason: format!("the token embedding has {} rows", config.n_vocab),
            });
        }
        let template = ChatTemplate::from_gguf(file, &tokenizer)?;
        let threads = if opts.threads == 0 {
            default_threads()
        } else {
            opts.threads
        };
        let pool = vibrant_kernels::ThreadPool::new(threads);
        let mut model = Model {
            parts,
            config,
            weights,
            tokenizer: Arc::new(tokenizer),
            template,
            pool,
        };
        if crate::weights::repack_override().unwrap_or(opts.repack) {
            model.repack_weights();
        }
        Ok(model)
    }

    /// Copies every matrix that has a repacked layout paying on this CPU into it (see
    /// [`Weights::repack`]); later matmuls over those matrices run the repacked GEMM. Loading does
    /// this unless [`LoadOptions::repack`] is off. Returns the bytes allocated (0 if nothing was
    /// repacked).
    pub fn repack_weights(&mut self) -> usize {
        let started = std::time::Instant::now();
        let bytes = self.weights.repack(&self.parts, &self.pool);
        if bytes > 0 {
            tracing::info!(
                bytes,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "weights repacked for the batched matmul"
            );
        }
        bytes
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    pub fn tokenizer(&self) -> &Arc<Tokenizer> {
        &self.tokenizer
    }

    pub fn chat_template(&self) -> &ChatTemplate {
        &self.template
    }

    pub fn gguf(&self) -> &GgufFile {
        &self.parts[0]
    }

    /// Every file of the model (several for a split model).
    pub fn parts(&self) -> &[GgufFile] {
        &self.parts
    }

    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    pub fn threads(&self) -> usize {
        self.pool.threads()
    }

    /// Bytes of weights the forward pass reads per token (the memory-bandwidth bound of decoding).
    pub fn weight_bytes(&self) -> u64 {
        self.weights.matrices().map(|m| m.n_bytes()).sum()
    }

    /// A fresh session with room for `n_ctx` tokens (capped at the model's training context).
    pub fn session(self: &Arc<Self>, n_ctx: usize) -> Session {
        let n_ctx = if n_ctx == 0 {
            self.config.n_ctx_train
        } else {
            n_ctx.min(self.config.n_ctx_train)
        };
        Session::new(Arc::clone(self), n_ctx)
    }
}

/// The engine's default thread count: the physical cores this process may use, within any cgroup
/// CPU quota (`vibrant_system`'s recommendation, the same figure `vibrant system` prints).
pub fn default_threads() -> usize {
    vibrant_system::SystemInfo::detect().recommended_threads()
}
