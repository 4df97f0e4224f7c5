//! Causal attention over the f16 KV cache, tiled flash-attention style.
//!
//! Work is split into tasks of (KV head, block of query tokens, range of cached positions). A task takes
//! the query heads that share its KV head for every token of its block — `group × tokens` query rows — and
//! walks its positions in blocks of [`KEY_BLOCK`]: each key and value row is converted from f16 once per
//! block and then used by every query row (`vibrant_kernels::attention::attn_block`: online softmax,
//! vectorised `exp`). Decode (one token) with few KV heads splits the cached positions between tasks, so
//! every thread has work at long contexts; the partial results are merged after (log-sum-exp).
//!
//! Queries are rounded to f16 first, as ggml does before its f16 K·Q dot product.

use std::cell::RefCell;

use half::f16;
use half::slice::HalfFloatSliceExt;
use vibrant_kernels::ThreadPool;

/// Cached positions converted per block.
pub(crate) const KEY_BLOCK: usize = 64;
/// Query rows a task aims for (query heads per KV head × tokens).
const QUERY_ROWS: usize = 32;
/// Fewest cached positions a decode task gets when the positions are split between tasks (and the
/// grid they are split on for passes of at most [`EXACT_PASS`] tokens).
const MIN_SPLIT: usize = 256;
/// Passes of at most this many tokens (decode, speculative verification) split the cached
/// positions on a fixed grid, independent of the pass's size.
pub(crate) const EXACT_PASS: usize = 16;

/// The shapes of one attention call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AttnShape {
    /// Tokens in the batch.
    pub n: usize,
    /// Positions cached before the batch (token `t` sees positions `0..=n_past + t`).
    pub n_past: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    pub head_dim: usize,
    pub scale: f32,
}

/// Per-call task outputs (reused between calls, so decoding does not allocate).
#[derive(Default, Debug)]
pub(crate) struct AttnScratch {
    /// Each task's `m`, `l` and `acc` for its query rows, `task_stride` floats per task.
    out: Vec<f32>,
}

/// Per-thread block buffers.
#[derive(Default)]
struct Blocks {
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    scores: Vec<f32>,
    visible: Vec<usize>,
}

thread_local! {
    static BLOCKS: RefCell<Blocks> = RefCell::new(Blocks::default());
}

/// `att[t * q_dim + h * hd ..]` = attention output of query head `h` of token `t`, for queries `q` (same
/// layout) against the cache `kc`/`vc` (position-major rows of `n_head_kv · hd` f16), which already holds
/// the batch's own keys and values at positions `n_past..n_past + n`.
pub(crate) fn attention(
    pool: &ThreadPool,
    sh: AttnShape,
    q: &[f32],
    kc: &[f16],
    vc: &[f16],
    att: &mut [f32],
    scratch: &mut AttnScratch,
) {
    let hd = sh.head_dim;
    let group = sh.n_head / sh.n_head_kv;
    let (qd, kvd) = (sh.n_head * hd, sh.n_head_kv * hd);
    let tb = (QUERY_ROWS / group).clamp(1, sh.n);
    let n_tblocks = sh.n.div_ceil(tb);
    let n_kv_max = sh.n_past + sh.n;
    let base_tasks = sh.n_head_kv * n_tblocks;
    let (splits, span) = if sh.n <= EXACT_PASS {
        // Decode and speculative verification: the positions are split on a fixed grid, so a
        // token's attention is summed in the same order whether it is evaluated alone or as one
        // row of a draft — speculative decoding then gives exactly the plain decoder's output.
        (n_kv_max.div_ceil(MIN_SPLIT), MIN_SPLIT)
    } else {
        // Split the positions only when there are too few tasks for the threads and many
        // positions.
        let splits = if base_tasks >= 2 * pool.threads() {
            1
        } else {
            (2 * pool.threads())
                .div_ceil(base_tasks)
                .min(n_kv_max / MIN_SPLIT)
                .max(1)
        };
        (splits, n_kv_max.div_ceil(splits))
    };
    let rows_per_task = group * tb;
    let task_stride = rows_per_task * (hd + 2);
    let n_tasks = base_tasks * splits;
    scratch.out.resize(n_tasks * task_stride, 0.0);

    pool.for_each_chunk_mut(&mut scratch.out[..], task_stride, &|task, out| {
        let split = task % splits;
        let tblock = (task / splits) % n_tblocks;
        let g = task / (splits * n_tblocks);
        let t0 = tblock * tb;
        let t1 = (t0 + tb).min(sh.n);
        let nq = (t1 - t0) * group;
        let (m, rest) = out.split_at_mut(rows_per_task);
        let (l, acc) = rest.split_at_mut(rows_per_task);
        let (m, l, acc) = (&mut m[..nq], &mut l[..nq], &mut acc[..nq * hd]);
        m.fill(f32::NEG_INFINITY);
        l.fill(0.0);
        acc.fill(0.0);
        // Positions this task covers; a token sees up to `n_past + t` inclusive.
        let p_start = split * span;
        let p_end = ((split + 1) * span).min(sh.n_past + t1);
        if p_start >= p_end {
            return;
        }
        BLOCKS.with_borrow_mut(|b| {
            b.q.resize(nq * hd, 0.0);
            for t in t0..t1 {
                for hh in 0..group {
                    let h = g * group + hh;
                    let src = &q[t * qd + h * hd..t * qd + (h + 1) * hd];
                    let row = ((t - t0) * group + hh) * hd;
                    for (d, &x) in b.q[row..row + hd].iter_mut().zip(src) {
                        *d = f16::from_f32(x).to_f32();
                    }
                }
            }
            b.k.resize(KEY_BLOCK * hd, 0.0);
            b.v.resize(KEY_BLOCK * hd, 0.0);
            b.scores.resize(2 * KEY_BLOCK, 0.0);
            b.visible.resize(nq, 0);
            let mut p0 = p_start;
            while p0 < p_end {
                let nk = KEY_BLOCK.min(p_end - p0);
                for j in 0..nk {
                    let src = (p0 + j) * kvd + g * hd;
                    kc[src..src + hd].convert_to_f32_slice(&mut b.k[j * hd..(j + 1) * hd]);
                    vc[src..src + hd].convert_to_f32_slice(&mut b.v[j * hd..(j + 1) * hd]);
                }
                for t in t0..t1 {
                    // Positions `p0..=n_past + t` of this block are visible to token `t`.
                    let vis = (sh.n_past + t + 1).saturating_sub(p0).min(nk);
                    let r = (t - t0) * group;
                    b.visible[r..r + group].fill(vis);
                }
                vibrant_kernels::attention::attn_block(
                    &b.q,
                    hd,
                    sh.scale,
                    &b.k[..nk * hd],
                    &b.v[..nk * hd],
                    &b.visible,
                    m,
                    l,
                    acc,
                    &mut b.scores,
                );
                p0 += nk;
            }
        });
    });

    // Merge the splits of each query row and normalise into `att`.
    let out = &scratch.out;
    pool.for_each_chunk_mut(&mut att[..sh.n * qd], qd, &|t, row| {
        let tblock = t / tb;
        let r_in = (t - tblock * tb) * group;
        for g in 0..sh.n_head_kv {
            for hh in 0..group {
                let r = r_in + hh;
                let task0 = (g * n_tblocks + tblock) * splits;
                let part = |s: usize| {
                    let o = &out[(task0 + s) * task_stride..(task0 + s + 1) * task_stride];
                    (
                        o[r],
                        o[rows_per_task + r],
                        &o[2 * rows_per_task + r * hd..2 * rows_per_task + (r + 1) * hd],
                    )
                };
                let dst = &mut row[(g * group + hh) * hd..(g * group + hh + 1) * hd];
                let big = (0..splits)
                    .map(|s| part(s).0)
                    .fold(f32::NEG_INFINITY, f32::max);
                dst.fill(0.0);
                let mut total = 0.0f32;
                for s in 0..splits {
                    let (m, l, acc) = part(s);
                    if m == f32::NEG_INFINITY {
                        continue;
                    }
                    let w = if m == big {
                        1.0
                    } else {
                        vibrant_kernels::attention::exp(m - big)
                    };
                    total += l * w;
                    for (d, &a) in dst.iter_mut().zip(acc) {
                        *d += a * w;
                    }
                }
                let inv = if total == 0.0 { 0.0 } else { 1.0 / total };
                for d in dst.iter_mut() {
                    *d *= inv;
                }
            }
        }
    });
}
