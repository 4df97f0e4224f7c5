//! `vibrant model …` end to end: the real binary against the local Hub imitation of
//! vibrant-models' tests, serving the real SmolLM2 GGUF; a real SIGINT mid-download, then resume.
#![allow(clippy::unwrap_used)]

#[path = "../../vibrant-models/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Faults, HubServer, SMOL_LEN, SMOL_SHA};

const REPO: &str = "test-org/SmolLM2-135M-Instruct-GGUF";
const FILE: &str = "SmolLM2-135M-Instruct-Q4_1.gguf";
const REF: &str = "hf.co/test-org/SmolLM2-135M-Instruct-GGUF:q4_1";

fn vibrant(home: &Path, endpoint: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vibrant"));
    for var in [
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_CACHE_HOME",
        "XDG_STATE_HOME",
        "VIBRANT_CONFIG",
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "HF_HOME",
        "VIBRANT_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("HF_ENDPOINT", endpoint)
        .env("HF_HUB_CACHE", home.join("no-hf-cache"))
        .env("OLLAMA_MODELS", home.join("no-ollama"))
        .env("VIBRANT_MODELS_DIR", home.join("models"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

fn run(home: &Path, endpoint: &str, args: &[&str]) -> Output {
    vibrant(home, endpoint).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn model_file(home: &Path) -> PathBuf {
    home.join("models/hf").join(REPO).join(FILE)
}

#[test]
fn pull_list_info_default_rm_as_a_new_user() {
    let server = HubServer::start();
    server.host_smol(REPO, FILE);
    let home = tempfile::tempdir().unwrap();
    let h = home.path();

    let out = run(h, &server.endpoint, &["model", "list"]);
    assert!(out.status.success());
    assert!(
        text(&out.stdout).contains("No models yet"),
        "{}",
        text(&out.stdout)
    );

    let out = run(h, &server.endpoint, &["model", "pull", REF]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("downloading SmolLM2-135M-Instruct-Q4_1.gguf (98.36 MB)"),
        "{err}"
    );
    assert!(
        err.contains("50% (") && err.contains("verifying sha256"),
        "{err}"
    );
    assert_eq!(
        vibrant_models::sha256_file(&model_file(h)).unwrap(),
        SMOL_SHA
    );

    let out = run(h, &server.endpoint, &["model", "list"]);
    let list = text(&out.stdout);
    assert!(
        list.contains("hf.co/test-org/SmolLM2-135M-Instruct-GGUF:Q4_1")
            && list.contains("98.36 MB"),
        "{list}"
    );

    let out = run(h, &server.endpoint, &["model", "info", REF]);
    let info = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        info.contains("llama") && info.contains("8192") && info.contains("49152"),
        "{info}"
    );

    let out = run(h, &server.endpoint, &["model", "default", REF]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(h, &server.endpoint, &["model", "list"]);
    assert!(
        text(&out.stdout).contains("* hf.co/test-org"),
        "{}",
        text(&out.stdout)
    );

    let out = run(h, &server.endpoint, &["model", "rm", REF]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("freed 98.36 MB"),
        "{}",
        text(&out.stdout)
    );
    assert!(!model_file(h).exists());

    let out = run(
        h,
        &server.endpoint,
        &["model", "pull", "hf.co/test-org/nothing-here:q4_k_m"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("HTTP 404"),
        "{}",
        text(&out.stderr)
    );
}

#[cfg(unix)]
#[test]
fn sigint_mid_download_keeps_the_partial_and_the_next_pull_resumes() {
    let server = HubServer::start();
    server.host_smol(REPO, FILE);
    // ~12 MB/s: the download takes about 8 s, time enough to interrupt it.
    server.set_faults(Faults {
        throttle: Some(Duration::from_millis(20)),
        ..Faults::default()
    });
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let partial = h
        .join("models/hf")
        .join(REPO)
        .join(format!("{FILE}.partial"));
    let child = vibrant(h, &server.endpoint)
        .args(["model", "pull", REF])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::metadata(&partial).map_or(0, |m| m.len()) < SMOL_LEN / 5 {
        assert!(Instant::now() < deadline, "the download never got to 20%");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("cancelled") && err.contains("next pull resumes it"),
        "{err}"
    );
    let kept = std::fs::metadata(&partial).unwrap().len();
    assert!((SMOL_LEN / 5..SMOL_LEN).contains(&kept), "{kept}");
    assert!(!model_file(h).exists());

    server.wait_idle();
    server.set_faults(Faults::default());
    let out = run(h, &server.endpoint, &["model", "pull", REF]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("resuming at"), "{err}");
    assert_eq!(
        vibrant_models::sha256_file(&model_file(h)).unwrap(),
        SMOL_SHA
    );
    server.wait_idle();
    let resumed: Vec<_> = server
        .cdn_log()
        .into_iter()
        .filter(|e| e.range_start.is_some())
        .collect();
    assert_eq!(resumed.len(), 1, "{resumed:?}");
    assert_eq!(
        resumed[0].range_start,
        Some(kept),
        "resumed exactly where the interrupted pull stopped"
    );
    assert_eq!(resumed[0].bytes_sent, SMOL_LEN - kept);
}

#[test]
fn two_processes_pulling_the_same_model_download_it_once() {
    let server = HubServer::start();
    server.host_smol(REPO, FILE);
    server.set_faults(Faults {
        throttle: Some(Duration::from_millis(3)),
        ..Faults::default()
    });
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let spawn = || {
        vibrant(h, &server.endpoint)
            .args(["model", "pull", REF])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = spawn();
    let partial = h
        .join("models/hf")
        .join(REPO)
        .join(format!("{FILE}.partial"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !partial.exists() {
        assert!(Instant::now() < deadline, "the first pull never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    let second = spawn();
    let outs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    for out in &outs {
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let waited = outs
        .iter()
        .filter(|o| text(&o.stderr).contains("another vibrant process is downloading it; waiting"))
        .count();
    assert_eq!(
        waited,
        1,
        "{}\n---\n{}",
        text(&outs[0].stderr),
        text(&outs[1].stderr)
    );
    assert!(
        text(&outs[1].stderr).contains("already downloaded"),
        "{}",
        text(&outs[1].stderr)
    );
    server.wait_idle();
    let served: u64 = server.cdn_log().iter().map(|e| e.bytes_sent).sum();
    assert_eq!(served, SMOL_LEN, "the bytes were fetched once");
    assert_eq!(
        vibrant_models::sha256_file(&model_file(h)).unwrap(),
        SMOL_SHA
    );
}
