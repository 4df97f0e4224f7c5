//! `vibrant index [PATH]`: build or refresh the codebase index (incremental), with a progress bar
//! on a terminal and a summary. Also the shared helpers the other context commands use to find
//! the repository and bring its index up to date.
#![allow(clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vibrant_context::{Index, IndexOptions, Progress, UpdateStats};

use crate::commands::Context;
use crate::output::{Style, human_bytes, paint};

#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// Repository to index (default: the repository containing the current directory).
    pub path: Option<PathBuf>,
    /// Skip files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_file_size: u64,
}

/// The repository root for `path` (or the current directory): the nearest ancestor with a `.git`,
/// else the directory itself.
pub fn repo_root(path: Option<&Path>) -> Result<PathBuf> {
    let start = match path {
        Some(p) => p.to_path_buf(),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let start = start
        .canonicalize()
        .with_context(|| format!("cannot open {}", start.display()))?;
    if path.is_some() {
        return Ok(start);
    }
    let mut dir = start.as_path();
    loop {
        if dir.join(".git").exists() {
            return Ok(dir.to_path_buf());
        }
        match dir.parent() {
            Some(p) => dir = p,
            None => return Ok(start),
        }
    }
}

/// Index options from the configuration (the index goes under `paths.cache_dir`).
pub fn index_options(ctx: &Context) -> Result<IndexOptions> {
    let config = ctx.config()?;
    Ok(IndexOptions {
        cache_dir: config.paths.cache_dir.as_ref().map(|d| d.to_path_buf()),
        ..IndexOptions::default()
    })
}

/// Brings the index of `root` up to date, with a progress bar on a terminal when `show`.
pub fn update_index(root: &Path, opts: &IndexOptions, show: bool) -> Result<(Index, UpdateStats)> {
    let bar = (show && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} files")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message("walking");
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    let report = |p: Progress| {
        let Some(bar) = &bar else { return };
        match p {
            Progress::Walked { files } => bar.set_message(format!("found {files} files; reading")),
            Progress::Parsed { done, total } => {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            }
            Progress::Writing => bar.set_message("writing index"),
        }
    };
    let result = Index::update(root, opts, &report)
        .with_context(|| format!("cannot index {}", root.display()));
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result
}

pub fn run(ctx: &Context, args: &IndexArgs) -> Result<()> {
    let root = repo_root(args.path.as_deref())?;
    let mut opts = index_options(ctx)?;
    opts.walk.max_file_size = args.max_file_size;
    let (index, s) = update_index(&root, &opts, ctx.global.quiet == 0)?;
    for (phase, time) in &s.phases {
        tracing::info!(phase, seconds = time.as_secs_f64(), "index phase");
    }
    let color = ctx.color.stdout;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} {}: {} files indexed ({} skipped), {} symbols, {} chunks, {} of source",
        paint(color, Style::Bold, "Indexed"),
        root.display(),
        s.indexed,
        s.skipped,
        s.symbols,
        s.chunks,
        human_bytes(s.bytes_indexed),
    )?;
    let change = if s.added + s.changed + s.removed > 0 {
        format!(
            "{} added, {} changed, {} removed, {} unchanged",
            s.added, s.changed, s.removed, s.unchanged
        )
    } else {
        "no changes".to_owned()
    };
    writeln!(
        out,
        "{}",
        paint(
            color,
            Style::Dim,
            &format!(
                "{change}; {} read in {:.2} s; index {} at {}",
                human_bytes(s.bytes_read),
                s.elapsed.as_secs_f64(),
                human_bytes(s.index_bytes),
                index.dir().display()
            )
        )
    )?;
    Ok(())
}
