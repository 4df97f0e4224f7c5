//! The constraint the engine applies while a model answers with tools.

use std::sync::Arc;

use vibrant_engine::TokenConstraint;

use crate::GrammarError;
use crate::json::JsonState;
use crate::schema::Schema;
use crate::vocab::{TokenSet, Vocab};

/// Whether the answer may be text or must be a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToolMode {
    /// Prose (no code blocks, no JSON), then any number of calls, or just prose.
    Auto,
    /// Prose of at most [`REQUIRED_PROSE_TOKENS`] tokens (a plan, a thought), then one or more
    /// calls: the answer cannot end before a call.
    Required,
}

/// Prose tokens a required-mode answer may write before its call.
pub const REQUIRED_PROSE_TOKENS: usize = 64;

#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Prose before any call; `ticks` backticks end the text so far.
    Free { ticks: u8 },
    /// Inside a call's JSON (and the whitespace after it).
    Json(JsonState),
    /// After `</tool_call>`: whitespace, another call, or the end.
    AfterCall { blanks: u8 },
}

/// Grammar-constrained tool calls for one answer (see the crate docs).
#[derive(Debug)]
pub struct ToolCallConstraint {
    vocab: Arc<Vocab>,
    schema: Schema,
    mode: ToolMode,
    phase: Phase,
    allowed: TokenSet,
    stack: Vec<(u32, JsonState)>,
    /// Trie nodes visited by the last mask (a measure of its cost).
    pub last_visited: usize,
    calls: usize,
    prose_tokens: usize,
}

impl ToolCallConstraint {
    /// A constraint for `tools` (OpenAI function JSON). Fails when a schema uses what the
    /// automaton cannot check or the vocabulary has no call tokens; decode unconstrained then.
    pub fn new(
        vocab: Arc<Vocab>,
        tools: &[serde_json::Value],
        mode: ToolMode,
    ) -> Result<Self, GrammarError> {
        if !vocab.has_call_tokens() {
            return Err(GrammarError::NoCallTokens);
        }
        let schema = Schema::for_tools(tools)?;
        let n = vocab.n;
        Ok(Self {
            vocab,
            schema,
            mode,
            phase: Phase::Free { ticks: 0 },
            allowed: TokenSet::new(n),
            stack: Vec::new(),
            last_visited: 0,
            calls: 0,
            prose_tokens: 0,
        })
    }

    /// Calls completed so far.
    pub fn calls(&self) -> usize {
        self.calls
    }

    /// Computes the tokens allowed next into `self.allowed`.
    fn compute(&mut self) {
        let v = &*self.vocab;
        self.allowed.clear();
        self.last_visited = 0;
        let (open, close) = (v.open.unwrap_or(u32::MAX), v.close.unwrap_or(u32::MAX));
        match self.phase {
            Phase::Free { .. }
                if self.mode == ToolMode::Required
                    && self.prose_tokens >= REQUIRED_PROSE_TOKENS =>
            {
                self.allowed.insert(open);
            }
            Phase::Free { ticks } => {
                self.allowed.copy_from(&v.prose);
                if ticks >= 2 {
                    for &t in &v.backtick1 {
                        self.allowed.remove(t);
                    }
                } else if ticks == 1 {
                    for &t in &v.backtick2 {
                        self.allowed.remove(t);
                    }
                }
                self.allowed.insert(open);
                if self.mode == ToolMode::Auto {
                    for &t in &v.eog {
                        self.allowed.insert(t);
                    }
                }
            }
            Phase::AfterCall { blanks } => {
                self.allowed.insert(open);
                for &t in &v.eog {
                    self.allowed.insert(t);
                }
                if blanks < 2 {
                    for &t in &v.blank {
                        self.allowed.insert(t);
                    }
                }
            }
            Phase::Json(state) => {
                let schema = &self.schema;
                let mut step = |s: &mut JsonState, b: u8| s.feed(b, schema);
                if state.in_free_string() {
                    // Inside a free string every plain token keeps it open; only tokens with a
                    // quote, backslash or control byte need the automaton.
                    self.allowed.copy_from(&v.string_safe);
                    self.last_visited =
                        v.string_special
                            .walk(state, &mut step, &mut self.allowed, &mut self.stack);
                } else {
                    self.last_visited =
                        v.trie
                            .walk(state, &mut step, &mut self.allowed, &mut self.stack);
                }
                if state.is_done() {
                    self.allowed.insert(close);
                }
            }
        }
    }
}

impl TokenConstraint for ToolCallConstraint {
    fn mask(&mut self, logits: &mut [f32]) -> Result<(), String> {
        self.compute();
        if self.allowed.is_empty() {
            return Err(format!(
                "no token can continue the tool call (state: {:?})",
                self.phase
            ));
        }
        for (i, l) in logits.iter_mut().enumerate() {
            if !self.allowed.contains(i as u32) {
                *l = f32::NEG_INFINITY;
            }
        }
        Ok(())
    }

    fn commit(&mut self, token: u32) -> Result<(), String> {
        let v = &*self.vocab;
        let bytes = v
            .bytes
            .get(token as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let refused = || format!("token {token} was not allowed here");
        self.phase = match self.phase {
            _ if Some(token) == v.open && !matches!(self.phase, Phase::Json(_)) => {
                Phase::Json(JsonState::new(&self.schema))
            }
            Phase::Free { ticks } => {
                self.prose_tokens += 1;
                if v.eog.contains(&token) {
                    Phase::Free { ticks }
                } else if !v.prose.contains(token) {
                    return Err(refused());
                } else {
                    let trailing = bytes.iter().rev().take_while(|&&b| b == b'`').count();
                    let ticks = if trailing == bytes.len() {
                        ticks.saturating_add(trailing as u8)
                    } else {
                        trailing as u8
                    };
                    Phase::Free { ticks }
                }
            }
            Phase::Json(mut state) => {
                if Some(token) == v.close {
                    if !state.is_done() {
                        return Err(refused());
                    }
                    self.calls += 1;
                    Phase::AfterCall { blanks: 0 }
                } else {
                    if bytes.is_empty() || !bytes.iter().all(|&b| state.feed(b, &self.schema)) {
                        return Err(refused());
                    }
                    Phase::Json(state)
                }
            }
            Phase::AfterCall { blanks } => {
                if v.eog.contains(&token) {
                    Phase::AfterCall { blanks }
                } else if v.blank.contains(&token) {
                    Phase::AfterCall { blanks: blanks + 1 }
                } else {
                    return Err(refused());
                }
            }
        };
        Ok(())
    }
}
