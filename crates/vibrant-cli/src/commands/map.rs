//! `vibrant map`: the repo map (the most important definitions as signatures, ranked by
//! PageRank over references), cut to a token budget; `--summary` adds the project summary.

use std::io::Write;

use anyhow::Result;
use vibrant_context::{ProjectSummary, RepoMapOptions};

use crate::commands::Context;
use crate::commands::index::{index_options, repo_root, update_index};

#[derive(Debug, clap::Args)]
pub struct MapArgs {
    /// Token budget for the map.
    #[arg(long, default_value_t = 1024)]
    pub tokens: usize,
    /// Count tokens with this GGUF model's tokenizer (default: config `model.default` when it is a
    /// .gguf file, else an estimate of 3.5 characters per token).
    #[arg(short = 'm', long, value_name = "FILE.gguf")]
    pub model: Option<std::path::PathBuf>,
    /// Print the project summary (tree, languages, build systems, README excerpt) first.
    #[arg(long)]
    pub summary: bool,
}

pub fn run(ctx: &Context, args: &MapArgs) -> Result<()> {
    let root = repo_root(None)?;
    let (index, _) = update_index(&root, &index_options(ctx)?, ctx.global.quiet == 0)?;
    let counter = super::context::token_counter(ctx, args.model.as_deref())?;
    let mut out = std::io::stdout().lock();
    if args.summary {
        writeln!(out, "{}", ProjectSummary::from_index(&index).render())?;
    }
    let map = index.repo_map(
        &RepoMapOptions {
            budget: args.tokens,
            ..RepoMapOptions::default()
        },
        counter.as_ref(),
    )?;
    write!(out, "{}", map.text)?;
    tracing::info!(
        tokens = map.tokens,
        symbols = map.symbols,
        files = map.files.len(),
        "repo map"
    );
    Ok(())
}
