//! Numeric kernels of the Vibrant inference engine.
//!
//! This crate knows the quantized block formats exactly as ggml defines them (`Q4_0` … `Q6_K`, plus plain
//! `F32`/`F16`/`BF16`), and provides the four operations the engine needs:
//!
//! * [`dequantize_row`]: weight row → `f32` (embeddings, debugging, tests);
//! * [`quantize_row`]: `f32` activations → the activation format a weight format is multiplied with
//!   ([`WeightFormat::act_format`], ggml's `vec_dot_type`: `Q8_0`, `Q8_1` or `Q8_K`);
//! * [`dot`]: one weight row · one quantized activation row, computed as ggml computes it (integer block
//!   sums, then the float scales);
//! * [`matmul_rows`]: the tile function the engine threads over (a range of weight rows × a batch of
//!   activation rows), which reuses each unpacked weight block across the activation rows;
//! * [`dot_f32`], [`dot_f16`], [`axpy_f16`], [`mad_f16`], [`scale_f16`]: vector helpers for attention over an
//!   F16 KV cache (the last two reproduce ggml's f16 accumulator).
//!
//! [`scalar`] holds the plain-Rust versions of all of these: the specification every SIMD path is tested
//! against. The CPU is detected once ([`active_isa`]): AVX2 or AVX-512 (VNNI) on x86_64, NEON or NEON with the
//! dot-product extension on aarch64; `VIBRANT_KERNELS=scalar|avx2|avx512|neon|neondot` forces a level (an
//! unsupported one falls back, with a warning).
//!
//! ```
//! use vibrant_kernels::{WeightFormat, dot, quantize_row, quantize_row_weights, dequantize_row};
//!
//! let k = 64;
//! let w: Vec<f32> = (0..k).map(|i| (i as f32 * 0.37).sin()).collect();
//! let x: Vec<f32> = (0..k).map(|i| (i as f32 * 0.11).cos()).collect();
//! let fmt = WeightFormat::Q8_0;
//! let mut wq = vec![0u8; fmt.row_bytes(k)];
//! quantize_row_weights(fmt, &w, &mut wq);
//! let mut xq = vec![0u8; fmt.act_format().row_bytes(k)];
//! quantize_row(fmt.act_format(), &x, &mut xq);
//! let exact: f32 = w.iter().zip(&x).map(|(a, b)| a * b).sum();
//! assert!((dot(fmt, k, &wq, &xq) - exact).abs() < 0.05);
//! ```

#[cfg(target_arch = "aarch64")]
mod aarch64;
pub mod attention;
mod dispatch;
mod format;
mod pool;
pub mod repack;
pub mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86_64;

pub use dispatch::{Isa, Kernels, UnsupportedIsa, active_isa, configure_isa, supported_isas};
pub use format::{ActFormat, QK_K, WeightFormat};
pub use pool::ThreadPool;
pub use repack::{REPACK_ROWS, repack_supported, repacked_len};

use std::ops::Range;

/// Dequantizes the first `dst.len()` elements of the weight row `src` (a multiple of the block length).
///
/// Panics if `dst.len()` is not a multiple of `fmt.block_len()` or `src` is shorter than
/// `fmt.row_bytes(dst.len())`.
pub fn dequantize_row(fmt: WeightFormat, src: &[u8], dst: &mut [f32]) {
    scalar::dequantize_row(fmt, src, dst);
}

/// Quantizes the activation row `src` into `dst` (`fmt.row_bytes(src.len())` bytes) as ggml does
/// (`quantize_row_q8_0/q8_1/q8_K`); `ActFormat::F32` copies the bytes.
pub fn quantize_row(fmt: ActFormat, src: &[f32], dst: &mut [u8]) {
    Kernels::active().quantize_row(fmt, src, dst);
}

/// Dot product of one weight row (`n` elements of `fmt`) with one activation row already quantized to
/// `fmt.act_format()`.
pub fn dot(fmt: WeightFormat, n: usize, w: &[u8], act: &[u8]) -> f32 {
    Kernels::active().dot(fmt, n, w, act)
}

/// The matmul tile: `out[t * out_stride + r - rows.start] = dot(weight row r, activation row t)` for `r` in
/// `rows` and `t` in `0..n_tok`.
///
/// `w` is the whole weight matrix (row `r` starts at `r * fmt.row_bytes(k)`), `act` holds `n_tok` activation
/// rows of `fmt.act_format().row_bytes(k)` bytes each.
#[allow(clippy::too_many_arguments)]
pub fn matmul_rows(
    fmt: WeightFormat,
    k: usize,
    w: &[u8],
    rows: Range<usize>,
    act: &[u8],
    n_tok: usize,
    out: &mut [f32],
    out_stride: usize,
) {
    Kernels::active().matmul_rows(fmt, k, w, rows, act, n_tok, out, out_stride);
}

/// [`matmul_rows`] over weights in the repacked layout of [`repack::repack`]: `rows` must be whole groups of
/// [`REPACK_ROWS`] (`rows.start` and `rows.end` multiples of it) and `packed` the whole repacked matrix.
#[allow(clippy::too_many_arguments)]
pub fn matmul_repacked(
    fmt: WeightFormat,
    k: usize,
    packed: &[u8],
    rows: Range<usize>,
    act: &[u8],
    n_tok: usize,
    out: &mut [f32],
    out_stride: usize,
) {
    Kernels::active().matmul_repacked(fmt, k, packed, rows, act, n_tok, out, out_stride);
}

/// [`matmul_repacked`] over all `rows` of a repacked matrix on `pool`: rows are split into pieces of `chunk`
/// (whole groups) and each task writes its columns of `out` (`n_tok` rows of `rows` floats,
/// `out[t * rows + r]`) directly, with no per-task tile to copy afterwards.
#[allow(clippy::too_many_arguments)]
pub fn matmul_repacked_pool(
    pool: &ThreadPool,
    fmt: WeightFormat,
    k: usize,
    packed: &[u8],
    rows: usize,
    act: &[u8],
    n_tok: usize,
    out: &mut [f32],
    chunk: usize,
) {
    Kernels::active().matmul_repacked_pool(pool, fmt, k, packed, rows, act, n_tok, out, chunk);
}

/// Whether repacking `fmt` weights pays at the active kernel level (a SIMD repacked GEMM exists for it).
pub fn repack_pays(fmt: WeightFormat) -> bool {
    Kernels::active().repack_pays(fmt)
}

/// Σ a[i]·b[i] of two f32 vectors of the same length (SIMD where available).
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    Kernels::active().dot_f32(a, b)
}

/// Σ f32(a[i])·b[i] for an f16 vector (e.g. a row of an F16 KV cache) and an f32 vector of the same length.
pub fn dot_f16(a: &[half::f16], b: &[f32]) -> f32 {
    Kernels::active().dot_f16(a, b)
}

/// `y[i] += alpha · f32(x[i])` (fused multiply-add) for an f16 vector `x` of `y`'s length (e.g. accumulating
/// attention-weighted rows of an F16 value cache).
pub fn axpy_f16(y: &mut [f32], alpha: f32, x: &[half::f16]) {
    Kernels::active().axpy_f16(y, alpha, x);
}

/// `y[i] = f16(fma(f32(x[i]), v, f32(y[i])))`: accumulation into an f16 vector, bit-identical to ggml's
/// `ggml_vec_mad_f16`, which llama.cpp's CPU flash attention uses to accumulate an F16 V cache when it
/// evaluates one query at a time (decode). Use it to reproduce llama.cpp's numerics there.
pub fn mad_f16(y: &mut [half::f16], x: &[half::f16], v: f32) {
    Kernels::active().mad_f16(y, x, v);
}

/// `y[i] = f16(f32(y[i]) · v)`, as ggml's `ggml_vec_scale_f16` (the rescaling step of that accumulation).
pub fn scale_f16(y: &mut [half::f16], v: f32) {
    Kernels::active().scale_f16(y, v);
}

/// Reference quantizer for weights (tests, small tensors): `F32`/`F16`/`BF16` and the 32-element formats
/// (`Q4_0`, `Q4_1`, `Q5_0`, `Q5_1`, `Q8_0`) as ggml's `quantize_row_*_ref`. Returns `false` (writing nothing)
/// for the K-quants, whose importance-weighted quantizers are not implemented here.
pub fn quantize_row_weights(fmt: WeightFormat, src: &[f32], dst: &mut [u8]) -> bool {
    scalar::quantize_row_weights(fmt, src, dst)
}
