//! The downloader: one file from the Hub (or a mirror) into place, safely.
//!
//! Protocol, per file (specs/model-management.md has the full description):
//! 1. take an exclusive lock on `FILE.lock` (a second process waits, then finds the file done);
//! 2. resume `FILE.partial` with `Range: bytes=N-` and `If-Range: V`, where V is the validator
//!    (strong `ETag`, else `Last-Modified`) of the response the partial's bytes came from, kept
//!    beside it in `FILE.partial.meta`; without a known validator the download restarts from 0.
//!    A `200` answer means the server ignored the range or the file changed: the partial is
//!    truncated and the download restarts. A `206` whose validator or `X-Linked-ETag` differs
//!    from the recorded one (a server ignoring `If-Range`) also restarts from 0;
//! 3. follow redirects by hand, collecting `X-Linked-Size`/`X-Linked-ETag` from the Hub's answer,
//!    sending the token only to the Hub's own origin, and only over https or loopback http;
//! 4. check free space against the bytes still to come;
//! 5. stream to the partial while hashing; a read that stalls longer than `stall_timeout`, a cut
//!    connection, a 5xx or 429 is retried with exponential backoff, resuming where it stopped;
//!    the cancel flag is checked between chunks and leaves the partial for a later resume;
//! 6. verify the size and the sha256 (catalog/listing value, else `X-Linked-ETag`); on a mismatch
//!    the partial is removed;
//! 7. fsync and rename the partial to `FILE` atomically, then remove the lock file.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_RANGE, ETAG, IF_RANGE, LAST_MODIFIED, LOCATION, RANGE,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::is_sha256;
use crate::error::{ModelError, Result, human_bytes};
use crate::hub::{HubConfig, RepoFile, parse_tree};

/// Tuning of the downloader. The defaults suit real networks; tests shorten the timings.
#[derive(Debug, Clone)]
pub struct DownloadOptions {
    /// Attempts per file before giving up on transient errors.
    pub max_attempts: u32,
    /// Wait before the first retry; doubles each retry.
    pub backoff_initial: Duration,
    /// Longest wait between retries.
    pub backoff_max: Duration,
    /// A read (or the wait for response headers) taking longer than this is a stall and is retried.
    pub stall_timeout: Duration,
    /// Timeout for establishing a connection.
    pub connect_timeout: Duration,
    /// Free space to leave on the disk beyond the download itself.
    pub free_space_margin: u64,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            stall_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(15),
            free_space_margin: 256 * 1024 * 1024,
        }
    }
}

/// One file to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// Where to fetch it (`…/resolve/{revision}/{file}`).
    pub url: String,
    /// Where it goes.
    pub dest: PathBuf,
    /// The exact size, when known (from a repository listing).
    pub exact_size: Option<u64>,
    /// An approximate size (catalog), used only for the free-space check before the first byte.
    pub size_hint: Option<u64>,
    /// The expected sha256 (catalog or listing), lower-case hex.
    pub sha256: Option<String>,
    /// Where `sha256` came from, for messages (`catalog`, `Hub listing`).
    pub sha256_origin: &'static str,
}

/// What the downloader reports while it works. `file` is the destination's file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadEvent {
    /// Another process holds the file's lock; waiting for it.
    WaitingForLock {
        /// The file.
        file: String,
    },
    /// Bytes start flowing (again).
    Started {
        /// The file.
        file: String,
        /// Total bytes, when the server said.
        total: Option<u64>,
        /// Bytes already in the partial file.
        resumed_from: u64,
    },
    /// Bytes received so far.
    Progress {
        /// The file.
        file: String,
        /// Bytes in the partial file.
        done: u64,
        /// Total bytes, when known.
        total: Option<u64>,
    },
    /// A transient failure; retrying after `wait`.
    Retrying {
        /// The file.
        file: String,
        /// The attempt that failed (1-based).
        attempt: u32,
        /// The attempts allowed.
        max_attempts: u32,
        /// The wait before the next attempt.
        wait: Duration,
        /// What went wrong.
        reason: String,
    },
    /// The server ignored `Range`; the partial was discarded and the download restarts at 0.
    RangeIgnored {
        /// The file.
        file: String,
        /// The bytes that were discarded.
        discarded: u64,
    },
    /// Checking the sha256.
    Verifying {
        /// The file.
        file: String,
    },
    /// The file is in place.
    Finished {
        /// The file.
        file: String,
        /// Its size.
        bytes: u64,
        /// Whether it was already there (downloaded by another process or earlier).
        already_present: bool,
    },
}

/// The result of a finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOutcome {
    /// The file in place.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Its sha256 when this call computed it (not when the file was already present).
    pub sha256: Option<String>,
    /// What the hash was checked against (`catalog`, `Hub listing`, `X-Linked-ETag`), if anything.
    pub verified_against: Option<&'static str>,
    /// Whether the file was already there.
    pub already_present: bool,
}

/// Downloads files from the Hub or a mirror. Cheap to share by reference between threads.
#[derive(Debug, Clone)]
pub struct Downloader {
    client: Client,
    hub: HubConfig,
    options: DownloadOptions,
}

/// Metadata the Hub puts on its `/resolve/` answer (often on the redirect).
#[derive(Debug, Default, Clone)]
struct Linked {
    size: Option<u64>,
    sha256: Option<String>,
}

enum Failure {
    /// Retry (resuming) after a backoff.
    Transient(String),
    /// The server could not be reached at all (DNS, connection refused): retried, but only
    /// [`UNREACHABLE_ATTEMPTS`] times, so that being offline fails in seconds, not minutes.
    Unreachable(String),
    /// Give up.
    Fatal(ModelError),
}

impl From<ModelError> for Failure {
    fn from(e: ModelError) -> Self {
        Self::Fatal(e)
    }
}

/// The suffix of the file (beside `FILE.partial`) recording the partial's validators.
pub(crate) const META: &str = ".meta";

/// Attempts when the server cannot be reached at all.
const UNREACHABLE_ATTEMPTS: u32 = 3;

/// The largest repository listing read (`/api/models/{repo}/tree/{revision}`): about 80 000
/// files' entries; a longer answer comes from a broken or hostile endpoint.
pub const MAX_LISTING_BYTES: u64 = 16 * 1024 * 1024;

struct HashState {
    hasher: Sha256,
    upto: u64,
}

/// What identifies the revision of the file whose bytes are in `FILE.partial`: the validators of
/// the response they came from. Stored as JSON in `FILE.partial.meta` (written to a temporary file
/// and renamed into place), so that a later run resumes only the same revision.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PartialMeta {
    /// The response's strong `ETag` (a weak one cannot be used with `If-Range`).
    #[serde(default)]
    etag: Option<String>,
    /// The response's `Last-Modified`.
    #[serde(default)]
    last_modified: Option<String>,
    /// The Hub's `X-Linked-ETag` (the file's sha256) seen on the way.
    #[serde(default)]
    linked_sha256: Option<String>,
}

impl PartialMeta {
    fn from_response(resp: &Response, linked_sha256: Option<String>) -> Self {
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        Self {
            etag: header(ETAG).filter(|v| !v.starts_with("W/")),
            last_modified: header(LAST_MODIFIED),
            linked_sha256,
        }
    }

    /// The value for `If-Range`.
    fn validator(&self) -> Option<&str> {
        self.etag.as_deref().or(self.last_modified.as_deref())
    }

    /// Whether `now` (a `206` answer) describes another revision than the one recorded.
    fn contradicts(&self, now: &Self) -> bool {
        let differ =
            |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if a != b);
        differ(&self.etag, &now.etag)
            || (self.etag.is_none() && differ(&self.last_modified, &now.last_modified))
            || differ(&self.linked_sha256, &now.linked_sha256)
    }
}

/// The recorded validators of a partial download; `None` when missing or unreadable.
fn read_partial_meta(path: &Path) -> Option<PartialMeta> {
    let text = std::fs::read_to_string(path).ok()?;
    match serde_json::from_str(&text) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!(file = %path.display(), "unreadable partial download metadata ({e}); the download restarts from 0");
            None
        }
    }
}

/// Records `meta` for the partial atomically (a temporary file renamed into place); with no
/// validator to record, removes any old record instead.
fn write_partial_meta(path: &Path, meta: &PartialMeta) -> Result<(), Failure> {
    if meta.validator().is_none() {
        return remove_if_present(path);
    }
    let tmp = sibling(path, ".tmp");
    let text = serde_json::to_string(meta).map_err(|e| {
        Failure::Fatal(ModelError::io(
            "cannot encode the partial download metadata for",
            path,
            std::io::Error::other(e),
        ))
    })?;
    std::fs::write(&tmp, text)
        .map_err(|e| Failure::Fatal(ModelError::io("cannot write", &tmp, e)))?;
    std::fs::rename(&tmp, path)
        .map_err(|e| Failure::Fatal(ModelError::io("cannot move into place", path, e)))
}

fn remove_if_present(path: &Path) -> Result<(), Failure> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Failure::Fatal(ModelError::io("cannot remove", path, e))),
    }
}

impl Downloader {
    /// A downloader for `hub` with `options`.
    pub fn new(hub: HubConfig, options: DownloadOptions) -> Result<Self> {
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .timeout(options.stall_timeout)
            .user_agent(concat!("vibrant/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ModelError::HttpClient {
                message: e.to_string(),
            })?;
        if hub.token.is_some() && !hub.sends_token() {
            tracing::warn!(
                endpoint = %hub.endpoint,
                "HF_TOKEN is not sent to a plain-http endpoint on another machine; use https"
            );
        }
        Ok(Self {
            client,
            hub,
            options,
        })
    }

    /// The Hub this downloader talks to.
    pub fn hub(&self) -> &HubConfig {
        &self.hub
    }

    /// The options in force.
    pub fn options(&self) -> &DownloadOptions {
        &self.options
    }

    /// Lists the files of `repo` at `revision` (for `hf.co/OWNER/REPO:QUANT` references).
    pub fn list_repo(&self, repo: &str, revision: &str) -> Result<Vec<RepoFile>> {
        let url = self.hub.tree_url(repo, revision);
        let mut last = String::new();
        for attempt in 1..=self.options.max_attempts.min(3) {
            match self.open(&url, 0, None) {
                Ok((resp, _)) => {
                    let status = resp.status();
                    if !status.is_success() {
                        match self.status_failure(&url, status) {
                            Failure::Fatal(e) => return Err(e),
                            Failure::Transient(m) | Failure::Unreachable(m) => last = m,
                        }
                    } else {
                        let mut raw = Vec::new();
                        resp.take(MAX_LISTING_BYTES + 1)
                            .read_to_end(&mut raw)
                            .map_err(|e| ModelError::Network {
                                url: url.clone(),
                                attempts: attempt,
                                message: error_chain(&e),
                            })?;
                        if raw.len() as u64 > MAX_LISTING_BYTES {
                            return Err(ModelError::Http {
                                url: url.clone(),
                                status: status.as_u16(),
                                detail: format!(
                                    ": the repository listing is larger than {MAX_LISTING_BYTES} \
                                     bytes (MAX_LISTING_BYTES); the endpoint is broken or hostile \
                                     (check HF_ENDPOINT)"
                                ),
                            });
                        }
                        return parse_tree(&String::from_utf8_lossy(&raw), &url);
                    }
                }
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Transient(m) | Failure::Unreachable(m)) => last = m,
            }
            std::thread::sleep(self.backoff(attempt));
        }
        Err(ModelError::Network {
            url,
            attempts: self.options.max_attempts.min(3),
            message: last,
        })
    }

    /// Downloads one file as described in the module documentation. `on_event` sees progress;
    /// setting `cancel` stops between chunks with [`ModelError::Cancelled`], keeping the partial.
    pub fn download_file(
        &self,
        spec: &FileSpec,
        on_event: &mut dyn FnMut(DownloadEvent),
        cancel: &AtomicBool,
    ) -> Result<FileOutcome> {
        let name = spec
            .dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| spec.dest.display().to_string());
        let dir = spec
            .dest
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        std::fs::create_dir_all(&dir).map_err(|e| ModelError::io("cannot create", &dir, e))?;
        let lock_path = sibling(&spec.dest, ".lock");
        let partial = sibling(&spec.dest, ".partial");

        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| ModelError::io("cannot create the lock file", &lock_path, e))?;
        self.acquire(&lock, &lock_path, &name, &partial, on_event, cancel)?;

        if let Ok(meta) = std::fs::metadata(&spec.dest)
            && let Some(present) = self.check_present(spec, &name, meta.len(), on_event)?
        {
            on_event(DownloadEvent::Finished {
                file: name,
                bytes: present.bytes,
                already_present: true,
            });
            return Ok(present);
        }

        // Before the first byte: is there room for what the catalog says is coming?
        let have = file_len(&partial);
        if let Some(hint) = spec.exact_size.or(spec.size_hint) {
            self.check_space(&dir, hint.saturating_sub(have))?;
        }

        let mut hash = HashState {
            hasher: Sha256::new(),
            upto: 0,
        };
        let mut linked = Linked::default();
        let mut attempt = 0;
        let total = loop {
            attempt += 1;
            match self.attempt(
                spec,
                &name,
                &dir,
                &partial,
                &mut hash,
                &mut linked,
                on_event,
                cancel,
            ) {
                Ok(total) => break total,
                Err(failure) => {
                    let (reason, limit) = match failure {
                        Failure::Fatal(e) => return Err(e),
                        Failure::Transient(r) => (r, self.options.max_attempts),
                        Failure::Unreachable(r) => {
                            (r, UNREACHABLE_ATTEMPTS.min(self.options.max_attempts))
                        }
                    };
                    if attempt >= limit {
                        return Err(ModelError::Network {
                            url: spec.url.clone(),
                            attempts: attempt,
                            message: reason,
                        });
                    }
                    let wait = self.backoff(attempt);
                    tracing::warn!(file = %name, attempt, ?wait, "download interrupted: {reason}");
                    on_event(DownloadEvent::Retrying {
                        file: name.clone(),
                        attempt,
                        max_attempts: self.options.max_attempts,
                        wait,
                        reason,
                    });
                    sleep_unless_cancelled(wait, cancel);
                    if cancel.load(Ordering::SeqCst) {
                        return Err(ModelError::Cancelled {
                            file: name,
                            done: file_len(&partial),
                            partial,
                        });
                    }
                }
            }
        };

        // Verify size and hash, then move into place.
        let got = file_len(&partial);
        if let Some(expected) = total.or(spec.exact_size)
            && got != expected
        {
            let _ = std::fs::remove_file(&partial);
            let _ = std::fs::remove_file(sibling(&partial, META));
            return Err(ModelError::SizeMismatch {
                file: name,
                expected,
                actual: got,
            });
        }
        on_event(DownloadEvent::Verifying { file: name.clone() });
        if hash.upto != got {
            hash = hash_file(&partial)?;
        }
        let actual = hex(&hash.hasher.finalize());
        let expected = spec
            .sha256
            .as_ref()
            .map(|s| (s.to_ascii_lowercase(), spec.sha256_origin))
            .or_else(|| linked.sha256.clone().map(|s| (s, "X-Linked-ETag")));
        let verified_against = match expected {
            Some((exp, origin)) if exp != actual => {
                let _ = std::fs::remove_file(&partial);
                let _ = std::fs::remove_file(sibling(&partial, META));
                return Err(ModelError::HashMismatch {
                    file: name,
                    expected: exp,
                    actual,
                    origin,
                    partial,
                });
            }
            Some((_, origin)) => Some(origin),
            None => {
                tracing::warn!(file = %name, "no sha256 known for this file; only its size was checked");
                None
            }
        };
        if let Ok(f) = File::open(&partial) {
            let _ = f.sync_all();
        }
        std::fs::rename(&partial, &spec.dest)
            .map_err(|e| ModelError::io("cannot move the download into place at", &spec.dest, e))?;
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        let _ = std::fs::remove_file(sibling(&partial, META));
        // Safe to remove while holding it: every waiter re-checks `dest` once it has the lock.
        let _ = std::fs::remove_file(&lock_path);
        on_event(DownloadEvent::Finished {
            file: name,
            bytes: got,
            already_present: false,
        });
        Ok(FileOutcome {
            path: spec.dest.clone(),
            bytes: got,
            sha256: Some(actual),
            verified_against,
            already_present: false,
        })
    }

    /// A file already at `spec.dest` (another process finished it, or an earlier run was cut off
    /// before recording it): kept only if it agrees with what is known of the file (the exact
    /// size; the sha256 when the catalog or listing gives one). `None`: download it again (the
    /// new file replaces it atomically).
    fn check_present(
        &self,
        spec: &FileSpec,
        name: &str,
        len: u64,
        on_event: &mut dyn FnMut(DownloadEvent),
    ) -> Result<Option<FileOutcome>> {
        if let Some(expected) = spec.exact_size
            && expected != len
        {
            tracing::warn!(file = %spec.dest.display(), expected, actual = len, "the file in place has the wrong size; downloading it again");
            return Ok(None);
        }
        let mut outcome = FileOutcome {
            path: spec.dest.clone(),
            bytes: len,
            sha256: None,
            verified_against: None,
            already_present: true,
        };
        if let Some(expected) = &spec.sha256 {
            on_event(DownloadEvent::Verifying {
                file: name.to_owned(),
            });
            let actual = sha256_file(&spec.dest)?;
            if !actual.eq_ignore_ascii_case(expected) {
                tracing::warn!(file = %spec.dest.display(), %expected, %actual, origin = spec.sha256_origin, "the file in place has the wrong sha256; downloading it again");
                return Ok(None);
            }
            outcome.sha256 = Some(actual);
            outcome.verified_against = Some(spec.sha256_origin);
        }
        Ok(Some(outcome))
    }

    fn acquire(
        &self,
        lock: &File,
        lock_path: &Path,
        name: &str,
        partial: &Path,
        on_event: &mut dyn FnMut(DownloadEvent),
        cancel: &AtomicBool,
    ) -> Result<()> {
        let mut announced = false;
        loop {
            match lock.try_lock() {
                Ok(()) => return Ok(()),
                Err(std::fs::TryLockError::WouldBlock) => {
                    if !announced {
                        tracing::info!(lock = %lock_path.display(), "another download of this file is running; waiting");
                        on_event(DownloadEvent::WaitingForLock {
                            file: name.to_owned(),
                        });
                        announced = true;
                    }
                    if cancel.load(Ordering::SeqCst) {
                        return Err(ModelError::Cancelled {
                            file: name.to_owned(),
                            done: file_len(partial),
                            partial: partial.to_path_buf(),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(ModelError::io("cannot lock", lock_path, e));
                }
            }
        }
    }

    /// One request: returns the total size on success.
    #[allow(clippy::too_many_arguments)]
    fn attempt(
        &self,
        spec: &FileSpec,
        name: &str,
        dir: &Path,
        partial: &Path,
        hash: &mut HashState,
        linked: &mut Linked,
        on_event: &mut dyn FnMut(DownloadEvent),
        cancel: &AtomicBool,
    ) -> Result<Option<u64>, Failure> {
        let meta_path = sibling(partial, META);
        let mut have = file_len(partial);
        let stored = if have > 0 {
            read_partial_meta(&meta_path)
        } else {
            None
        };
        let validator = stored
            .as_ref()
            .and_then(|m| m.validator().map(str::to_owned));
        if have > 0 && validator.is_none() {
            // Nothing proves that these bytes belong to the revision the server has now.
            tracing::info!(
                file = name,
                discarded = have,
                "no validator (ETag, Last-Modified) recorded for the partial; restarting from 0"
            );
            on_event(DownloadEvent::RangeIgnored {
                file: name.to_owned(),
                discarded: have,
            });
            truncate(partial, 0)?;
            have = 0;
        }
        let (mut resp, meta) = self.open(&spec.url, have, validator.as_deref())?;
        if meta.size.is_some() {
            linked.size = meta.size;
        }
        if meta.sha256.is_some() {
            linked.sha256.clone_from(&meta.sha256);
        }
        let fresh = PartialMeta::from_response(&resp, meta.sha256);
        let status = resp.status();
        let content_length = header_u64(&resp, CONTENT_LENGTH.as_str());
        let total = match status {
            StatusCode::PARTIAL_CONTENT => {
                if stored.as_ref().is_some_and(|s| s.contradicts(&fresh)) {
                    // A server that ignored `If-Range`: the bytes would be another revision's.
                    drop(resp);
                    on_event(DownloadEvent::RangeIgnored {
                        file: name.to_owned(),
                        discarded: have,
                    });
                    truncate(partial, 0)?;
                    remove_if_present(&meta_path)?;
                    return Err(Failure::Transient(
                        "the file changed on the server since the partial download; restarting"
                            .to_owned(),
                    ));
                }
                let (start, total) = content_range(&resp).unwrap_or((u64::MAX, None));
                if start != have {
                    truncate(partial, 0)?;
                    return Err(Failure::Transient(format!(
                        "the server answered range start {start}, asked for {have}; restarting"
                    )));
                }
                total.or_else(|| content_length.map(|l| l + have))
            }
            StatusCode::OK => {
                if have > 0 {
                    tracing::info!(
                        file = name,
                        discarded = have,
                        "server ignored Range; restarting from 0"
                    );
                    on_event(DownloadEvent::RangeIgnored {
                        file: name.to_owned(),
                        discarded: have,
                    });
                    truncate(partial, 0)?;
                    have = 0;
                }
                // The partial's bytes come from this response from now on.
                write_partial_meta(&meta_path, &fresh)?;
                content_length
            }
            StatusCode::RANGE_NOT_SATISFIABLE => {
                let total = content_range(&resp).and_then(|(_, t)| t).or(linked.size);
                if total == Some(have) && have > 0 {
                    return Ok(total);
                }
                truncate(partial, 0)?;
                return Err(Failure::Transient(format!(
                    "the server cannot resume at byte {have}; restarting"
                )));
            }
            other => return Err(self.status_failure(&spec.url, other)),
        }
        .or(linked.size)
        .or(spec.exact_size);

        if let Some(t) = total {
            if have > t {
                truncate(partial, 0)?;
                return Err(Failure::Transient(format!(
                    "the partial file is larger ({have}) than the file ({t}); restarting"
                )));
            }
            self.check_space(dir, t - have)?;
        }
        if hash.upto != have {
            *hash = if have == 0 {
                HashState {
                    hasher: Sha256::new(),
                    upto: 0,
                }
            } else {
                hash_file(partial)?
            };
        }
        on_event(DownloadEvent::Started {
            file: name.to_owned(),
            total,
            resumed_from: have,
        });

        let mut out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(partial)
            .map_err(|e| ModelError::io("cannot open", partial, e))?;
        let mut buf = vec![0u8; 256 * 1024];
        let mut done = have;
        loop {
            if cancel.load(Ordering::SeqCst) {
                let _ = out.flush();
                return Err(Failure::Fatal(ModelError::Cancelled {
                    file: name.to_owned(),
                    done,
                    partial: partial.to_path_buf(),
                }));
            }
            let n = match resp.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = out.flush();
                    let why = if is_timeout(&e) {
                        format!(
                            "no data for {:?} (stalled) after {done} bytes",
                            self.options.stall_timeout
                        )
                    } else {
                        format!("connection lost after {done} bytes: {e}")
                    };
                    return Err(Failure::Transient(why));
                }
            };
            out.write_all(&buf[..n])
                .map_err(|e| write_error(partial, dir, e))?;
            hash.hasher.update(&buf[..n]);
            done += n as u64;
            hash.upto = done;
            on_event(DownloadEvent::Progress {
                file: name.to_owned(),
                done,
                total,
            });
        }
        out.flush().map_err(|e| write_error(partial, dir, e))?;
        if let Some(t) = total
            && done < t
        {
            return Err(Failure::Transient(format!(
                "connection closed at {done} of {t} bytes"
            )));
        }
        Ok(total)
    }

    /// GET `url` (with `Range` from `from` when > 0, and `If-Range` when a validator is given),
    /// following redirects by hand.
    fn open(
        &self,
        url: &str,
        from: u64,
        if_range: Option<&str>,
    ) -> Result<(Response, Linked), Failure> {
        let mut current = reqwest::Url::parse(url).map_err(|e| {
            Failure::Fatal(ModelError::Http {
                url: url.to_owned(),
                status: 0,
                detail: format!(": not a valid URL ({e})"),
            })
        })?;
        let mut linked = Linked::default();
        for _ in 0..10 {
            let mut req = self.client.get(current.clone());
            if from > 0 {
                req = req.header(RANGE, format!("bytes={from}-"));
                if let Some(v) = if_range {
                    req = req.header(IF_RANGE, v);
                }
            }
            if let Some(auth) = self.hub.authorization_for(current.as_str()) {
                req = req.header(AUTHORIZATION, auth);
            }
            let resp = req.send().map_err(|e| {
                if e.is_timeout() {
                    Failure::Transient(format!(
                        "no answer from {} within {:?}",
                        current, self.options.stall_timeout
                    ))
                } else if e.is_connect() {
                    Failure::Unreachable(format!("cannot reach {current}: {}", error_chain(&e)))
                } else {
                    Failure::Transient(format!("request to {current} failed: {}", error_chain(&e)))
                }
            })?;
            if linked.size.is_none() {
                linked.size = header_u64(&resp, "x-linked-size");
            }
            if linked.sha256.is_none() {
                linked.sha256 = resp
                    .headers()
                    .get("x-linked-etag")
                    .and_then(|v| v.to_str().ok())
                    .map(|v| {
                        v.trim()
                            .trim_start_matches("W/")
                            .trim_matches('"')
                            .to_ascii_lowercase()
                    })
                    .filter(|v| is_sha256(v));
            }
            if resp.status().is_redirection() {
                let location = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        Failure::Fatal(ModelError::Http {
                            url: current.to_string(),
                            status: resp.status().as_u16(),
                            detail: ": a redirect without a Location header".to_owned(),
                        })
                    })?;
                current = current.join(location).map_err(|e| {
                    Failure::Fatal(ModelError::Http {
                        url: current.to_string(),
                        status: resp.status().as_u16(),
                        detail: format!(": bad redirect target `{location}` ({e})"),
                    })
                })?;
                continue;
            }
            return Ok((resp, linked));
        }
        Err(Failure::Fatal(ModelError::Http {
            url: url.to_owned(),
            status: 0,
            detail: ": more than 10 redirects".to_owned(),
        }))
    }

    fn status_failure(&self, url: &str, status: StatusCode) -> Failure {
        match status.as_u16() {
            401 | 403 => Failure::Fatal(ModelError::Unauthorized {
                url: url.to_owned(),
                status: status.as_u16(),
                token_note: if self.hub.sends_token() {
                    " (a token was sent: check that it has access to this repository)"
                } else if self.hub.token.is_some() {
                    " (HF_TOKEN is set but was not sent: the endpoint is plain http to another \
                     machine; use an https HF_ENDPOINT)"
                } else {
                    " (no token was sent)"
                },
            }),
            404 => Failure::Fatal(ModelError::NotFound {
                url: url.to_owned(),
            }),
            408 | 425 | 429 | 500..=599 => {
                Failure::Transient(format!("{url} answered HTTP {status}"))
            }
            _ => Failure::Fatal(ModelError::Http {
                url: url.to_owned(),
                status: status.as_u16(),
                detail: String::new(),
            }),
        }
    }

    fn check_space(&self, dir: &Path, needed: u64) -> Result<()> {
        if let Some(available) = available_space(dir) {
            let want = needed.saturating_add(self.options.free_space_margin);
            if available < want {
                return Err(ModelError::DiskFull {
                    dir: dir.to_path_buf(),
                    needed: human_bytes(want),
                    available: human_bytes(available),
                });
            }
        }
        Ok(())
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        let base = self.options.backoff_initial.saturating_mul(factor);
        // Up to 25% jitter so that many clients do not retry in lockstep.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let jitter = base.mul_f64(f64::from(nanos % 1000) / 4000.0);
        (base + jitter).min(self.options.backoff_max)
    }
}

/// Free bytes available to this user on the file system holding `dir`.
#[cfg(unix)]
pub fn available_space(dir: &Path) -> Option<u64> {
    let st = rustix::fs::statvfs(dir).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

/// Free bytes available on the file system holding `dir` (unknown on this platform).
#[cfg(not(unix))]
pub fn available_space(_dir: &Path) -> Option<u64> {
    None
}

/// `dest` with `suffix` appended to its file name.
pub(crate) fn sibling(dest: &Path, suffix: &str) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    dest.with_file_name(name)
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn truncate(path: &Path, len: u64) -> Result<(), Failure> {
    match OpenOptions::new().write(true).open(path) {
        Ok(f) => f
            .set_len(len)
            .map_err(|e| Failure::Fatal(ModelError::io("cannot truncate", path, e))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Failure::Fatal(ModelError::io("cannot open", path, e))),
    }
}

fn hash_file(path: &Path) -> Result<HashState> {
    let mut f = File::open(path).map_err(|e| ModelError::io("cannot read", path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1024 * 1024];
    let mut upto = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| ModelError::io("cannot read", path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        upto += n as u64;
    }
    Ok(HashState { hasher, upto })
}

/// The sha256 of a file, as lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    Ok(hex(&hash_file(path)?.hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn header_u64(resp: &Response, name: &str) -> Option<u64> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// `Content-Range: bytes START-END/TOTAL` (or `bytes */TOTAL`): (START, TOTAL).
fn content_range(resp: &Response) -> Option<(u64, Option<u64>)> {
    let v = resp.headers().get(CONTENT_RANGE)?.to_str().ok()?;
    let rest = v.trim().strip_prefix("bytes")?.trim();
    let (range, total) = rest.split_once('/')?;
    let total = total.trim().parse().ok();
    let start = if range.trim() == "*" {
        0
    } else {
        range.split_once('-')?.0.trim().parse().ok()?
    };
    Some((start, total))
}

fn is_timeout(e: &std::io::Error) -> bool {
    if e.kind() == std::io::ErrorKind::TimedOut {
        return true;
    }
    let mut source: Option<&dyn std::error::Error> = e.get_ref().map(|r| r as _);
    while let Some(s) = source {
        if let Some(re) = s.downcast_ref::<reqwest::Error>()
            && re.is_timeout()
        {
            return true;
        }
        source = s.source();
    }
    e.to_string().contains("timed out")
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

fn write_error(partial: &Path, dir: &Path, e: std::io::Error) -> Failure {
    if e.raw_os_error() == Some(28) || e.kind() == std::io::ErrorKind::StorageFull {
        Failure::Fatal(ModelError::DiskFull {
            dir: dir.to_path_buf(),
            needed: "more".to_owned(),
            available: human_bytes(available_space(dir).unwrap_or(0)),
        })
    } else {
        Failure::Fatal(ModelError::io("cannot write", partial, e))
    }
}

fn sleep_unless_cancelled(total: Duration, cancel: &AtomicBool) {
    let step = Duration::from_millis(50);
    let mut left = total;
    while !left.is_zero() && !cancel.load(Ordering::SeqCst) {
        let s = left.min(step);
        std::thread::sleep(s);
        left -= s;
    }
}
