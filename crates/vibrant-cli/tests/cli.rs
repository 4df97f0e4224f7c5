//! End-to-end tests of the `vibrant` binary, each in a fresh temporary HOME with a clean
//! environment, so the user's own configuration never leaks in.

#![allow(clippy::unwrap_used)] // test helpers panic on setup failures by design

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Sandbox {
    _dir: tempfile::TempDir,
    home: PathBuf,
    cwd: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let cwd = dir.path().join("project/src");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&cwd).unwrap();
        Self {
            _dir: dir,
            home,
            cwd,
        }
    }

    fn user_file(&self) -> PathBuf {
        self.home.join(".config/vibrant/config.toml")
    }

    fn project_file(&self) -> PathBuf {
        self.cwd.parent().unwrap().join(".vibrant/config.toml")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vibrant"));
        cmd.args(args)
            .current_dir(&self.cwd)
            .env_clear()
            .env("HOME", &self.home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        cmd
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.cmd(args);
        cmd.envs(env.iter().copied());
        cmd.output().unwrap()
    }

    /// Runs and expects success; returns stdout.
    fn ok(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = self.run(args, env);
        assert!(
            out.status.success(),
            "vibrant {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and expects failure with exit code 1; returns stderr.
    fn fails(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = self.run(args, env);
        assert_eq!(out.status.code(), Some(1), "vibrant {args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "errors go to stderr only: {out:?}");
        String::from_utf8(out.stderr).unwrap()
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn version_names_the_crate_version() {
    let sb = Sandbox::new();
    let out = sb.ok(&["--version"], &[]);
    assert!(
        out.starts_with(&format!("vibrant {}", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
}

#[test]
fn no_arguments_without_input_is_an_error_and_unknown_commands_exit_2() {
    let sb = Sandbox::new();
    // stdin is not a terminal here (`output()` gives it no input): nothing to answer.
    let err = sb.fails(&[], &[]);
    assert!(err.contains("nothing piped on stdin"), "{err}");
    let out = sb.run(&["frobnicate"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn system_reports_this_machine() {
    let sb = Sandbox::new();
    let table = sb.ok(&["system"], &[]);
    for label in [
        "os ",
        "cpu ",
        "cores ",
        "memory ",
        "memory limit ",
        "simd ",
        "threads ",
    ] {
        assert!(
            table.lines().any(|l| l.starts_with(label)),
            "no {label:?} row in\n{table}"
        );
    }
    let json: serde_json::Value = serde_json::from_str(&sb.ok(&["system", "--json"], &[])).unwrap();
    assert!(json["cpu"]["logical_cores"].as_u64().unwrap() >= 1);
    assert!(json["recommended_threads"].as_u64().unwrap() >= 1);
    if let Ok(meminfo) = std::fs::read_to_string("/proc/meminfo") {
        let kb: u64 = meminfo
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(json["memory"]["host_total_bytes"].as_u64(), Some(kb * 1024));
        assert!(json["memory"]["total_bytes"].as_u64().unwrap() <= kb * 1024);
    }
    // engine.threads from the config shows up with its origin.
    let table = sb.ok(&["system"], &[("VIBRANT_ENGINE_THREADS", "3")]);
    assert!(
        table.contains("3 (engine.threads, from environment variable VIBRANT_ENGINE_THREADS)"),
        "{table}"
    );
}

#[test]
fn config_set_get_on_a_fresh_home() {
    let sb = Sandbox::new();
    let path = sb.ok(&["config", "path"], &[]);
    assert_eq!(path.trim(), sb.user_file().display().to_string());
    assert!(!sb.user_file().exists());

    let out = sb.run(&["config", "set", "generation.temperature", "0.7"], &[]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("set generation.temperature = 0.7"));
    assert_eq!(
        std::fs::read_to_string(sb.user_file()).unwrap(),
        "[generation]\ntemperature = 0.7\n"
    );
    assert_eq!(
        sb.ok(&["config", "get", "generation.temperature"], &[]),
        "0.7\n"
    );
    assert_eq!(
        sb.ok(
            &["config", "get", "generation.temperature", "--show-origin"],
            &[]
        ),
        format!("0.7\tuser config {}\n", sb.user_file().display())
    );
    sb.ok(&["config", "set", "model.default", "qwen2.5-coder"], &[]);
    assert_eq!(
        sb.ok(&["config", "get", "model.default"], &[]),
        "qwen2.5-coder\n"
    );

    let list = sb.ok(&["config", "list"], &[]);
    assert!(list.contains("generation.temperature = 0.7\n"), "{list}");
    assert!(list.contains("model.context_length = 4096\n"), "{list}");
    let json: serde_json::Value =
        serde_json::from_str(&sb.ok(&["config", "list", "--json"], &[])).unwrap();
    assert_eq!(json["generation.top_k"]["value"], 40);
    assert_eq!(json["generation.top_k"]["origin"], "default");
    assert_eq!(json["model.default"]["value"], "qwen2.5-coder");

    sb.ok(&["config", "unset", "model.default"], &[]);
    let err = sb.fails(&["config", "get", "model.default"], &[]);
    assert!(err.contains("`model.default` is not set"), "{err}");

    let err = sb.fails(&["config", "set", "generation.top_k", "many"], &[]);
    assert!(
        err.contains("`generation.top_k` must be an integer"),
        "{err}"
    );
    let err = sb.fails(&["config", "get", "generation.topk"], &[]);
    assert!(
        err.contains("unknown config key `generation.topk`; did you mean `generation.top_k`?"),
        "{err}"
    );
}

/// The disk fills up while `config set` writes (a file-size limit of 0 with `SIGXFSZ` ignored,
/// so every write fails with `EFBIG` as it would with `ENOSPC`): the old config stays whole, no
/// temporary file is left behind, and the error names the file.
#[cfg(unix)]
#[test]
fn a_full_disk_during_config_set_keeps_the_old_file() {
    let sb = Sandbox::new();
    sb.ok(&["config", "set", "generation.temperature", "0.7"], &[]);
    let before = std::fs::read_to_string(sb.user_file()).unwrap();
    let out = Command::new("sh")
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 0 && exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_vibrant"),
            "config",
            "set",
            "model.default",
            "qwen2.5-coder",
        ])
        .current_dir(&sb.cwd)
        .env_clear()
        .env("HOME", &sb.home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&sb.user_file().display().to_string()) && err.contains("large"),
        "the error names the file and the cause: {err}"
    );
    assert_eq!(std::fs::read_to_string(sb.user_file()).unwrap(), before);
    let dir = sb.user_file().parent().unwrap().to_path_buf();
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["config.toml"], "no temporary file left");
    assert_eq!(
        sb.ok(&["config", "get", "generation.temperature"], &[]),
        "0.7\n"
    );
}

#[test]
fn precedence_user_project_env_flag() {
    let sb = Sandbox::new();
    let get = |env: &[(&str, &str)], extra: &[&str]| {
        let mut args = vec!["config", "get", "generation.top_k", "--show-origin"];
        args.extend_from_slice(extra);
        sb.ok(&args, env)
    };
    assert_eq!(get(&[], &[]), "40\tdefault\n");
    write(&sb.user_file(), "[generation]\ntop_k = 10\n");
    assert_eq!(
        get(&[], &[]),
        format!("10\tuser config {}\n", sb.user_file().display())
    );
    write(&sb.project_file(), "[generation]\ntop_k = 20\n");
    assert_eq!(
        get(&[], &[]),
        format!("20\tproject config {}\n", sb.project_file().display())
    );
    let env = [("VIBRANT_GENERATION_TOP_K", "30")];
    assert_eq!(
        get(&env, &[]),
        "30\tenvironment variable VIBRANT_GENERATION_TOP_K\n"
    );
    assert_eq!(
        get(&env, &["--set", "generation.top_k=50"]),
        "50\tcommand-line flag --set\n"
    );

    // --config and VIBRANT_CONFIG move the user file.
    std::fs::remove_file(sb.project_file()).unwrap();
    let other = sb.home.join("other.toml");
    write(&other, "[generation]\ntop_k = 7\n");
    let env = [("VIBRANT_CONFIG", other.to_str().unwrap())];
    assert_eq!(
        get(&env, &[]),
        format!("7\tuser config {}\n", other.display())
    );
    let flag = sb.home.join("flag.toml");
    write(&flag, "[generation]\ntop_k = 8\n");
    assert_eq!(
        get(&env, &["--config", flag.to_str().unwrap()]),
        format!("8\tuser config {}\n", flag.display())
    );

    // --color is the flag layer of ui.color.
    write(&sb.user_file(), "[ui]\ncolor = \"always\"\n");
    assert_eq!(
        sb.ok(
            &[
                "config",
                "get",
                "ui.color",
                "--color",
                "never",
                "--show-origin"
            ],
            &[]
        ),
        "never\tcommand-line flag --color\n"
    );
    assert_eq!(
        sb.run(&["config", "path", "--color", "sometimes"], &[])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn project_set_writes_the_project_file() {
    let sb = Sandbox::new();
    // No project file yet: created in the working directory.
    sb.ok(
        &["config", "set", "--project", "model.context_length", "2048"],
        &[],
    );
    let created = sb.cwd.join(".vibrant/config.toml");
    assert_eq!(
        std::fs::read_to_string(&created).unwrap(),
        "[model]\ncontext_length = 2048\n"
    );
    assert_eq!(
        sb.ok(&["config", "path", "--project"], &[]).trim(),
        created.display().to_string()
    );
    let err = sb.fails(
        &["config", "set", "--project", "backend.url", "http://x"],
        &[],
    );
    assert!(err.contains("cannot be set in a project file"), "{err}");
}

#[test]
fn bad_config_files_are_reported_with_file_and_key_and_can_be_repaired() {
    let sb = Sandbox::new();
    let file = sb.user_file().display().to_string();
    write(
        &sb.user_file(),
        "# keep me\n[generation]\ntemprature = 0.5\ntop_k = 3\n",
    );
    let err = sb.fails(&["config", "list"], &[]);
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.contains(&format!(
            "{file}:3: unknown config key `generation.temprature`"
        )),
        "{err}"
    );
    // `system` still works, and says what is wrong.
    let out = sb.run(&["system"], &[("VIBRANT_ENGINE_THREADS", "x")]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("generation.temprature"), "{stderr}");

    // The broken key can be removed with the CLI, keeping the rest.
    sb.ok(&["config", "unset", "generation.temprature"], &[]);
    assert_eq!(
        std::fs::read_to_string(sb.user_file()).unwrap(),
        "# keep me\n[generation]\ntop_k = 3\n"
    );
    assert_eq!(sb.ok(&["config", "get", "generation.top_k"], &[]), "3\n");

    write(&sb.user_file(), "[model]\ncontext_length = \"big\"\n");
    let err = sb.fails(&["config", "get", "model.context_length"], &[]);
    assert!(
        err.contains(&format!("{file}:2: `model.context_length` must be an integer from 0 to 4294967295, found a string (\"big\")")),
        "{err}"
    );
    write(&sb.user_file(), "[model\n");
    let err = sb.fails(&["config", "list"], &[]);
    assert!(
        err.contains(&format!("config file {file} is not valid TOML")),
        "{err}"
    );

    std::fs::remove_file(sb.user_file()).unwrap();
    std::fs::create_dir_all(sb.user_file()).unwrap();
    let err = sb.fails(&["config", "list"], &[]);
    assert!(
        err.contains(&format!(
            "error: cannot read config file {file}\n  caused by: "
        )),
        "{err}"
    );
}

#[test]
fn logs_go_to_stderr_only() {
    let sb = Sandbox::new();
    let out = sb.run(&["config", "path"], &[("VIBRANT_LOG", "debug")]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        sb.user_file().display().to_string()
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("configuration loaded"),
        "{out:?}"
    );
    let out = sb.run(&["-vv", "config", "path"], &[]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("configuration loaded"),
        "{out:?}"
    );
    let out = sb.run(&["config", "path"], &[]);
    assert!(out.stderr.is_empty(), "quiet by default: {out:?}");
    // A misspelt variable is worth a warning, also on stderr.
    let out = sb.run(&["config", "path"], &[("VIBRANT_GENERATION_TOPK", "1")]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("did you mean VIBRANT_GENERATION_TOP_K?"),
        "{out:?}"
    );
    let out = sb.run(
        &["-q", "config", "path"],
        &[("VIBRANT_GENERATION_TOPK", "1")],
    );
    assert!(out.stderr.is_empty(), "{out:?}");
}

#[test]
fn a_closed_stdout_pipe_exits_quietly() {
    let sb = Sandbox::new();
    for args in [
        &["completions", "bash"][..],
        &["system", "--json"],
        &["config", "list"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = sb.cmd(args).stdout(writer).output().unwrap();
        assert!(out.status.success(), "vibrant {args:?}: {out:?}");
        assert!(
            out.stderr.is_empty(),
            "vibrant {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn completion_scripts_are_valid_shell() {
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = sb.ok(&["completions", shell], &[]);
        assert!(script.contains("vibrant"), "{shell}");
        assert!(
            script.contains("COMPLETE"),
            "{shell}: vibrant is called back to complete (see completions_cli.rs)"
        );
        let file = sb.home.join(format!("vibrant.{shell}"));
        std::fs::write(&file, &script).unwrap();
        let checker = match shell {
            "bash" | "zsh" => shell,
            _ => continue,
        };
        match Command::new(checker).arg("-n").arg(&file).output() {
            Ok(out) => assert!(
                out.status.success(),
                "{shell} -n: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
            // zsh is optional on developer machines; CI installs it.
            Err(e) if checker == "zsh" && e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("running {checker}: {e}"),
        }
    }
    // Sourcing the bash script registers the completion function.
    let script = sb.home.join("vibrant.bash");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p vibrant",
            script.display()
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("vibrant"),
        "{out:?}"
    );
}

/// Attack: a task run with the home directory as the workspace (started from `~`, or a dotfiles
/// repository) would put every file of the user's within the agent's reach. Refused before any
/// model is loaded, with what to do instead; nothing in the home directory changes.
#[test]
fn agent_refuses_the_home_directory_as_its_workspace() {
    let sb = Sandbox::new();
    write(&sb.home.join(".bashrc"), "export EDITOR=vi\n");
    let home = sb.home.to_str().unwrap();
    let err = sb.fails(
        &[
            "agent",
            "-C",
            home,
            "--approval",
            "full-auto",
            "rm -rf ~/.ssh",
        ],
        &[],
    );
    assert!(err.contains("home directory"), "{err}");
    assert!(err.contains("--allow-broad-workspace"), "{err}");
    assert_eq!(
        std::fs::read_to_string(sb.home.join(".bashrc")).unwrap(),
        "export EDITOR=vi\n"
    );
}

/// Issue 15: the recommendation weighs the machine's speed (a cached bandwidth probe) for the
/// workload asked for, and says so.
#[test]
fn model_recommend_estimates_speed_for_the_workload_and_caches_the_probe() {
    let sb = Sandbox::new();
    let out = sb.ok(&["model", "recommend", "--for", "agent", "--json"], &[]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["workload"]["name"], "agent", "{json}");
    let bw = json["facts"]["speed"]["bandwidth"].as_f64().unwrap();
    assert!(bw > 1e8, "{json}");
    let choice = &json["choice"];
    assert!(
        choice["speed"]["request_secs"].as_f64().unwrap() > 0.0,
        "{json}"
    );
    let cache = sb.home.join(".local/state/vibrant/machine-speed.json");
    let cached: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    assert_eq!(cached["bandwidth"].as_f64().unwrap(), bw);
    // The second run reads the cache: the same figure.
    let again: serde_json::Value =
        serde_json::from_str(&sb.ok(&["model", "recommend", "--json"], &[])).unwrap();
    assert_eq!(again["facts"]["speed"]["bandwidth"].as_f64().unwrap(), bw);
    let text = sb.ok(&["model", "recommend"], &[]);
    assert!(text.contains("tok/s"), "{text}");
    assert!(text.contains("estimated"), "{text}");
}

/// Issue 15: a first `vibrant ask` on a machine that cannot reach the Hub says so and what to do
/// instead (models already on disk, `vibrant model import`), instead of only a network error.
#[test]
fn a_first_ask_without_the_hub_points_to_local_models_and_import() {
    let sb = Sandbox::new();
    // Nothing listens on port 9 of this machine: connections are refused at once.
    let err = sb.fails(
        &["ask", "-y", "what does this project do?"],
        &[("HF_ENDPOINT", "http://127.0.0.1:9")],
    );
    assert!(err.contains("could not be downloaded"), "{err}");
    assert!(err.contains("vibrant model import"), "{err}");
    assert!(
        err.contains("Connection refused") || err.contains("connect"),
        "{err}"
    );
}
