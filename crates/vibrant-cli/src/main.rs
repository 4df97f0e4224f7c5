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

use std::io::{IsTerminal, Read};

use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    // `COMPLETE=bash vibrant -- WORDS…` (what the `vibrant completions` scripts run on Tab):
    // print the completions and exit. Without the variable this does nothing.
    clap_complete::CompleteEnv::with_factory(commands::completions::command)
        .var(commands::completions::COMPLETE_VAR)
        .complete();
    let cli = cli::Cli::parse();
    let result = commands::Context::new(&cli.global).and_then(|ctx| {
        let command = match cli.command {
            Some(command) => command,
            None => {
                let read = || {
                    let mut s = String::new();
                    std::io::stdin().lock().read_to_string(&mut s).map(|_| s)
                };
                let stdin = std::io::stdin().is_terminal();
                let stdout = std::io::stdout().is_terminal();
                match commands::default_command(stdin, stdout, read)? {
                    commands::NoCommand::Run(command) => *command,
                    commands::NoCommand::Help => return Ok(false),
                }
            }
        };
        commands::run(ctx, command).map(|()| true)
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            // As clap does for a missing command: the help on stderr, exit 2.
            let help = cli::Cli::command().render_help();
            #[allow(clippy::print_stderr)]
            {
                eprint!("{}", help.ansi());
            }
            ExitCode::from(2)
        }
        Err(err) if output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            output::report_error(&mut std::io::stderr().lock(), &err);
            ExitCode::FAILURE
        }
    }
}
