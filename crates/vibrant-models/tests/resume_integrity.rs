//! Issue #14: a resumed download must never glue bytes of a new revision onto the prefix of an old
//! one, and a file already at the destination is not trusted when it contradicts the listing.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{Faults, HubServer, downloader, fake_gguf};
use vibrant_models::{DownloadEvent, FileSpec, HubConfig, ModelError, Resolution, Store};

const REPO: &str = "test-org/Changing-GGUF";
const FILE: &str = "model-Q4_K_M.gguf";
const LEN: usize = 4 * 1024 * 1024;

fn spec(server: &HubServer, dir: &Path) -> FileSpec {
    FileSpec {
        url: HubConfig::with_endpoint(&server.endpoint).file_url(REPO, "main", FILE),
        dest: dir.join(FILE),
        exact_size: None,
        size_hint: None,
        sha256: None,
        sha256_origin: "Hub listing",
    }
}

/// Downloads `FILE` and cancels it at 30%, leaving a partial of the revision being served.
fn cancel_at_30_percent(server: &HubServer, dir: &Path) -> u64 {
    let cancel = AtomicBool::new(false);
    let err = downloader(server)
        .download_file(
            &spec(server, dir),
            &mut |e| {
                if let DownloadEvent::Progress { done, .. } = e
                    && done >= LEN as u64 * 3 / 10
                {
                    cancel.store(true, Ordering::SeqCst);
                }
            },
            &cancel,
        )
        .unwrap_err();
    let ModelError::Cancelled { done, .. } = err else {
        panic!("{err}")
    };
    assert!(done < LEN as u64);
    server.wait_idle();
    server.clear_log();
    done
}

/// Revision 1 is partly downloaded; then the repository gets revision 2 under the same name (same
/// size). The mirror sends no `X-Linked-ETag`, so nothing but the resume logic stands between the
/// user and a file made of two revisions.
#[test]
fn a_file_changed_on_the_server_is_not_glued_onto_the_old_partial() {
    let server = HubServer::start();
    let src = tempfile::tempdir().unwrap();
    let v1 = src.path().join("v1.gguf");
    let v2 = src.path().join("v2.gguf");
    let sha1 = fake_gguf(&v1, LEN, 1);
    let sha2 = fake_gguf(&v2, LEN, 2);
    server.host(REPO, FILE, &v1, &sha1);
    server.set_faults(Faults {
        no_etag: true,
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let kept = cancel_at_30_percent(&server, dir.path());

    server.host(REPO, FILE, &v2, &sha2);
    let mut discarded = None;
    let out = downloader(&server)
        .download_file(
            &spec(&server, dir.path()),
            &mut |e| {
                if let DownloadEvent::RangeIgnored { discarded: d, .. } = e {
                    discarded = Some(d);
                }
            },
            &AtomicBool::new(false),
        )
        .unwrap();
    assert_eq!(
        vibrant_models::sha256_file(&dir.path().join(FILE)).unwrap(),
        sha2,
        "the file is revision 2, whole (revision 1 is {sha1})"
    );
    assert_eq!(out.bytes, LEN as u64);
    assert_eq!(discarded, Some(kept), "the old partial was discarded");
    server.wait_idle();
    let cdn = server.cdn_log();
    assert_eq!(cdn.len(), 1, "{cdn:?}");
    assert_eq!(cdn[0].range_start, Some(kept), "the client asked to resume");
    assert_eq!(
        cdn[0].if_range.as_deref(),
        Some(format!("\"{sha1}\"").as_str()),
        "with the validator of revision 1"
    );
    assert_eq!(cdn[0].status, 200);
}

/// Same, with the Hub's `X-Linked-ETag` and a listing hash: before, the glued file failed its
/// hash check and the pull failed (the user had to run it again); now it succeeds at once.
#[test]
fn a_changed_file_with_a_known_hash_downloads_in_one_go() {
    let server = HubServer::start();
    let src = tempfile::tempdir().unwrap();
    let v1 = src.path().join("v1.gguf");
    let v2 = src.path().join("v2.gguf");
    let sha1 = fake_gguf(&v1, LEN, 3);
    let sha2 = fake_gguf(&v2, LEN, 4);
    server.host(REPO, FILE, &v1, &sha1);
    let dir = tempfile::tempdir().unwrap();
    cancel_at_30_percent(&server, dir.path());
    server.host(REPO, FILE, &v2, &sha2);
    let mut s = spec(&server, dir.path());
    s.sha256 = Some(sha2.clone());
    s.exact_size = Some(LEN as u64);
    let out = downloader(&server)
        .download_file(&s, &mut |_| {}, &AtomicBool::new(false))
        .unwrap();
    assert_eq!(out.sha256.as_deref(), Some(sha2.as_str()));
}

/// A server that ignores `If-Range` but sends the new `ETag` on its `206`: the mismatch is seen
/// and the download restarts.
#[test]
fn a_server_ignoring_if_range_is_caught_by_its_etag() {
    let server = HubServer::start();
    let src = tempfile::tempdir().unwrap();
    let v1 = src.path().join("v1.gguf");
    let v2 = src.path().join("v2.gguf");
    let sha1 = fake_gguf(&v1, LEN, 5);
    let sha2 = fake_gguf(&v2, LEN, 6);
    server.host(REPO, FILE, &v1, &sha1);
    server.set_faults(Faults {
        no_etag: true,
        ignore_if_range: true,
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    cancel_at_30_percent(&server, dir.path());
    server.host(REPO, FILE, &v2, &sha2);
    downloader(&server)
        .download_file(
            &spec(&server, dir.path()),
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
    assert_eq!(
        vibrant_models::sha256_file(&dir.path().join(FILE)).unwrap(),
        sha2
    );
}

/// Without a validator (no `ETag`, no `Last-Modified`) a partial cannot be proven to belong to the
/// file being served, so a retry starts again from byte 0.
#[test]
fn without_a_validator_the_download_does_not_resume() {
    let server = HubServer::start();
    let src = tempfile::tempdir().unwrap();
    let v1 = src.path().join("v1.gguf");
    let sha1 = fake_gguf(&v1, LEN, 7);
    server.host(REPO, FILE, &v1, &sha1);
    server.set_faults(Faults {
        no_etag: true,
        no_validators: true,
        cut_first_at: Some(LEN as u64 / 3),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    downloader(&server)
        .download_file(
            &spec(&server, dir.path()),
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
    assert_eq!(
        vibrant_models::sha256_file(&dir.path().join(FILE)).unwrap(),
        sha1
    );
    server.wait_idle();
    let cdn = server.cdn_log();
    assert_eq!(cdn.len(), 2, "{cdn:?}");
    assert_eq!(cdn[1].range_start, None, "no resume without a validator");
    assert_eq!(cdn[1].status, 200);
}

/// A file at the destination that contradicts the listing (truncated, or same size but other
/// bytes) is not recorded as the model: it is downloaded again.
#[test]
fn a_truncated_or_foreign_file_at_the_destination_is_not_trusted() {
    let server = HubServer::start();
    let src = tempfile::tempdir().unwrap();
    let repo = "someone/Trusted-GGUF";
    let good = src.path().join("good.gguf");
    let sha = fake_gguf(&good, LEN, 8);
    server.host(repo, FILE, &good, &sha);
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::new(store_dir.path())
        .with_ollama_dir(None)
        .with_hf_cache(None);
    let dl = downloader(&server);
    let dest = store_dir.path().join("hf").join(repo).join(FILE);
    let bytes = std::fs::read(&good).unwrap();
    let foreign = src.path().join("foreign.gguf");
    fake_gguf(&foreign, LEN, 9);
    for (what, planted) in [
        ("truncated", bytes[..LEN / 2].to_vec()),
        ("foreign", std::fs::read(&foreign).unwrap()),
    ] {
        // (`model rm` removed the folder after the first round.)
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(&dest, &planted).unwrap();
        let Resolution::Remote(remote) =
            store.resolve(&format!("hf.co/{repo}:Q4_K_M"), &dl).unwrap()
        else {
            panic!("expected a download plan")
        };
        let model = store
            .pull(&remote, &dl, &mut |_| {}, &AtomicBool::new(false))
            .unwrap();
        assert_eq!(
            vibrant_models::sha256_file(&model.paths[0]).unwrap(),
            sha,
            "a {what} file was kept as the model"
        );
        store.remove(&remote.id).unwrap();
    }
}
