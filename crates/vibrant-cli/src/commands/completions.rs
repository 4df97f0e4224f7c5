//! `vibrant completions SHELL`: shell completion. The script it prints registers `vibrant`
//! itself as the completer (clap_complete's `COMPLETE=$SHELL vibrant -- WORDS…` protocol): on
//! Tab the shell runs `vibrant`, which completes subcommands and flags from the command
//! definition and fills in values that only exist at run time — installed model names (`-m`,
//! `--model`, `model rm|default|info`) and this repository's session ids (`--resume`,
//! `sessions show|rm`). [`command`] is the command line with those completers attached; `main`
//! hands it to [`clap_complete::CompleteEnv`] before parsing. `--static` prints clap's
//! ahead-of-time script instead (no dynamic values, never runs `vibrant` on Tab).

use std::io::Write;

use anyhow::{Context as _, Result};
use clap::CommandFactory;
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::EnvCompleter;

use crate::cli::{Cli, GlobalArgs};

/// The environment variable that switches `vibrant` into completion mode.
pub const COMPLETE_VAR: &str = "COMPLETE";

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(["bash", "zsh", "fish", "elvish", "powershell"]))]
    pub shell: String,
    /// Print a self-contained script (subcommands and flags only, no model names or session
    /// ids; it never runs `vibrant` while completing).
    #[arg(long = "static")]
    pub static_script: bool,
}

/// What a value of an argument is completed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Installed model names (`vibrant model list`).
    Model,
    /// This repository's session ids, newest first, and `latest`.
    Session,
}

/// The command line with dynamic value completers attached: every `--model MODEL` flag and the
/// NAME of `model rm|default|info` complete installed models; every `--resume ID` and the ids
/// of `sessions show|rm` complete session ids.
pub fn command() -> clap::Command {
    attach(Cli::command())
}

fn attach(cmd: clap::Command) -> clap::Command {
    let path: Vec<String> = Vec::new();
    attach_at(cmd, &path)
}

/// The completion kind of argument `arg` of the subcommand at `path` (`["model", "rm"]`).
pub fn kind_of(path: &[&str], arg: &clap::Arg) -> Option<Kind> {
    let id = arg.get_id().as_str();
    let value_name = arg
        .get_value_names()
        .and_then(|v| v.first())
        .map(|v| v.as_str());
    match (path, id) {
        (["model", "rm" | "default" | "info"], "name") => Some(Kind::Model),
        (["sessions", "show"], "id") | (["sessions", "rm"], "ids") => Some(Kind::Session),
        (_, "model") if value_name == Some("MODEL") => Some(Kind::Model),
        (_, "resume") => Some(Kind::Session),
        _ => None,
    }
}

fn attach_at(mut cmd: clap::Command, path: &[String]) -> clap::Command {
    let refs: Vec<&str> = path.iter().map(String::as_str).collect();
    let ids: Vec<(String, Kind)> = cmd
        .get_arguments()
        .filter_map(|a| kind_of(&refs, a).map(|k| (a.get_id().to_string(), k)))
        .collect();
    for (id, kind) in ids {
        cmd = cmd.mut_arg(id, |a| {
            a.add(ArgValueCandidates::new(move || candidates(kind)))
        });
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in subs {
        let mut sub_path = path.to_vec();
        sub_path.push(name.clone());
        cmd = cmd.mut_subcommand(name, |s| attach_at(s, &sub_path));
    }
    cmd
}

/// The values for `kind`, read from the configured model store / state directory. Errors
/// (no configuration, unreadable store) mean no candidates: completion must never fail loudly.
fn candidates(kind: Kind) -> Vec<CompletionCandidate> {
    let global = GlobalArgs {
        verbose: 0,
        quiet: 2,
        config: None,
        color: Some("never".to_owned()),
        set: Vec::new(),
    };
    let found = super::Context::new(&global).and_then(|ctx| match kind {
        Kind::Model => model_candidates(&ctx),
        Kind::Session => session_candidates(&ctx),
    });
    found.unwrap_or_else(|e| {
        tracing::debug!("no completions: {e:#}");
        Vec::new()
    })
}

fn model_candidates(ctx: &super::Context) -> Result<Vec<CompletionCandidate>> {
    let store = super::model::settings(ctx)?.store();
    let mut out: Vec<CompletionCandidate> = Vec::new();
    for m in store.list()? {
        let help = match &m.quant {
            Some(q) => format!("{q}, {}", m.location),
            None => m.location.to_string(),
        };
        out.push(CompletionCandidate::new(m.name).help(Some(help.into())));
    }
    Ok(out)
}

fn session_candidates(ctx: &super::Context) -> Result<Vec<CompletionCandidate>> {
    let store = super::sessions::store(ctx)?;
    let ids = store.ids().context("listing sessions")?;
    Ok(
        std::iter::once(CompletionCandidate::new("latest").help(Some("the newest session".into())))
            .chain(ids.into_iter().rev().map(CompletionCandidate::new))
            .collect(),
    )
}

pub fn run(args: &CompletionsArgs) -> Result<()> {
    // Generate into memory first: clap_complete panics on write errors, and a closed pipe
    // (`vibrant completions bash | head -1`) must exit quietly instead.
    let mut script = Vec::new();
    if args.static_script {
        let shell = match args.shell.as_str() {
            "bash" => clap_complete::Shell::Bash,
            "zsh" => clap_complete::Shell::Zsh,
            "fish" => clap_complete::Shell::Fish,
            "elvish" => clap_complete::Shell::Elvish,
            _ => clap_complete::Shell::PowerShell,
        };
        clap_complete::generate(shell, &mut Cli::command(), "vibrant", &mut script);
    } else {
        let shell: &dyn EnvCompleter = match args.shell.as_str() {
            "bash" => &clap_complete::env::Bash,
            "zsh" => &clap_complete::env::Zsh,
            "fish" => &clap_complete::env::Fish,
            "elvish" => &clap_complete::env::Elvish,
            _ => &clap_complete::env::Powershell,
        };
        // The script calls this very binary (by absolute path) on Tab.
        let exe = std::env::current_exe()
            .ok()
            .and_then(|p| p.to_str().map(str::to_owned))
            .unwrap_or_else(|| "vibrant".to_owned());
        shell
            .write_registration(COMPLETE_VAR, "vibrant", "vibrant", &exe, &mut script)
            .context("writing the completion script")?;
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every argument with a dynamic completer, as `path arg`.
    fn dynamic(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<String>) {
        for a in cmd.get_arguments() {
            if a.get::<ArgValueCandidates>().is_some() {
                out.push(format!("{} {}", path.join(" "), a.get_id()));
            }
        }
        for s in cmd.get_subcommands() {
            path.push(s.get_name().to_owned());
            dynamic(s, path, out);
            path.pop();
        }
    }

    #[test]
    fn models_and_sessions_are_completed_where_they_are_taken() {
        let mut out = Vec::new();
        dynamic(&command(), &mut Vec::new(), &mut out);
        for want in [
            "ask model",
            "ask resume",
            "chat model",
            "chat resume",
            "run model",
            "agent model",
            "model rm name",
            "model default name",
            "model info name",
            "sessions show id",
            "sessions rm ids",
        ] {
            assert!(out.iter().any(|o| o == want), "{want} missing from {out:?}");
        }
        // A flag that takes a .gguf path keeps file completion.
        assert!(!out.iter().any(|o| o == "context model"), "{out:?}");
    }
}
