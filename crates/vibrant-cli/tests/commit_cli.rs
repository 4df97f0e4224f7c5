//! `vibrant commit` end to end with a scripted OpenAI-compatible server and a real git
//! repository: the message is cleaned and committed with --yes, --dry-run commits nothing, a
//! non-terminal stdin is not taken as consent, and the states without a message say what to do.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{HEAD, delta, serve_each};

struct Repo {
    _dir: tempfile::TempDir,
    home: PathBuf,
    root: PathBuf,
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Repo {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let root = dir.path().join("repo");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&root).unwrap();
        git(&root, &["init", "-q", "-b", "main"]);
        git(&root, &["config", "user.name", "Test"]);
        git(&root, &["config", "user.email", "test@example.com"]);
        git(&root, &["config", "commit.gpgsign", "false"]);
        std::fs::write(
            root.join("words.py"),
            "def count(t):\n    return len(t.split())\n",
        )
        .unwrap();
        git(&root, &["add", "."]);
        git(&root, &["commit", "-q", "-m", "feat: count words"]);
        Self {
            _dir: dir,
            home,
            root,
        }
    }

    fn run(&self, url: Option<&str>, args: &[&str]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_vibrant"));
        if let Some(url) = url {
            c.args(["--set", "backend.kind=openai", "--set"])
                .arg(format!("backend.url={url}"));
        }
        c.arg("commit")
            .args(["-m", "remote-model"])
            .args(args)
            .current_dir(&self.root)
            .env_clear()
            .env("HOME", &self.home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c.output().unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A server that gives the same streamed answer to each of the (up to three) requests.
fn answer(parts: &[&str]) -> String {
    let mut p = vec![HEAD.to_vec()];
    p.extend(parts.iter().map(|t| delta(t)));
    p.push(b"data: [DONE]\n\n".to_vec());
    serve_each(vec![p.clone(), p.clone(), p])
}

#[test]
fn a_generated_message_is_committed_with_yes() {
    let repo = Repo::new();
    std::fs::write(
        repo.root.join("words.py"),
        "def count(t):\n    return len(t.lower().split())\n",
    )
    .unwrap();
    git(&repo.root, &["add", "words.py"]);
    let url = answer(&[
        "```\nfix(words): count ",
        "words case-insensitively\n\nSo Word and word count once.\n```",
    ]);
    let out = repo.run(Some(&url), &["--yes"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("fix(words): count words case-insensitively"),
        "{stdout}"
    );
    let err = text(&out.stderr);
    assert!(err.contains("M words.py (+1 -1)"), "{err}");
    assert!(err.contains("✓ [main "), "{err}");
    let logged = git(&repo.root, &["log", "-1", "--format=%B"]);
    assert_eq!(
        logged.trim_end(),
        "fix(words): count words case-insensitively\n\nSo Word and word count once."
    );
}

#[test]
fn dry_run_prints_and_commits_nothing_and_a_pipe_is_not_consent() {
    let repo = Repo::new();
    std::fs::write(repo.root.join("words.py"), "def count(t):\n    return 0\n").unwrap();
    git(&repo.root, &["add", "words.py"]);

    let url = answer(&["Make count return zero"]);
    let out = repo.run(Some(&url), &["--dry-run", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(line["event"], "message");
    assert_eq!(line["subject"], "chore: make count return zero");
    assert_eq!(line["files"][0]["path"], "words.py");
    assert!(
        line["note"].as_str().unwrap().contains("repaired"),
        "{line}"
    );

    // Without --yes and without a terminal to ask on, nothing is committed.
    let url = answer(&["fix: return zero"]);
    let out = repo.run(Some(&url), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--yes"), "{}", text(&out.stderr));
    assert_eq!(
        git(&repo.root, &["log", "--format=%s"]).trim(),
        "feat: count words"
    );
}

#[test]
fn nothing_staged_and_binary_only_changes_need_no_model() {
    let repo = Repo::new();
    // No server at all: these never reach the model.
    std::fs::write(repo.root.join("words.py"), "changed\n").unwrap();
    let out = repo.run(None, &["--yes"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("nothing is staged"), "{err}");
    assert!(err.contains("1 changed file(s) are not staged"), "{err}");
    assert!(err.contains("--all"), "{err}");

    git(&repo.root, &["checkout", "words.py"]);
    std::fs::write(repo.root.join("logo.png"), [0u8, 1, 2, 0, 255]).unwrap();
    git(&repo.root, &["add", "logo.png"]);
    let out = repo.run(None, &["--yes"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("only binary files"));
    assert_eq!(
        git(&repo.root, &["log", "-1", "--format=%s"]).trim(),
        "chore: add logo.png"
    );

    let outside = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vibrant"))
        .arg("commit")
        .current_dir(outside.path())
        .env_clear()
        .env("HOME", &repo.home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not inside a git repository"));
}
