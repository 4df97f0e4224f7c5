//! Prompt → prefill → decode, streaming text as it is produced.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use vibrant_tokenizer::{StreamDecoder, Tokenizer};

use crate::error::{EngineError, Result};
use crate::lookup::{DraftLength, PromptLookup};
use crate::sampler::{Sampler, SamplerParams};
use crate::session::{Logits, Session};

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenerateParams {
    /// Stop after this many generated tokens.
    pub max_tokens: usize,
    /// Stop when the generated text contains one of these (it is not included in the output).
    pub stop: Vec<String>,
    pub sampler: SamplerParams,
    /// Stop at the model's end-of-generation tokens (EOS, EOT, `<|im_end|>`…).
    pub stop_at_eog: bool,
    /// Stop a sequence that has fallen into a loop (the same block of tokens three times in a
    /// row, [`looping`]) — in [`generate_many`], where one looping candidate would hold up the
    /// whole batch until its token limit.
    pub stop_on_loop: bool,
    /// End-of-generation tokens are masked until the generated text contains `.0` at least `.1`
    /// times: an answer that must hold a complete fenced code block (`("```", 2)`) cannot stop
    /// after its opening sentence.
    pub end_only_after: Option<(String, usize)>,
    /// Steers a sequence that talks too long: once it has generated `after_tokens` tokens
    /// without `unless` in its text, the tokens of `text` come next (once). Candidates use it
    /// to open the code block of an answer that is still explaining itself.
    /// Only [`Batch`] (and so [`generate_many`]) applies it.
    pub nudge: Option<Nudge>,
    /// Speculative decoding with drafts looked up in the prompt and the output
    /// ([`PromptLookup`]); `None` decodes one token per pass. Either way the tokens chosen are
    /// the same for the same logits and seed.
    pub lookup: Option<PromptLookup>,
}

/// See [`GenerateParams::nudge`].
#[derive(Clone, Debug, PartialEq)]
pub struct Nudge {
    pub after_tokens: usize,
    pub unless: String,
    pub text: String,
}

impl Default for GenerateParams {
    fn default() -> Self {
        Self {
            max_tokens: 512,
            stop: Vec::new(),
            sampler: SamplerParams::default(),
            stop_at_eog: true,
            stop_on_loop: false,
            end_only_after: None,
            nudge: None,
            lookup: None,
        }
    }
}

/// Why generation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model emitted an end-of-generation token.
    EndOfGeneration,
    MaxTokens,
    StopString(String),
    Cancelled,
    /// The context window filled up.
    ContextFull,
    /// The output repeated the same block of tokens three times in a row
    /// ([`GenerateParams::stop_on_loop`]).
    Repetition,
}

/// Whether `tokens` end with the same block of at least 8 tokens (4 of them different) three
/// times in a row, the three together at least 60 tokens long: a model stuck in a loop, not a
/// short repeated pattern that code legitimately has.
pub fn looping(tokens: &[u32]) -> bool {
    let n = tokens.len();
    let Some(&last) = tokens.last() else {
        return false;
    };
    for p in 8..=(n / 3).min(256) {
        if p * 3 < 60 || tokens[n - 1 - p] != last {
            continue;
        }
        let tail = &tokens[n - p..];
        if tail == &tokens[n - 2 * p..n - p]
            && tail == &tokens[n - 3 * p..n - 2 * p]
            && tail.iter().collect::<std::collections::HashSet<_>>().len() >= 4
        {
            return true;
        }
    }
    false
}

/// Counts and timings of one generation.
#[derive(Clone, Debug, Serialize)]
pub struct GenerationStats {
    pub prompt_tokens: usize,
    /// Prompt tokens whose KV entries were reused from the session (not evaluated again).
    pub reused_tokens: usize,
    pub generated_tokens: usize,
    pub prefill: Duration,
    pub decode: Duration,
    pub stop_reason: StopReason,
    /// Draft tokens evaluated by speculative decoding ([`GenerateParams::lookup`]), and how many
    /// of them were kept (each kept one is a token that cost no pass of its own).
    pub drafted: usize,
    pub accepted: usize,
}

impl GenerationStats {
    /// Prompt tokens evaluated per second.
    pub fn prefill_tps(&self) -> f64 {
        rate(self.prompt_tokens - self.reused_tokens, self.prefill)
    }

    /// Generated tokens per second (the first generated token comes from the prefill's logits).
    pub fn decode_tps(&self) -> f64 {
        rate(self.generated_tokens.saturating_sub(1), self.decode)
    }
}

fn rate(n: usize, d: Duration) -> f64 {
    if d.is_zero() {
        0.0
    } else {
        n as f64 / d.as_secs_f64()
    }
}

/// The result of [`generate`].
#[derive(Clone, Debug)]
pub struct Generation {
    pub text: String,
    pub tokens: Vec<u32>,
    pub stats: GenerationStats,
}

/// Restricts which tokens may come next (grammar-constrained decoding): before each token the
/// generator lets the constraint mask the logits, and tells it which token was chosen.
pub trait TokenConstraint {
    /// Sets the logits of every token that may not come next to `-inf`. An error (no token is
    /// allowed, an internal inconsistency) ends the generation with
    /// [`EngineError::Constraint`].
    fn mask(&mut self, logits: &mut [f32]) -> std::result::Result<(), String>;

    /// Records the token that was chosen (always one `mask` allowed).
    fn commit(&mut self, token: u32) -> std::result::Result<(), String>;

    /// Nothing more may follow: generation ends as if the model had stopped.
    fn is_finished(&self) -> bool {
        false
    }
}

/// Generates a continuation of `prompt` in `session`, calling `on_text` with each piece of text
/// as soon as it is final (never half a UTF-8 character, never part of a stop string).
///
/// The KV cache keeps the longest common prefix of its current tokens and `prompt`, so a chat
/// that resends its history evaluates only the new part. `cancel` is checked between tokens.
pub fn generate(
    session: &mut Session,
    prompt: &[u32],
    params: &GenerateParams,
    cancel: &AtomicBool,
    on_text: &mut dyn FnMut(&str),
) -> Result<Generation> {
    generate_constrained(session, prompt, params, None, cancel, on_text)
}

/// [`generate`] with the next token restricted by `constraint` (when given) at every step.
pub fn generate_constrained(
    session: &mut Session,
    prompt: &[u32],
    params: &GenerateParams,
    mut constraint: Option<&mut dyn TokenConstraint>,
    cancel: &AtomicBool,
    on_text: &mut dyn FnMut(&str),
) -> Result<Generation> {
    if prompt.is_empty() {
        return Err(EngineError::EmptyPrompt);
    }
    let model = session.model().clone();
    let tokenizer = model.tokenizer().clone();
    let mut sampler = Sampler::new(params.sampler.clone());
    for &t in prompt {
        sampler.accept(t);
    }

    // Prefill, reusing the cached prefix (at least one token must be evaluated for logits).
    let started = Instant::now();
    let reused = session.common_prefix(prompt).min(prompt.len() - 1);
    session.truncate(reused);
    let n_vocab = model.config().n_vocab;
    // Rows of logits: row `row` predicts the token after `prompt + tokens`; the rows after it
    // belong to the draft tokens `draft[row..]` evaluated in the same pass.
    // In pieces, so that Ctrl-C during a long prompt stops within one piece (the same pieces
    // `eval` would make, so the numbers are the same).
    let mut logits = Vec::new();
    for (i, piece) in prompt[reused..]
        .chunks(crate::session::MAX_BATCH)
        .enumerate()
    {
        if i > 0 && cancel.load(Ordering::Relaxed) {
            return Ok(Generation {
                text: String::new(),
                tokens: Vec::new(),
                stats: GenerationStats {
                    prompt_tokens: prompt.len(),
                    reused_tokens: reused,
                    generated_tokens: 0,
                    prefill: started.elapsed(),
                    decode: Duration::ZERO,
                    stop_reason: StopReason::Cancelled,
                    drafted: 0,
                    accepted: 0,
                },
            });
        }
        logits = session.eval(piece, Logits::Last)?.to_vec();
    }
    let prefill = started.elapsed();

    let decode_start = Instant::now();
    let mut decoder = StreamDecoder::new(tokenizer.clone());
    let mut out = StopFilter::new(params.stop.clone());
    let mut tokens = Vec::new();
    let mut spec = Spec::new(params);
    let mut history: Vec<u32> = prompt.to_vec();
    let stop_reason = loop {
        if cancel.load(Ordering::Relaxed) {
            break StopReason::Cancelled;
        }
        if tokens.len() >= params.max_tokens {
            break StopReason::MaxTokens;
        }
        let row = &mut logits[spec.row * n_vocab..(spec.row + 1) * n_vocab];
        if let Some(c) = constraint.as_deref_mut() {
            c.mask(row).map_err(EngineError::Constraint)?;
        }
        hold_end(params, &out.text, &tokenizer, row);
        let token = sampler.sample(row);
        if let Some(c) = constraint.as_deref_mut() {
            c.commit(token).map_err(EngineError::Constraint)?;
        }
        if params.stop_at_eog && tokenizer.is_eog(token) {
            break StopReason::EndOfGeneration;
        }
        tokens.push(token);
        history.push(token);
        sampler.accept(token);
        if let Some(piece) = decoder.push(token)
            && let Some(stop) = out.push(&piece, on_text)
        {
            break StopReason::StopString(stop);
        }
        if constraint.as_deref().is_some_and(|c| c.is_finished()) {
            break StopReason::EndOfGeneration;
        }
        if spec.accept(token) {
            continue; // the next row was evaluated with this token already
        }
        if tokens.len() >= params.max_tokens || cancel.load(Ordering::Relaxed) {
            continue; // no need to evaluate a token whose logits nobody will read
        }
        // What the cache holds beyond the accepted tokens is a rejected draft.
        session.truncate(prompt.len() + tokens.len() - 1);
        if session.n_past() + 1 > session.n_ctx() {
            break StopReason::ContextFull;
        }
        let room = (session.n_ctx() - session.n_past() - 1)
            .min(params.max_tokens - tokens.len())
            .min(crate::session::MAX_BATCH - 1);
        let run = spec.propose(&history, token, room);
        logits.clear();
        logits.extend_from_slice(session.eval(&run, Logits::All)?);
    };
    // Keep exactly the accepted tokens in the cache (a chat's next turn reuses them).
    let kept = session.common_prefix(&history);
    session.truncate(kept);
    if !matches!(stop_reason, StopReason::StopString(_)) {
        let rest = decoder.flush();
        if out.push(&rest, on_text).is_none() {
            out.finish(on_text);
        }
    }
    let stats = GenerationStats {
        prompt_tokens: prompt.len(),
        reused_tokens: reused,
        generated_tokens: tokens.len(),
        prefill,
        decode: decode_start.elapsed(),
        stop_reason,
        drafted: spec.drafted,
        accepted: spec.accepted,
    };
    Ok(Generation {
        text: out.text,
        tokens,
        stats,
    })
}

/// One sequence's speculative state: the draft evaluated after its pending token, how far the
/// accepted tokens have walked along it, and the adaptive draft length.
struct Spec {
    lookup: Option<PromptLookup>,
    length: DraftLength,
    /// Draft tokens evaluated after the pending token in the last pass.
    draft: Vec<u32>,
    /// The logits row to read next (0: the pending token's; `i`: after `draft[..i]`).
    row: usize,
    /// Draft tokens evaluated, and kept, over the whole generation.
    drafted: usize,
    accepted: usize,
}

impl Spec {
    fn new(params: &GenerateParams) -> Self {
        let lookup = params.lookup.clone().filter(|l| l.max_draft > 0);
        let max = lookup.as_ref().map_or(0, |l| l.max_draft);
        Self {
            lookup,
            length: DraftLength::new(max),
            draft: Vec::new(),
            row: 0,
            drafted: 0,
            accepted: 0,
        }
    }

    /// The token just chosen from row `row`: whether it is the draft's next token, whose logits
    /// row was evaluated in the same pass (then the generator reads that row next).
    fn accept(&mut self, token: u32) -> bool {
        if self.draft.get(self.row) == Some(&token) {
            self.row += 1;
            self.accepted += 1;
            if self.row == self.draft.len() {
                self.length.update(self.draft.len(), self.row);
            }
            return true;
        }
        if self.row < self.draft.len() {
            self.length.update(self.draft.len(), self.row);
        }
        false
    }

    /// The run to evaluate next: the pending token and a draft of at most `room` tokens guessed
    /// from `history` (which ends with the pending token).
    fn propose(&mut self, history: &[u32], pending: u32, room: usize) -> Vec<u32> {
        self.row = 0;
        self.draft = match &self.lookup {
            Some(l) => l.draft(history, self.length.get().min(room)),
            None => Vec::new(),
        };
        self.drafted += self.draft.len();
        let mut run = Vec::with_capacity(1 + self.draft.len());
        run.push(pending);
        run.extend_from_slice(&self.draft);
        run
    }
}

/// Generates one continuation of `prompt` for each of `params` (its own sampler, seed, limits
/// and stop strings) in a batch: the prompt is evaluated once in `session` (reusing its cached
/// prefix), the other sequences are forks of it, and every decode step evaluates one token of
/// each unfinished sequence in a single forward pass ([`crate::eval_many`]). On a CPU a decode
/// step is bound by reading the weights, so N sequences cost little more than one.
///
/// Afterwards `session` holds the first sequence's tokens. With one `params` the result is what
/// [`generate`] returns. [`Batch`] gives each sequence as soon as it ends.
pub fn generate_many(
    session: &mut Session,
    prompt: &[u32],
    params: &[GenerateParams],
    cancel: &AtomicBool,
) -> Result<Vec<Generation>> {
    let mut batch = Batch::start(session, prompt, params.to_vec())?;
    let mut out: Vec<Option<Generation>> = vec![None; params.len()];
    while let Some((i, g)) = batch.next_finished(cancel)? {
        out[i] = Some(g);
    }
    Ok(out.into_iter().flatten().collect())
}

/// One sequence of a [`Batch`].
struct Seq {
    params: GenerateParams,
    sampler: Sampler,
    decoder: StreamDecoder<Arc<Tokenizer>>,
    out: StopFilter,
    tokens: Vec<u32>,
    logits: Vec<f32>,
    stop: Option<StopReason>,
    decode: Duration,
    /// Handed to the caller already.
    taken: bool,
    /// Tokens that come next whatever the logits say ([`GenerateParams::nudge`]).
    forced: std::collections::VecDeque<u32>,
    nudged: bool,
    /// The prompt and the tokens so far (where drafts are looked up).
    history: Vec<u32>,
    spec: Spec,
}

/// Sequences that share a prompt, decoded together one step at a time ([`generate_many`]), each
/// handed out as soon as it ends ([`Batch::next_finished`]): a caller that checks candidates
/// checks the first while the others are still decoding, and drops the batch once one passes.
///
/// The caller's session holds the first sequence's tokens once the batch is dropped.
pub struct Batch<'s> {
    home: &'s mut Session,
    /// Sequence i lives in `sessions[i]`; the first is the caller's session (moved back on drop).
    sessions: Vec<Session>,
    seqs: Vec<Seq>,
    tokenizer: Arc<Tokenizer>,
    n_vocab: usize,
    prompt_tokens: usize,
    reused: usize,
    prefill: Duration,
}

impl<'s> Batch<'s> {
    /// Evaluates `prompt` in `session` (reusing its cached prefix) and forks one sequence per
    /// `params`.
    pub fn start(
        session: &'s mut Session,
        prompt: &[u32],
        params: Vec<GenerateParams>,
    ) -> Result<Self> {
        if prompt.is_empty() {
            return Err(EngineError::EmptyPrompt);
        }
        let model = session.model().clone();
        let tokenizer = model.tokenizer().clone();
        let started = Instant::now();
        let reused = session.common_prefix(prompt).min(prompt.len() - 1);
        session.truncate(reused);
        let first = session.eval(&prompt[reused..], Logits::Last)?.to_vec();
        let prefill = started.elapsed();
        let seqs: Vec<Seq> = params
            .into_iter()
            .map(|p| {
                let mut sampler = Sampler::new(p.sampler.clone());
                for &t in prompt {
                    sampler.accept(t);
                }
                let spec = Spec::new(&p);
                Seq {
                    out: StopFilter::new(p.stop.clone()),
                    params: p,
                    sampler,
                    decoder: StreamDecoder::new(tokenizer.clone()),
                    tokens: Vec::new(),
                    logits: first.clone(),
                    stop: None,
                    decode: Duration::ZERO,
                    taken: false,
                    forced: std::collections::VecDeque::new(),
                    nudged: false,
                    history: prompt.to_vec(),
                    spec,
                }
            })
            .collect();
        let mut sessions: Vec<Session> = Vec::with_capacity(seqs.len().max(1));
        let placeholder = session.fork_empty();
        sessions.push(std::mem::replace(session, placeholder));
        for _ in 1..seqs.len() {
            let f = sessions[0].fork();
            sessions.push(f);
        }
        Ok(Self {
            home: session,
            sessions,
            seqs,
            tokenizer,
            n_vocab: model.config().n_vocab,
            prompt_tokens: prompt.len(),
            reused,
            prefill,
        })
    }

    /// Decodes until the next sequence ends and returns it with its index in the `params` given
    /// to [`Batch::start`]; `None` once every sequence has been returned. When `cancel` is set,
    /// the unfinished sequences end with [`StopReason::Cancelled`] and are returned one by one.
    pub fn next_finished(&mut self, cancel: &AtomicBool) -> Result<Option<(usize, Generation)>> {
        loop {
            if let Some(i) = self.seqs.iter().position(|s| s.stop.is_some() && !s.taken) {
                return Ok(Some((i, self.take(i))));
            }
            if self.seqs.iter().all(|s| s.taken) {
                return Ok(None);
            }
            self.step(cancel)?;
        }
    }

    /// Samples the next token of every unfinished sequence (walking along its draft while the
    /// draft is what it samples) and evaluates each one's pending token and next draft in one
    /// pass.
    fn step(&mut self, cancel: &AtomicBool) -> Result<()> {
        let mut active: Vec<usize> = Vec::new();
        let mut runs: Vec<Vec<u32>> = Vec::new();
        let n_vocab = self.n_vocab;
        let mut rows_left = crate::session::MAX_BATCH;
        let n_seqs = self.seqs.len();
        for (i, seq) in self.seqs.iter_mut().enumerate() {
            if seq.stop.is_some() {
                continue;
            }
            let session = &mut self.sessions[i];
            if let Some(stop) = seq.sample_next(&self.tokenizer, session, n_vocab, cancel) {
                seq.stop = Some(stop);
                continue;
            }
            if let Some(&token) = seq.tokens.last() {
                let room = (session.n_ctx() - session.n_past() - 1)
                    .min(seq.params.max_tokens - seq.tokens.len())
                    .min(rows_left.saturating_sub(n_seqs));
                let run = seq.spec.propose(&seq.history, token, room);
                rows_left -= run.len();
                active.push(i);
                runs.push(run);
            }
        }
        if active.is_empty() {
            return Ok(());
        }
        let step = Instant::now();
        // The active sessions, in order, as one contiguous batch.
        let mut batch: Vec<Session> = Vec::with_capacity(active.len());
        for &i in &active {
            let placeholder = self.sessions[i].fork_empty();
            batch.push(std::mem::replace(&mut self.sessions[i], placeholder));
        }
        let run_refs: Vec<&[u32]> = runs.iter().map(|r| r.as_slice()).collect();
        let logits = crate::session::eval_runs(&mut batch, &run_refs);
        for (&i, s) in active.iter().zip(batch) {
            self.sessions[i] = s;
        }
        let logits = logits?;
        let took = step.elapsed();
        let mut at = 0;
        for (&i, run) in active.iter().zip(&runs) {
            let rows = &logits[at * n_vocab..(at + run.len()) * n_vocab];
            at += run.len();
            let seq = &mut self.seqs[i];
            seq.logits.clear();
            seq.logits.extend_from_slice(rows);
            seq.decode += took;
        }
        Ok(())
    }

    /// The finished sequence `i` as a [`Generation`] (its text flushed).
    fn take(&mut self, i: usize) -> Generation {
        let seq = &mut self.seqs[i];
        seq.taken = true;
        let stop_reason = seq.stop.clone().unwrap_or(StopReason::MaxTokens);
        if !matches!(stop_reason, StopReason::StopString(_)) {
            let rest = seq.decoder.flush();
            if seq.out.push(&rest, &mut |_| {}).is_none() {
                seq.out.finish(&mut |_| {});
            }
        }
        Generation {
            text: std::mem::take(&mut seq.out.text),
            stats: GenerationStats {
                prompt_tokens: self.prompt_tokens,
                reused_tokens: self.reused,
                generated_tokens: seq.tokens.len(),
                prefill: self.prefill,
                decode: seq.decode,
                stop_reason,
                drafted: seq.spec.drafted,
                accepted: seq.spec.accepted,
            },
            tokens: std::mem::take(&mut seq.tokens),
        }
    }
}

impl Seq {
    /// Samples and records the next token — and the ones after it while they are the draft
    /// evaluated in the last pass — leaving the last one pending for the next pass (the session's
    /// cache cut back to the accepted tokens); a reason when the sequence ends instead (the
    /// token, if any, is then not evaluated).
    fn sample_next(
        &mut self,
        tokenizer: &Tokenizer,
        session: &mut Session,
        n_vocab: usize,
        cancel: &AtomicBool,
    ) -> Option<StopReason> {
        loop {
            let p = &self.params;
            if cancel.load(Ordering::Relaxed) {
                return Some(StopReason::Cancelled);
            }
            if self.tokens.len() >= p.max_tokens {
                return Some(StopReason::MaxTokens);
            }
            if !self.nudged
                && let Some(n) = &p.nudge
                && self.tokens.len() >= n.after_tokens
            {
                self.nudged = true;
                if !self.out.text.contains(n.unless.as_str()) {
                    self.forced = tokenizer
                        .encode(&n.text, false, false)
                        .unwrap_or_default()
                        .into();
                }
            }
            let row = &mut self.logits[self.spec.row * n_vocab..(self.spec.row + 1) * n_vocab];
            hold_end(p, &self.out.text, tokenizer, row);
            let token = match self.forced.pop_front() {
                Some(t) => t,
                None => self.sampler.sample(row),
            };
            if p.stop_at_eog && tokenizer.is_eog(token) {
                return Some(StopReason::EndOfGeneration);
            }
            self.tokens.push(token);
            self.history.push(token);
            self.sampler.accept(token);
            if let Some(piece) = self.decoder.push(token)
                && let Some(stop) = self.out.push(&piece, &mut |_| {})
            {
                return Some(StopReason::StopString(stop));
            }
            if self.tokens.len() >= p.max_tokens {
                return Some(StopReason::MaxTokens);
            }
            if p.stop_on_loop && looping(&self.tokens) {
                return Some(StopReason::Repetition);
            }
            if self.spec.accept(token) {
                continue; // its logits row was evaluated with the draft
            }
            // What the cache holds beyond the accepted tokens is a rejected draft.
            session.truncate(self.history.len() - 1);
            if session.n_past() + 1 > session.n_ctx() {
                return Some(StopReason::ContextFull);
            }
            return None;
        }
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        if !self.sessions.is_empty() {
            let mut home = self.sessions.swap_remove(0);
            // Keep only what the first sequence accepted (not a rejected draft).
            if let Some(first) = self.seqs.first() {
                let kept = home.common_prefix(&first.history);
                home.truncate(kept);
            }
            *self.home = home;
        }
    }
}

/// Masks the end-of-generation tokens while [`GenerateParams::end_only_after`] is not met by
/// `text` (the text generated so far).
fn hold_end(p: &GenerateParams, text: &str, tokenizer: &Tokenizer, logits: &mut [f32]) {
    let Some((marker, times)) = &p.end_only_after else {
        return;
    };
    if marker.is_empty() || text.matches(marker.as_str()).count() >= *times {
        return;
    }
    for &id in tokenizer.eog_ids() {
        if let Some(l) = logits.get_mut(id as usize) {
            *l = f32::NEG_INFINITY;
        }
    }
}

/// Holds back text that might be the start of a stop string; reports a stop string once it appears.
struct StopFilter {
    stops: Vec<String>,
    text: String,
    emitted: usize,
}

impl StopFilter {
    fn new(stops: Vec<String>) -> Self {
        Self {
            stops,
            text: String::new(),
            emitted: 0,
        }
    }

    /// Adds a piece; emits what is safe; returns the stop string if one completed.
    fn push(&mut self, piece: &str, emit: &mut dyn FnMut(&str)) -> Option<String> {
        self.text.push_str(piece);
        let search_from = self.emitted;
        let hit = self
            .stops
            .iter()
            .filter(|s| !s.is_empty())
            .filter_map(|s| {
                self.text[search_from..]
                    .find(s.as_str())
                    .map(|i| (search_from + i, s))
            })
            .min_by_key(|(i, _)| *i);
        if let Some((at, stop)) = hit {
            let stop = stop.clone();
            if at > self.emitted {
                emit(&self.text[self.emitted..at]);
            }
            self.text.truncate(at);
            self.emitted = at;
            return Some(stop);
        }
        // Keep back the longest suffix that is a proper prefix of some stop string.
        let mut hold = 0;
        for s in &self.stops {
            for (i, _) in s.char_indices().skip(1) {
                if self.text.ends_with(&s[..i]) {
                    hold = hold.max(i);
                }
            }
        }
        let safe = (self.text.len() - hold).max(self.emitted);
        if safe > self.emitted && self.text.is_char_boundary(safe) {
            emit(&self.text[self.emitted..safe]);
            self.emitted = safe;
        }
        None
    }

    fn finish(&mut self, emit: &mut dyn FnMut(&str)) {
        if self.emitted < self.text.len() {
            emit(&self.text[self.emitted..]);
            self.emitted = self.text.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StopFilter;

    fn run(stops: &[&str], pieces: &[&str]) -> (String, String, Option<String>) {
        let stops: Vec<String> = stops.iter().map(|s| s.to_string()).collect();
        let mut f = StopFilter::new(stops);
        let mut out = String::new();
        let mut stop = None;
        for p in pieces {
            if let Some(s) = f.push(p, &mut |t| out.push_str(t)) {
                stop = Some(s);
                break;
            }
        }
        if stop.is_none() {
            f.finish(&mut |t| out.push_str(t));
        }
        (out, f.text, stop)
    }

    #[test]
    fn stop_string_split_across_pieces_is_not_emitted() {
        let (out, text, stop) = run(&["</end>"], &["hello </", "en", "d> more"]);
        assert_eq!(out, "hello ");
        assert_eq!(text, "hello ");
        assert_eq!(stop.as_deref(), Some("</end>"));
    }

    #[test]
    fn held_back_prefix_is_released_when_it_does_not_complete() {
        let (out, _, stop) = run(&["STOP"], &["ab S", "T", "x done"]);
        assert_eq!(out, "ab STx done");
        assert_eq!(stop, None);
    }

    #[test]
    fn no_stops_passes_everything() {
        let (out, _, _) = run(&[], &["a", "é", "b"]);
        assert_eq!(out, "aéb");
    }
}

#[cfg(test)]
mod loop_tests {
    use super::looping;

    #[test]
    fn a_block_three_times_in_a_row_is_a_loop() {
        let block: Vec<u32> = (100..125).collect();
        let mut t: Vec<u32> = (1..40).collect();
        for _ in 0..2 {
            t.extend(&block);
        }
        assert!(!looping(&t), "twice is not yet a loop");
        t.extend(&block);
        assert!(looping(&t));
        // Short patterns that code has (`----`, `0, 0, 0`) are not loops.
        assert!(!looping(&[7; 50]));
        let short: Vec<u32> = (0..30).flat_map(|_| [1, 2]).collect();
        assert!(!looping(&short));
        assert!(!looping(&[]));
    }
}
