//! Weight tensors: typed views over the memory-mapped GGUF file, plus the small f32 vectors (norms,
//! biases) that are copied once at load. Matrices whose format has a repacked layout
//! ([`vibrant_kernels::repack`]) are, at load and when it pays on this CPU, also copied once into that
//! interleaved layout, which every matmul over them then reads instead of the mapped bytes (so those
//! mapped pages are page cache the kernel may drop). Repacking is on by default
//! ([`crate::LoadOptions::repack`], `VIBRANT_REPACK=0` turns it off).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vibrant_gguf::{GgmlType, GgufFile, TensorInfo};
use vibrant_kernels::{ThreadPool, WeightFormat};

use crate::config::ModelConfig;
use crate::error::{EngineError, Result};

/// Maps a GGUF tensor type to the kernel layer's format, if the engine supports it.
pub fn weight_format(ty: GgmlType) -> Option<WeightFormat> {
    Some(match ty {
        GgmlType::F32 => WeightFormat::F32,
        GgmlType::F16 => WeightFormat::F16,
        GgmlType::BF16 => WeightFormat::BF16,
        GgmlType::Q4_0 => WeightFormat::Q4_0,
        GgmlType::Q4_1 => WeightFormat::Q4_1,
        GgmlType::Q5_0 => WeightFormat::Q5_0,
        GgmlType::Q5_1 => WeightFormat::Q5_1,
        GgmlType::Q8_0 => WeightFormat::Q8_0,
        GgmlType::Q2_K => WeightFormat::Q2K,
        GgmlType::Q3_K => WeightFormat::Q3K,
        GgmlType::Q4_K => WeightFormat::Q4K,
        GgmlType::Q5_K => WeightFormat::Q5K,
        GgmlType::Q6_K => WeightFormat::Q6K,
        _ => return None,
    })
}

/// A 2-D weight matrix of `rows` rows of `cols` elements, stored row-major in the mapped file.
#[derive(Clone, Debug)]
pub struct Matrix {
    pub name: String,
    pub fmt: WeightFormat,
    pub rows: usize,
    pub cols: usize,
    /// Which file of a split model holds the data.
    part: usize,
    info: TensorInfo,
    /// The matrix in the repacked layout, when [`Weights::repack`] made one.
    packed: Option<Arc<Vec<u8>>>,
}

impl Matrix {
    /// The raw bytes of the matrix inside the mapped file (`parts`: the model's files, in order).
    pub fn data<'a>(&self, parts: &'a [GgufFile]) -> &'a [u8] {
        parts[self.part].tensor_data(&self.info)
    }

    pub fn row_bytes(&self) -> usize {
        self.fmt.row_bytes(self.cols)
    }

    pub fn n_bytes(&self) -> u64 {
        self.info.n_bytes
    }

    /// The repacked copy of the matrix ([`vibrant_kernels::repack`] layout), if one was made at load.
    pub fn packed(&self) -> Option<&[u8]> {
        self.packed.as_deref().map(Vec::as_slice)
    }

    /// Makes the repacked copy if the format has a repacked layout that pays at the active kernel level.
    /// Returns the bytes allocated (0 when the matrix stays row-major).
    fn repack(&mut self, parts: &[GgufFile], pool: &ThreadPool) -> usize {
        if self.packed.is_some() || !vibrant_kernels::repack_pays(self.fmt) {
            return 0;
        }
        let Some(len) = vibrant_kernels::repacked_len(self.fmt, self.rows, self.cols) else {
            return 0;
        };
        let (fmt, k) = (self.fmt, self.cols);
        let rb = self.row_bytes();
        let src = self.data(parts);
        let mut dst = vec![0u8; len];
        let group = len / (self.rows / vibrant_kernels::REPACK_ROWS);
        // Tasks of TASK_GROUPS whole groups; group `g` holds rows `g * REPACK_ROWS..`.
        const TASK_GROUPS: usize = 64;
        pool.for_each_chunk_mut(&mut dst, group * TASK_GROUPS, &|i, out| {
            let groups = out.len() / group;
            let row0 = i * TASK_GROUPS * vibrant_kernels::REPACK_ROWS;
            let rows = groups * vibrant_kernels::REPACK_ROWS;
            vibrant_kernels::repack::repack(fmt, k, rows, &src[row0 * rb..(row0 + rows) * rb], out);
        });
        self.packed = Some(Arc::new(dst));
        // The row-major bytes are no longer read: let their pages leave resident memory so the
        // repacked copy replaces them instead of doubling them.
        parts[self.part].release_tensor_data(&self.info);
        len
    }
}

/// The `VIBRANT_REPACK` environment override of [`crate::LoadOptions::repack`]: `Some(true)` for
/// `1`/`on`/`true`/`yes`, `Some(false)` for `0`/`off`/`false`/`no`, `None` when unset or unrecognised.
///
/// The repacked GEMM sums floats in another order than the row-major kernels (the integer sums are
/// the same); the parity tests pass either way (`docs/results/engine-parity.md` compares that noise
/// with llama.cpp's own between its repacked and row-major paths).
pub fn repack_override() -> Option<bool> {
    let v = std::env::var("VIBRANT_REPACK").ok()?;
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "on" | "true" | "yes" => Some(true),
        "0" | "off" | "false" | "no" => Some(false),
        other => {
            tracing::warn!(value = other, "VIBRANT_REPACK is not 0/1/on/off: ignored");
            None
        }
    }
}

/// Weights of one transformer block.
#[derive(Debug)]
pub struct Layer {
    pub attn_norm: Vec<f32>,
    pub wq: Matrix,
    pub wk: Matrix,
    pub wv: Matrix,
    pub bq: Option<Vec<f32>>,
    pub bk: Option<Vec<f32>>,
    pub bv: Option<Vec<f32>>,
    pub wo: Matrix,
    pub ffn_norm: Vec<f32>,
    pub w_gate: Matrix,
    pub w_up: Matrix,
    pub w_down: Matrix,
}

/// All weights of a model.
#[derive(Debug)]
pub struct Weights {
    pub token_embd: Matrix,
    pub layers: Vec<Layer>,
    pub output_norm: Vec<f32>,
    /// The output projection; `token_embd` itself when the model ties them.
    pub output: Matrix,
    pub tied_output: bool,
}

struct Loader<'a> {
    parts: &'a [GgufFile],
    path: PathBuf,
    arch: &'static str,
}

impl Loader<'_> {
    fn info(&self, name: &str) -> Result<(usize, &TensorInfo)> {
        let found = self
            .parts
            .iter()
            .enumerate()
            .find_map(|(i, f)| f.tensor(name).map(|t| (i, t)));
        found.ok_or_else(|| EngineError::MissingTensor {
            path: self.path.clone(),
            tensor: name.to_string(),
            arch: self.arch.to_string(),
        })
    }

    fn shape_error(&self, info: &TensorInfo, expected: Vec<u64>) -> EngineError {
        EngineError::TensorShape {
            path: self.path.clone(),
            tensor: info.name.clone(),
            expected,
            actual: info.dims.clone(),
        }
    }

    /// A matrix with `rows` rows of `cols` elements (GGUF dims `[cols, rows]`).
    fn matrix(&self, name: &str, cols: usize, rows: usize) -> Result<Matrix> {
        let (part, info) = self.info(name)?;
        if info.dims != [cols as u64, rows as u64] {
            return Err(self.shape_error(info, vec![cols as u64, rows as u64]));
        }
        let fmt =
            weight_format(info.ggml_type).ok_or_else(|| EngineError::UnsupportedTensorType {
                path: self.path.clone(),
                tensor: name.to_string(),
                ty: info.ggml_type.name().to_string(),
            })?;
        if !cols.is_multiple_of(fmt.block_len()) {
            return Err(self.shape_error(info, vec![cols as u64, rows as u64]));
        }
        Ok(Matrix {
            name: name.to_string(),
            part,
            fmt,
            rows,
            cols,
            info: info.clone(),
            packed: None,
        })
    }

    /// A 1-D vector of `n` elements, dequantized to f32 (norm weights and biases are small).
    fn vector(&self, name: &str, n: usize) -> Result<Vec<f32>> {
        let (part, info) = self.info(name)?;
        if info.dims != [n as u64] {
            return Err(self.shape_error(info, vec![n as u64]));
        }
        let fmt =
            weight_format(info.ggml_type).ok_or_else(|| EngineError::UnsupportedTensorType {
                path: self.path.clone(),
                tensor: name.to_string(),
                ty: info.ggml_type.name().to_string(),
            })?;
        if !n.is_multiple_of(fmt.block_len()) {
            return Err(self.shape_error(info, vec![n as u64]));
        }
        let mut out = vec![0.0f32; n];
        vibrant_kernels::dequantize_row(fmt, self.parts[part].tensor_data(info), &mut out);
        Ok(out)
    }

    fn optional_vector(&self, name: &str, n: usize) -> Result<Option<Vec<f32>>> {
        if self.parts.iter().any(|f| f.tensor(name).is_some()) {
            self.vector(name, n).map(Some)
        } else {
            Ok(None)
        }
    }
}

impl Weights {
    /// Loads the weights of a model stored in `parts` (one file, or the parts of a split model).
    pub fn load(parts: &[GgufFile], cfg: &ModelConfig) -> Result<Self> {
        let path = parts
            .first()
            .and_then(|f| f.path())
            .unwrap_or(Path::new("<memory>"))
            .to_path_buf();
        let loader = Loader {
            parts,
            path,
            arch: cfg.arch.name(),
        };
        let (d, q, kv, ff) = (cfg.n_embd, cfg.q_dim(), cfg.kv_dim(), cfg.n_ff);
        let token_embd = loader.matrix("token_embd.weight", d, cfg.n_vocab)?;
        let mut layers = Vec::with_capacity(cfg.n_layer);
        for i in 0..cfg.n_layer {
            let n = |s: &str| format!("blk.{i}.{s}");
            layers.push(Layer {
                attn_norm: loader.vector(&n("attn_norm.weight"), d)?,
                wq: loader.matrix(&n("attn_q.weight"), d, q)?,
                wk: loader.matrix(&n("attn_k.weight"), d, kv)?,
                wv: loader.matrix(&n("attn_v.weight"), d, kv)?,
                bq: loader.optional_vector(&n("attn_q.bias"), q)?,
                bk: loader.optional_vector(&n("attn_k.bias"), kv)?,
                bv: loader.optional_vector(&n("attn_v.bias"), kv)?,
                wo: loader.matrix(&n("attn_output.weight"), q, d)?,
                ffn_norm: loader.vector(&n("ffn_norm.weight"), d)?,
                w_gate: loader.matrix(&n("ffn_gate.weight"), d, ff)?,
                w_up: loader.matrix(&n("ffn_up.weight"), d, ff)?,
                w_down: loader.matrix(&n("ffn_down.weight"), ff, d)?,
            });
        }
        let output_norm = loader.vector("output_norm.weight", d)?;
        let (output, tied_output) = if parts.iter().any(|f| f.tensor("output.weight").is_some()) {
            (loader.matrix("output.weight", d, cfg.n_vocab)?, false)
        } else {
            (token_embd.clone(), true)
        };
        Ok(Self {
            token_embd,
            layers,
            output_norm,
            output,
            tied_output,
        })
    }

    /// Repacks every layer matrix whose format has a repacked layout that pays on this CPU (see
    /// [`vibrant_kernels::repack`]); the embedding and output matrices keep the mapped layout. Returns the
    /// bytes allocated.
    pub fn repack(&mut self, parts: &[GgufFile], pool: &ThreadPool) -> usize {
        let mut bytes = 0;
        for l in &mut self.layers {
            for m in [
                &mut l.wq,
                &mut l.wk,
                &mut l.wv,
                &mut l.wo,
                &mut l.w_gate,
                &mut l.w_up,
                &mut l.w_down,
            ] {
                bytes += m.repack(parts, pool);
            }
        }
        bytes
    }

    /// Bytes held in repacked copies.
    pub fn repacked_bytes(&self) -> u64 {
        self.matrices()
            .filter_map(Matrix::packed)
            .map(|p| p.len() as u64)
            .sum()
    }

    /// Every matrix, for statistics (`model inspect`) and memory accounting.
    pub fn matrices(&self) -> impl Iterator<Item = &Matrix> {
        std::iter::once(&self.token_embd)
            .chain(
                self.layers
                    .iter()
                    .flat_map(|l| [&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down]),
            )
            .chain((!self.tied_output).then_some(&self.output))
    }
}
