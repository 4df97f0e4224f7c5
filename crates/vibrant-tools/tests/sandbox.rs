//! The command sandbox: writes only inside the workspace (and its temp dir), no network,
//! `.git` hooks and config read-only. These run for real on Linux; where the kernel refuses a
//! layer, the test says so and checks that the status reports it.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use std::io::ErrorKind;
use std::net::TcpListener;

use common::{fixture, fixture_with};
use serde_json::json;
use vibrant_tools::{ApprovalMode, Decision};

/// Returns `false` (after saying why) when this machine cannot run the part of the sandbox a
/// test needs.
fn sandbox_available(status: &vibrant_tools::SandboxStatus, need_git: bool) -> bool {
    if !cfg!(target_os = "linux") {
        println!("skipped: the sandbox is Linux-only");
        return false;
    }
    if !status.fs_confined || !status.network_blocked || (need_git && !status.git_protected) {
        println!("skipped: the kernel refuses part of the sandbox here: {status:?}");
        assert!(
            !status.warnings.is_empty(),
            "a missing layer must come with a warning"
        );
        return false;
    }
    true
}

#[test]
fn the_sandbox_is_fully_available_on_this_machine() {
    // This machine (Linux, Landlock ABI ≥ 4, user namespaces) runs the full sandbox; the
    // other tests would silently skip if that broke, so check it here on Linux.
    let f = fixture();
    let s = f.tb.sandbox_status();
    if cfg!(target_os = "linux") && std::path::Path::new("/sys/kernel/security/landlock").exists() {
        assert!(s.fs_confined, "{s:?}");
        assert!(s.network_blocked, "{s:?}");
        assert!(s.pid_namespace, "{s:?}");
        assert!(s.warnings.is_empty(), "{s:?}");
    }
    println!("sandbox status: {s:?}");
}

#[test]
fn commands_cannot_write_outside_the_workspace_but_can_inside() {
    let mut f = fixture();
    if !sandbox_available(f.tb.sandbox_status(), false) {
        return;
    }
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("escaped.txt");
    let cmd = format!(
        "echo inside > inside.txt && mkdir -p d && echo x > d/y && echo tmp > \"$TMPDIR/t\" && cat \"$TMPDIR/t\"; echo out > {} ; echo rc=$?",
        target.display()
    );
    let out = f.ok("run_command", json!({"command": cmd}));
    assert!(
        !target.exists(),
        "the sandbox let a command write outside: {out}"
    );
    assert!(out.contains("rc=1") || out.contains("rc=2"), "{out}");
    assert!(out.contains("Permission denied"), "{out}");
    assert_eq!(f.read("inside.txt"), "inside\n");
    assert_eq!(f.read("d/y"), "x\n");
    assert!(out.contains("tmp"), "the temp dir is writable: {out}");
    if std::env::var_os("XDG_CACHE_HOME").is_none() {
        let out = f.ok("run_command", json!({"command": "mkdir -p \"$XDG_CACHE_HOME/tool\" && echo cached > \"$XDG_CACHE_HOME/tool/x\" && cat \"$XDG_CACHE_HOME/tool/x\""}));
        assert!(
            out.starts_with("exit code 0") && out.contains("cached"),
            "caches go to the temp dir: {out}"
        );
    }
    // The same command without the sandbox does write outside (the test can fail).
    let mut open = fixture_with(ApprovalMode::FullAuto, Decision::Approve, |c| {
        c.sandbox.enabled = false
    });
    open.ok("run_command", json!({"command": cmd}));
    assert!(target.exists());
}

fn connect_command(port: u16) -> String {
    // bash's /dev/tcp needs no external tools.
    format!("bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port} && echo CONNECTED' 2>&1; echo done")
}

fn accepted(listener: &TcpListener) -> bool {
    listener.set_nonblocking(true).unwrap();
    match listener.accept() {
        Ok(_) => true,
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(e) => panic!("accept: {e}"),
    }
}

#[test]
fn commands_cannot_connect_to_a_local_listener() {
    let mut f = fixture();
    if !sandbox_available(f.tb.sandbox_status(), false) {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let out = f.ok("run_command", json!({"command": connect_command(port)}));
    assert!(!out.contains("CONNECTED"), "{out}");
    assert!(!accepted(&listener), "the listener saw a connection: {out}");
    // Inside the sandbox, loopback works (local test servers), isolated from the host's.
    let has_python = std::process::Command::new("python3")
        .arg("-c")
        .arg("pass")
        .status()
        .is_ok_and(|s| s.success());
    if has_python {
        let local = "python3 -c \"import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); c=socket.create_connection(s.getsockname()); print('LOCAL_OK')\"";
        let out = f.ok("run_command", json!({"command": local}));
        assert!(out.contains("LOCAL_OK"), "{out}");
    } else {
        println!("python3 not found: local loopback check skipped");
    }
    // With the network allowed, the same command connects.
    let mut net = fixture_with(ApprovalMode::FullAuto, Decision::Approve, |c| {
        c.sandbox.allow_network = true
    });
    let out = net.ok("run_command", json!({"command": connect_command(port)}));
    assert!(out.contains("CONNECTED"), "{out}");
    assert!(accepted(&listener));
    // Writes stay confined when the network is allowed.
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("x");
    net.ok(
        "run_command",
        json!({"command": format!("echo x > {}", target.display())}),
    );
    assert!(!target.exists());
}

/// The attack: a command connects to a Unix socket outside the workspace (the user's ssh-agent,
/// session bus or docker daemon; here a listener in a directory outside) by its path. Landlock
/// does not govern `connect`, and a path socket is reachable across network namespaces.
#[cfg(unix)]
#[test]
fn commands_cannot_connect_to_a_unix_socket_outside() {
    use std::os::unix::net::UnixListener;
    let mut f = fixture();
    if !sandbox_available(f.tb.sandbox_status(), false) {
        return;
    }
    let outside = tempfile::tempdir().unwrap();
    let path = outside.path().join("agent.sock");
    let listener = UnixListener::bind(&path).unwrap();
    listener.set_nonblocking(true).unwrap();
    let cmd = format!(
        "python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.connect('{}'); s.sendall(b'pwned'); print('CONNECTED')\" 2>&1; echo done",
        path.display()
    );
    let out = f.ok("run_command", json!({"command": cmd}));
    assert!(!out.contains("CONNECTED"), "{out}");
    assert!(
        listener.accept().is_err(),
        "the listener outside saw a connection: {out}"
    );
    // What builds and tests use still works: pipes, socket pairs, TCP on the sandbox's own
    // loopback.
    let local = "python3 -c \"import socket, os; a, b = socket.socketpair(); a.sendall(b'x'); assert b.recv(1) == b'x'; r, w = os.pipe(); os.write(w, b'y'); assert os.read(r, 1) == b'y'; print('PAIR_OK')\"";
    let out = f.ok("run_command", json!({"command": local}));
    assert!(out.contains("PAIR_OK"), "{out}");
    // With the network allowed (`agent.network`), Unix sockets are allowed too.
    let mut net = fixture_with(ApprovalMode::FullAuto, Decision::Approve, |c| {
        c.sandbox.allow_network = true
    });
    let out = net.ok("run_command", json!({"command": cmd}));
    assert!(out.contains("CONNECTED"), "{out}");
}

/// The attack: a command leaves a process behind that called `setsid` (its own session and
/// process group), which the kill of the command's process group misses; it goes on running
/// after the command "ended" — here it writes a file two seconds later. Each sandboxed command
/// now runs as pid 1 of its own pid namespace, whose end kills everything in it.
#[cfg(unix)]
#[test]
fn a_process_that_leaves_the_group_with_setsid_dies_with_the_command() {
    let mut f = fixture();
    if !sandbox_available(f.tb.sandbox_status(), false) {
        return;
    }
    let out = f.ok(
        "run_command",
        json!({"command": "setsid sh -c 'sleep 2; echo escaped > escaped.txt' </dev/null >/dev/null 2>&1 & sleep 0.5; echo started"}),
    );
    assert!(out.contains("started"), "{out}");
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert!(
        !f.path("escaped.txt").exists(),
        "the setsid process outlived the command: {out}"
    );
    // (The half second lets it leave the group before the command ends: seen escaping with the
    // group kill alone.) Exit codes still come through the namespace's init, and commands still run children.
    let out = f.ok(
        "run_command",
        json!({"command": "(echo child) | cat; exit 3"}),
    );
    assert!(out.contains("child"), "{out}");
    assert!(
        out.contains("exit code 3"),
        "the exit code is reported: {out}"
    );
}

#[test]
fn commands_cannot_change_git_hooks_or_config() {
    let mut f = fixture();
    let init = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(f.ws.path())
        .status()
        .unwrap();
    assert!(init.success());
    // `.git` appeared after the toolbox opened: it is protected all the same.
    if !sandbox_available(f.tb.sandbox_status(), true) {
        return;
    }
    let before = f.read(".git/config");
    let out = f.ok(
        "run_command",
        json!({"command": "echo '#!/bin/sh' > .git/hooks/pre-commit; echo '[alias] x = !evil' >> .git/config; rm -rf .git/hooks; echo ok > tracked.txt; git status --short"}),
    );
    assert!(!f.path(".git/hooks/pre-commit").exists(), "{out}");
    assert!(f.path(".git/hooks").is_dir(), "{out}");
    assert_eq!(f.read(".git/config"), before, "{out}");
    assert_eq!(f.read("tracked.txt"), "ok\n");
    assert!(
        out.contains("tracked.txt"),
        "git still works read-only: {out}"
    );
}

#[test]
fn full_auto_asks_when_the_sandbox_is_off() {
    let mut f = fixture_with(ApprovalMode::FullAuto, Decision::Approve, |c| {
        c.sandbox.enabled = false
    });
    f.ok("run_command", json!({"command": "true"}));
    assert_eq!(
        f.asked.lock().unwrap().len(),
        1,
        "full-auto without a sandbox must ask"
    );
    let mut g = fixture();
    g.ok("run_command", json!({"command": "true"}));
    let sandboxed =
        g.tb.sandbox_status()
            .complete(&vibrant_tools::SandboxPolicy::default());
    assert_eq!(g.asked.lock().unwrap().is_empty(), sandboxed);
}

#[cfg(unix)]
#[test]
fn symlinks_do_not_lead_commands_out() {
    let mut f = fixture();
    if !sandbox_available(f.tb.sandbox_status(), false) {
        return;
    }
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), f.path("out-link")).unwrap();
    let out = f.ok(
        "run_command",
        json!({"command": "echo x > out-link/planted; echo rc=$?"}),
    );
    assert!(!outside.path().join("planted").exists(), "{out}");
    assert!(out.contains("rc=1") || out.contains("rc=2"), "{out}");
}

#[test]
fn commands_cannot_signal_processes_outside_the_sandbox() {
    let mut f = fixture();
    let status = f.tb.sandbox_status().clone();
    if !sandbox_available(&status, false) || status.landlock_abi.is_none_or(|v| v < 6) {
        println!("skipped: signal scoping needs Landlock ABI 6 ({status:?})");
        return;
    }
    let mut victim = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let out = f.ok(
        "run_command",
        json!({"command": format!("kill -9 {}; echo rc=$?", victim.id())}),
    );
    let still_running = victim.try_wait().unwrap().is_none();
    victim.kill().unwrap();
    victim.wait().unwrap();
    assert!(
        still_running,
        "the sandboxed command killed a process outside: {out}"
    );
    assert!(out.contains("rc=1"), "{out}");
}

/// An older kernel's Landlock leaves holes (ABI < 3: truncating files outside the workspace;
/// < 6: signals to the user's other processes). Forced down to ABI 2, the sandbox says so, is
/// not complete, and full-auto asks before each command instead of trusting it.
#[test]
fn a_partial_landlock_is_reported_and_full_auto_asks() {
    let f = fixture();
    if !sandbox_available(f.tb.sandbox_status(), false) {
        return;
    }
    let kernel_abi = f.tb.sandbox_status().landlock_abi.unwrap();
    assert!(
        kernel_abi >= 6,
        "this test needs a kernel with Landlock ABI 6+, has {kernel_abi}"
    );
    let mut old = fixture_with(ApprovalMode::FullAuto, Decision::Approve, |c| {
        c.sandbox.max_landlock_abi = Some(2)
    });
    let status = old.tb.sandbox_status().clone();
    assert_eq!(status.landlock_abi, Some(2), "{status:?}");
    assert!(
        status.warnings.iter().any(|w| w.contains("truncat")),
        "{status:?}"
    );
    assert!(
        status.warnings.iter().any(|w| w.contains("signal")),
        "{status:?}"
    );
    assert!(!status.complete(&vibrant_tools::SandboxPolicy::default()));
    // The hole is real at ABI 2: a file outside the workspace can be truncated by path
    // (truncate(2); opening it for writing is refused at every ABI) …
    let by_path = |p: &std::path::Path| {
        format!(
            "python3 -c 'import os,sys; os.truncate(sys.argv[1], 0)' {}; echo rc=$?",
            p.display()
        )
    };
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("notes.txt");
    std::fs::write(&victim, "keep me\n").unwrap();
    old.ok("run_command", json!({"command": by_path(&victim)}));
    assert_eq!(
        old.asked.lock().unwrap().len(),
        1,
        "full-auto must ask when the sandbox is partial"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "");
    // … and not with the kernel's full ABI, where full-auto does not need to ask.
    std::fs::write(&victim, "keep me\n").unwrap();
    let mut full = fixture();
    full.ok("run_command", json!({"command": by_path(&victim)}));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
    assert!(full.asked.lock().unwrap().is_empty());
}

/// Attack: a command writes `.git/commondir`, pointing git at a copy of the repository whose
/// config defines a clean filter and whose attributes apply it to every file; the agent's own
/// `git_diff` (which ran outside the sandbox, without approval) would then run the filter. The
/// git tools refuse a `.git/commondir`, and run inside the sandbox anyway.
#[test]
fn a_command_cannot_redirect_the_git_tools_to_run_its_filter() {
    let mut f = fixture();
    let git = |args: &[&str]| {
        let s = std::process::Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(f.ws.path())
            .output()
            .unwrap();
        assert!(s.status.success(), "git {args:?}: {s:?}");
    };
    git(&["init", "-q"]);
    std::fs::write(f.path("a.txt"), "one\n").unwrap();
    git(&["add", "a.txt"]);
    git(&["commit", "-qm", "one"]);
    if !sandbox_available(f.tb.sandbox_status(), true) {
        return;
    }
    let outside = tempfile::tempdir().unwrap();
    let pwned = outside.path().join("pwned");
    // (Checked by hand: with plain git, `git diff` then runs ./evil.sh.)
    let attack = format!(
        "printf 'touch {p}; cat\\n' > evil.sh && cp -r .git evil-git && printf '[filter \"x\"]\\n\\tclean = sh ./evil.sh\\n' >> evil-git/config && mkdir -p evil-git/info && echo '* filter=x' > evil-git/info/attributes && echo ../evil-git > .git/commondir && echo two > a.txt; echo rc=$?",
        p = pwned.display()
    );
    let out = f.ok("run_command", json!({ "command": attack }));
    assert!(out.contains("rc=0"), "the setup itself is allowed: {out}");
    assert!(f.path(".git/commondir").exists(), "{out}");
    let r = f.tb.call("git_diff", &json!({}));
    assert!(!r.ok, "{}", r.output);
    assert!(r.output.contains("commondir"), "{}", r.output);
    assert!(!pwned.exists(), "the filter ran outside the sandbox");
    // Without the redirection the tools work (and run confined).
    std::fs::remove_file(f.path(".git/commondir")).unwrap();
    let d = f.ok("git_diff", json!({}));
    assert!(d.contains("+two"), "{d}");
    assert!(!pwned.exists());
}
