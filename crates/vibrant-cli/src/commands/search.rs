//! `vibrant search QUERY`: ranked BM25 hits over the codebase index, as `path:line` with a
//! snippet, or JSON.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use crate::commands::Context;
use crate::commands::index::{index_options, repo_root, update_index};
use crate::output::{Style, paint};

#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// What to look for (identifiers are split at camelCase and snake_case).
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// Number of hits.
    #[arg(short = 'n', long, default_value_t = 10)]
    pub limit: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Hit {
    path: String,
    start_line: u32,
    end_line: u32,
    score: f32,
    symbol: String,
    snippet: String,
}

/// Lines of a hit shown as its snippet.
const SNIPPET_LINES: usize = 4;

pub fn run(ctx: &Context, args: &SearchArgs) -> Result<()> {
    let root = repo_root(None)?;
    let (index, _) = update_index(&root, &index_options(ctx)?, ctx.global.quiet == 0)?;
    let query = args.query.join(" ");
    let hits = index.search(&query, args.limit, 2)?;
    let mut out = std::io::stdout().lock();
    let snippet = |path: &str, start: u32, end: u32| -> String {
        index
            .read_lines(path, start, end)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(SNIPPET_LINES)
            .collect::<Vec<_>>()
            .join("\n")
    };
    if args.json {
        let hits: Vec<Hit> = hits
            .iter()
            .map(|h| Hit {
                path: h.path.clone(),
                start_line: h.start_line,
                end_line: h.end_line,
                score: h.score,
                symbol: h.label.clone(),
                snippet: snippet(&h.path, h.start_line, h.end_line),
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &hits)?;
        writeln!(out)?;
        return Ok(());
    }
    if hits.is_empty() {
        writeln!(out, "no matches for {query:?}")?;
        return Ok(());
    }
    let color = ctx.color.stdout;
    for h in &hits {
        let loc = format!("{}:{}", h.path, h.start_line);
        let label = if h.label.is_empty() {
            String::new()
        } else {
            format!("  {}", paint(color, Style::Cyan, &h.label))
        };
        writeln!(
            out,
            "{}{label}  {}",
            paint(color, Style::Bold, &loc),
            paint(color, Style::Dim, &format!("({:.1})", h.score))
        )?;
        for line in snippet(&h.path, h.start_line, h.end_line).lines() {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(())
}
