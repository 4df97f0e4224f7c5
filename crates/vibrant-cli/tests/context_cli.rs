//! End-to-end tests of `vibrant index/search/map/symbols/context` on a small repository, in a
//! fresh HOME (so the index goes to a temporary cache) with a clean environment.

#![allow(clippy::unwrap_used)] // test helpers panic on setup failures by design

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Repo {
    _dir: tempfile::TempDir,
    home: PathBuf,
    root: PathBuf,
}

impl Repo {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let root = dir.path().join("repo");
        std::fs::create_dir_all(&home).unwrap();
        for (path, text) in [
            (".git/HEAD", "ref: refs/heads/main\n"),
            (".gitignore", "ignored.rs\n"),
            ("ignored.rs", "pub fn hidden_function() {}\n"),
            ("README.md", "# Demo\n\nA demo repository.\n"),
            ("Cargo.toml", "[package]\nname = \"demo\"\n"),
            (
                "src/lib.rs",
                "mod parser;\npub use parser::parse_config;\n\npub fn run() -> u32 {\n    parse_config(\"x\").len() as u32\n}\n",
            ),
            (
                "src/parser.rs",
                "/// Parses the configuration text.\npub fn parse_config(text: &str) -> Vec<String> {\n    text.lines().map(str::to_owned).collect()\n}\n\npub struct ConfigError;\n",
            ),
        ] {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        Self {
            _dir: dir,
            home,
            root,
        }
    }

    fn run(&self, cwd: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_vibrant"))
            .args(args)
            .current_dir(cwd)
            .env_clear()
            .env("HOME", &self.home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> (String, String) {
        let out = self.run(&self.root.join("src"), args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "vibrant {args:?} failed: {stderr}");
        (String::from_utf8(out.stdout).unwrap(), stderr)
    }
}

#[test]
fn index_then_query_commands() {
    let r = Repo::new();
    let (out, _) = r.ok(&["index", r.root.to_str().unwrap()]);
    assert!(out.contains("4 files indexed"), "{out}");
    assert!(out.contains("symbols"), "{out}");
    // The index lives in the cache under HOME, not in the repository.
    assert!(r.home.join(".cache/vibrant/index").is_dir());
    let (out, _) = r.ok(&["index", r.root.to_str().unwrap()]);
    assert!(out.contains("no changes"), "{out}");

    // Commands run from a subdirectory find the repository root.
    let (out, _) = r.ok(&["search", "parse", "configuration", "--json", "-n", "3"]);
    let hits: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(hits[0]["path"], "src/parser.rs");
    assert_eq!(hits[0]["symbol"], "parse_config");
    assert!(hits.as_array().unwrap().len() <= 3);
    let (out, _) = r.ok(&["search", "hidden_function"]);
    assert!(!out.contains("ignored.rs"), "{out}");

    let (out, _) = r.ok(&["symbols", "parser.rs"]);
    assert!(
        out.contains("src/parser.rs:2")
            && out.contains("pub fn parse_config(text: &str) -> Vec<String>"),
        "{out}"
    );
    let (out, _) = r.ok(&["symbols", "--name", "ConfigError", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["kind"], "struct");
    assert_eq!(rows[0]["start_line"], 6);

    let (out, _) = r.ok(&["map", "--tokens", "200"]);
    assert!(out.contains("pub fn parse_config"), "{out}");

    let (out, err) = r.ok(&[
        "context",
        "what does parse_config return?",
        "--context",
        "lib.rs",
        "--tokens",
        "300",
        "--explain",
    ]);
    assert!(out.starts_with("src/lib.rs:1-6\n```rust\n"), "{out}");
    assert!(out.contains("pub fn parse_config"), "{out}");
    assert!(
        err.contains("named with --context") && err.contains("named in the question"),
        "{err}"
    );

    // A --context pattern that matches nothing is an error naming it.
    let bad = r.run(&r.root, &["context", "x", "--context", "nope/*.zig"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nope/*.zig"));
}
