//! End-to-end tests of how `vibrant ask` prints an answer with code: highlighted on a terminal
//! (or with `--color always`), plain when piped or under `NO_COLOR`. A scripted local
//! OpenAI-compatible server streams the answer, cut mid-line so the renderer has to hold code
//! lines until they are complete. The terminal case runs the command under `script` (a pty).

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{HEAD, delta};
use std::process::{Command, Output, Stdio};

/// The answer, in the pieces the server sends.
const PIECES: &[&str] = &[
    "Here is one:\n\n``",
    "`rust\nfn main() { let s = \"hi",
    "\"; }\n```\n\n```python\ndef f(): return 'x'\n```\n\n```nosuchlang\nkeep me\n```\nDone.",
];

/// Serves one streamed chat completion of [`PIECES`] and closes.
fn serve() -> String {
    let mut reply = HEAD.to_vec();
    for p in PIECES {
        reply.extend(delta(p));
    }
    reply.extend_from_slice(b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
    common::serve(vec![reply], std::time::Duration::ZERO)
}

fn args(url: &str) -> Vec<String> {
    [
        "-q".to_owned(),
        "--set".to_owned(),
        "backend.kind=openai".to_owned(),
        "--set".to_owned(),
        format!("backend.url={url}"),
        "ask".to_owned(),
        "-m".to_owned(),
        "remote-model".to_owned(),
        "--no-context".to_owned(),
        "--no-session".to_owned(),
        "--no-stats".to_owned(),
        "--no-stdin".to_owned(),
        "show code".to_owned(),
    ]
    .to_vec()
}

fn command(program: &str, home: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(home)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm-256color")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `s` without ANSI escape sequences and carriage returns (a pty turns `\n` into `\r\n`).
fn plain(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// The SGR colour in effect at the first occurrence of `needle` in `s`.
fn colour_at(s: &str, needle: &str) -> String {
    let at = s
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {s:?}"));
    let before = &s[..at];
    match before.rfind("\x1b[") {
        Some(i) if !before[i..].starts_with("\x1b[0m") => before[i..].to_owned(),
        _ => String::new(),
    }
}

#[test]
fn ask_highlights_code_blocks_with_color_and_is_plain_when_piped() {
    let home = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_vibrant");
    let answer = PIECES.concat();

    // Piped: the answer exactly as the model wrote it.
    let out = command(exe, home.path())
        .args(args(&serve()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text(&out), format!("{answer}\n"));

    // Forced colour: the same text, with keywords and strings in different colours in both
    // languages, and the unknown language left plain.
    let mut c = command(exe, home.path());
    c.arg("--color").arg("always").args(args(&serve()));
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let coloured = text(&out);
    assert_eq!(plain(&coloured), format!("{answer}\n"));
    let (kw, s) = (colour_at(&coloured, "fn"), colour_at(&coloured, "hi"));
    assert!(
        kw.starts_with("\x1b[38;") && s.starts_with("\x1b[38;"),
        "{coloured:?}"
    );
    assert_ne!(kw, s, "{coloured:?}");
    let (kw, s) = (colour_at(&coloured, "def"), colour_at(&coloured, "x"));
    assert!(
        kw.starts_with("\x1b[38;") && s.starts_with("\x1b[38;"),
        "{coloured:?}"
    );
    assert_ne!(kw, s, "{coloured:?}");
    assert!(coloured.contains("\nkeep me\n"), "{coloured:?}");
    assert!(coloured.starts_with("Here is one:\n"), "{coloured:?}");
}

/// Runs `vibrant ask` on a pseudo-terminal (`script`), with `NO_COLOR` set or not.
fn on_a_terminal(home: &Path, no_color: bool) -> String {
    let exe = env!("CARGO_BIN_EXE_vibrant");
    let line = std::iter::once(exe.to_owned())
        .chain(args(&serve()))
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let mut c = command("script", home);
    c.args(["-qec", &line, "/dev/null"]);
    if no_color {
        c.env("NO_COLOR", "1");
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text(&out)
}

#[test]
fn ask_on_a_terminal_highlights_unless_no_color() {
    let home = tempfile::tempdir().unwrap();
    let answer = PIECES.concat();
    let shown = on_a_terminal(home.path(), false);
    assert!(shown.contains("\x1b[38;"), "{shown:?}");
    assert_eq!(plain(&shown).trim_end(), answer);
    let shown = on_a_terminal(home.path(), true);
    assert!(!shown.contains("\x1b["), "{shown:?}");
    assert_eq!(shown.replace('\r', "").trim_end(), answer);
}
