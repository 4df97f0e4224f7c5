//! The HTTP API against a scripted backend, over real sockets: answers whole and streamed in
//! OpenAI's shapes, errors in OpenAI's error shape, the API key, a full queue (429), a client
//! that disconnects (its answer is cancelled, the server goes on), a client that never finishes
//! its headers, and an open address without a key.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vibrant_core::{
    Backend, BackendError, Completion, CompletionRequest, FinishReason, Message, Usage,
};
use vibrant_server::{ServerOptions, check_bind, router, serve};

/// Answers with `pieces`, `pause` apart, noting whether it saw the cancel flag.
struct Scripted {
    pieces: Vec<&'static str>,
    pause: Duration,
    cancelled: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
}

impl Backend for Scripted {
    fn describe(&self) -> String {
        "scripted".into()
    }
    fn context_window(&self) -> usize {
        4096
    }
    fn count_tokens(&self, t: &str) -> usize {
        t.split_whitespace().count()
    }
    fn count_prompt(&self, m: &[Message]) -> Result<usize, BackendError> {
        Ok(m.iter().map(|m| self.count_tokens(&m.wire_text())).sum())
    }
    fn complete(
        &mut self,
        request: &CompletionRequest<'_>,
        cancel: &AtomicBool,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Completion, BackendError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut text = String::new();
        for p in &self.pieces {
            if cancel.load(Ordering::Relaxed) {
                self.cancelled.store(true, Ordering::SeqCst);
                return Ok(Completion {
                    text,
                    tool_calls: vec![],
                    invalid_tool_calls: vec![],
                    finish: FinishReason::Cancelled,
                    usage: Usage::default(),
                });
            }
            std::thread::sleep(self.pause);
            on_delta(p);
            text.push_str(p);
        }
        // Echo the last user message's length so the test sees the request arrived whole.
        let prompt = request.messages.iter().map(|m| m.content.len()).sum();
        Ok(Completion {
            text,
            tool_calls: vec![],
            invalid_tool_calls: vec![],
            finish: FinishReason::Stop,
            usage: Usage {
                prompt_tokens: Some(prompt),
                reused_tokens: Some(1),
                completion_tokens: Some(self.pieces.len()),
                ..Usage::default()
            },
        })
    }
}

struct Server {
    addr: SocketAddr,
    cancelled: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
    _rt: tokio::runtime::Runtime,
}

fn start(pieces: Vec<&'static str>, pause: Duration, options: ServerOptions) -> Server {
    let cancelled = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicUsize::new(0));
    let backend = Scripted {
        pieces,
        pause,
        cancelled: Arc::clone(&cancelled),
        calls: Arc::clone(&calls),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let read_timeout = options.read_timeout;
    let app = router(Box::new(backend), options);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(serve(listener, app, read_timeout, std::future::pending()));
    Server {
        addr,
        cancelled,
        calls,
        _rt: rt,
    }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn chat(s: &Server, body: &Value) -> reqwest::blocking::Response {
    client()
        .post(format!("http://{}/v1/chat/completions", s.addr))
        .json(body)
        .send()
        .unwrap()
}

fn hello(stream: bool) -> Value {
    json!({"model": "m", "stream": stream, "messages": [{"role": "user", "content": "hello"}],
           "stream_options": {"include_usage": true}})
}

#[test]
fn whole_and_streamed_answers_in_openai_shapes() {
    let s = start(
        vec!["Hel", "lo ", "there"],
        Duration::ZERO,
        ServerOptions::default(),
    );
    let r = client()
        .get(format!("http://{}/health", s.addr))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let models: Value = client()
        .get(format!("http://{}/v1/models", s.addr))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(models["data"][0]["id"], "vibrant");

    let whole: Value = chat(&s, &hello(false)).json().unwrap();
    assert_eq!(whole["object"], "chat.completion");
    assert_eq!(whole["choices"][0]["message"]["content"], "Hello there");
    assert_eq!(whole["choices"][0]["finish_reason"], "stop");
    assert_eq!(whole["usage"]["completion_tokens"], 3);
    assert_eq!(whole["usage"]["prompt_tokens"], 5);
    assert_eq!(whole["usage"]["total_tokens"], 8);
    assert_eq!(whole["usage"]["prompt_tokens_details"]["cached_tokens"], 1);

    let r = chat(&s, &hello(true));
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let body = r.text().unwrap();
    let events: Vec<&str> = body
        .split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .collect();
    assert_eq!(events.last(), Some(&"[DONE]"), "{body}");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Hello there");
    let finish = chunks
        .iter()
        .find(|c| c["choices"][0]["finish_reason"].is_string())
        .unwrap();
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks.last().unwrap()["usage"]["completion_tokens"], 3);
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk")
    );
}

#[test]
fn bad_requests_get_openai_errors_and_the_server_goes_on() {
    let s = start(
        vec!["ok"],
        Duration::ZERO,
        ServerOptions {
            max_body_bytes: 1000,
            ..ServerOptions::default()
        },
    );
    let r = client()
        .post(format!("http://{}/v1/chat/completions", s.addr))
        .body("{not json")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().unwrap();
    assert_eq!(e["error"]["type"], "invalid_request_error");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a chat completion request")
    );

    let r = chat(
        &s,
        &json!({"messages": [{"role": "user", "content": "x"}], "temperature": 7}),
    );
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().unwrap()["error"]["param"], "temperature");

    let big = "x".repeat(5000);
    let r = chat(&s, &json!({"messages": [{"role": "user", "content": big}]}));
    assert_eq!(r.status(), 413);

    let r = client()
        .get(format!("http://{}/v1/embeddings", s.addr))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.json::<Value>().unwrap()["error"]["message"].is_string());

    assert_eq!(
        s.calls.load(Ordering::SeqCst),
        0,
        "no bad request reached the model"
    );
    let ok: Value = chat(&s, &hello(false)).json().unwrap();
    assert_eq!(ok["choices"][0]["message"]["content"], "ok");
}

#[test]
fn the_api_key_is_required_when_set() {
    let s = start(
        vec!["ok"],
        Duration::ZERO,
        ServerOptions {
            api_key: Some("sekrit".into()),
            ..ServerOptions::default()
        },
    );
    assert_eq!(chat(&s, &hello(false)).status(), 401);
    let wrong = client()
        .post(format!("http://{}/v1/chat/completions", s.addr))
        .bearer_auth("sekrix")
        .json(&hello(false))
        .send()
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<Value>().unwrap()["error"]["code"],
        "invalid_api_key"
    );
    let right = client()
        .post(format!("http://{}/v1/chat/completions", s.addr))
        .bearer_auth("sekrit")
        .json(&hello(false))
        .send()
        .unwrap();
    assert_eq!(right.status(), 200);
    let models = client()
        .get(format!("http://{}/v1/models", s.addr))
        .send()
        .unwrap();
    assert_eq!(models.status(), 401);

    let open: SocketAddr = "0.0.0.0:8080".parse().unwrap();
    assert!(check_bind(open, &ServerOptions::default()).is_err());
    assert!(
        check_bind(
            open,
            &ServerOptions {
                api_key: Some("k".into()),
                ..ServerOptions::default()
            }
        )
        .is_ok()
    );
    assert!(check_bind("127.0.0.1:8080".parse().unwrap(), &ServerOptions::default()).is_ok());
}

/// Opens a streamed request by hand and returns the socket once the first chunk arrived.
fn open_stream(addr: SocketAddr) -> TcpStream {
    let body = hello(true).to_string();
    let mut sock = TcpStream::connect(addr).unwrap();
    write!(
        sock,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = sock.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("200 OK"));
    sock
}

#[test]
fn a_full_queue_gets_429_and_a_disconnect_cancels_the_answer() {
    let pieces: Vec<&'static str> = vec!["tick "; 200];
    let s = start(
        pieces,
        Duration::from_millis(20),
        ServerOptions {
            queue: 0,
            ..ServerOptions::default()
        },
    );
    let sock = open_stream(s.addr);
    // The one slot is taken: the next request is turned away at once.
    let r = chat(&s, &hello(false));
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "2");
    assert_eq!(
        r.json::<Value>().unwrap()["error"]["type"],
        "rate_limit_error"
    );

    // The client goes away mid-answer: the backend is told to stop, well before its 4 s.
    drop(sock);
    let t = Instant::now();
    while !s.cancelled.load(Ordering::SeqCst) {
        assert!(
            t.elapsed() < Duration::from_secs(3),
            "the answer was not cancelled"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // And the slot is free again.
    let t = Instant::now();
    loop {
        let r = chat(
            &s,
            &json!({"messages": [{"role": "user", "content": "x"}], "max_tokens": 1}),
        );
        if r.status() == 200 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "the slot was not freed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_client_that_never_finishes_its_headers_is_dropped() {
    let s = start(
        vec!["ok"],
        Duration::ZERO,
        ServerOptions {
            read_timeout: Duration::from_millis(300),
            ..ServerOptions::default()
        },
    );
    let mut sock = TcpStream::connect(s.addr).unwrap();
    sock.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let t = Instant::now();
    let mut buf = Vec::new();
    let _ = sock.read_to_end(&mut buf);
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "the server kept a half-sent request open"
    );
    // Others are served meanwhile and after.
    assert_eq!(chat(&s, &hello(false)).status(), 200);
}

#[test]
fn metrics_count_requests_tokens_and_durations() {
    let s = start(vec!["a", "b"], Duration::ZERO, ServerOptions::default());
    assert_eq!(chat(&s, &hello(false)).status(), 200);
    let _ = chat(&s, &hello(true)).text().unwrap();
    assert_eq!(chat(&s, &json!({"messages": []})).status(), 400);
    let r = client()
        .get(format!("http://{}/metrics", s.addr))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = r.text().unwrap();
    for line in [
        "# TYPE vibrant_requests_total counter",
        "vibrant_requests_total{status=\"200\"} 2",
        "vibrant_requests_total{status=\"400\"} 1",
        "vibrant_completion_tokens_total 4",
        "vibrant_prompt_tokens_cached_total 2",
        "vibrant_requests_in_progress 0",
        "vibrant_request_duration_seconds_bucket{le=\"+Inf\"} 2",
        "vibrant_request_duration_seconds_count 2",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line:?} missing in:\n{text}"
        );
    }
}
