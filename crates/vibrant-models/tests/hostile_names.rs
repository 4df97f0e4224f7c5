//! A hostile Hub (or mirror) or reference cannot write outside the model store: repository ids and
//! file names with `..` components, absolute paths, backslashes or control characters are refused
//! with [`ModelError::UnsafeName`] before anything is created on disk; an endless listing is cut
//! off.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use common::HubServer;
use vibrant_models::{DownloadOptions, Downloader, HubConfig, ModelError, Resolution, Store};

fn options() -> DownloadOptions {
    DownloadOptions {
        max_attempts: 1,
        backoff_initial: Duration::from_millis(1),
        backoff_max: Duration::from_millis(1),
        stall_timeout: Duration::from_millis(700),
        connect_timeout: Duration::from_secs(2),
        free_space_margin: 0,
    }
}

fn store(root: &Path) -> Store {
    Store::new(root.join("store"))
        .with_ollama_dir(None)
        .with_hf_cache(None)
}

/// Every file under `dir`, relative, except those below `dir/store`.
fn outside_store(dir: &Path) -> Vec<String> {
    fn walk(d: &Path, base: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.starts_with(base.join("store")) {
                continue;
            }
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn a_listing_with_dot_dot_file_names_cannot_escape_the_store() {
    let server = HubServer::start();
    let evil = "../../../../escape-Q4_K_M.gguf";
    server.host_smol("evil-org/evil-GGUF", evil);
    let tmp = tempfile::tempdir().unwrap();
    let store = store(tmp.path());
    let downloader =
        Downloader::new(HubConfig::with_endpoint(&server.endpoint), options()).unwrap();
    let result = store
        .resolve("hf.co/evil-org/evil-GGUF:Q4_K_M", &downloader)
        .and_then(|r| match r {
            Resolution::Remote(remote) => {
                store.pull(&remote, &downloader, &mut |_| {}, &AtomicBool::new(false))
            }
            Resolution::Local(m) => Ok(m),
        });
    assert_eq!(outside_store(tmp.path()), Vec::<String>::new());
    let err = result.unwrap_err();
    assert!(
        matches!(&err, ModelError::UnsafeName { field: "file name", value, .. } if value == evil),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(evil) && msg.contains(".."), "{msg}");
}

#[test]
fn a_reference_with_dot_dot_components_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store(tmp.path());
    for (reference, field) in [
        ("o/r/../../../../escape.gguf", "file name"),
        ("hf.co/../..:Q4_K_M", "repository id"),
        ("hf.co/o/..:Q4_K_M", "repository id"),
    ] {
        let err = store.resolve_offline(reference).unwrap_err();
        assert!(
            matches!(&err, ModelError::UnsafeName { field: f, .. } if *f == field),
            "{reference}: {err:?}"
        );
    }
    assert_eq!(outside_store(tmp.path()), Vec::<String>::new());
}

#[test]
fn unsafe_names_are_rejected_and_ordinary_ones_accepted() {
    use vibrant_models::{check_file_name, check_repo_id};
    for bad in [
        "..",
        "a/../../b.gguf",
        "/etc/passwd.gguf",
        "C:/x.gguf",
        "sub\\..\\x.gguf",
        "a\u{0}b.gguf",
        "a\nb.gguf",
        "",
        "a//b.gguf",
    ] {
        let err = check_file_name(bad).unwrap_err();
        assert!(
            matches!(&err, ModelError::UnsafeName { field: "file name", value, .. } if value == bad),
            "{bad:?}: {err:?}"
        );
    }
    for bad in [
        "../r", "o/..", "o", "o/r/x", "/o/r", "o\\r", "o/r\t", ".", "o/.",
    ] {
        assert!(
            matches!(
                check_repo_id(bad),
                Err(ModelError::UnsafeName {
                    field: "repository id",
                    ..
                })
            ),
            "{bad:?}"
        );
    }
    check_file_name("sub/m-Q4_K_M.gguf").unwrap();
    check_file_name("SmolLM2-135M-Instruct.Q4_1.gguf").unwrap();
    check_file_name("m..Q8_0.gguf").unwrap();
    check_repo_id("bartowski/Qwen2.5-Coder-7B-Instruct-GGUF").unwrap();
}

/// A "Hub" whose repository listing never ends: the downloader stops reading at its cap instead
/// of buffering it all.
#[test]
fn an_endless_repository_listing_is_cut_off() {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::{AtomicU64, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let sent = std::sync::Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 || line.trim().is_empty() {
                break;
            }
        }
        stream
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[",
            )
            .unwrap();
        let entry = r#"{"type":"file","path":"m-Q4_K_M.gguf","size":1},"#.repeat(1000);
        // At most ~48 MB, so that a downloader without the cap fails the test, not the machine.
        for _ in 0..1000 {
            if stream.write_all(entry.as_bytes()).is_err() {
                return;
            }
            counter.fetch_add(entry.len() as u64, Ordering::SeqCst);
        }
    });
    let downloader = Downloader::new(HubConfig::with_endpoint(&endpoint), options()).unwrap();
    let err = downloader.list_repo("o/r", "main").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("larger than") && msg.contains(&vibrant_models::MAX_LISTING_BYTES.to_string()),
        "{}",
        &msg[..msg.len().min(300)]
    );
    std::thread::sleep(Duration::from_millis(200));
    let sent = sent.load(Ordering::SeqCst);
    assert!(
        sent < 40_000_000,
        "the downloader read {sent} bytes of the listing"
    );
}
