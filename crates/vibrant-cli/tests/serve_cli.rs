//! `vibrant serve` with a real model (SmolLM2), used by a real OpenAI-compatible client: Vibrant's
//! own `openai` backend (`vibrant ask --set backend.kind=openai`), streamed, then Ctrl-C stops
//! the server. An open address without an API key is refused before any model is loaded.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use vibrant_testutil::model_path;

fn vibrant(home: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vibrant"));
    c.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    c
}

#[test]
fn our_openai_client_gets_answers_from_our_server() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let mut server = vibrant(home)
        .args(["serve", "--port", "0", "-t", "2", "--ctx", "2048", "-m"])
        .arg(model_path("smollm2-135m-instruct-q4_1"))
        .current_dir(home)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");

    let out = vibrant(home)
        .args(["--set", "backend.kind=openai", "--set"])
        .arg(format!("backend.url={url}"))
        .args([
            "ask",
            "-m",
            "smollm2",
            "--no-context",
            "--no-session",
            "--no-stdin",
            "--json",
            "-n",
            "24",
            "--temp",
            "0",
            "What is the capital of France?",
        ])
        .current_dir(home)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: String = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["type"] == "delta")
        .filter_map(|e| e["text"].as_str().map(str::to_owned))
        .collect();
    assert!(answer.contains("Paris"), "{stdout}");

    // Ctrl-C stops the server cleanly.
    Command::new("kill")
        .args(["-INT", &server.id().to_string()])
        .status()
        .unwrap();
    let t = std::time::Instant::now();
    let status = loop {
        if let Some(s) = server.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the server did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn an_open_address_without_a_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = vibrant(dir.path())
        .args(["serve", "--host", "0.0.0.0", "-m", "no-such-model"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("without an API key"), "{err}");
    assert!(err.contains("--api-key-env"), "{err}");

    let out = vibrant(dir.path())
        .args(["serve", "--api-key-env", "VIBRANT_TEST_NO_SUCH_VAR"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("VIBRANT_TEST_NO_SUCH_VAR"));
}
