//! A session: one sequence's KV cache over a shared [`Model`], and the forward pass.
//!
//! The forward pass takes a batch of consecutive tokens (prefill: many; decode: one; speculative
//! verification: a few) and returns logits for the positions asked for. [`eval_many`] runs one
//! token for each of several sessions of one model in a single pass (batched decoding of
//! candidates that share a prompt: [`Session::fork`] copies the shared prefix's cache). The KV cache keeps the
//! tokens it holds, so a caller can keep the common prefix of a new prompt and evaluate only the
//! rest (chat turns), or roll back rejected draft tokens ([`Session::truncate`]).

use std::sync::Arc;

use half::f16;
use half::slice::HalfFloatSliceExt;

use crate::attention::{AttnScratch, AttnShape, attention};
use crate::error::{EngineError, Result};
use crate::matmul::{MatmulScratch, matmul, matmul_same_input};
use crate::model::Model;
use crate::ops;

/// Which positions of a batch need logits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logits {
    /// Only the last token of the batch (generation).
    Last,
    /// Every token of the batch (perplexity, speculative verification).
    All,
}

/// The largest number of tokens evaluated in one forward pass; longer prompts are split.
pub const MAX_BATCH: usize = 512;

/// Keys and values of every layer for up to `capacity` positions (f16, position-major).
#[derive(Debug, Clone)]
struct KvCache {
    k: Vec<Vec<f16>>,
    v: Vec<Vec<f16>>,
    capacity: usize,
    kv_dim: usize,
}

impl KvCache {
    fn new(n_layer: usize, capacity: usize, kv_dim: usize) -> Self {
        // Grown on demand up to `capacity`, so a large context costs memory only when used.
        Self {
            k: vec![Vec::new(); n_layer],
            v: vec![Vec::new(); n_layer],
            capacity,
            kv_dim,
        }
    }

    fn ensure(&mut self, n_pos: usize) {
        let want = n_pos * self.kv_dim;
        for buf in self.k.iter_mut().chain(self.v.iter_mut()) {
            if buf.len() < want {
                let grown = (n_pos.max(256).next_power_of_two().min(self.capacity)) * self.kv_dim;
                buf.resize(grown.max(want), f16::ZERO);
            }
        }
    }

    fn bytes(&self) -> usize {
        self.k
            .iter()
            .chain(self.v.iter())
            .map(|b| b.capacity() * 2)
            .sum()
    }
}

#[derive(Default, Debug)]
struct Scratch {
    x: Vec<f32>,
    xn: Vec<f32>,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    att: Vec<f32>,
    o: Vec<f32>,
    gate: Vec<f32>,
    up: Vec<f32>,
    cos: Vec<f32>,
    sin: Vec<f32>,
    logits: Vec<f32>,
    embd_row: Vec<f32>,
    mm: MatmulScratch,
    attn: AttnScratch,
}

/// One sequence being evaluated by a model.
#[derive(Debug)]
pub struct Session {
    model: Arc<Model>,
    kv: KvCache,
    tokens: Vec<u32>,
    scratch: Scratch,
}

impl Session {
    pub(crate) fn new(model: Arc<Model>, n_ctx: usize) -> Self {
        let cfg = model.config();
        let kv = KvCache::new(cfg.n_layer, n_ctx, cfg.kv_dim());
        Self {
            model,
            kv,
            tokens: Vec::new(),
            scratch: Scratch::default(),
        }
    }

    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// The context capacity in tokens.
    pub fn n_ctx(&self) -> usize {
        self.kv.capacity
    }

    /// The tokens currently in the KV cache.
    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    /// Number of positions in the KV cache.
    pub fn n_past(&self) -> usize {
        self.tokens.len()
    }

    /// Bytes held by the KV cache now.
    pub fn kv_bytes(&self) -> usize {
        self.kv.bytes()
    }

    /// Drops every position from `n` on (rollback of draft tokens, or a new prompt that shares
    /// only a prefix with the cached one).
    pub fn truncate(&mut self, n: usize) {
        self.tokens.truncate(n);
    }

    /// A new session over the same model with a copy of this one's cache and tokens: a
    /// sequence that continues from the same prefix independently (candidates of one prompt).
    pub fn fork(&self) -> Session {
        let n = self.tokens.len() * self.kv.kv_dim;
        let kv = KvCache {
            k: self
                .kv
                .k
                .iter()
                .map(|b| b[..n.min(b.len())].to_vec())
                .collect(),
            v: self
                .kv
                .v
                .iter()
                .map(|b| b[..n.min(b.len())].to_vec())
                .collect(),
            capacity: self.kv.capacity,
            kv_dim: self.kv.kv_dim,
        };
        Session {
            model: Arc::clone(&self.model),
            kv,
            tokens: self.tokens.clone(),
            scratch: Scratch::default(),
        }
    }

    /// A placeholder over the same model with an empty cache (no allocation).
    pub(crate) fn fork_empty(&self) -> Session {
        let cfg = self.model.config();
        Session {
            model: Arc::clone(&self.model),
            kv: KvCache::new(cfg.n_layer, self.kv.capacity, self.kv.kv_dim),
            tokens: Vec::new(),
            scratch: Scratch::default(),
        }
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.tokens.clear();
    }

    /// Length of the longest common prefix between the cache and `tokens`.
    pub fn common_prefix(&self, tokens: &[u32]) -> usize {
        self.tokens
            .iter()
            .zip(tokens)
            .take_while(|(a, b)| a == b)
            .count()
    }

    /// Evaluates `tokens` after what the cache holds and returns their logits: one row of
    /// `n_vocab` for [`Logits::Last`], `tokens.len()` rows for [`Logits::All`].
    pub fn eval(&mut self, tokens: &[u32], which: Logits) -> Result<&[f32]> {
        if tokens.is_empty() {
            return Err(EngineError::EmptyPrompt);
        }
        let n_vocab = self.model.config().n_vocab;
        if let Some(&id) = tokens.iter().find(|&&t| t as usize >= n_vocab) {
            return Err(EngineError::InvalidToken { id, n_vocab });
        }
        let needed = self.tokens.len() + tokens.len();
        if needed > self.kv.capacity {
            return Err(EngineError::ContextFull {
                needed,
                capacity: self.kv.capacity,
            });
        }
        let mut all = Vec::new();
        let model = Arc::clone(&self.model);
        let n_batches = tokens.len().div_ceil(MAX_BATCH);
        for (i, batch) in tokens.chunks(MAX_BATCH).enumerate() {
            let last_batch = i + 1 == n_batches;
            let want = match which {
                Logits::All => LogitRows::All,
                Logits::Last if last_batch => LogitRows::Last,
                Logits::Last => LogitRows::None,
            };
            let n_past = self.tokens.len();
            forward(
                &model,
                &mut self.scratch,
                Rows::One {
                    kv: &mut self.kv,
                    n_past,
                },
                batch,
                want,
            );
            self.tokens.extend_from_slice(batch);
            if which == Logits::All && n_batches > 1 {
                all.extend_from_slice(&self.scratch.logits);
            }
        }
        if which == Logits::All && n_batches > 1 {
            self.scratch.logits = all;
        }
        Ok(&self.scratch.logits)
    }
}

/// Evaluates one token for each session (`tokens[i]` after what `sessions[i]` holds) in one
/// forward pass — the matrix products see all the sequences as one batch — and returns their
/// logits, `n_vocab` per session in order. The sessions must share one model.
pub fn eval_many(sessions: &mut [Session], tokens: &[u32]) -> Result<Vec<f32>> {
    if tokens.len() != sessions.len() {
        return Err(EngineError::BatchMismatch {
            sessions: sessions.len(),
            tokens: tokens.len(),
        });
    }
    let runs: Vec<&[u32]> = tokens.chunks(1).collect();
    eval_runs(sessions, &runs)
}

/// Evaluates a run of consecutive tokens for each session (`runs[i]` after what `sessions[i]`
/// holds; every run at least one token) in one forward pass and returns the logits of every
/// token, `n_vocab` per token, runs in order. Several tokens per sequence is how speculative
/// drafts of a batch of candidates are verified together.
pub fn eval_runs(sessions: &mut [Session], runs: &[&[u32]]) -> Result<Vec<f32>> {
    let n_tokens: usize = runs.iter().map(|r| r.len()).sum();
    let mismatch = EngineError::BatchMismatch {
        sessions: sessions.len(),
        tokens: n_tokens,
    };
    if runs.is_empty() || runs.len() != sessions.len() || runs.iter().any(|r| r.is_empty()) {
        return Err(mismatch);
    }
    let model = Arc::clone(&sessions[0].model);
    if sessions.iter().any(|s| !Arc::ptr_eq(&s.model, &model)) {
        return Err(mismatch);
    }
    let n_vocab = model.config().n_vocab;
    if let Some(&id) = runs
        .iter()
        .flat_map(|r| r.iter())
        .find(|&&t| t as usize >= n_vocab)
    {
        return Err(EngineError::InvalidToken { id, n_vocab });
    }
    for (s, r) in sessions.iter().zip(runs) {
        if s.tokens.len() + r.len() > s.kv.capacity {
            return Err(EngineError::ContextFull {
                needed: s.tokens.len() + r.len(),
                capacity: s.kv.capacity,
            });
        }
    }
    if n_tokens > MAX_BATCH {
        return Err(mismatch);
    }
    let tokens: Vec<u32> = runs.iter().flat_map(|r| r.iter().copied()).collect();
    let mut scratch = std::mem::take(&mut sessions[0].scratch);
    let starts: Vec<usize> = sessions.iter().map(|s| s.tokens.len()).collect();
    let lens: Vec<usize> = runs.iter().map(|r| r.len()).collect();
    let row_pos: Vec<usize> = starts
        .iter()
        .zip(&lens)
        .flat_map(|(&p, &n)| p..p + n)
        .collect();
    {
        let kvs: Vec<&mut KvCache> = sessions.iter_mut().map(|s| &mut s.kv).collect();
        forward(
            &model,
            &mut scratch,
            Rows::Many {
                kvs,
                starts,
                lens,
                row_pos,
            },
            &tokens,
            LogitRows::All,
        );
    }
    for (s, r) in sessions.iter_mut().zip(runs) {
        s.tokens.extend_from_slice(r);
    }
    let logits = scratch.logits.clone();
    sessions[0].scratch = scratch;
    Ok(logits)
}

/// Where the rows of a forward batch belong.
enum Rows<'a> {
    /// Consecutive positions of one sequence, from `n_past`.
    One { kv: &'a mut KvCache, n_past: usize },
    /// A run of consecutive rows per sequence: sequence `i` has `lens[i]` rows from position
    /// `starts[i]`; `row_pos[t]` is row `t`'s position.
    Many {
        kvs: Vec<&'a mut KvCache>,
        starts: Vec<usize>,
        lens: Vec<usize>,
        row_pos: Vec<usize>,
    },
}

impl Rows<'_> {
    fn pos(&self, t: usize) -> usize {
        match self {
            Rows::One { n_past, .. } => n_past + t,
            Rows::Many { row_pos, .. } => row_pos[t],
        }
    }
}

fn forward(model: &Model, s: &mut Scratch, mut rows: Rows<'_>, tokens: &[u32], want: LogitRows) {
    {
        let cfg = model.config();
        let file = &model.parts[..];
        let pool = &model.pool;
        let w = &model.weights;
        let n = tokens.len();
        let (d, qd, kvd, ff, hd) = (
            cfg.n_embd,
            cfg.q_dim(),
            cfg.kv_dim(),
            cfg.n_ff,
            cfg.head_dim,
        );
        match &mut rows {
            Rows::One { kv, n_past } => kv.ensure(*n_past + n),
            Rows::Many {
                kvs, starts, lens, ..
            } => {
                for ((kv, p), n) in kvs.iter_mut().zip(starts.iter()).zip(lens.iter()) {
                    kv.ensure(p + n);
                }
            }
        }
        for (buf, len) in [
            (&mut s.x, n * d),
            (&mut s.xn, n * d),
            (&mut s.q, n * qd),
            (&mut s.k, n * kvd),
            (&mut s.v, n * kvd),
            (&mut s.att, n * qd),
            (&mut s.o, n * d),
            (&mut s.gate, n * ff),
            (&mut s.up, n * ff),
        ] {
            buf.resize(len, 0.0);
        }

        // Token embeddings: dequantize the rows we need.
        let embd = &w.token_embd;
        let embd_data = embd.data(file);
        let rb = embd.row_bytes();
        s.embd_row.resize(d, 0.0);
        for (t, &tok) in tokens.iter().enumerate() {
            let row = &embd_data[tok as usize * rb..(tok as usize + 1) * rb];
            vibrant_kernels::dequantize_row(embd.fmt, row, &mut s.x[t * d..(t + 1) * d]);
        }

        // RoPE angles for every position in the batch.
        let half = cfg.n_rot / 2;
        s.cos.resize(n * half, 0.0);
        s.sin.resize(n * half, 0.0);
        for t in 0..n {
            ops::rope_cache(
                rows.pos(t),
                cfg.n_rot,
                cfg.rope_freq_base,
                cfg.rope_freq_scale,
                &mut s.cos[t * half..(t + 1) * half],
                &mut s.sin[t * half..(t + 1) * half],
            );
        }
        let style = cfg.arch.rope_style();
        let scale = 1.0 / (hd as f32).sqrt();

        for (li, layer) in w.layers.iter().enumerate() {
            let x = &s.x;
            per_token(pool, &mut s.xn[..n * d], d, &|t, xn| {
                ops::rms_norm(&x[t * d..(t + 1) * d], &layer.attn_norm, cfg.rms_eps, xn);
            });
            matmul(pool, file, &layer.wq, &s.xn, n, &mut s.q, &mut s.mm);
            matmul_same_input(pool, file, &layer.wk, &s.xn, n, &mut s.k, &mut s.mm);
            matmul_same_input(pool, file, &layer.wv, &s.xn, n, &mut s.v, &mut s.mm);
            let (cos, sin) = (&s.cos, &s.sin);
            let rope_rows = |t: usize, row: &mut [f32], bias: Option<&Vec<f32>>| {
                if let Some(b) = bias {
                    ops::add_assign(row, b);
                }
                let (c, sn) = (
                    &cos[t * half..(t + 1) * half],
                    &sin[t * half..(t + 1) * half],
                );
                ops::rope(row, hd, cfg.n_rot, style, c, sn);
            };
            per_token(pool, &mut s.q[..n * qd], qd, &|t, row| {
                rope_rows(t, row, layer.bq.as_ref())
            });
            per_token(pool, &mut s.k[..n * kvd], kvd, &|t, row| {
                rope_rows(t, row, layer.bk.as_ref())
            });
            if let Some(b) = &layer.bv {
                per_token(pool, &mut s.v[..n * kvd], kvd, &|_, row| {
                    ops::add_assign(row, b)
                });
            }
            // Append this batch's keys and values to the cache (f16, as llama.cpp's default
            // cache), then causal attention (tiled; see `attention.rs`).
            let shape = |n, n_past| AttnShape {
                n,
                n_past,
                n_head: cfg.n_head,
                n_head_kv: cfg.n_head_kv,
                head_dim: hd,
                scale,
            };
            let (k, v) = (&s.k, &s.v);
            match &mut rows {
                Rows::One { kv, n_past } => {
                    let n_past = *n_past;
                    let kc = &mut kv.k[li];
                    let vc = &mut kv.v[li];
                    per_token(
                        pool,
                        &mut kc[n_past * kvd..(n_past + n) * kvd],
                        kvd,
                        &|t, dst| {
                            dst.convert_from_f32_slice(&k[t * kvd..(t + 1) * kvd]);
                        },
                    );
                    per_token(
                        pool,
                        &mut vc[n_past * kvd..(n_past + n) * kvd],
                        kvd,
                        &|t, dst| {
                            dst.convert_from_f32_slice(&v[t * kvd..(t + 1) * kvd]);
                        },
                    );
                    attention(
                        pool,
                        shape(n, n_past),
                        &s.q,
                        kc,
                        vc,
                        &mut s.att,
                        &mut s.attn,
                    );
                }
                Rows::Many {
                    kvs, starts, lens, ..
                } => {
                    let mut t0 = 0;
                    for ((kv, &p), &m) in kvs.iter_mut().zip(starts.iter()).zip(lens.iter()) {
                        let kc = &mut kv.k[li];
                        let vc = &mut kv.v[li];
                        kc[p * kvd..(p + m) * kvd]
                            .convert_from_f32_slice(&k[t0 * kvd..(t0 + m) * kvd]);
                        vc[p * kvd..(p + m) * kvd]
                            .convert_from_f32_slice(&v[t0 * kvd..(t0 + m) * kvd]);
                        attention(
                            pool,
                            shape(m, p),
                            &s.q[t0 * qd..(t0 + m) * qd],
                            kc,
                            vc,
                            &mut s.att[t0 * qd..(t0 + m) * qd],
                            &mut s.attn,
                        );
                        t0 += m;
                    }
                }
            }

            matmul(pool, file, &layer.wo, &s.att, n, &mut s.o, &mut s.mm);
            let o = &s.o;
            per_token(pool, &mut s.x[..n * d], d, &|t, x| {
                ops::add_assign(x, &o[t * d..(t + 1) * d])
            });

            let x = &s.x;
            per_token(pool, &mut s.xn[..n * d], d, &|t, xn| {
                ops::rms_norm(&x[t * d..(t + 1) * d], &layer.ffn_norm, cfg.rms_eps, xn);
            });
            matmul(pool, file, &layer.w_gate, &s.xn, n, &mut s.gate, &mut s.mm);
            matmul_same_input(pool, file, &layer.w_up, &s.xn, n, &mut s.up, &mut s.mm);
            let up = &s.up;
            pool.for_each_chunk_mut(&mut s.gate, ff, &|t, g| {
                ops::swiglu(g, &up[t * ff..(t + 1) * ff])
            });
            matmul(pool, file, &layer.w_down, &s.gate, n, &mut s.o, &mut s.mm);
            let o = &s.o;
            per_token(pool, &mut s.x[..n * d], d, &|t, x| {
                ops::add_assign(x, &o[t * d..(t + 1) * d])
            });
        }

        let rows: std::ops::Range<usize> = match want {
            LogitRows::None => return,
            LogitRows::Last => n - 1..n,
            LogitRows::All => 0..n,
        };
        let nr = rows.len();
        for (j, t) in rows.enumerate() {
            let (src, dst) = (&s.x[t * d..(t + 1) * d], &mut s.xn[j * d..(j + 1) * d]);
            ops::rms_norm(src, &w.output_norm, cfg.rms_eps, dst);
        }
        s.logits.resize(nr * cfg.n_vocab, 0.0);
        matmul(pool, file, &w.output, &s.xn, nr, &mut s.logits, &mut s.mm);
    }
}

/// `f(t, row)` for each token's row of `buf` (`width` floats per token): on the pool for a batch,
/// inline for a handful of tokens (a pool round trip costs more than the work then).
fn per_token<T: Send>(
    pool: &vibrant_kernels::ThreadPool,
    buf: &mut [T],
    width: usize,
    f: &(dyn Fn(usize, &mut [T]) + Sync),
) {
    if buf.len() >= 8 * width {
        pool.for_each_chunk_mut(buf, width, f);
    } else {
        for (t, row) in buf.chunks_mut(width).enumerate() {
            f(t, row);
        }
    }
}

#[derive(Clone, Copy)]
enum LogitRows {
    None,
    Last,
    All,
}
