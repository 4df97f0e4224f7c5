//! The engine's matrix-vector/matrix-matrix driver: quantizes activations once per row into the
//! weight format's activation type, then splits the weight rows between threads and calls the
//! kernel layer's tile function. The thread split is the only policy here; the arithmetic is
//! `vibrant_kernels`'.

use vibrant_gguf::GgufFile;
use vibrant_kernels::ThreadPool;

use crate::weights::Matrix;

/// Reusable buffers for [`matmul`], so that steady-state decoding does not allocate.
#[derive(Default, Debug)]
pub struct MatmulScratch {
    act: Vec<u8>,
    /// What `act` holds: the quantization of the last input, as (format, columns, tokens).
    quantized: Option<(vibrant_kernels::ActFormat, usize, usize)>,
    tiles: Vec<Vec<f32>>,
}

/// `out[t * m.rows + r] = m.row(r) · x[t]` for `n_tok` rows of `x` (each `m.cols` long).
pub fn matmul(
    pool: &ThreadPool,
    parts: &[GgufFile],
    m: &Matrix,
    x: &[f32],
    n_tok: usize,
    out: &mut [f32],
    scratch: &mut MatmulScratch,
) {
    scratch.quantized = None;
    matmul_same_input(pool, parts, m, x, n_tok, out, scratch);
}

/// [`matmul`] for the next of several matrices applied to the same `x` (q/k/v, gate/up): the
/// activations are quantized again only when the activation format changes. Call [`matmul`] (or
/// reset with it) for the first matrix of a new input.
pub fn matmul_same_input(
    pool: &ThreadPool,
    parts: &[GgufFile],
    m: &Matrix,
    x: &[f32],
    n_tok: usize,
    out: &mut [f32],
    scratch: &mut MatmulScratch,
) {
    let (k, rows) = (m.cols, m.rows);
    debug_assert!(x.len() >= n_tok * k && out.len() >= n_tok * rows);
    let af = m.fmt.act_format();
    let rb = af.row_bytes(k);
    if scratch.quantized != Some((af, k, n_tok)) {
        scratch.act.resize(n_tok * rb, 0);
        if n_tok >= 8 {
            pool.for_each_chunk_mut(&mut scratch.act[..n_tok * rb], rb, &|t, dst| {
                vibrant_kernels::quantize_row(af, &x[t * k..(t + 1) * k], dst);
            });
        } else {
            for (dst, src) in scratch.act.chunks_mut(rb).zip(x.chunks(k)).take(n_tok) {
                vibrant_kernels::quantize_row(af, src, dst);
            }
        }
        scratch.quantized = Some((af, k, n_tok));
    }
    let act = &scratch.act[..];
    if let Some(packed) = m.packed() {
        return matmul_packed(pool, m, packed, act, n_tok, &mut out[..n_tok * rows]);
    }
    let w = m.data(parts);
    // Enough chunks to balance the load, few enough to keep per-chunk overhead small.
    let chunk = rows
        .div_ceil(pool.threads() * 4)
        .next_multiple_of(16)
        .max(16);
    if n_tok == 1 {
        pool.for_each_chunk_mut(&mut out[..rows], chunk, &|i, o| {
            let start = i * chunk;
            vibrant_kernels::matmul_rows(m.fmt, k, w, start..start + o.len(), act, 1, o, rows);
        });
        return;
    }
    // Several tokens: each chunk of rows produces a [n_tok × chunk] tile that is scattered after.
    let n_chunks = rows.div_ceil(chunk);
    scratch.tiles.resize_with(n_chunks, Vec::new);
    pool.for_each_chunk_mut(&mut scratch.tiles[..n_chunks], 1, &|i, tile| {
        let tile = &mut tile[0];
        let start = i * chunk;
        let end = (start + chunk).min(rows);
        tile.resize(n_tok * (end - start), 0.0);
        vibrant_kernels::matmul_rows(m.fmt, k, w, start..end, act, n_tok, tile, end - start);
    });
    let tiles = &scratch.tiles[..n_chunks];
    pool.for_each_chunk_mut(&mut out[..n_tok * rows], rows, &|t, o| {
        for (i, tile) in tiles.iter().enumerate() {
            let start = i * chunk;
            let len = tile.len() / n_tok;
            o[start..start + len].copy_from_slice(&tile[t * len..(t + 1) * len]);
        }
    });
}

/// [`matmul`] over the repacked copy of `m` (rows split between threads in whole groups, each task
/// writing its columns of `out` directly), with the activations already quantized in `act`.
fn matmul_packed(
    pool: &ThreadPool,
    m: &Matrix,
    packed: &[u8],
    act: &[u8],
    n_tok: usize,
    out: &mut [f32],
) {
    let (k, rows, fmt) = (m.cols, m.rows, m.fmt);
    let chunk = rows
        .div_ceil(pool.threads() * 4)
        .next_multiple_of(16)
        .max(16);
    vibrant_kernels::matmul_repacked_pool(pool, fmt, k, packed, rows, act, n_tok, out, chunk);
}
