//! Perplexity with llama.cpp's method (`llama-perplexity -c N -b N`): the token stream is cut into
//! `floor(n_tokens / n_ctx)` non-overlapping chunks, each evaluated from an empty KV cache, and
//! only the predictions of the second half of each chunk are scored.

use serde::Serialize;

use crate::error::{EngineError, Result};
use crate::ops::log_softmax;
use crate::session::{Logits, Session};

/// Result of [`perplexity`].
#[derive(Clone, Debug, Serialize)]
pub struct Perplexity {
    pub n_ctx: usize,
    pub chunks: usize,
    /// Final perplexity over every scored token.
    pub ppl: f64,
    /// Perplexity over the chunks so far, after each chunk (what llama.cpp prints as `[i]value`).
    pub per_chunk_running: Vec<f64>,
    pub scored_tokens: usize,
}

/// Computes perplexity of `tokens` with chunks of `n_ctx` (the session must hold at least `n_ctx`).
/// `on_chunk(i, running_ppl)` is called after each chunk.
pub fn perplexity(
    session: &mut Session,
    tokens: &[u32],
    n_ctx: usize,
    on_chunk: &mut dyn FnMut(usize, f64),
) -> Result<Perplexity> {
    if n_ctx < 2 || tokens.len() < n_ctx {
        return Err(EngineError::ContextFull {
            needed: n_ctx.max(2),
            capacity: tokens.len(),
        });
    }
    if session.n_ctx() < n_ctx {
        return Err(EngineError::ContextFull {
            needed: n_ctx,
            capacity: session.n_ctx(),
        });
    }
    let n_vocab = session.model().config().n_vocab;
    let chunks = tokens.len() / n_ctx;
    let first = n_ctx / 2;
    let (mut nll, mut count) = (0.0f64, 0usize);
    let mut running = Vec::with_capacity(chunks);
    for c in 0..chunks {
        let chunk = &tokens[c * n_ctx..(c + 1) * n_ctx];
        session.clear();
        let logits = session.eval(chunk, Logits::All)?;
        for j in first..n_ctx - 1 {
            let row = &logits[j * n_vocab..(j + 1) * n_vocab];
            nll -= log_softmax(row)[chunk[j + 1] as usize];
            count += 1;
        }
        let ppl = (nll / count as f64).exp();
        running.push(ppl);
        on_chunk(c, ppl);
    }
    Ok(Perplexity {
        n_ctx,
        chunks,
        ppl: running.last().copied().unwrap_or(f64::NAN),
        per_chunk_running: running,
        scored_tokens: count,
    })
}
