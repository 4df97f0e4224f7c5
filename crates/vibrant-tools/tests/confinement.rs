//! Every tool refuses paths that lead out of the workspace.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use common::fixture;
use serde_json::json;

#[test]
fn dot_dot_escapes_are_refused_by_every_path_tool() {
    let mut f = fixture();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret\n").unwrap();
    let name = outside
        .path()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let escape = format!("../{name}/secret.txt");
    for (tool, args) in [
        ("read_file", json!({"path": escape})),
        ("list_dir", json!({"path": "../"})),
        ("glob", json!({"pattern": "*", "path": ".."})),
        ("grep", json!({"pattern": "secret", "path": escape})),
        ("symbols", json!({"path": escape})),
        (
            "edit_file",
            json!({"path": escape, "old_string": "secret", "new_string": "x"}),
        ),
        ("write_file", json!({"path": escape, "content": "x"})),
        (
            "write_file",
            json!({"path": "sub/../../x.txt", "content": "x"}),
        ),
        ("git_diff", json!({"path": "../.."})),
    ] {
        let out = f.fail(tool, args.clone());
        assert!(
            out.contains("outside the workspace"),
            "{tool} {args}: {out}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(outside.path().join("secret.txt")).unwrap(),
        "secret\n"
    );
    // `..` that stays inside is fine.
    f.write("a/b.txt", "ok\n");
    f.ok("read_file", json!({"path": "a/../a/b.txt"}));
}

#[test]
fn absolute_paths_outside_are_refused_inside_are_accepted() {
    let mut f = fixture();
    let out = f.fail("read_file", json!({"path": "/etc/passwd"}));
    assert!(
        out.contains("absolute paths must lie inside the workspace"),
        "{out}"
    );
    f.fail(
        "write_file",
        json!({"path": "/tmp/vibrant-should-not-exist.txt", "content": "x"}),
    );
    assert!(!std::path::Path::new("/tmp/vibrant-should-not-exist.txt").exists());
    f.write("in.txt", "inside\n");
    let abs = f.ws.path().canonicalize().unwrap().join("in.txt");
    let out = f.ok("read_file", json!({"path": abs.to_str().unwrap()}));
    assert!(out.contains("inside"), "{out}");
}

#[cfg(unix)]
#[test]
fn symlinks_that_lead_outside_are_refused() {
    let mut f = fixture();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("target.txt"), "outside\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("target.txt"), f.path("link.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path(), f.path("linkdir")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/dangling", f.path("dangling")).unwrap();
    for (tool, args) in [
        ("read_file", json!({"path": "link.txt"})),
        (
            "edit_file",
            json!({"path": "link.txt", "old_string": "outside", "new_string": "pwned"}),
        ),
        (
            "write_file",
            json!({"path": "link.txt", "content": "pwned"}),
        ),
        (
            "write_file",
            json!({"path": "linkdir/new.txt", "content": "pwned"}),
        ),
        ("list_dir", json!({"path": "linkdir"})),
        (
            "write_file",
            json!({"path": "dangling", "content": "pwned"}),
        ),
    ] {
        let out = f.fail(tool, args.clone());
        assert!(
            out.contains("outside the workspace"),
            "{tool} {args}: {out}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(outside.path().join("target.txt")).unwrap(),
        "outside\n"
    );
    assert!(!outside.path().join("new.txt").exists());
    assert!(!std::path::Path::new("/nonexistent/dangling").exists());
    // A symlink that stays inside the workspace is followed.
    f.write("real.txt", "real\n");
    std::os::unix::fs::symlink(f.path("real.txt"), f.path("inner-link.txt")).unwrap();
    let out = f.ok("read_file", json!({"path": "inner-link.txt"}));
    assert!(out.contains("real.txt") && out.contains("real"), "{out}");
}

#[test]
fn the_file_tools_do_not_write_git_internals() {
    let mut f = fixture();
    f.write(".git/config", "[core]\n");
    let out = f.fail(
        "write_file",
        json!({"path": ".git/hooks/pre-commit", "content": "#!/bin/sh\n"}),
    );
    assert!(out.contains("inside .git/"), "{out}");
    let out = f.fail(
        "edit_file",
        json!({"path": ".git/config", "old_string": "[core]", "new_string": "[x]"}),
    );
    assert!(out.contains("inside .git/"), "{out}");
    let patch =
        "*** Begin Patch\n*** Add File: .git/hooks/post-checkout\n+#!/bin/sh\n*** End Patch";
    f.fail("apply_patch", json!({"patch": patch}));
    assert!(!f.path(".git/hooks").exists());
}

/// A command the model started in the background (or any process in the workspace) swaps a
/// directory for a link to the outside between the tool's path check and its write: the write
/// must never land outside, however the race falls.
#[cfg(unix)]
#[test]
fn a_directory_swapped_for_a_link_mid_write_never_leads_outside() {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    let mut f = fixture();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir(f.path("d")).unwrap();
    std::os::unix::fs::symlink(outside.path(), f.path("d_link")).unwrap();
    let (stop, swapper) = keep_swapping(f.path("d"), f.path("d_link"));
    let started = Instant::now();
    let mut tries = 0;
    while started.elapsed() < Duration::from_secs(4) && tries < 3000 {
        let _ = f.call(
            "write_file",
            json!({"path": format!("d/x{tries}.txt"), "content": "pwned\n"}),
        );
        let _ = f.call(
            "write_file",
            json!({"path": format!("d/sub{tries}/y.txt"), "content": "pwned\n"}),
        );
        tries += 1;
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    let leaked: Vec<_> = std::fs::read_dir(outside.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(
        leaked.is_empty(),
        "{} of {tries} writes through a swapped directory landed outside: {:?}",
        leaked.len(),
        &leaked[..leaked.len().min(5)]
    );
}

/// The same race against `grep`, which walks the workspace and then reads each file it found:
/// a directory swapped for a link to the outside between the walk and the read must not let a
/// file outside be read.
#[cfg(unix)]
#[test]
fn a_directory_swapped_for_a_link_mid_grep_never_shows_outside_text() {
    let mut f = fixture();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.txt"), "TOPSECRET outside\n").unwrap();
    std::fs::create_dir(f.path("d")).unwrap();
    std::fs::write(f.path("d/x.txt"), "harmless inside\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), f.path("d_link")).unwrap();
    // Before the race: grep finds the inside text, and not through the link.
    let before = f
        .call("grep", json!({"pattern": "TOPSECRET|harmless"}))
        .output;
    assert!(before.contains("d/x.txt:1: harmless inside"), "{before}");
    assert!(!before.contains("TOPSECRET"), "{before}");
    // The pattern must not hold the secret word ("no matches for `…`" echoes it), and the
    // arguments change every time (the doom-loop guard stops repeated calls).
    let (tries, leaks) = race_for_leaks(&mut f, |tries| {
        vec![
            (
                "grep",
                json!({"pattern": "outside|inside", "max_results": 1 + tries % 400}),
            ),
            (
                "grep",
                json!({"pattern": "outside|inside", "path": "d/x.txt", "max_results": 1 + tries % 400}),
            ),
        ]
    });
    assert_eq!(
        leaks, 0,
        "{leaks} of {tries} greps through a swapped directory read the file outside"
    );
    assert!(tries > 50, "the race ran {tries} times only");
}

/// The same race against `list_dir` and `glob`, which listed the workspace by path: a directory
/// swapped for a link to the outside mid-walk showed the names (and sizes) of the files outside.
#[cfg(unix)]
#[test]
fn a_directory_swapped_for_a_link_mid_listing_never_shows_outside_names() {
    let mut f = fixture();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("TOPSECRET-plans.txt"), "x\n").unwrap();
    std::fs::create_dir(f.path("d")).unwrap();
    std::fs::write(f.path("d/inside.txt"), "harmless\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), f.path("d_link")).unwrap();
    let before = f.ok("list_dir", json!({"depth": 2}));
    assert!(
        before.contains("inside.txt") && !before.contains("TOPSECRET"),
        "{before}"
    );
    let before = f.ok("glob", json!({"pattern": "**/*.txt"}));
    assert!(
        before.contains("d/inside.txt") && !before.contains("TOPSECRET"),
        "{before}"
    );
    // The arguments change every time (the doom-loop guard stops repeated calls).
    let (tries, leaks) = race_for_leaks(&mut f, |tries| {
        let pattern = ["**/*.txt", "d/*", "*/*.txt"][tries % 3];
        vec![
            ("list_dir", json!({"depth": 2 + tries % 3})),
            ("list_dir", json!({"path": "d", "depth": 1 + tries % 4})),
            ("glob", json!({"pattern": pattern})),
        ]
    });
    assert_eq!(
        leaks, 0,
        "{leaks} of {tries} listings through a swapped directory showed names outside"
    );
    assert!(tries > 50, "the race ran {tries} times only");
}

/// Runs the calls `calls(try)` gives, again and again for 4 s (3 000 tries at most), while
/// `d` and the link `d_link` trade places: (tries, calls whose output held `TOPSECRET`).
#[cfg(unix)]
fn race_for_leaks(
    f: &mut common::Fixture,
    calls: impl Fn(usize) -> Vec<(&'static str, serde_json::Value)>,
) -> (usize, usize) {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};
    let (stop, swapper) = keep_swapping(f.path("d"), f.path("d_link"));
    let started = Instant::now();
    let (mut tries, mut leaks) = (0, 0);
    while started.elapsed() < Duration::from_secs(4) && tries < 3000 {
        for (tool, args) in calls(tries) {
            let out = f.call(tool, args).output;
            assert!(!out.contains("stopped:"), "{out}");
            if out.contains("TOPSECRET") {
                leaks += 1;
            }
        }
        tries += 1;
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    (tries, leaks)
}

/// A thread that trades `a` and `b` atomically (`renameat2(RENAME_EXCHANGE)`) until the flag is
/// set: a directory and a link to the outside change places again and again.
#[cfg(unix)]
fn keep_swapping(
    a: std::path::PathBuf,
    b: std::path::PathBuf,
) -> (
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    std::thread::JoinHandle<()>,
) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&stop);
    let handle = std::thread::spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            let _ = rustix::fs::renameat_with(
                rustix::fs::CWD,
                &a,
                rustix::fs::CWD,
                &b,
                rustix::fs::RenameFlags::EXCHANGE,
            );
        }
    });
    (stop, handle)
}
