//! `vibrant context QUERY`: prints exactly the context the assistant would send to the model for
//! a question (explicit files, definitions, search hits, repo map) under a token budget;
//! `--explain` lists each snippet with its reason and tokens on stderr.
#![allow(clippy::print_stderr)]

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use vibrant_context::{AssembleOptions, CharEstimate, TokenCounter, render_snippets};

use crate::commands::Context;
use crate::commands::index::{index_options, repo_root, update_index};

#[derive(Debug, clap::Args)]
pub struct ContextArgs {
    /// The question.
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// Files, directories or globs to include first (repeatable).
    #[arg(long = "context", value_name = "PATH")]
    pub context: Vec<String>,
    /// The file being edited.
    #[arg(long, value_name = "FILE")]
    pub current: Option<PathBuf>,
    /// Token budget (default: half of model.context_length).
    #[arg(long)]
    pub tokens: Option<usize>,
    /// List each snippet with its reason and token count on stderr.
    #[arg(long)]
    pub explain: bool,
    /// Count tokens with this GGUF model's tokenizer (default: config `model.default` when it is a
    /// .gguf file, else an estimate of 3.5 characters per token).
    #[arg(short = 'm', long, value_name = "FILE.gguf")]
    pub model: Option<PathBuf>,
}

/// The token counter for a budget: the tokenizer of `model` (or of `model.default` when that is a
/// .gguf file on disk), else the character estimate.
pub fn token_counter(
    ctx: &Context,
    model: Option<&std::path::Path>,
) -> Result<Box<dyn TokenCounter>> {
    let configured = ctx
        .config()?
        .model
        .default
        .as_deref()
        .map(PathBuf::from)
        .filter(|p| p.extension().is_some_and(|e| e == "gguf") && p.is_file());
    let Some(path) = model.map(PathBuf::from).or(configured) else {
        return Ok(Box::new(CharEstimate::default()));
    };
    let file = vibrant_gguf::GgufFile::open(&path)
        .with_context(|| format!("opening {} for its tokenizer", path.display()))?;
    let tokenizer = vibrant_engine::Tokenizer::from_gguf(&file)
        .with_context(|| format!("reading the tokenizer of {}", path.display()))?;
    tracing::debug!(model = %path.display(), "counting tokens with the model's tokenizer");
    Ok(Box::new(vibrant_core::ModelTokenCounter(
        std::sync::Arc::new(tokenizer),
    )))
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

pub fn run(ctx: &Context, args: &ContextArgs) -> Result<()> {
    let root = repo_root(None)?;
    let (index, _) = update_index(&root, &index_options(ctx)?, ctx.global.quiet == 0)?;
    let budget = match args.tokens {
        Some(t) => t,
        None => ctx.config()?.model.context_length as usize / 2,
    };
    let cwd = std::env::current_dir()?;
    // Paths are relative to the current directory; globs to the repository root.
    let explicit: Vec<String> = args
        .context
        .iter()
        .map(|c| {
            if is_glob(c) {
                c.clone()
            } else {
                cwd.join(c).to_string_lossy().into_owned()
            }
        })
        .collect();
    let opts = AssembleOptions {
        budget,
        explicit,
        current_file: args
            .current
            .as_ref()
            .map(|c| cwd.join(c).to_string_lossy().into_owned()),
        ..AssembleOptions::default()
    };
    let counter = token_counter(ctx, args.model.as_deref())?;
    let question = args.query.join(" ");
    let snippets = index.assemble_with(&question, &opts, counter.as_ref())?;
    let mut out = std::io::stdout().lock();
    write!(out, "{}", render_snippets(&snippets))?;
    out.flush()?;
    if args.explain {
        let total: usize = snippets.iter().map(|s| s.tokens).sum();
        eprintln!(
            "{} snippets, {total} of {budget} tokens ({} counted over the whole text):",
            snippets.len(),
            counter.count(&render_snippets(&snippets))
        );
        for s in &snippets {
            let what = if s.path.is_empty() {
                "(repo map)".to_owned()
            } else if *s.lines.start() == 0 {
                format!("{} (outline)", s.path)
            } else {
                format!("{}:{}-{}", s.path, s.lines.start(), s.lines.end())
            };
            eprintln!(
                "  {:>5} tok  {:<12} {what}  — {}",
                s.tokens,
                s.kind.label(),
                s.reason
            );
        }
    }
    Ok(())
}
