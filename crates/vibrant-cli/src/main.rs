//! `vibrant`: a local-first AI code assistant with its own CPU inference engine.
//!
//! The binary is thin: [`cli`] declares the command line, [`commands`] holds one module per
//! command, [`logging`] and [`output`] set up stderr logging and colors. Errors are printed with
//! their chain of causes and exit non-zero; a closed stdout pipe exits quietly.

mod cli;
mod commands;
mod highlight;
mod logging;
mod output;
mod tui;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // `COMPLETE=bash vibrant -- WORDS…` (what the `vibrant completions` scripts run on Tab):
    // print the completions and exit. Without the variable this does nothing.
    clap_complete::CompleteEnv::with_factory(commands::completions::command)
        .var(commands::completions::COMPLETE_VAR)
        .complete();
    let cli = cli::Cli::parse();
    let result =
        commands::Context::new(&cli.global).and_then(|ctx| commands::run(ctx, cli.command));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            output::report_error(&mut std::io::stderr().lock(), &err);
            ExitCode::FAILURE
        }
    }
}
