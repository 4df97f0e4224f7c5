//! Attack: a command that shares the user's terminal session can open `/dev/tty` and read the
//! keystrokes typed after it (even after Vibrant exits), or push a `y` into the next approval
//! prompt with TIOCSTI. Every command runs as the leader of its own session, without a
//! controlling terminal.

#![allow(clippy::unwrap_used)]

mod common;

use common::fixture;
use serde_json::json;

/// `(pid, ppid, pgrp, session, tty_nr)` from a `/proc/<pid>/stat` line.
fn stat_fields(line: &str) -> (i64, i64, i64, i64, i64) {
    // The command name is in parentheses and may contain spaces: fields start after the last ')'.
    let rest = &line[line.rfind(')').unwrap() + 2..];
    let f: Vec<i64> = rest
        .split_whitespace()
        .skip(1)
        .take(4)
        .map(|x| x.parse().unwrap())
        .collect();
    let pid: i64 = line.split_whitespace().next().unwrap().parse().unwrap();
    (pid, f[0], f[1], f[2], f[3])
}

#[test]
fn commands_run_in_their_own_session_without_a_terminal() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let mut f = fixture();
    // The shell reads its own stat line (the redirection is opened by the shell itself), then
    // tries the terminal.
    let out = f.ok(
        "run_command",
        json!({"command": "read -r line < /proc/self/stat; echo \"STAT $line\"; (exec 3</dev/tty) 2>/dev/null && echo TTY-OPENED || echo TTY-REFUSED"}),
    );
    let stat = out
        .lines()
        .find_map(|l| l.strip_prefix("STAT "))
        .unwrap_or_else(|| panic!("no stat line in {out}"));
    let (pid, ppid, pgrp, session, tty) = stat_fields(stat);
    // The leader is the command itself, or (in the sandbox's pid namespace) the process that
    // waits for it as the namespace's first process.
    assert!(
        pid == session || ppid == session,
        "the command or its waiting parent leads its own session: {stat}"
    );
    assert_eq!(pgrp, session, "the session's own process group: {stat}");
    assert_eq!(tty, 0, "the command has no controlling terminal: {stat}");
    let mine = std::fs::read_to_string("/proc/self/stat").unwrap();
    assert_ne!(stat_fields(&mine).3, session, "not the test's session");
    assert!(out.contains("TTY-REFUSED"), "{out}");
}

#[test]
fn a_background_process_in_the_new_session_is_still_killed() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let mut f = fixture();
    let marker = f.path("still-running");
    // A background loop that would keep touching a file; killing the group must stop it.
    let out = f.ok(
        "run_command",
        json!({"command": "(while true; do touch still-running; sleep 0.1; done) & echo started"}),
    );
    assert!(out.contains("started"), "{out}");
    std::thread::sleep(std::time::Duration::from_millis(400));
    let _ = std::fs::remove_file(&marker);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!marker.exists(), "the background loop outlived its command");
}
