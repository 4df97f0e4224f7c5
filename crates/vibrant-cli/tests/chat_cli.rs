//! `vibrant chat` from outside: it refuses to start without a terminal (the screen itself is
//! tested with rendered frames in `src/tui`).

use std::process::{Command, Stdio};

#[test]
fn chat_without_a_terminal_exits_1_with_a_hint() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vibrant"))
        .arg("chat")
        .env("HOME", home.path())
        .env("VIBRANT_STATE_DIR", home.path().join("state"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("needs a terminal"), "{stderr}");
    assert!(stderr.contains("vibrant ask"), "{stderr}");
    assert!(out.stdout.is_empty());
    // Nothing was created: no session, no log file.
    assert!(!home.path().join("state").exists());
}

#[test]
fn chat_help_lists_resume_and_context_options() {
    let out = Command::new(env!("CARGO_BIN_EXE_vibrant"))
        .args(["chat", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--continue",
        "--resume",
        "--context",
        "--no-session",
        "--max-tokens",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}
