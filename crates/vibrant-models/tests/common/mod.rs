//! A small imitation of the Hugging Face Hub on 127.0.0.1 for the downloader tests: std::net and
//! one thread per connection. Routes:
//! - `GET /{owner}/{repo}/resolve/{rev}/{file}`: 302 to `/cdn/{owner}/{repo}/{file}` carrying
//!   `X-Linked-Size` and `X-Linked-ETag` (401 without the right token for a gated repo, 404 for an
//!   unknown file);
//! - `GET /cdn/{owner}/{repo}/{file}`: the bytes, honouring `Range` unless told not to, with
//!   optional faults on the first body request (cut, stall) and throttling;
//! - `GET /api/models/{owner}/{repo}/tree/{rev}`: the JSON listing.
//!
//! Every request is logged (path, Range, Authorization, status, body bytes sent).
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const SMOL: &str = "smollm2-135m-instruct-q4_1";
pub const SMOL_SHA: &str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
pub const SMOL_LEN: u64 = 98_362_432;

#[derive(Debug, Clone)]
pub struct LogEntry {
    pub path: String,
    pub range_start: Option<u64>,
    pub if_range: Option<String>,
    pub auth: Option<String>,
    pub status: u16,
    pub bytes_sent: u64,
}

#[derive(Clone)]
pub struct Hosted {
    pub path: PathBuf,
    pub len: u64,
    pub sha256: String,
}

#[derive(Default)]
pub struct Faults {
    /// The CDN ignores `Range` and always answers 200 with the whole file.
    pub ignore_range: bool,
    /// The first CDN body response closes the connection at this absolute offset.
    pub cut_first_at: Option<u64>,
    /// The first CDN body response stops sending at this offset and holds the connection this long.
    pub stall_first_at: Option<(u64, Duration)>,
    /// Pause after each 256 KiB chunk.
    pub throttle: Option<Duration>,
    /// Announce this X-Linked-ETag instead of the real sha256.
    pub etag_override: Option<String>,
    /// Repositories that need `Authorization: Bearer TOKEN`.
    pub gated: HashMap<String, String>,
    /// Do not send X-Linked-ETag.
    pub no_etag: bool,
    /// The CDN sends no `ETag` (nor `Last-Modified`): nothing to validate a resume with.
    pub no_validators: bool,
    /// The CDN ignores `If-Range` (answers the range even when the file changed).
    pub ignore_if_range: bool,
}

pub struct HubServer {
    pub endpoint: String,
    pub log: Arc<Mutex<Vec<LogEntry>>>,
    pub faults: Arc<Mutex<Faults>>,
    files: Arc<Mutex<HashMap<String, Hosted>>>,
    fault_used: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    active: Arc<AtomicUsize>,
}

impl HubServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let server = Self {
            endpoint,
            log: Arc::default(),
            faults: Arc::default(),
            files: Arc::default(),
            fault_used: Arc::default(),
            stop: Arc::default(),
            active: Arc::default(),
        };
        let (log, faults, files, used, stop, active) = (
            server.log.clone(),
            server.faults.clone(),
            server.files.clone(),
            server.fault_used.clone(),
            server.stop.clone(),
            server.active.clone(),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (log, faults, files, used, active) = (
                    log.clone(),
                    faults.clone(),
                    files.clone(),
                    used.clone(),
                    active.clone(),
                );
                active.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || {
                    let _ = handle(stream, &log, &faults, &files, &used);
                    active.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        server
    }

    /// Serves `path` as `repo`/`file`.
    pub fn host(&self, repo: &str, file: &str, path: &Path, sha256: &str) {
        let len = std::fs::metadata(path).unwrap().len();
        self.files.lock().unwrap().insert(
            format!("{repo}/{file}"),
            Hosted {
                path: path.to_path_buf(),
                len,
                sha256: sha256.to_owned(),
            },
        );
    }

    /// Serves the real SmolLM2 test model as `repo`/`file`.
    pub fn host_smol(&self, repo: &str, file: &str) {
        self.host(repo, file, &vibrant_testutil::model_path(SMOL), SMOL_SHA);
    }

    pub fn set_faults(&self, f: Faults) {
        *self.faults.lock().unwrap() = f;
        self.fault_used.store(false, Ordering::SeqCst);
    }

    /// Waits (up to 10 s) until every connection has been answered and logged.
    pub fn wait_idle(&self) {
        for _ in 0..1000 {
            if self.active.load(Ordering::SeqCst) == 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the test server still has open connections");
    }

    pub fn log(&self) -> Vec<LogEntry> {
        self.log.lock().unwrap().clone()
    }

    /// Log entries of body requests (the CDN).
    pub fn cdn_log(&self) -> Vec<LogEntry> {
        self.log()
            .into_iter()
            .filter(|e| e.path.starts_with("/cdn/"))
            .collect()
    }

    pub fn clear_log(&self) {
        self.log.lock().unwrap().clear();
    }
}

impl Drop for HubServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.endpoint.trim_start_matches("http://"));
    }
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    reason: &str,
    headers: &[(String, String)],
    body: &[u8],
) {
    let mut head = format!("HTTP/1.1 {status} {reason}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

fn handle(
    mut stream: TcpStream,
    log: &Mutex<Vec<LogEntry>>,
    faults: &Mutex<Faults>,
    files: &Mutex<HashMap<String, Hosted>>,
    fault_used: &AtomicBool,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut range_start = None;
    let mut if_range: Option<String> = None;
    let mut auth = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        let (k, v) = h.split_once(':').unwrap_or((&h, ""));
        let v = v.trim();
        match k.to_ascii_lowercase().as_str() {
            "range" => {
                range_start = v
                    .strip_prefix("bytes=")
                    .and_then(|r| r.split('-').next())
                    .and_then(|s| s.parse().ok())
            }
            "authorization" => auth = Some(v.to_owned()),
            "if-range" => if_range = Some(v.to_owned()),
            _ => {}
        }
    }
    let mut entry = LogEntry {
        path: path.clone(),
        range_start,
        if_range: if_range.clone(),
        auth: auth.clone(),
        status: 0,
        bytes_sent: 0,
    };
    let files_now = files.lock().unwrap().clone();
    let gated_token = |repo: &str| faults.lock().unwrap().gated.get(repo).cloned();

    if let Some(rest) = path.strip_prefix("/api/models/") {
        // OWNER/REPO/tree/REV
        let parts: Vec<&str> = rest.splitn(4, '/').collect();
        let repo = format!("{}/{}", parts[0], parts.get(1).unwrap_or(&""));
        if let Some(token) = gated_token(&repo)
            && auth.as_deref() != Some(&format!("Bearer {token}"))
        {
            entry.status = 401;
            respond(&mut stream, 401, "Unauthorized", &[], b"");
        } else {
            let mut items = Vec::new();
            for (key, h) in &files_now {
                if let Some(file) = key.strip_prefix(&format!("{repo}/")) {
                    items.push(format!(
                        r#"{{"type":"file","oid":"x","size":{len},"path":"{file}","lfs":{{"oid":"{sha}","size":{len},"pointerSize":134}}}}"#,
                        len = h.len,
                        sha = h.sha256
                    ));
                }
            }
            items.sort();
            let body = if items.is_empty() {
                entry.status = 404;
                respond(&mut stream, 404, "Not Found", &[], b"{}");
                None
            } else {
                Some(format!("[{}]", items.join(",")))
            };
            if let Some(body) = body {
                entry.status = 200;
                respond(
                    &mut stream,
                    200,
                    "OK",
                    &[("Content-Type".into(), "application/json".into())],
                    body.as_bytes(),
                );
            }
        }
    } else if let Some(rest) = path.strip_prefix("/cdn/") {
        let Some(h) = files_now.get(rest) else {
            entry.status = 404;
            respond(&mut stream, 404, "Not Found", &[], b"");
            log.lock().unwrap().push(entry);
            return Ok(());
        };
        let (ignore_range, cut, stall, throttle, no_validators, ignore_if_range) = {
            let f = faults.lock().unwrap();
            let first = !fault_used.swap(true, Ordering::SeqCst);
            (
                f.ignore_range,
                if first { f.cut_first_at } else { None },
                if first { f.stall_first_at } else { None },
                f.throttle,
                f.no_validators,
                f.ignore_if_range,
            )
        };
        // The file's strong ETag, as a CDN would send it.
        let etag = format!("\"{}\"", h.sha256);
        // RFC 9110 13.1.5: a range whose If-Range validator does not match gets the whole file.
        let if_range_fails = !ignore_if_range && if_range.as_ref().is_some_and(|v| *v != etag);
        let start = if ignore_range || if_range_fails {
            0
        } else {
            range_start.unwrap_or(0)
        };
        let mut head = String::new();
        if start > 0 {
            entry.status = 206;
            head.push_str("HTTP/1.1 206 Partial Content\r\n");
            head.push_str(&format!(
                "Content-Range: bytes {start}-{}/{}\r\n",
                h.len - 1,
                h.len
            ));
        } else {
            entry.status = 200;
            head.push_str("HTTP/1.1 200 OK\r\n");
        }
        if !no_validators {
            head.push_str(&format!("ETag: {etag}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            h.len - start
        ));
        stream.write_all(head.as_bytes())?;
        let mut file = std::fs::File::open(&h.path)?;
        file.seek(SeekFrom::Start(start))?;
        let mut pos = start;
        let mut buf = vec![0u8; 256 * 1024];
        let result = (|| -> std::io::Result<()> {
            loop {
                let mut limit = buf.len() as u64;
                if let Some(c) = cut {
                    if pos >= c {
                        return Ok(()); // drop the connection mid-body
                    }
                    limit = limit.min(c - pos);
                }
                if let Some((at, wait)) = stall {
                    if pos >= at {
                        std::thread::sleep(wait);
                        return Ok(());
                    }
                    limit = limit.min(at - pos);
                }
                let n = file.read(&mut buf[..limit as usize])?;
                if n == 0 {
                    return Ok(());
                }
                stream.write_all(&buf[..n])?;
                pos += n as u64;
                entry.bytes_sent += n as u64;
                if let Some(t) = throttle {
                    std::thread::sleep(t);
                }
            }
        })();
        let _ = result;
        let _ = stream.shutdown(std::net::Shutdown::Both);
    } else if let Some((repo_part, file)) = path.trim_start_matches('/').split_once("/resolve/") {
        let file = file.split_once('/').map_or("", |(_rev, f)| f);
        let key = format!("{repo_part}/{file}");
        if let Some(token) = gated_token(repo_part)
            && auth.as_deref() != Some(&format!("Bearer {token}"))
        {
            entry.status = 401;
            respond(&mut stream, 401, "Unauthorized", &[], b"");
        } else if let Some(h) = files_now.get(&key) {
            let f = faults.lock().unwrap();
            let mut headers = vec![
                ("Location".to_owned(), format!("/cdn/{key}")),
                ("X-Linked-Size".to_owned(), h.len.to_string()),
            ];
            if !f.no_etag {
                let etag = f.etag_override.clone().unwrap_or_else(|| h.sha256.clone());
                headers.push(("X-Linked-ETag".to_owned(), format!("\"{etag}\"")));
            }
            drop(f);
            entry.status = 302;
            respond(&mut stream, 302, "Found", &headers, b"");
        } else {
            entry.status = 404;
            respond(&mut stream, 404, "Not Found", &[], b"Entry not found");
        }
    } else {
        entry.status = 404;
        respond(&mut stream, 404, "Not Found", &[], b"");
    }
    log.lock().unwrap().push(entry);
    Ok(())
}

/// A file starting with the GGUF magic followed by `len - 4` pseudo-random bytes.
pub fn fake_gguf(path: &Path, len: usize, seed: u8) -> String {
    let mut data = b"GGUF".to_vec();
    let mut x: u32 = 0x9e37_79b9 ^ u32::from(seed);
    while data.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.push((x & 0xff) as u8);
    }
    std::fs::write(path, &data).unwrap();
    vibrant_models::sha256_file(path).unwrap()
}

/// Download options for tests: quick retries and a short stall timeout.
pub fn options() -> vibrant_models::DownloadOptions {
    vibrant_models::DownloadOptions {
        max_attempts: 4,
        backoff_initial: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        stall_timeout: Duration::from_millis(700),
        connect_timeout: Duration::from_secs(5),
        free_space_margin: 0,
    }
}

/// A downloader pointed at `server` with [`options`].
pub fn downloader(server: &HubServer) -> vibrant_models::Downloader {
    vibrant_models::Downloader::new(
        vibrant_models::HubConfig::with_endpoint(&server.endpoint),
        options(),
    )
    .unwrap()
}
