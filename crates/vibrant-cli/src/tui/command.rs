//! Slash commands typed in the input box (`/help`, `/save FILE`, …).

use std::path::PathBuf;

/// One slash command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlashCommand {
    Help,
    Clear,
    Exit,
    Save(PathBuf),
    ContextAdd(String),
    ContextRm(String),
    ContextList,
    Sessions,
    Compact,
    Copy,
    Model,
    /// `/agent on|off` (`None`: show whether it is on).
    Agent(Option<bool>),
    /// `/undo [N]`: restore the files of the agent's last N turns.
    Undo(usize),
}

/// The help text (one line per command).
pub const HELP: &[(&str, &str)] = &[
    ("/help", "show this help (Esc closes it)"),
    ("/clear", "start a new conversation"),
    ("/exit", "leave (also Ctrl-D on empty input, Ctrl-C twice)"),
    ("/save FILE", "write the conversation as markdown"),
    (
        "/context add PATH",
        "send PATH (file, dir or glob) with every question",
    ),
    ("/context rm PATH", "stop sending PATH"),
    ("/context list", "show the paths sent"),
    ("/sessions", "list this repository's saved sessions"),
    ("/compact", "summarise older turns to free the window"),
    ("/copy", "copy the last code block (OSC 52)"),
    ("/model", "show the model and backend"),
    ("/agent on|off", "let the model read, edit and run tests"),
    ("/undo [N]", "undo the agent's edits of its last N turns"),
];

/// Parses `line` when it starts with `/`: `None` for ordinary text, `Some(Err(why))` for an
/// unknown command or a missing argument.
pub fn parse(line: &str) -> Option<Result<SlashCommand, String>> {
    let line = line.trim();
    let rest = line.strip_prefix('/')?;
    let (name, arg) = match rest.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (rest, ""),
    };
    let need = |what: &str| -> Result<String, String> {
        if arg.is_empty() {
            Err(format!("/{name} needs {what}"))
        } else {
            Ok(arg.to_owned())
        }
    };
    let cmd = match name {
        "help" | "?" => Ok(SlashCommand::Help),
        "clear" | "new" => Ok(SlashCommand::Clear),
        "exit" | "quit" | "q" => Ok(SlashCommand::Exit),
        "save" => need("a FILE").map(|f| SlashCommand::Save(PathBuf::from(f))),
        "sessions" => Ok(SlashCommand::Sessions),
        "compact" => Ok(SlashCommand::Compact),
        "copy" => Ok(SlashCommand::Copy),
        "model" => Ok(SlashCommand::Model),
        "agent" => match arg {
            "" => Ok(SlashCommand::Agent(None)),
            "on" => Ok(SlashCommand::Agent(Some(true))),
            "off" => Ok(SlashCommand::Agent(Some(false))),
            other => Err(format!("/agent takes on or off, not {other:?}")),
        },
        "undo" => match arg {
            "" => Ok(SlashCommand::Undo(1)),
            n => n
                .parse::<usize>()
                .ok()
                .filter(|&n| n >= 1)
                .map(SlashCommand::Undo)
                .ok_or_else(|| format!("/undo takes a number of turns, not {n:?}")),
        },
        "context" => {
            let (sub, path) = match arg.split_once(char::is_whitespace) {
                Some((s, p)) => (s, p.trim()),
                None => (arg, ""),
            };
            match (sub, path.is_empty()) {
                ("list" | "", _) => Ok(SlashCommand::ContextList),
                ("add", false) => Ok(SlashCommand::ContextAdd(path.to_owned())),
                ("rm" | "remove", false) => Ok(SlashCommand::ContextRm(path.to_owned())),
                ("add" | "rm" | "remove", true) => Err(format!("/context {sub} needs a PATH")),
                _ => Err(format!(
                    "unknown /context subcommand {sub:?} (add, rm or list)"
                )),
            }
        }
        _ => Err(format!("unknown command /{name} (try /help)")),
    };
    Some(cmd)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::{SlashCommand as C, parse};

    #[test]
    fn plain_text_is_not_a_command() {
        assert_eq!(parse("how does main work?"), None);
        assert_eq!(parse("a / b"), None);
    }

    #[test]
    fn commands_and_arguments() {
        assert_eq!(parse("/help"), Some(Ok(C::Help)));
        assert_eq!(parse("  /exit  "), Some(Ok(C::Exit)));
        assert_eq!(
            parse("/save notes/chat.md"),
            Some(Ok(C::Save(PathBuf::from("notes/chat.md"))))
        );
        assert_eq!(
            parse("/context add src/*.rs"),
            Some(Ok(C::ContextAdd("src/*.rs".into())))
        );
        assert_eq!(
            parse("/context rm src/main.rs"),
            Some(Ok(C::ContextRm("src/main.rs".into())))
        );
        assert_eq!(parse("/context list"), Some(Ok(C::ContextList)));
        assert_eq!(parse("/context"), Some(Ok(C::ContextList)));
        for (text, cmd) in [
            ("/clear", C::Clear),
            ("/sessions", C::Sessions),
            ("/compact", C::Compact),
            ("/copy", C::Copy),
            ("/model", C::Model),
            ("/agent on", C::Agent(Some(true))),
            ("/agent off", C::Agent(Some(false))),
            ("/agent", C::Agent(None)),
            ("/undo", C::Undo(1)),
            ("/undo 3", C::Undo(3)),
        ] {
            assert_eq!(parse(text), Some(Ok(cmd)));
        }
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(parse("/save"), Some(Err("/save needs a FILE".into())));
        assert_eq!(
            parse("/context add"),
            Some(Err("/context add needs a PATH".into()))
        );
        assert!(matches!(parse("/frobnicate"), Some(Err(e)) if e.contains("/frobnicate")));
        assert!(matches!(parse("/context zap x"), Some(Err(e)) if e.contains("zap")));
        assert!(matches!(parse("/agent maybe"), Some(Err(e)) if e.contains("maybe")));
        assert!(matches!(parse("/undo 0"), Some(Err(e)) if e.contains("number")));
    }
}
