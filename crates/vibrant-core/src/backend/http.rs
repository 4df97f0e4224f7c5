//! The HTTP plumbing shared by the remote backends: a blocking client without a total timeout
//! (answers stream for minutes) but with an idle timeout, readable errors, line reading that keeps
//! partial text and caps a line at [`MAX_STREAM_LINE`], and the assembly of streamed tool calls.

use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use serde_json::Value;

use super::toolcall::{self, CallFilter};
use super::{BackendError, CompletionRequest, ToolChoice, tool_name};
use crate::message::ToolCall;

/// How long a remote server may stay silent (before the response headers, or between two reads
/// of the answer) before the request fails.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// The longest line (one SSE `data:` line or one NDJSON object) a stream may send.
pub const MAX_STREAM_LINE: usize = 1 << 20;

pub(crate) fn client() -> Result<reqwest::blocking::Client, BackendError> {
    client_with(DEFAULT_IDLE_TIMEOUT)
}

/// A blocking client that gives up when the server is silent for `idle`: reqwest's blocking
/// `timeout` bounds the wait for the response headers and each read of the body, not the whole
/// answer, so long streams are not cut off while they keep coming.
pub(crate) fn client_with(idle: Duration) -> Result<reqwest::blocking::Client, BackendError> {
    reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(10).min(idle))
        .timeout(idle)
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
    idle: Duration,
) -> Result<reqwest::blocking::Response, BackendError> {
    let req = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            reqwest::header::ACCEPT,
            "text/event-stream, application/x-ndjson, */*",
        )
        .body(body.to_string());
    send(req, url, api_key, idle)
}

/// Sends a GET to `url` and returns the response if its status is a success.
pub(crate) fn get(
    client: &reqwest::blocking::Client,
    url: &str,
    api_key: Option<&str>,
    idle: Duration,
) -> Result<reqwest::blocking::Response, BackendError> {
    let req = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json");
    send(req, url, api_key, idle)
}

/// Sends `req` (to `url`, with `api_key` as a bearer token) and turns a failure or an error
/// status into a [`BackendError`] carrying the server's message.
fn send(
    mut req: reqwest::blocking::RequestBuilder,
    url: &str,
    api_key: Option<&str>,
    idle: Duration,
) -> Result<reqwest::blocking::Response, BackendError> {
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
        } else if e.is_timeout() {
            BackendError::Request {
                url: url.to_owned(),
                message: idle_message(idle, "waiting for the response"),
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
    // An error body is read for its message only: a hostile server cannot make it unbounded.
    let mut raw = Vec::new();
    let _ = std::io::Read::read_to_end(&mut std::io::Read::take(resp, 64 * 1024), &mut raw);
    let text = String::from_utf8_lossy(&raw);
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

fn idle_message(idle: Duration, what: &str) -> String {
    format!(
        "no data from the server for {:.1} s while {what} (the backend's idle timeout); \
         the server stalled or the connection was lost",
        idle.as_secs_f64()
    )
}

/// Reads the next line (without the line ending); `Ok(None)` at the end of the stream. A line
/// longer than `max` bytes, or a read that waits longer than the client's idle timeout, is an
/// error.
fn next_line(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
    idle: Duration,
) -> Result<Option<String>, String> {
    buf.clear();
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if is_timeout(&e) => return Err(idle_message(idle, "streaming the answer")),
            Err(e) => return Err(error_chain(&e)),
        };
        if available.is_empty() {
            if buf.is_empty() {
                return Ok(None);
            }
            break;
        }
        let (take, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if buf.len() + take > max + 2 {
            return Err(format!(
                "a line of the stream is longer than {max} bytes (MAX_STREAM_LINE); \
                 the server is broken or hostile"
            ));
        }
        buf.extend_from_slice(&available[..take]);
        reader.consume(take);
        if done {
            break;
        }
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(buf).into_owned()))
}

/// Whether a read failed because the client's timeout ran out (reqwest wraps it in an
/// `io::Error` whose chain says so).
fn is_timeout(e: &std::io::Error) -> bool {
    if e.kind() == std::io::ErrorKind::TimedOut {
        return true;
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|r| r as _);
    while let Some(c) = cur {
        if let Some(r) = c.downcast_ref::<reqwest::Error>()
            && r.is_timeout()
        {
            return true;
        }
        if c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        cur = c.source();
    }
    false
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
        idle: Duration,
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
                let resp = match post_json(&client, &url, api_key.as_deref(), &body, idle) {
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
                    let item = match next_line(&mut reader, &mut buf, MAX_STREAM_LINE, idle) {
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

/// Turns a failure during the stream into the right result: with some answer already received
/// (text or tool calls), the completion is kept and marked failed; without, it is an error.
pub(crate) fn stream_failure(
    url: &str,
    received: bool,
    err: BackendError,
) -> Result<super::FinishReason, BackendError> {
    if !received {
        Err(err)
    } else {
        tracing::warn!(%url, "stream broke after text arrived: {err}");
        Ok(super::FinishReason::Failed(err.to_string()))
    }
}

/// One tool call being assembled from streamed fragments.
#[derive(Debug, Default)]
struct PartialCall {
    /// The server's `index`, when it sent one.
    index: Option<u64>,
    id: Option<String>,
    name: String,
    /// The arguments' JSON text, concatenated from the fragments.
    arguments: String,
}

/// The tool-call side of one remote completion: keeps text-protocol markup (`<tool_call>…`) out
/// of the streamed text, assembles the structured calls a server streams, and at the end turns
/// either into [`ToolCall`]s (structured calls win; the text is parsed only when there are none).
pub(crate) struct ToolStream<'a> {
    /// The names of the tools offered, when the model may call them.
    names: Vec<&'a str>,
    /// Whether tools were offered and the model may call them (`tool_choice` is not `none`).
    active: bool,
    filter: CallFilter,
    calls: Vec<PartialCall>,
}

impl<'a> ToolStream<'a> {
    pub(crate) fn new(request: &CompletionRequest<'a>) -> Self {
        let active = !request.tools.is_empty() && request.tool_choice != ToolChoice::None;
        Self {
            names: request.tools.iter().filter_map(tool_name).collect(),
            active,
            filter: CallFilter::default(),
            calls: Vec::new(),
        }
    }

    /// Passes a piece of answer text on to `on_delta`, holding back tool-call markup when tools
    /// are active.
    pub(crate) fn text(&mut self, piece: &str, on_delta: &mut dyn FnMut(&str)) {
        if self.active {
            let mut emit = |s: &str| {
                if !s.is_empty() {
                    on_delta(s);
                }
            };
            self.filter.push(piece, &mut emit);
        } else {
            on_delta(piece);
        }
    }

    /// Adds an OpenAI `delta.tool_calls` fragment. Fragments with the same `index` belong to one
    /// call; without an index, a fragment with a new id starts a call and one without continues
    /// the last.
    pub(crate) fn fragment(
        &mut self,
        index: Option<u64>,
        id: Option<&str>,
        name: Option<&str>,
        arguments: Option<&str>,
    ) {
        let at = match index {
            Some(i) => self.calls.iter().position(|c| c.index == Some(i)),
            None => match (id, self.calls.last()) {
                (Some(id), Some(last)) if last.id.as_deref() == Some(id) => {
                    Some(self.calls.len() - 1)
                }
                (Some(_), _) | (None, None) => None,
                (None, Some(_)) => Some(self.calls.len() - 1),
            },
        };
        let at = at.unwrap_or_else(|| {
            self.calls.push(PartialCall {
                index,
                ..PartialCall::default()
            });
            self.calls.len() - 1
        });
        let call = &mut self.calls[at];
        if let Some(id) = id.filter(|s| !s.is_empty()) {
            call.id.get_or_insert_with(|| id.to_owned());
        }
        if let Some(name) = name.filter(|s| !s.is_empty()) {
            // The name comes whole in the first fragment; some servers repeat it.
            if call.name != name {
                call.name.push_str(name);
            }
        }
        if let Some(arguments) = arguments {
            call.arguments.push_str(arguments);
        }
    }

    /// Adds a call that arrived whole (Ollama): `arguments` an object, or a JSON string.
    pub(crate) fn whole_call(&mut self, id: Option<&str>, name: &str, arguments: Option<&Value>) {
        let arguments = match arguments {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        };
        self.calls.push(PartialCall {
            index: None,
            id: id.filter(|s| !s.is_empty()).map(str::to_owned),
            name: name.to_owned(),
            arguments,
        });
    }

    /// Whether any part of a structured call arrived.
    pub(crate) fn received_calls(&self) -> bool {
        !self.calls.is_empty()
    }

    /// Releases held-back text and returns the answer's text, its calls and the calls that could
    /// not be read. Calls without a server id get `call_N` from `counter`.
    pub(crate) fn finish(
        mut self,
        text: String,
        on_delta: &mut dyn FnMut(&str),
        counter: &mut u64,
    ) -> (String, Vec<ToolCall>, Vec<String>) {
        let mut emit = |s: &str| {
            if !s.is_empty() {
                on_delta(s);
            }
        };
        self.filter.finish(&mut emit);
        let mut next_id = || {
            *counter += 1;
            format!("call_{counter}")
        };
        if !self.calls.is_empty() {
            let mut calls = Vec::new();
            let mut invalid = Vec::new();
            for c in self.calls {
                match read_arguments(&c) {
                    Ok(arguments) => calls.push(ToolCall {
                        id: c.id.unwrap_or_else(&mut next_id),
                        name: c.name.trim().to_owned(),
                        arguments,
                    }),
                    Err(why) => invalid.push(why),
                }
            }
            let text = if text.contains(toolcall::CALL_OPEN) {
                toolcall::parse_tool_calls(&text, &self.names).text
            } else {
                text
            };
            return (text, calls, invalid);
        }
        if !self.active {
            return (text, Vec::new(), Vec::new());
        }
        // No structured calls: the server may have left the model's tool-call text as it was.
        let parsed = toolcall::parse_tool_calls(&text, &self.names);
        if !parsed.calls.is_empty() || !parsed.invalid.is_empty() {
            tracing::debug!(
                calls = parsed.calls.len(),
                invalid = parsed.invalid.len(),
                "read tool calls from the answer text (the server returned none)"
            );
        }
        let calls = parsed
            .calls
            .into_iter()
            .map(|c| ToolCall {
                id: next_id(),
                name: c.name,
                arguments: c.arguments,
            })
            .collect();
        (parsed.text, calls, parsed.invalid)
    }
}

/// The arguments object of an assembled call, or what is wrong with it (with the raw text, for
/// the model to correct).
fn read_arguments(call: &PartialCall) -> Result<Value, String> {
    let name = call.name.trim();
    let raw = call.arguments.trim();
    let shown = || shorten(raw, 500);
    if name.is_empty() {
        return Err(format!("tool call has no name (arguments: {})", shown()));
    }
    if raw.is_empty() {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(format!(
            "tool call {name}: arguments are not a JSON object: {}",
            shown()
        )),
        Err(e) => Err(format!(
            "tool call {name}: arguments are not valid JSON ({e}): {}",
            shown()
        )),
    }
}

/// `s` cut to at most `max` bytes (at a character boundary), with `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
