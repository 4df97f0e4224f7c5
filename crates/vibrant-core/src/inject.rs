//! Context injection: what the model is told about the repository for one question.
//!
//! In priority order, under one token budget: piped input (the user gave it explicitly; it is
//! refused rather than cut when it does not fit), the project summary (a small share of the
//! budget), then the snippets `vibrant-context` assembles (explicit `--context` paths first,
//! then definitions, search hits and the repo map) with everything that is left. Every piece is
//! listed in [`InjectedContext::sources`] so the user can see what the model saw.

use std::sync::Arc;

use serde::Serialize;
use vibrant_context::{AssembleOptions, Index, ProjectSummary, SnippetKind, TokenCounter};
use vibrant_engine::Tokenizer;

/// Counts tokens with a model's real tokenizer.
#[derive(Clone)]
pub struct ModelTokenCounter(pub Arc<Tokenizer>);

impl TokenCounter for ModelTokenCounter {
    fn count(&self, text: &str) -> usize {
        self.0
            .encode(text, false, false)
            .map_or_else(|_| text.len() / 3 + 1, |t| t.len())
    }
}

/// What to include.
#[derive(Clone, Debug, Default)]
pub struct InjectOptions {
    /// Token budget for everything together.
    pub budget: usize,
    /// `--context` paths, directories or globs (resolved by `vibrant-context`).
    pub explicit: Vec<String>,
    /// Text piped on stdin.
    pub piped: Option<String>,
    /// Include the project summary.
    pub summary: bool,
    /// Most tokens the project summary may take (it also takes at most a fifth of the budget).
    pub summary_tokens: usize,
}

/// One piece of injected context.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContextSource {
    /// `stdin`, `summary`, `explicit`, `definition`, `search`, `repo map`, …
    pub kind: String,
    /// File path (empty for stdin, the summary and the repo map).
    pub path: String,
    /// 1-based inclusive line range, when the piece is part of a file.
    pub lines: Option<(u32, u32)>,
    pub tokens: usize,
    /// Why it is included.
    pub reason: String,
}

impl ContextSource {
    /// `src/lib.rs:3-9`, `(repo map)`, `(stdin)`.
    pub fn label(&self) -> String {
        match (&self.path[..], self.lines) {
            ("", _) => format!("({})", self.kind),
            (p, Some((a, b))) => format!("{p}:{a}-{b}"),
            (p, None) => p.to_owned(),
        }
    }
}

/// The context for one question.
#[derive(Clone, Debug, Default)]
pub struct InjectedContext {
    /// The text attached to the question.
    pub text: String,
    /// Its tokens (sum of the pieces).
    pub tokens: usize,
    pub sources: Vec<ContextSource>,
}

/// Why context could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum InjectError {
    #[error(
        "the piped input has {tokens} tokens but only {budget} fit next to the question and the answer\nhint: pipe less (e.g. one file's diff), lower --max-tokens or raise model.context_length"
    )]
    PipedTooLarge { tokens: usize, budget: usize },
    #[error(transparent)]
    Context(#[from] vibrant_context::ContextError),
}

/// Gathers the context for `question` (see the module docs). `index` is `None` when repository
/// context is off (`--no-context`); piped input is still included.
pub fn gather(
    index: Option<&Index>,
    question: &str,
    opts: &InjectOptions,
    counter: &dyn TokenCounter,
) -> Result<InjectedContext, InjectError> {
    let mut out = InjectedContext::default();
    let mut remaining = opts.budget;
    let mut piped_part = String::new();
    if let Some(piped) = opts.piped.as_deref().filter(|p| !p.trim().is_empty()) {
        piped_part = format!("Input piped by the user:\n```\n{}\n```\n", piped.trim_end());
        let tokens = counter.count(&piped_part);
        if tokens > remaining {
            return Err(InjectError::PipedTooLarge {
                tokens,
                budget: remaining,
            });
        }
        remaining -= tokens;
        out.tokens += tokens;
        out.sources.push(ContextSource {
            kind: "stdin".to_owned(),
            path: String::new(),
            lines: None,
            tokens,
            reason: "piped on stdin".to_owned(),
        });
    }
    let Some(index) = index else {
        out.text = piped_part;
        return Ok(out);
    };
    let mut summary_part = String::new();
    if opts.summary {
        let cap = opts.summary_tokens.min(remaining / 5);
        if cap > 0
            && let Some(text) = ProjectSummary::from_index(index).render_within(cap, counter)
        {
            let tokens = counter.count(&text);
            remaining = remaining.saturating_sub(tokens);
            out.tokens += tokens;
            out.sources.push(ContextSource {
                kind: "summary".to_owned(),
                path: String::new(),
                lines: None,
                tokens,
                reason: "project summary".to_owned(),
            });
            summary_part = text;
        }
    }
    let mut snippets_part = String::new();
    if remaining > 0 {
        let assemble = AssembleOptions {
            budget: remaining,
            explicit: opts.explicit.clone(),
            ..AssembleOptions::default()
        };
        let snippets = index.assemble_with(question, &assemble, counter)?;
        for s in &snippets {
            out.tokens += s.tokens;
            let lines = match s.kind {
                SnippetKind::RepoMap | SnippetKind::Import => None,
                _ => Some((*s.lines.start(), *s.lines.end())),
            };
            out.sources.push(ContextSource {
                kind: s.kind.label().to_owned(),
                path: s.path.clone(),
                lines,
                tokens: s.tokens,
                reason: s.reason.clone(),
            });
        }
        snippets_part = vibrant_context::render_snippets(&snippets);
    }
    let mut text = String::new();
    for part in [&summary_part, &snippets_part, &piped_part] {
        if part.is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(part.trim_end());
        text.push('\n');
    }
    out.text = text;
    Ok(out)
}
