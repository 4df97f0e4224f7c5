//! One module per command, and the [`Context`] they share: the global flags and the loaded
//! configuration. Add a command by adding a module here, a variant to `cli::Command`, and an arm
//! to [`run`].

pub mod agent;
pub mod ask;
pub mod backend;
pub mod bench;
pub mod chat;
pub mod commit;
pub mod completions;
pub mod config;
pub mod context;
pub mod index;
pub mod inspect;
pub mod map;
pub mod model;
pub mod perplexity;
pub mod run;
pub mod search;
pub mod serve;
pub mod sessions;
pub mod symbols;
pub mod system;
pub mod tokenize;

use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use vibrant_config::{ConfigError, LoadedConfig, Loader};

use crate::cli::{Command, GlobalArgs};
use crate::output::ColorMode;

/// What every command may need.
pub struct Context {
    /// The global flags.
    pub global: GlobalArgs,
    /// Builds the configuration from the process's environment and the global flags.
    pub loader: Loader,
    /// The configuration, or why it failed to load. Commands that need it call [`Self::config`];
    /// `config set/unset/path` work even when it is broken, so a bad file can be repaired.
    config: Result<LoadedConfig, Arc<ConfigError>>,
    /// Whether to color stdout and stderr.
    pub color: ColorMode,
}

impl Context {
    /// Loads the configuration and starts logging.
    pub fn new(global: &GlobalArgs) -> Result<Self> {
        let mut loader = Loader::new();
        if let Some(path) = &global.config {
            loader = loader.config_file(path);
        }
        for assignment in &global.set {
            loader = loader.set_assignment(assignment)?;
        }
        if let Some(color) = &global.color {
            loader = loader.set_override("ui.color", color, "--color");
        }
        let config = loader.load().map_err(Arc::new);
        let color = ColorMode::resolve(
            config.as_ref().ok().map(|c| c.ui.color),
            global.color.as_deref(),
        );
        let log_level = config.as_ref().ok().map(|c| c.log.level.as_str());
        crate::logging::init(global.verbose, global.quiet, log_level, color.stderr)?;
        if let Ok(config) = &config {
            tracing::debug!(
                user_file = ?config.user_file,
                project_file = ?config.project_file,
                "configuration loaded"
            );
            for warning in &config.warnings {
                tracing::warn!("{warning}");
            }
        }
        Ok(Self {
            global: global.clone(),
            loader,
            config,
            color,
        })
    }

    /// The effective configuration, or the error that stopped it loading.
    pub fn config(&self) -> Result<&LoadedConfig> {
        // The error is shared (`Arc`), so each caller gets it with its chain of causes intact.
        self.config
            .as_ref()
            .map_err(|e| anyhow::Error::new(Arc::clone(e)))
    }

    /// Threads for the engine: `engine.threads` if set, else the physical cores this process
    /// may use.
    pub fn default_threads(&self) -> Result<usize> {
        Ok(match self.config()?.engine.threads {
            Some(n) => n as usize,
            None => vibrant_system::SystemInfo::detect().recommended_threads(),
        })
    }

    /// The engine's load options: `threads` workers, weight repacking from `engine.repack`.
    pub fn load_options(&self, threads: usize) -> Result<vibrant_engine::LoadOptions> {
        Ok(vibrant_engine::LoadOptions {
            threads,
            repack: self.config()?.engine.repack,
        })
    }
}

/// What `vibrant` does when no command is given.
#[derive(Debug)]
pub enum NoCommand {
    /// Run this command (`chat` on a terminal, `ask` with the piped text).
    Run(Box<Command>),
    /// Print the help: stdin is a terminal but stdout is not, so `chat` cannot start.
    Help,
}

/// Chooses what `vibrant` without a command does: with stdin and stdout both terminals it opens
/// `vibrant chat`; with stdin piped it answers the piped text as `vibrant ask` would (`read` is
/// called only then); an empty pipe is an error; stdin a terminal but stdout not gives
/// [`NoCommand::Help`].
pub fn default_command(
    stdin_is_terminal: bool,
    stdout_is_terminal: bool,
    read: impl FnOnce() -> std::io::Result<String>,
) -> Result<NoCommand> {
    use clap::{Args, FromArgMatches};
    if stdin_is_terminal {
        if !stdout_is_terminal {
            return Ok(NoCommand::Help);
        }
        let matches = chat::ChatArgs::augment_args(clap::Command::new("chat"))
            .try_get_matches_from(["chat"])?;
        return Ok(NoCommand::Run(Box::new(Command::Chat(
            chat::ChatArgs::from_arg_matches(&matches)?,
        ))));
    }
    let input = read().context("reading the question piped on stdin")?;
    let question = input.trim();
    if question.is_empty() {
        bail!(
            "no command given and nothing piped on stdin: run `vibrant chat`, `vibrant ask QUESTION`, pipe a question (`echo QUESTION | vibrant`) or see `vibrant --help`"
        );
    }
    // The piped text is the question, so `ask` must not read stdin again.
    let matches = ask::AskArgs::augment_args(clap::Command::new("ask")).try_get_matches_from([
        "ask",
        "--no-stdin",
        "--",
        question,
    ])?;
    Ok(NoCommand::Run(Box::new(Command::Ask(
        ask::AskArgs::from_arg_matches(&matches)?,
    ))))
}

/// Runs one command.
pub fn run(ctx: Context, command: Command) -> Result<()> {
    match command {
        Command::Ask(args) => ask::run(&ctx, args),
        Command::Chat(args) => chat::run(&ctx, args),
        Command::Agent(args) => agent::run(&ctx, args),
        Command::Undo(args) => agent::undo(&ctx, &args),
        Command::Commit(args) => commit::run(&ctx, args),
        Command::Serve(args) => serve::run(&ctx, args),
        Command::Sessions(cmd) => sessions::run(&ctx, cmd),
        Command::System(args) => system::run(&ctx, &args),
        Command::Config(cmd) => config::run(&ctx, cmd),
        Command::Completions(args) => completions::run(&args),
        Command::Model(cmd) => model::run(&ctx, cmd),
        Command::Run(args) => run::run(&ctx, args),
        Command::Bench(args) => bench::run(&ctx, args),
        Command::Tokenize(args) => tokenize::run(args),
        Command::Perplexity(args) => perplexity::run(&ctx, args),
        Command::Index(args) => index::run(&ctx, &args),
        Command::Search(args) => search::run(&ctx, &args),
        Command::Map(args) => map::run(&ctx, &args),
        Command::Symbols(args) => symbols::run(&ctx, &args),
        Command::Context(args) => context::run(&ctx, &args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never_read() -> std::io::Result<String> {
        Err(std::io::Error::other("stdin must not be read"))
    }

    #[test]
    fn a_terminal_opens_chat() {
        let chosen = default_command(true, true, never_read).expect("chat");
        assert!(
            matches!(&chosen, NoCommand::Run(c) if matches!(&**c, Command::Chat(a) if a.model.is_none() && !a.no_session)),
            "{chosen:?}"
        );
    }

    #[test]
    fn a_terminal_stdin_with_redirected_stdout_prints_help() {
        let chosen = default_command(true, false, never_read).expect("help");
        assert!(matches!(chosen, NoCommand::Help), "{chosen:?}");
    }

    #[test]
    fn piped_text_is_the_question_of_ask() {
        let chosen = default_command(false, false, || {
            Ok("  what does --this project do?\n".to_owned())
        })
        .expect("ask");
        match chosen {
            NoCommand::Run(c) if matches!(*c, Command::Ask(_)) => {
                let Command::Ask(args) = *c else {
                    unreachable!()
                };
                assert_eq!(args.question, ["what does --this project do?"]);
                assert!(args.no_stdin);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_empty_pipe_is_one_clear_error() {
        let err = default_command(false, true, || Ok(" \n\n".to_owned())).expect_err("empty");
        let msg = format!("{err:#}");
        assert!(msg.contains("nothing piped on stdin"), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }
}
