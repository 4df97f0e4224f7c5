//! `vibrant commit`: a Conventional Commits message for the staged changes, written by the model
//! from the diff in the style of the repository's recent subjects; shown, asked about, then
//! committed by the user's own `git commit` (their hooks and signing). `--dry-run` only prints
//! the message; `--json` prints JSON lines (`message`, then `committed`). Exit codes: 0 committed
//! (or printed with --dry-run), 1 error or declined, 130 interrupted (nothing committed).
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command: output is its job

use std::io::{IsTerminal, Write};
use std::sync::atomic::AtomicBool;

use anyhow::{Result, anyhow, bail};
use vibrant_workflows::commit::{self, CommitMessage, Options};
use vibrant_workflows::{Repo, Scope, WorkflowError};

use crate::commands::Context;
use crate::commands::run::RunDefaults;

/// Arguments of `vibrant commit`.
#[derive(Debug, clap::Args)]
pub struct CommitArgs {
    /// Also commit changed tracked files that are not staged (`git commit --all`).
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Replace the last commit, with a message for all of its changes (`git commit --amend`).
    #[arg(long)]
    pub amend: bool,
    /// Print the message; commit nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Commit without asking.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Print JSON lines: `message` (subject, body, files), then `committed` (id, summary).
    #[arg(long)]
    pub json: bool,
    /// The model (embedded: as for `vibrant run`; openai/ollama: the server's model name).
    #[arg(short = 'm', long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Most tokens of diff shown to the model (larger diffs are cut file by file).
    #[arg(long, value_name = "N", default_value_t = 3000)]
    pub diff_tokens: usize,
    /// Worker threads (default: config `engine.threads`, else physical cores).
    #[arg(short = 't', long, value_name = "N")]
    pub threads: Option<usize>,
}

/// Turns a workflow error into the CLI's "error, then hint" shape.
fn phrase(e: WorkflowError) -> anyhow::Error {
    match (e.hint(), e) {
        (_, WorkflowError::Backend(b)) => anyhow::Error::new(b),
        (Some(h), e) => anyhow!("{e}\nhint: {h}"),
        (None, e) => anyhow!("{e}"),
    }
}

pub fn run(ctx: &Context, args: CommitArgs) -> Result<()> {
    let cwd = std::env::current_dir()?;
    let repo = Repo::discover(&cwd).map_err(phrase)?;
    if let Some(what) = repo.operation_in_progress() {
        return Err(phrase(WorkflowError::OperationInProgress { what }));
    }
    let scope = Scope {
        all: args.all,
        amend: args.amend,
    };
    let changes = repo.changes(scope).map_err(phrase)?;
    if changes.files.is_empty() {
        let (tracked, untracked) = repo.unstaged().map_err(phrase)?;
        return Err(phrase(WorkflowError::NothingStaged { tracked, untracked }));
    }
    if !args.json {
        eprintln!("{} file(s) to commit:", changes.files.len());
        for f in &changes.files {
            eprintln!("  {}", f.summary());
        }
    }

    let (message, how) = if changes.files.iter().all(|f| f.is_binary()) {
        (
            CommitMessage::for_binary_files(&changes.files),
            "written from the file names: only binary files changed, which the model cannot read",
        )
    } else {
        let defaults = RunDefaults::from_context(ctx)?;
        let threads = args.threads.unwrap_or(defaults.threads);
        // The prompt is the diff plus a short answer: a window of 8k tokens is plenty.
        let n_ctx = defaults.ctx.min(8192);
        let (mut backend, _counter, _kind, _name) =
            super::backend::make_backend(ctx, args.model.as_deref(), args.yes, n_ctx, threads)?;
        let cancel = super::model::interrupt_flag();
        if !args.json {
            eprintln!("writing the commit message…");
        }
        let opts = Options {
            diff_tokens: args.diff_tokens.max(64),
            temperature: defaults.sampler.temperature,
            ..Options::default()
        };
        let recent = repo.recent_subjects(commit::STYLE_SUBJECTS);
        let generated = commit::generate(backend.as_mut(), &changes, &recent, &opts, &cancel);
        if interrupted(&cancel) || matches!(generated, Err(WorkflowError::Cancelled)) {
            eprintln!("■ cancelled: nothing was committed");
            std::process::exit(130);
        }
        let generated = generated.map_err(phrase)?;
        let how = if generated.repaired {
            "repaired: the model's answer did not follow every rule"
        } else {
            ""
        };
        (generated.message, how)
    };

    if args.json {
        let line = serde_json::json!({
            "event": "message",
            "subject": message.subject,
            "body": message.body,
            "files": changes.files,
            "note": (!how.is_empty()).then_some(how),
        });
        println!("{line}");
    } else {
        if !how.is_empty() {
            eprintln!("({how})");
        }
        println!("{}", message.text().trim_end());
    }
    if args.dry_run {
        return Ok(());
    }
    let mut text = message.text();
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            bail!(
                "not committed: stdin is not a terminal to ask on\nhint: pass --yes to commit without asking, or --dry-run to only print the message"
            );
        }
        match ask()? {
            Answer::Yes => {}
            Answer::Edit => text = edit(&repo, &text)?,
            Answer::No => bail!("not committed"),
        }
    }
    match repo.commit(&text, scope) {
        Ok(done) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"event": "committed", "id": done.id, "summary": done.summary})
                );
            } else {
                eprintln!("✓ {}", done.summary);
            }
            Ok(())
        }
        Err(e) => Err(phrase(e)),
    }
}

fn interrupted(cancel: &AtomicBool) -> bool {
    cancel.load(std::sync::atomic::Ordering::Relaxed)
}

enum Answer {
    Yes,
    No,
    Edit,
}

fn ask() -> Result<Answer> {
    let mut err = std::io::stderr();
    write!(err, "Commit with this message? [y]es / [n]o / [e]dit: ")?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(match line.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Answer::Yes,
        "e" | "edit" => Answer::Edit,
        _ => Answer::No,
    })
}

/// Opens the message in the user's editor (`git var GIT_EDITOR`: core.editor, $VISUAL,
/// $EDITOR) and returns what they saved; an empty result aborts.
fn edit(repo: &Repo, text: &str) -> Result<String> {
    let editor = std::process::Command::new("git")
        .args(["var", "GIT_EDITOR"])
        .current_dir(repo.root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| "vi".to_owned());
    let file = tempfile::Builder::new()
        .prefix("COMMIT_EDITMSG-")
        .tempfile()?;
    std::fs::write(file.path(), text)?;
    // The editor command may carry arguments ("code --wait"): let the shell split it.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file.path())
        .status()?;
    if !status.success() {
        bail!("the editor ({editor}) failed: not committed");
    }
    let edited = std::fs::read_to_string(file.path())?;
    if edited.trim().is_empty() {
        bail!("the message is empty: not committed");
    }
    Ok(edited)
}
