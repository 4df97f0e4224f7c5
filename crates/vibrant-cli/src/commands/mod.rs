//! One module per command, and the [`Context`] they share: the global flags and the loaded
//! configuration. Add a command by adding a module here, a variant to `cli::Command`, and an arm
//! to [`run`].

pub mod agent;
pub mod ask;
pub mod backend;
pub mod bench;
pub mod chat;
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
pub mod sessions;
pub mod symbols;
pub mod system;
pub mod tokenize;

use std::sync::Arc;

use anyhow::Result;
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

/// Runs one command.
pub fn run(ctx: Context, command: Command) -> Result<()> {
    match command {
        Command::Ask(args) => ask::run(&ctx, args),
        Command::Chat(args) => chat::run(&ctx, args),
        Command::Agent(args) => agent::run(&ctx, args),
        Command::Undo(args) => agent::undo(&ctx, &args),
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
