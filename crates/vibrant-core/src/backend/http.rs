//! The HTTP plumbing shared by the remote backends: a blocking client without a total timeout
//! (answers stream for minutes), readable errors, and line reading that keeps partial text.

use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use super::BackendError;

/// A blocking client: connect timeout only, so long streams are not cut off.
pub(crate) fn client() -> Result<reqwest::blocking::Client, BackendError> {
    reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(None)
        .build()
        .map_err(|e| BackendError::Request {
            url: String::new(),
            message: e.to_string(),
        })
}

/// Sends `body` as JSON to `url` and returns the response if its status is a success.
pub(crate) fn post_json(
    client: &reqwest::blocking::Client,
    url: &str,
    api_key: Option<&str>,
    body: &serde_json::Value,
) -> Result<reqwest::blocking::Response, BackendError> {
    let mut req = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            reqwest::header::ACCEPT,
            "text/event-stream, application/x-ndjson, */*",
        )
        .body(body.to_string());
    if let Some(key) = api_key {
        req = req.bearer_auth(key);
    }
    let resp = req.send().map_err(|e| {
        if e.is_connect() {
            // The innermost cause ("Connection refused (os error 111)") says it all.
            let mut root: &dyn std::error::Error = &e;
            while let Some(s) = root.source() {
                root = s;
            }
            BackendError::Connect {
                url: url.to_owned(),
                message: root.to_string(),
            }
        } else {
            BackendError::Request {
                url: url.to_owned(),
                message: error_chain(&e),
            }
        }
    })?;
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let text = resp.text().unwrap_or_default();
    Err(BackendError::Http {
        url: url.to_owned(),
        status: status.as_u16(),
        message: server_message(&text)
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned()),
    })
}

/// The error message in a server's error body: `{"error":{"message":…}}` (OpenAI),
/// `{"error":"…"}` (Ollama), `{"message":…}`, or the text itself (shortened).
pub(crate) fn server_message(body: &str) -> Option<String> {
    let body = body.trim();
    if body.is_empty() {
        return None;
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        let found = v
            .pointer("/error/message")
            .or_else(|| v.get("error"))
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"));
        if let Some(found) = found {
            return Some(match found {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            });
        }
    }
    let mut s: String = body.chars().take(300).collect();
    if s.len() < body.len() {
        s.push('…');
    }
    Some(s)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = c.source();
    }
    out
}

/// Reads the next line (without the line ending); `Ok(None)` at the end of the stream.
fn next_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> Result<Option<String>, String> {
    buf.clear();
    match reader.read_until(b'\n', buf) {
        Ok(0) => Ok(None),
        Ok(_) => {
            while matches!(buf.last(), Some(b'\n' | b'\r')) {
                buf.pop();
            }
            Ok(Some(String::from_utf8_lossy(buf).into_owned()))
        }
        Err(e) => Err(error_chain(&e)),
    }
}

/// What the reader thread sends.
enum Item {
    Started,
    Failed(BackendError),
    Line(String),
    End,
    Broken(String),
}

/// The next thing in a [`LineStream`].
pub(crate) enum Next {
    Line(String),
    /// The server closed the stream.
    End,
    /// Reading failed (the connection broke).
    Broken(String),
    /// The cancel flag was set.
    Cancelled,
}

/// A streaming response read line by line on a helper thread, so that a silent server (a long
/// prefill, a stalled connection) never keeps the caller from noticing the cancel flag. When the
/// stream is dropped, the thread stops at its next line and closes the connection.
pub(crate) struct LineStream {
    rx: mpsc::Receiver<Item>,
}

/// How often a waiting caller looks at the cancel flag.
const POLL: Duration = Duration::from_millis(50);

impl LineStream {
    /// Posts `body` to `url` on a helper thread and waits for the response headers. `Ok(None)`
    /// when `cancel` was set first.
    pub(crate) fn open(
        client: &reqwest::blocking::Client,
        url: &str,
        api_key: Option<&str>,
        body: &serde_json::Value,
        cancel: &AtomicBool,
    ) -> Result<Option<Self>, BackendError> {
        let (tx, rx) = mpsc::sync_channel(64);
        let (client, url, api_key, body) = (
            client.clone(),
            url.to_owned(),
            api_key.map(str::to_owned),
            body.clone(),
        );
        std::thread::Builder::new()
            .name("vibrant-http-stream".to_owned())
            .spawn(move || {
                let resp = match post_json(&client, &url, api_key.as_deref(), &body) {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = tx.send(Item::Failed(e));
                        return;
                    }
                };
                if tx.send(Item::Started).is_err() {
                    return;
                }
                let mut reader = BufReader::new(resp);
                let mut buf = Vec::new();
                loop {
                    let item = match next_line(&mut reader, &mut buf) {
                        Ok(Some(line)) => Item::Line(line),
                        Ok(None) => Item::End,
                        Err(e) => Item::Broken(e),
                    };
                    let last = !matches!(item, Item::Line(_));
                    if tx.send(item).is_err() || last {
                        return;
                    }
                }
            })
            .map_err(|e| BackendError::Request {
                url: String::new(),
                message: format!("cannot start the stream reader: {e}"),
            })?;
        let stream = Self { rx };
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Ok(None);
            }
            match stream.rx.recv_timeout(POLL) {
                Ok(Item::Started) => return Ok(Some(stream)),
                Ok(Item::Failed(e)) => return Err(e),
                Ok(_) | Err(RecvTimeoutError::Disconnected) => {
                    return Err(BackendError::Request {
                        url: String::new(),
                        message: "the stream reader stopped unexpectedly".to_owned(),
                    });
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// The next line, waiting for it while watching `cancel`.
    pub(crate) fn next(&self, cancel: &AtomicBool) -> Next {
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Next::Cancelled;
            }
            match self.rx.recv_timeout(POLL) {
                Ok(Item::Line(l)) => return Next::Line(l),
                Ok(Item::End) => return Next::End,
                Ok(Item::Broken(e)) => return Next::Broken(e),
                Ok(Item::Started | Item::Failed(_)) | Err(RecvTimeoutError::Disconnected) => {
                    return Next::Broken("the stream reader stopped unexpectedly".to_owned());
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }
}

/// Turns a failure during the stream into the right result: with text already received, the
/// completion is kept and marked failed; without, it is an error.
pub(crate) fn stream_failure(
    url: &str,
    text: &str,
    err: BackendError,
) -> Result<super::FinishReason, BackendError> {
    if text.is_empty() {
        Err(err)
    } else {
        tracing::warn!(%url, "stream broke after text arrived: {err}");
        Ok(super::FinishReason::Failed(err.to_string()))
    }
}
