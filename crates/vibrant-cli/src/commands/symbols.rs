//! `vibrant symbols [FILE | --name NAME]`: the definitions of one file, or where a name is defined.

use std::io::Write;

use anyhow::{Result, bail};
use serde::Serialize;

use crate::commands::Context;
use crate::commands::index::{index_options, repo_root, update_index};
use crate::output::{Style, paint};

#[derive(Debug, clap::Args)]
pub struct SymbolsArgs {
    /// A file of the repository.
    #[arg(conflicts_with = "name", required_unless_present = "name")]
    pub file: Option<String>,
    /// Find the definitions of NAME across the repository (exact; case-insensitive if none).
    #[arg(long)]
    pub name: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Row {
    path: String,
    name: String,
    kind: &'static str,
    start_line: u32,
    end_line: u32,
    signature: String,
    parent: Option<String>,
}

pub fn run(ctx: &Context, args: &SymbolsArgs) -> Result<()> {
    let root = repo_root(None)?;
    let (index, _) = update_index(&root, &index_options(ctx)?, ctx.global.quiet == 0)?;
    let mut rows: Vec<Row> = Vec::new();
    let row = |path: &str, s: &vibrant_context::Symbol| Row {
        path: path.to_owned(),
        name: s.name.clone(),
        kind: s.kind.label(),
        start_line: s.start_line,
        end_line: s.end_line,
        signature: s.signature.clone(),
        parent: s.parent.clone(),
    };
    if let Some(file) = &args.file {
        let cwd = std::env::current_dir()?;
        let abs = cwd.join(file);
        let spec = abs.to_string_lossy();
        let paths = index
            .resolve_spec(&spec)
            .or_else(|_| index.resolve_spec(file))?;
        for path in paths {
            let Some(i) = index.file_index(&path) else {
                bail!(
                    "{path} is not in the index (ignored by .gitignore/.vibrantignore, or outside the repository)"
                );
            };
            if let vibrant_context::FileStatus::Skipped(reason) = index.files()[i].status {
                bail!("{path} is not indexed: {}", reason.label());
            }
            for s in &index.syntax(i)?.symbols {
                rows.push(row(&path, s));
            }
        }
    } else if let Some(name) = &args.name {
        let all = index.all_syntax()?;
        for exact in [true, false] {
            for (i, syn) in &all {
                let path = &index.files()[*i].path;
                for s in &syn.symbols {
                    let hit = if exact {
                        s.name == *name
                    } else {
                        s.name.eq_ignore_ascii_case(name)
                    };
                    if hit {
                        rows.push(row(path, s));
                    }
                }
            }
            if !rows.is_empty() {
                break;
            }
        }
        if rows.is_empty() && !args.json {
            bail!("no definition named {name:?} in {}", root.display());
        }
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    let color = ctx.color.stdout;
    for r in &rows {
        let loc = format!("{}:{}", r.path, r.start_line);
        writeln!(
            out,
            "{:<40} {:<9} {}",
            paint(color, Style::Bold, &loc),
            paint(color, Style::Cyan, r.kind),
            r.signature
        )?;
    }
    Ok(())
}
