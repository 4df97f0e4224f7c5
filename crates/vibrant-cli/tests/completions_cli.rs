//! Shell completion end to end: the scripts `vibrant completions bash|zsh` print are loaded into
//! a real bash / zsh, their completion function is called as the shell would on Tab, and the
//! answers must include the installed model (imported from the real SmolLM2 file) and this
//! repository's session ids from a temporary store. Fish's protocol (the same binary entry
//! point) is checked by calling it directly, since fish is not assumed to be installed.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Fixture {
    _dir: tempfile::TempDir,
    home: PathBuf,
    repo: PathBuf,
    state: PathBuf,
    models: PathBuf,
    sessions: Vec<String>,
}

const MODEL: &str = "smollm2-135m-instruct-q4_1";

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let (home, repo, state, models) = (
            root.join("home"),
            root.join("repo"),
            root.join("state"),
            root.join("models"),
        );
        for d in [&home, &repo.join(".git"), &state, &models] {
            std::fs::create_dir_all(d).unwrap();
        }
        let mut fx = Self {
            _dir: dir,
            home,
            repo,
            state,
            models,
            sessions: Vec::new(),
        };
        let model = vibrant_testutil::model_path(MODEL);
        let out = fx
            .vibrant()
            .args(["model", "import"])
            .arg(&model)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let store = vibrant_core::SessionStore::for_repo(&fx.state, &fx.repo);
        for _ in 0..2 {
            let w = store.create("embedded", MODEL).unwrap();
            fx.sessions.push(w.id().to_owned());
            // Ids sort by creation time to the millisecond.
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_ne!(fx.sessions[0], fx.sessions[1]);
        fx
    }

    fn env(&self, c: &mut Command) {
        c.current_dir(&self.repo)
            .env_clear()
            .env("HOME", &self.home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("VIBRANT_STATE_DIR", &self.state)
            .env("VIBRANT_MODELS_DIR", &self.models)
            .stdin(Stdio::null());
    }

    fn vibrant(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_vibrant"));
        self.env(&mut c);
        c
    }

    fn script(&self, shell: &str) -> PathBuf {
        let out = self
            .vibrant()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        let path = self.home.join(format!("vibrant.{shell}"));
        std::fs::write(&path, &out.stdout).unwrap();
        path
    }

    /// Runs `program -c code` in the fixture's environment; returns stdout lines.
    fn shell(&self, program: &str, args: &[&str], code: &str) -> Vec<String> {
        let mut c = Command::new(program);
        self.env(&mut c);
        let out = c
            .args(args)
            .arg("-c")
            .arg(code)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run {program} ({e}): install it (scripts/prereqs.sh does)")
            });
        assert!(
            out.status.success(),
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// What bash offers for the command line `words` (the last word is being completed).
fn bash(fx: &Fixture, script: &Path, words: &[&str]) -> Vec<String> {
    let list = words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
    let cword = words.len() - 1;
    let code = format!(
        "source {script}\nCOMP_WORDS=({list})\nCOMP_CWORD={cword}\nCOMP_TYPE=9\nCOMP_LINE={line}\nCOMP_POINT=${{#COMP_LINE}}\n_clap_complete_vibrant vibrant {cur} {prev}\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script = quote(&script.to_string_lossy()),
        line = quote(&words.join(" ")),
        cur = quote(words[cword]),
        prev = quote(words[cword.saturating_sub(1)]),
    );
    let mut got = fx.shell("bash", &["--norc", "--noprofile"], &code);
    got.retain(|l| !l.is_empty());
    got
}

#[test]
fn bash_completes_commands_models_and_session_ids() {
    let fx = Fixture::new();
    let script = fx.script("bash");
    let has = |got: &[String], want: &str| got.iter().any(|g| g == want);

    let got = bash(&fx, &script, &["vibrant", "mo"]);
    assert_eq!(got, ["model"], "subcommands");
    for words in [
        &["vibrant", "ask", "-m", ""][..],
        &["vibrant", "chat", "--model", "smo"],
        &["vibrant", "run", "--model", ""],
        &["vibrant", "model", "rm", ""],
        &["vibrant", "model", "default", "s"],
        &["vibrant", "model", "info", ""],
    ] {
        let got = bash(&fx, &script, words);
        assert!(has(&got, MODEL), "{words:?}: {got:?}");
    }
    let got = bash(&fx, &script, &["vibrant", "model", "rm", "zzz"]);
    assert!(got.is_empty(), "{got:?}");

    for words in [
        &["vibrant", "chat", "--resume", ""][..],
        &["vibrant", "ask", "--resume", ""],
        &["vibrant", "sessions", "show", ""],
        &["vibrant", "sessions", "rm", ""],
    ] {
        let got = bash(&fx, &script, words);
        for id in &fx.sessions {
            assert!(has(&got, id), "{words:?}: {got:?}");
        }
        assert!(has(&got, "latest"), "{words:?}: {got:?}");
    }
    // The newest session comes first (after `latest`), and a prefix narrows the list.
    let got = bash(&fx, &script, &["vibrant", "sessions", "show", ""]);
    let pos = |id: &str| got.iter().position(|g| g == id).unwrap();
    assert!(pos(&fx.sessions[1]) < pos(&fx.sessions[0]), "{got:?}");
    let newest = &fx.sessions[1];
    let got = bash(&fx, &script, &["vibrant", "sessions", "rm", newest]);
    assert_eq!(got, std::slice::from_ref(newest));
}

#[test]
fn zsh_and_fish_get_the_same_values() {
    let fx = Fixture::new();
    let script = fx.script("zsh");
    // zsh: load the script after compinit and capture what it hands to `_describe`.
    let run = |words: &[&str]| {
        let list = words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ");
        let code = format!(
            "autoload -U compinit && compinit -u -D\nsource {script}\n_describe() {{ print -l -- \"${{(@P)${{@[-1]}}}}\" }}\nwords=({list})\nCURRENT={n}\n_clap_dynamic_completer_vibrant",
            script = quote(&script.to_string_lossy()),
            n = words.len(),
        );
        fx.shell("zsh", &["-f"], &code)
    };
    let got = run(&["vibrant", "model", "rm", ""]);
    assert!(
        got.iter().any(|g| g.starts_with(&format!("{MODEL}:"))),
        "{got:?}"
    );
    let got = run(&["vibrant", "chat", "--resume", ""]);
    for id in &fx.sessions {
        assert!(got.iter().any(|g| g == id), "{got:?}");
    }

    // fish: `COMPLETE=fish vibrant -- WORDS… CURRENT`, one `value<TAB>help` per line.
    let out = fx
        .vibrant()
        .env("COMPLETE", "fish")
        .args(["--", "vibrant", "sessions", "show", ""])
        .output()
        .unwrap();
    let got = String::from_utf8_lossy(&out.stdout);
    for id in &fx.sessions {
        assert!(got.lines().any(|l| l == id), "{got}");
    }
    let out = fx
        .vibrant()
        .env("COMPLETE", "fish")
        .args(["--", "vibrant", "ask", "-m", ""])
        .output()
        .unwrap();
    let got = String::from_utf8_lossy(&out.stdout);
    assert!(
        got.lines().any(|l| l == format!("{MODEL}\tQ4_1, imported")),
        "{got}"
    );
    // The registration script names the completer by absolute path.
    let out = fx.vibrant().args(["completions", "fish"]).output().unwrap();
    let reg = String::from_utf8_lossy(&out.stdout);
    assert!(
        reg.contains("COMPLETE=fish") && reg.contains(env!("CARGO_BIN_EXE_vibrant")),
        "{reg}"
    );
}

#[test]
fn static_scripts_still_cover_every_command() {
    let fx = Fixture::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = fx
            .vibrant()
            .args(["completions", "--static", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        let s = String::from_utf8_lossy(&out.stdout);
        for cmd in ["ask", "chat", "sessions", "completions", "model"] {
            assert!(s.contains(cmd), "{shell}: {cmd}");
        }
        assert!(
            !s.contains("COMPLETE="),
            "{shell}: static means no callback"
        );
    }
}
