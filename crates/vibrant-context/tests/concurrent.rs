//! Issue #14: several processes (terminals running `vibrant ask` in one repository) updating and
//! using one index at once. This test binary re-runs itself as the child processes.
#![allow(clippy::unwrap_used)] // test helpers panic on setup failures by design

use std::path::Path;
use std::process::{Command, Stdio};

use vibrant_context::{Index, IndexOptions};

const CHILD_ENV: &str = "VIBRANT_TEST_INDEX_CHILD";
const CHILDREN: usize = 4;
const ROUNDS: usize = 25;

fn opts(cache: &Path) -> IndexOptions {
    IndexOptions {
        cache_dir: Some(cache.to_path_buf()),
        ..IndexOptions::default()
    }
}

/// One child: edits its own file, updates the index and searches it, `ROUNDS` times. Does
/// nothing unless started by the test below.
#[test]
fn index_child_process() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.splitn(3, '\n');
    let (n, repo, cache) = (
        parts.next().unwrap(),
        Path::new(parts.next().unwrap()),
        Path::new(parts.next().unwrap()),
    );
    for k in 0..ROUNDS {
        let name = format!("child_{n}_round_{k}");
        std::fs::write(
            repo.join(format!("c{n}.rs")),
            format!("pub fn {name}() -> u32 {{\n    {k}\n}}\n"),
        )
        .unwrap();
        let (ix, _) = Index::update(repo, &opts(cache), &|_| {})
            .unwrap_or_else(|e| panic!("child {n} round {k}: update failed: {e}"));
        let hits = ix
            .search(&name, 5, 1)
            .unwrap_or_else(|e| panic!("child {n} round {k}: search failed: {e}"));
        assert!(
            hits.iter().any(|h| h.path == format!("c{n}.rs")),
            "child {n} round {k}: its own edit is not found: {hits:?}"
        );
        ix.all_syntax()
            .unwrap_or_else(|e| panic!("child {n} round {k}: reading symbols failed: {e}"));
    }
}

#[test]
fn processes_updating_and_searching_one_index_at_once_all_succeed() {
    let repo = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    for i in 0..20 {
        std::fs::write(
            repo.path().join(format!("m{i}.rs")),
            format!(
                "/// Module {i}.\npub fn module_{i}_entry(x: u32) -> u32 {{\n    x + {i}\n}}\n"
            ),
        )
        .unwrap();
    }
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..CHILDREN)
        .map(|n| {
            Command::new(&exe)
                .args(["--exact", "index_child_process", "--nocapture"])
                .env(
                    CHILD_ENV,
                    format!("{n}\n{}\n{}", repo.path().display(), cache.path().display()),
                )
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut failures = Vec::new();
    for (n, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        if !out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            let why: Vec<&str> = text
                .lines()
                .filter(|l| l.contains("child ") || l.contains("panicked"))
                .collect();
            failures.push(format!("child {n}: {}", why.join(" / ")));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // The index is whole afterwards.
    let (ix, _) = Index::update(repo.path(), &opts(cache.path()), &|_| {}).unwrap();
    assert_eq!(ix.files().len(), 20 + CHILDREN);
    assert!(!ix.search("module_7_entry", 3, 1).unwrap().is_empty());
}

/// An index kept open (a long `vibrant ask`, the TUI) survives two later updates; once it is
/// dropped, the next update removes its generation.
#[test]
fn a_generation_in_use_is_kept_and_removed_once_released() {
    let repo = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let write = |k: u32| {
        std::fs::write(
            repo.path().join("a.rs"),
            format!("pub fn version_{k}() -> u32 {{\n    {k}\n}}\n"),
        )
        .unwrap();
    };
    let generations = |ix: &Index| {
        std::fs::read_dir(ix.dir().parent().unwrap())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .count()
    };
    write(0);
    let (held, _) = Index::update(repo.path(), &opts(cache.path()), &|_| {}).unwrap();
    for k in 1..=2 {
        write(k);
        Index::update(repo.path(), &opts(cache.path()), &|_| {}).unwrap();
    }
    // Its data is read only now, after two newer generations were written.
    assert!(!held.search("version_0", 3, 1).unwrap().is_empty());
    drop(held);
    write(3);
    let (ix, _) = Index::update(repo.path(), &opts(cache.path()), &|_| {}).unwrap();
    assert_eq!(
        generations(&ix),
        1,
        "old generations are removed once unused"
    );
    assert!(!ix.search("version_3", 3, 1).unwrap().is_empty());
}
