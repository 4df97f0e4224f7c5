//! The engine commands end to end on a real model: `run`, `tokenize`, `perplexity`, `model inspect`,
//! and Ctrl-C during generation.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::process::{Command, Stdio};

use vibrant_testutil::model_path;

const SMOL: &str = "smollm2-135m-instruct-q4_1";

fn vibrant(home: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vibrant"));
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("VIBRANT_LOG")
        .stdin(Stdio::null());
    cmd
}

#[test]
fn run_greedy_continues_like_llama_cpp_and_reports_stats() {
    let home = tempfile::tempdir().unwrap();
    let out = vibrant(home.path())
        .args(["run", "-m"])
        .arg(model_path(SMOL))
        .args(["-p", "The capital of France is", "-n", "4", "--temp", "0"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");
    // llama.cpp's greedy continuation of this prompt starts with " Paris.".
    assert!(stdout.starts_with(" Paris."), "stdout: {stdout:?}");
    assert!(
        stderr.contains("generated: 4 tokens") && stderr.contains("max tokens"),
        "stderr: {stderr}"
    );
}

#[test]
fn run_chat_uses_the_template_and_stops_at_end_of_turn() {
    let home = tempfile::tempdir().unwrap();
    let out = vibrant(home.path())
        .args(["run", "--chat", "-m"])
        .arg(model_path(SMOL))
        .args(["-p", "Say hello.", "-n", "64", "--temp", "0"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");
    assert!(
        !stdout.contains("<|im_end|>") && !stdout.trim().is_empty(),
        "stdout: {stdout:?}"
    );
    assert!(
        stderr.contains("stop: end of generation") || stderr.contains("max tokens"),
        "stderr: {stderr}"
    );
}

#[test]
fn tokenize_ids_match_llama_cpp() {
    let home = tempfile::tempdir().unwrap();
    let out = vibrant(home.path())
        .args(["tokenize", "--ids", "-m"])
        .arg(model_path(SMOL))
        .arg("Hello, world!")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "[19556, 28, 905, 17]"
    );
}

#[test]
fn model_inspect_describes_the_file() {
    let home = tempfile::tempdir().unwrap();
    let out = vibrant(home.path())
        .args(["model", "inspect"])
        .arg(model_path(SMOL))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "architecture   llama",
        "layers         30",
        "Q4_1",
        "tied to the token embedding",
        "smollm",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
}

#[test]
fn bad_model_files_are_refused_with_the_reason() {
    let home = tempfile::tempdir().unwrap();
    let bogus = home.path().join("bogus.gguf");
    std::fs::write(&bogus, b"GGUF\x03\x00\x00\x00not really").unwrap();
    let out = vibrant(home.path())
        .args(["run", "-p", "hi", "-m"])
        .arg(&bogus)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("bogus.gguf"), "stderr: {stderr}");
    let out = vibrant(home.path())
        .args(["run", "-m"])
        .arg(model_path(SMOL))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no prompt"));
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_generation_and_keeps_the_output() {
    let home = tempfile::tempdir().unwrap();
    let child = vibrant(home.path())
        .args(["run", "-m"])
        .arg(model_path(SMOL))
        .args([
            "-p",
            "Once upon a time",
            "-n",
            "100000",
            "--ctx",
            "8192",
            "--temp",
            "0.8",
            "--seed",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(4));
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "stderr: {stderr}");
    assert!(stdout.len() > 10, "generated text was kept: {stdout:?}");
    assert!(stderr.contains("stop: interrupted"), "stderr: {stderr}");
}

#[test]
fn engine_kernels_config_selects_the_kernel_level() {
    let home = tempfile::tempdir().unwrap();
    let out = vibrant(home.path())
        .env_remove("VIBRANT_KERNELS")
        .args([
            "--set",
            "engine.kernels=scalar",
            "bench",
            "--json",
            "-p",
            "16",
            "-n",
            "2",
            "-r",
            "1",
            "-m",
        ])
        .arg(model_path(SMOL))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["kernels"], "scalar", "{line}");
        assert!(v["avg_ts"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(stdout.lines().count(), 2, "one line per test (pp16, tg2)");
}

#[test]
fn context_budget_is_measured_with_the_model_tokenizer() {
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join("src")).unwrap();
    for i in 1..=5 {
        std::fs::write(
            repo.path().join(format!("src/m{i}.rs")),
            format!(
                "pub fn checksum_{i}(data: &[u8]) -> u32 {{\n    data.iter().map(|&b| b as u32 * {i}).sum()\n}}\n\n\
                 pub struct Packet{i} {{ pub id: u32, pub payload: Vec<u8> }}\n"
            ),
        )
        .unwrap();
    }
    let budget = 80;
    let out = vibrant(home.path())
        .current_dir(repo.path())
        .args([
            "-q",
            "context",
            "which function computes the checksum",
            "--tokens",
            &budget.to_string(),
            "-m",
        ])
        .arg(model_path(SMOL))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("checksum_"), "{text}");
    let file = vibrant_gguf::GgufFile::open(model_path(SMOL)).unwrap();
    let tokenizer = vibrant_engine::Tokenizer::from_gguf(&file).unwrap();
    let tokens = tokenizer.encode(&text, false, false).unwrap().len();
    assert!(
        tokens <= budget,
        "{tokens} tokens of SmolLM2's tokenizer exceed the budget of {budget}:\n{text}"
    );
}
