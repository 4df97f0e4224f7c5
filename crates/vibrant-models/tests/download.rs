//! The downloader against a local imitation of the Hub serving the real SmolLM2 GGUF.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{Faults, HubServer, SMOL_LEN, SMOL_SHA, downloader, options};
use vibrant_models::{
    DownloadEvent, Downloader, FileSpec, HubConfig, ModelError, Resolution, Store,
};

const REPO: &str = "test-org/SmolLM2-GGUF";
const FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

fn spec(server: &HubServer, dir: &Path) -> FileSpec {
    FileSpec {
        url: HubConfig::with_endpoint(&server.endpoint).file_url(REPO, "main", FILE),
        dest: dir.join(FILE),
        exact_size: None,
        size_hint: None,
        sha256: None,
        sha256_origin: "catalog",
    }
}

fn served_total(server: &HubServer) -> u64 {
    server.wait_idle();
    server.cdn_log().iter().map(|e| e.bytes_sent).sum()
}

#[test]
fn full_download_follows_redirect_and_verifies_linked_etag() {
    let server = HubServer::start();
    server.host_smol(REPO, FILE);
    let dir = tempfile::tempdir().unwrap();
    let mut events = Vec::new();
    let out = downloader(&server)
        .download_file(
            &spec(&server, dir.path()),
            &mut |e| events.push(e),
            &AtomicBool::new(false),
        )
        .unwrap();
    assert_eq!(out.bytes, SMOL_LEN);
    assert_eq!(out.sha256.as_deref(), Some(SMOL_SHA));
    assert_eq!(out.verified_against, Some("X-Linked-ETag"));
    assert_eq!(
        vibrant_models::sha256_file(&dir.path().join(FILE)).unwrap(),
        SMOL_SHA
    );
    assert!(!dir.path().join(format!("{FILE}.partial")).exists());
    assert!(!dir.path().join(format!("{FILE}.lock")).exists());
    server.wait_idle();
    let log = server.log();
    assert_eq!(log[0].status, 302, "the resolve URL redirects: {log:?}");
    assert_eq!(log[1].status, 200);
    assert_eq!(served_total(&server), SMOL_LEN);
    assert!(matches!(
        events.first(),
        Some(DownloadEvent::Started {
            total: Some(SMOL_LEN),
            resumed_from: 0,
            ..
        })
    ));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, DownloadEvent::Verifying { .. }))
    );
    assert!(matches!(
        events.last(),
        Some(DownloadEvent::Finished {
            bytes: SMOL_LEN,
            already_present: false,
            ..
        })
    ));

    // A second call finds the file in place and fetches nothing.
    server.clear_log();
    let again = downloader(&server)
        .download_file(
            &spec(&server, dir.path()),
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
    assert!(again.already_present);
    assert!(server.log().is_empty());
}

#[test]
fn connection_cut_at_30_percent_resumes_without_refetching() {
    let server = HubServer::start();
    server.host_smol(REPO, FILE);
    let cut = SMOL_LEN * 3 / 10;
    server.set_faults(Faults {
        cut_first_at: Some(cut),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut retries = 0;
    let out = downloader(&server)
        .download_file(
            &spec(&server, dir.path()),
            &mut |e| {
                if matches!(e, DownloadEvent::Retrying { .. }) {
                    retries += 1;
                }
            },
            &AtomicBool::new(false),
        )
        .unwrap();
    assert_eq!(out.sha256.as_deref(), Some(SMOL_SHA));
    assert_eq!(retries, 1);
    server.wait_idle();
    let cdn = server.cdn_log();
    assert_eq!(cdn.len(), 2, "{cdn:?}");
    assert_eq!(cdn[0].bytes_sent, cut);
    assert_eq!(
        cdn[1].range_start,
        Some(cut),
        "the retry resumes at the cut"
    );
    assert_eq!(cdn[1].status, 206);
    assert_eq!(
        served_total(&server),
        SMOL_LEN,
        "no byte before the cut was fetched twice"
    );
}

#[test]
fn server_ignoring_range_restarts_from_zero_and_still_verifies() {
    let server = HubServer::start();
    server.host_smol(REPO, FILE);
    let dir = tempfile::tempdir().unwrap();
    // A partial holding the first 30% (correct bytes, with their validator) from an earlier run.
    let cancel = AtomicBool::new(false);
    let err = downloader(&server)
        .download_file(
            &spec(&server, dir.path()),
            &mut |e| {
                if let DownloadEvent::Progress { done, .. } = e
                    && done >= SMOL_LEN * 3 / 10
                {
                    cancel.store(true, Ordering::SeqCst);
                }
            },
            &cancel,
        )
        .unwrap_err();
    let ModelError::Cancelled { done: part, .. } = err else {
        panic!("{err}")
    };
    server.wait_idle();
    server.clear_log();
    server.set_faults(Faults {
        ignore_range: true,
        ..Faults::default()
    });
    let mut ignored = None;
    let out = downloader(&server)
        .download_file(
            &spec(&server, dir.path()),
            &mut |e| {
                if let DownloadEvent::RangeIgnored { discarded, .. } = e {
                    ignored = Some(discarded);
                }
            },
            &AtomicBool::new(false),
        )
        .unwrap();
    assert_eq!(ignored, Some(part));
    assert_eq!(out.sha256.as_deref(), Some(SMOL_SHA));
    server.wait_idle();
    let cdn = server.cdn_log();
    assert_eq!(cdn.len(), 1);
    assert_eq!(cdn[0].range_start, Some(part), "the client asked to resume");
    assert_eq!(cdn[0].status, 200, "the server sent everything");
}

#[test]
fn wrong_hash_removes_the_partial_and_says_so() {
    let server = HubServer::start();
    server.host_smol(REPO, FILE);
    let wrong = "0".repeat(64);
    server.set_faults(Faults {
        etag_override: Some(wrong.clone()),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let err = downloader(&server)
        .download_file(
            &spec(&server, dir.path()),
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap_err();
    assert!(matches!(err, ModelError::HashMismatch { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&wrong) && msg.contains(SMOL_SHA), "{msg}");
    assert!(
        msg.contains("was removed") && msg.contains("X-Linked-ETag"),
        "{msg}"
    );
    assert!(!dir.path().join(format!("{FILE}.partial")).exists());
    assert!(!dir.path().join(FILE).exists());

    // A catalog hash wins over the ETag and is checked the same way.
    server.set_faults(Faults::default());
    let mut s = spec(&server, dir.path());
    s.sha256 = Some("f".repeat(64));
    let err = downloader(&server)
        .download_file(&s, &mut |_| {}, &AtomicBool::new(false))
        .unwrap_err()
        .to_string();
    assert!(err.contains("expected value from catalog"), "{err}");
}

#[test]
fn not_found_is_reported_with_the_url_and_not_retried() {
    let server = HubServer::start();
    let dir = tempfile::tempdir().unwrap();
    let err = downloader(&server)
        .download_file(
            &spec(&server, dir.path()),
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap_err();
    assert!(matches!(err, ModelError::NotFound { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("{REPO}/resolve/main/{FILE}")),
        "{err}"
    );
    assert_eq!(server.log().len(), 1, "a 404 is not retried");
}

#[test]
fn gated_repo_needs_the_token_which_is_sent() {
    let server = HubServer::start();
    server.host_smol(REPO, FILE);
    server.set_faults(Faults {
        gated: [(REPO.to_owned(), "secret".to_owned())].into(),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let err = downloader(&server)
        .download_file(
            &spec(&server, dir.path()),
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap_err();
    assert!(
        matches!(err, ModelError::Unauthorized { status: 401, .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("HF_TOKEN") && msg.contains("gated"), "{msg}");

    let mut hub = HubConfig::with_endpoint(&server.endpoint);
    hub.token = Some("secret".to_owned());
    let out = Downloader::new(hub, options())
        .unwrap()
        .download_file(
            &spec(&server, dir.path()),
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
    assert_eq!(out.sha256.as_deref(), Some(SMOL_SHA));
    assert!(
        server
            .log()
            .iter()
            .any(|e| e.auth.as_deref() == Some("Bearer secret"))
    );
}

#[test]
fn a_stall_is_detected_and_the_download_resumes() {
    let server = HubServer::start();
    server.host_smol(REPO, FILE);
    let at = SMOL_LEN / 10;
    server.set_faults(Faults {
        stall_first_at: Some((at, Duration::from_secs(5))),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut reasons = Vec::new();
    let out = downloader(&server)
        .download_file(
            &spec(&server, dir.path()),
            &mut |e| {
                if let DownloadEvent::Retrying { reason, .. } = e {
                    reasons.push(reason);
                }
            },
            &AtomicBool::new(false),
        )
        .unwrap();
    assert_eq!(out.sha256.as_deref(), Some(SMOL_SHA));
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("stalled"), "{reasons:?}");
    // (The stalled request is still held open by the server, so only the resumed one is logged.)
    let resumed = server
        .cdn_log()
        .into_iter()
        .find(|e| e.range_start.is_some())
        .unwrap();
    assert_eq!(resumed.range_start, Some(at));
    assert_eq!(
        resumed.bytes_sent,
        SMOL_LEN - at,
        "only the bytes after the stall were fetched again"
    );
}

#[test]
fn two_concurrent_pulls_download_once() {
    let server = HubServer::start();
    server.host_smol(REPO, FILE);
    server.set_faults(Faults {
        throttle: Some(Duration::from_millis(2)),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let dl = downloader(&server);
    let s = spec(&server, dir.path());
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut waited = false;
                    let out = dl
                        .download_file(
                            &s,
                            &mut |e| {
                                if matches!(e, DownloadEvent::WaitingForLock { .. }) {
                                    waited = true;
                                }
                            },
                            &AtomicBool::new(false),
                        )
                        .unwrap();
                    (out, waited)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|(o, _)| o.already_present).count(), 1);
    assert_eq!(
        results.iter().filter(|(_, waited)| *waited).count(),
        1,
        "one waited for the lock"
    );
    assert_eq!(
        served_total(&server),
        SMOL_LEN,
        "the bytes were fetched once"
    );
    assert_eq!(
        vibrant_models::sha256_file(&dir.path().join(FILE)).unwrap(),
        SMOL_SHA
    );
}

#[test]
fn cancellation_keeps_the_partial_and_a_later_call_resumes_it() {
    let server = HubServer::start();
    server.host_smol(REPO, FILE);
    let dir = tempfile::tempdir().unwrap();
    let cancel = AtomicBool::new(false);
    let err = downloader(&server)
        .download_file(
            &spec(&server, dir.path()),
            &mut |e| {
                if let DownloadEvent::Progress { done, .. } = e
                    && done >= SMOL_LEN * 3 / 10
                {
                    cancel.store(true, Ordering::SeqCst);
                }
            },
            &cancel,
        )
        .unwrap_err();
    let ModelError::Cancelled { done, partial, .. } = &err else {
        panic!("{err}")
    };
    assert!(*done >= SMOL_LEN * 3 / 10 && *done < SMOL_LEN);
    assert_eq!(std::fs::metadata(partial).unwrap().len(), *done);
    assert!(err.to_string().contains("resumes"), "{err}");
    let kept = *done;

    server.wait_idle();
    server.clear_log();
    let out = downloader(&server)
        .download_file(
            &spec(&server, dir.path()),
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
    assert_eq!(out.sha256.as_deref(), Some(SMOL_SHA));
    server.wait_idle();
    let resumed: Vec<_> = server
        .cdn_log()
        .into_iter()
        .filter(|e| e.range_start.is_some())
        .collect();
    assert_eq!(resumed.len(), 1, "{resumed:?}");
    assert_eq!(resumed[0].range_start, Some(kept));
    assert_eq!(
        resumed[0].bytes_sent,
        SMOL_LEN - kept,
        "bytes before the cancel were not fetched again"
    );
}

#[test]
fn no_network_gives_up_after_retries_keeping_the_partial() {
    // A port nothing listens on.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let hub = HubConfig::with_endpoint(&format!("http://{addr}"));
    let dir = tempfile::tempdir().unwrap();
    let s = FileSpec {
        url: hub.file_url(REPO, "main", FILE),
        dest: dir.path().join(FILE),
        exact_size: None,
        size_hint: None,
        sha256: None,
        sha256_origin: "catalog",
    };
    let err = Downloader::new(hub, options())
        .unwrap()
        .download_file(&s, &mut |_| {}, &AtomicBool::new(false))
        .unwrap_err();
    // Unreachable (connection refused) gives up after 3 attempts, not max_attempts (4 here).
    assert!(
        matches!(err, ModelError::Network { attempts: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("check the network"), "{err}");
}

#[test]
fn not_enough_disk_space_is_refused_before_downloading() {
    let server = HubServer::start();
    server.host_smol(REPO, FILE);
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(&server, dir.path());
    s.size_hint = Some(u64::MAX / 4);
    let err = downloader(&server)
        .download_file(&s, &mut |_| {}, &AtomicBool::new(false))
        .unwrap_err();
    assert!(matches!(err, ModelError::DiskFull { .. }), "{err}");
    assert!(server.log().is_empty(), "nothing was requested");
}

#[test]
fn hub_repo_reference_lists_the_repo_and_pulls_split_parts_into_the_store() {
    let server = HubServer::start();
    let src = tempfile::tempdir().unwrap();
    let repo = "someone/Split-GGUF";
    let mut shas = Vec::new();
    for i in 1..=3 {
        let name = format!("model-Q8_0-0000{i}-of-00003.gguf");
        let p = src.path().join(&name);
        let sha = common::fake_gguf(&p, 300_000 + i * 1000, i as u8);
        server.host(repo, &name, &p, &sha);
        shas.push(sha);
    }
    server.host_smol(repo, "model-Q4_K_M.gguf");
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::new(store_dir.path())
        .with_ollama_dir(None)
        .with_hf_cache(None);
    let dl = downloader(&server);
    let Resolution::Remote(remote) = store.resolve(&format!("hf.co/{repo}:q8_0"), &dl).unwrap()
    else {
        panic!("expected a download plan")
    };
    assert_eq!(remote.files.len(), 3);
    assert_eq!(remote.id, format!("hf.co/{repo}:Q8_0"));
    let model = store
        .pull(&remote, &dl, &mut |_| {}, &AtomicBool::new(false))
        .unwrap();
    assert_eq!(model.paths.len(), 3);
    for (i, p) in model.paths.iter().enumerate() {
        assert!(
            p.ends_with(format!("model-Q8_0-0000{}-of-00003.gguf", i + 1)),
            "{p:?}"
        );
        assert_eq!(vibrant_models::sha256_file(p).unwrap(), shas[i]);
    }
    // Now it resolves locally, without the network.
    let Some(Resolution::Local(local)) = store
        .resolve_offline(&format!("hf.co/{repo}:Q8_0"))
        .unwrap()
    else {
        panic!("expected a local model")
    };
    assert_eq!(local.paths, model.paths);
    let listed = store.list().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].quant.as_deref(), Some("Q8_0"));

    // An import cannot take a downloaded model's name.
    let other = src.path().join("model-Q8_0-00001-of-00003.gguf");
    let err = store.import(&other, Some(&remote.id)).unwrap_err();
    assert!(matches!(err, ModelError::NameTaken { .. }), "{err}");

    // A quant the repository does not have is reported with what it has.
    let err = store
        .resolve(&format!("hf.co/{repo}:q6_k"), &dl)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Q4_K_M") && err.contains("q6_k"), "{err}");
}
