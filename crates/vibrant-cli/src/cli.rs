//! The command line: global flags and one `Command` variant per subcommand. Each command's
//! arguments live next to its code in `commands/<name>.rs`.

use std::path::PathBuf;

use clap::builder::PossibleValuesParser;
use clap::{ArgAction, Args, Parser, Subcommand};
use vibrant_config::ColorChoice;

use crate::commands::{
    agent, ask, bench, chat, commit, completions, config, context, index, map, model, perplexity,
    run, search, serve, sessions, symbols, system, tokenize,
};

/// `vibrant --version`: the version, plus the git commit and date when built from a checkout
/// (see build.rs).
const VERSION: &str = env!("VIBRANT_LONG_VERSION");

/// Vibrant: a local-first AI code assistant with its own CPU inference engine.
///
/// Without a command: on a terminal it opens `vibrant chat`; with text piped on stdin it answers
/// that text as `vibrant ask` would (`echo "what does this project do?" | vibrant`).
#[derive(Debug, Parser)]
#[command(name = "vibrant", version = VERSION, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command; `None` when only global flags (or nothing) were given, see
    /// [`crate::commands::default_command`].
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags every command accepts.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// More log output on stderr (-v info, -vv debug, -vvv trace); VIBRANT_LOG overrides it.
    #[arg(short, long, action = ArgAction::Count, global = true, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Less log output on stderr (-q errors only, -qq nothing).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub quiet: u8,
    /// Read user configuration from FILE instead of the default location (overrides VIBRANT_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Color output: auto, always or never (config key ui.color; NO_COLOR is honoured for auto).
    #[arg(long, global = true, value_name = "WHEN", value_parser = PossibleValuesParser::new(ColorChoice::NAMES))]
    pub color: Option<String>,
    /// Override a config key for this run, e.g. --set generation.temperature=0.7 (repeatable).
    #[arg(long = "set", global = true, value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer a question about this repository (streams to stdout; context and stats to stderr).
    Ask(ask::AskArgs),
    /// A full-screen conversation about this repository (streams answers; /help inside).
    Chat(chat::ChatArgs),
    /// Work on a task with tools: read, edit (diff shown, undoable), build, test, fix.
    Agent(agent::AgentArgs),
    /// Restore the files the agent changed in its last turn (or last N turns).
    Undo(agent::UndoArgs),
    /// Write a Conventional Commits message for the staged changes, ask, then `git commit`.
    Commit(commit::CommitArgs),
    /// List, show or delete the saved conversations of this repository.
    #[command(subcommand)]
    Sessions(sessions::SessionsCommand),
    /// Generate text with the embedded engine (streams to stdout, statistics to stderr).
    Run(run::RunArgs),
    /// Serve the model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/models).
    Serve(serve::ServeArgs),
    /// Measure prompt-processing and generation speed (llama-bench's output shape).
    Bench(bench::BenchArgs),
    /// Show how a model's tokenizer splits text into tokens.
    Tokenize(tokenize::TokenizeArgs),
    /// Measure a model's perplexity on a text file (llama.cpp's method).
    Perplexity(perplexity::PerplexityArgs),
    /// Show what Vibrant detects about this machine: memory, CPU, cores, SIMD features.
    System(system::SystemArgs),
    /// Read and change configuration (user file, or project file with --project).
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Print a shell completion script (completes model names and session ids too).
    Completions(completions::CompletionsArgs),
    /// Manage models: list, pull, rm, default, info, import, recommend.
    #[command(subcommand)]
    Model(model::ModelCommand),
    /// Build or refresh the codebase index of a repository (incremental).
    Index(index::IndexArgs),
    /// Search the codebase: ranked hits with path:line and a snippet.
    Search(search::SearchArgs),
    /// Print the repo map: the most important definitions, within a token budget.
    Map(map::MapArgs),
    /// List the definitions of a file, or find where a name is defined.
    Symbols(symbols::SymbolsArgs),
    /// Print exactly the context that would be sent to the model for a question.
    Context(context::ContextArgs),
}
