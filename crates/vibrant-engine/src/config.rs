//! Model hyper-parameters read from GGUF metadata.

use std::path::Path;

use serde::Serialize;
use vibrant_gguf::GgufFile;

use crate::error::{EngineError, Result};

/// The model graphs the engine implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Architecture {
    /// Llama family: SmolLM2, CodeLlama, DeepSeek-Coder (normal RoPE, no attention biases).
    Llama,
    /// Qwen2 family: Qwen2.5-Coder (NEOX RoPE, q/k/v biases).
    Qwen2,
}

impl Architecture {
    pub const SUPPORTED: &'static [&'static str] = &["llama", "qwen2"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "llama" => Some(Self::Llama),
            "qwen2" => Some(Self::Qwen2),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Llama => "llama",
            Self::Qwen2 => "qwen2",
        }
    }

    /// How rotary position embeddings pair the dimensions of a head.
    pub fn rope_style(self) -> RopeStyle {
        match self {
            // llama.cpp's converter permutes llama's Q/K so that adjacent pairs rotate.
            Self::Llama => RopeStyle::Normal,
            Self::Qwen2 => RopeStyle::Neox,
        }
    }
}

/// Which dimensions RoPE rotates together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RopeStyle {
    /// Adjacent pairs `(x[2i], x[2i+1])`.
    Normal,
    /// Halves `(x[i], x[i + n_rot/2])` (GPT-NeoX).
    Neox,
}

/// The shape of a transformer, as the GGUF file describes it.
#[derive(Clone, Debug, Serialize)]
pub struct ModelConfig {
    pub arch: Architecture,
    pub name: Option<String>,
    pub n_vocab: usize,
    pub n_embd: usize,
    pub n_layer: usize,
    pub n_ff: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    pub head_dim: usize,
    /// Dimensions of each head that RoPE rotates (`rope.dimension_count`, default: all).
    pub n_rot: usize,
    pub rope_freq_base: f32,
    /// Linear RoPE scaling factor (1.0 = none).
    pub rope_freq_scale: f32,
    pub rms_eps: f32,
    /// The context length the model was trained for.
    pub n_ctx_train: usize,
}

impl ModelConfig {
    pub fn from_gguf(file: &GgufFile) -> Result<Self> {
        let path = file.path().unwrap_or(Path::new("<memory>")).to_path_buf();
        let arch_name = file.architecture()?;
        let arch = Architecture::from_name(arch_name).ok_or_else(|| {
            EngineError::UnsupportedArchitecture {
                path: path.clone(),
                arch: arch_name.to_string(),
                supported: Architecture::SUPPORTED.join(", "),
            }
        })?;
        let key = |k: &str| format!("{arch_name}.{k}");
        let req_u32 = |k: &str| -> Result<usize> {
            let full = key(k);
            match file.get_u32(&full)? {
                Some(0) => Err(EngineError::InvalidMetadata {
                    path: path.clone(),
                    key: full,
                    value: "0".into(),
                    reason: "must be positive".into(),
                }),
                Some(v) => Ok(v as usize),
                None => Err(EngineError::MissingMetadata {
                    path: path.clone(),
                    key: full,
                }),
            }
        };
        let n_embd = req_u32("embedding_length")?;
        let n_layer = req_u32("block_count")?;
        let n_ff = req_u32("feed_forward_length")?;
        let n_head = req_u32("attention.head_count")?;
        let n_head_kv = match file.get_u32(&key("attention.head_count_kv"))? {
            Some(v) if v > 0 => v as usize,
            _ => n_head,
        };
        let head_dim = match file.get_u32(&key("attention.key_length"))? {
            Some(v) if v > 0 => v as usize,
            _ => n_embd / n_head,
        };
        let invalid = |k: &str, v: String, reason: &str| EngineError::InvalidMetadata {
            path: path.clone(),
            key: key(k),
            value: v,
            reason: reason.into(),
        };
        if n_head % n_head_kv != 0 {
            return Err(invalid(
                "attention.head_count_kv",
                n_head_kv.to_string(),
                "the number of query heads must be a multiple of it",
            ));
        }
        if head_dim == 0 || head_dim % 2 != 0 {
            return Err(invalid(
                "embedding_length",
                n_embd.to_string(),
                "not divisible into even-sized heads",
            ));
        }
        let n_rot = match file.get_u32(&key("rope.dimension_count"))? {
            Some(v) if v > 0 => v as usize,
            _ => head_dim,
        };
        if n_rot > head_dim || n_rot % 2 != 0 {
            return Err(invalid(
                "rope.dimension_count",
                n_rot.to_string(),
                "must be even and at most the head size",
            ));
        }
        let rope_freq_base = file.get_f32(&key("rope.freq_base"))?.unwrap_or(10_000.0);
        let rope_freq_scale = match (
            file.get_str(&key("rope.scaling.type"))?,
            file.get_f32(&key("rope.scaling.factor"))?,
        ) {
            (Some("linear"), Some(f)) if f > 0.0 => 1.0 / f,
            (Some("none") | None, _) => 1.0,
            (Some("linear"), _) => 1.0,
            (Some(other), _) => {
                return Err(invalid(
                    "rope.scaling.type",
                    other.to_string(),
                    "only `linear` RoPE scaling is supported",
                ));
            }
        };
        let rms_eps = file
            .get_f32(&key("attention.layer_norm_rms_epsilon"))?
            .unwrap_or(1e-5);
        let n_ctx_train = file
            .get_u32(&key("context_length"))?
            .map(|v| v as usize)
            .unwrap_or(2048);
        let n_vocab = match file.get_u32(&key("vocab_size"))? {
            Some(v) => v as usize,
            None => file
                .get_array("tokenizer.ggml.tokens")?
                .map(|a| a.len())
                .unwrap_or(0),
        };
        if n_vocab == 0 {
            return Err(EngineError::MissingMetadata {
                path,
                key: "tokenizer.ggml.tokens".into(),
            });
        }
        Ok(Self {
            arch,
            name: file.get_str("general.name")?.map(str::to_string),
            n_vocab,
            n_embd,
            n_layer,
            n_ff,
            n_head,
            n_head_kv,
            head_dim,
            n_rot,
            rope_freq_base,
            rope_freq_scale,
            rms_eps,
            n_ctx_train,
        })
    }

    /// Width of the key/value projections (all KV heads together).
    pub fn kv_dim(&self) -> usize {
        self.n_head_kv * self.head_dim
    }

    /// Width of the query projection.
    pub fn q_dim(&self) -> usize {
        self.n_head * self.head_dim
    }

    /// Bytes of KV cache per token of context (f16 keys and values, all layers).
    pub fn kv_bytes_per_token(&self) -> usize {
        self.n_layer * 2 * self.kv_dim() * 2
    }
}
