//! `vibrant sessions list|show|rm`: the saved conversations of the current repository (JSONL
//! files under `paths.state_dir`, see specs/assistant-core.md). Also the helper `ask` uses to
//! open the store.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;

use anyhow::{Context as _, Result};
use vibrant_core::{Role, SessionRecord, SessionStore};

use crate::commands::Context;
use crate::commands::index::repo_root;

#[derive(Debug, clap::Subcommand)]
pub enum SessionsCommand {
    /// List this repository's sessions, newest first.
    List(ListArgs),
    /// Print a session's conversation (an id or a unique prefix; `latest` for the newest).
    Show(ShowArgs),
    /// Delete sessions.
    Rm(RmArgs),
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Print JSON (one object per session).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The session id, a unique prefix of it, or `latest`.
    pub id: String,
    /// Print the raw JSONL records.
    #[arg(long)]
    pub json: bool,
    /// Also print the repository context attached to each question.
    #[arg(long)]
    pub with_context: bool,
}

#[derive(Debug, clap::Args)]
pub struct RmArgs {
    /// Session ids or unique prefixes.
    #[arg(required = true)]
    pub ids: Vec<String>,
}

/// The session store of the repository containing the current directory.
pub fn store(ctx: &Context) -> Result<SessionStore> {
    let config = ctx.config()?;
    let state =
        config.paths.state_dir.as_ref().context(
            "no state directory is known\nhint: set paths.state_dir or VIBRANT_STATE_DIR",
        )?;
    Ok(SessionStore::for_repo(state, &repo_root(None)?))
}

/// Resolves `id` (`latest`, an id, or a unique prefix).
pub fn resolve(store: &SessionStore, id: &str) -> Result<String> {
    if id == "latest" {
        return store
            .latest()?
            .context("this repository has no sessions yet\nhint: vibrant ask QUESTION");
    }
    Ok(store.resolve(id)?)
}

pub fn run(ctx: &Context, cmd: SessionsCommand) -> Result<()> {
    let store = store(ctx)?;
    let mut out = std::io::stdout().lock();
    match cmd {
        SessionsCommand::List(args) => {
            let sessions = store.list()?;
            if args.json {
                for s in &sessions {
                    writeln!(out, "{}", serde_json::to_string(&s.info)?)?;
                }
                return Ok(());
            }
            if sessions.is_empty() {
                eprintln!(
                    "no sessions for this repository yet (they are saved in {})",
                    store.dir().display()
                );
                return Ok(());
            }
            writeln!(
                out,
                "{:<22} {:<20} {:>5}  {:<24} TITLE",
                "ID", "CREATED", "MSGS", "MODEL"
            )?;
            for s in &sessions {
                let i = &s.info;
                // A model given as a path is shown by its file name.
                let short = i.model.rsplit('/').next().unwrap_or(&i.model);
                let short = short.strip_suffix(".gguf").unwrap_or(short);
                let model: String = short.chars().take(24).collect();
                writeln!(
                    out,
                    "{:<22} {:<20} {:>5}  {:<24} {}",
                    i.id, i.created, i.messages, model, i.title
                )?;
            }
        }
        SessionsCommand::Show(args) => {
            let id = resolve(&store, &args.id)?;
            let s = store.load(&id)?;
            if let Some(r) = &s.repaired {
                eprintln!("note: {r}");
            }
            for (line, e) in &s.skipped {
                eprintln!("warning: skipped damaged line {line}: {e}");
            }
            if args.json {
                for r in &s.records {
                    writeln!(out, "{}", serde_json::to_string(r)?)?;
                }
                return Ok(());
            }
            let i = &s.info;
            writeln!(
                out,
                "session {} — {} — {} {}\n",
                i.id, i.created, i.backend, i.model
            )?;
            for r in &s.records {
                let SessionRecord::Message {
                    role,
                    content,
                    context,
                    finish,
                    ..
                } = r
                else {
                    continue;
                };
                let label = match role {
                    Role::System => continue,
                    Role::User => "you",
                    Role::Assistant => "assistant",
                    Role::Tool => "tool",
                };
                writeln!(out, "## {label}")?;
                if args.with_context
                    && let Some(c) = context
                {
                    writeln!(out, "[context]\n{}\n[/context]", c.trim_end())?;
                }
                writeln!(out, "{}", content.trim_end())?;
                if let Some(f) = finish.as_deref().filter(|f| *f != "stop") {
                    writeln!(out, "[{f}]")?;
                }
                writeln!(out)?;
            }
        }
        SessionsCommand::Rm(args) => {
            for id in &args.ids {
                let id = resolve(&store, id)?;
                store.remove(&id)?;
                eprintln!("removed session {id}");
            }
        }
    }
    Ok(())
}
