//! The remote backends against a scripted local HTTP server (std::net and a thread): streaming,
//! usage, errors (refused connection, HTTP 500 with the server's message, malformed chunk) and a
//! stream dropped midway that keeps what arrived.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;

use vibrant_core::{
    Backend, BackendError, CompletionRequest, FinishReason, Message, OllamaBackend, OpenAiBackend,
    RemoteConfig,
};

/// What the server received.
struct Request {
    line: String,
    headers: Vec<String>,
    body: serde_json::Value,
}

/// Serves one connection: reads the request, writes `response` verbatim, closes.
fn serve_once(response: Vec<u8>) -> (String, JoinHandle<Request>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let mut headers = Vec::new();
        let mut len = 0;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            let h = h.trim_end().to_owned();
            if h.is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
            headers.push(h);
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        let mut stream = stream;
        stream.write_all(&response).unwrap();
        stream.flush().unwrap();
        Request {
            line: line.trim_end().to_owned(),
            headers,
            body: serde_json::from_slice(&body).unwrap(),
        }
    });
    (url, handle)
}

const SSE_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";

fn sse_events(events: &[&str]) -> Vec<u8> {
    events
        .iter()
        .flat_map(|e| format!("data: {e}\n\n").into_bytes())
        .collect()
}

fn sse(events: &[&str]) -> Vec<u8> {
    [SSE_HEAD, &sse_events(events)].concat()
}

fn delta(text: &str) -> String {
    serde_json::json!({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
        .to_string()
}

fn config(url: String) -> RemoteConfig {
    RemoteConfig {
        url,
        model: "test-model".to_owned(),
        api_key: Some("sk-test".to_owned()),
        context_window: 4096,
    }
}

fn ask(backend: &mut dyn Backend) -> (Result<vibrant_core::Completion, BackendError>, String) {
    let messages = [Message::system("be brief"), Message::user("hi")];
    let mut streamed = String::new();
    let mut req = CompletionRequest::new(&messages, 64);
    req.seed = Some(7);
    let r = backend.complete(&req, &AtomicBool::new(false), &mut |d| streamed.push_str(d));
    (r, streamed)
}

#[test]
fn openai_streams_a_scripted_reply() {
    let finish =
        serde_json::json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            .to_string();
    let usage =
        serde_json::json!({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3}})
            .to_string();
    let mut body = sse(&[&delta("Hello"), &delta(", "), &delta("world")]);
    body.extend_from_slice(b": keep-alive comment\n\nevent: message\n");
    body.extend_from_slice(&sse_events(&[&finish, &usage, "[DONE]"]));
    let (url, server) = serve_once(body);
    let mut backend = OpenAiBackend::new(config(format!("{url}/v1/"))).unwrap();
    assert!(backend.endpoint().ends_with("/v1/chat/completions"));
    let (result, streamed) = ask(&mut backend);
    let c = result.unwrap();
    assert_eq!(c.text, "Hello, world");
    assert_eq!(streamed, "Hello, world");
    assert_eq!(c.finish, FinishReason::Stop);
    assert_eq!(c.usage.prompt_tokens, Some(12));
    assert_eq!(c.usage.completion_tokens, Some(3));
    assert!(c.usage.time_to_first_token.is_some());
    let req = server.join().unwrap();
    assert_eq!(req.line, "POST /v1/chat/completions HTTP/1.1");
    assert!(
        req.headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case("authorization: Bearer sk-test"))
    );
    assert_eq!(req.body["model"], "test-model");
    assert_eq!(req.body["stream"], true);
    assert_eq!(req.body["max_tokens"], 64);
    assert_eq!(req.body["seed"], 7);
    assert_eq!(req.body["messages"][0]["role"], "system");
    assert_eq!(req.body["messages"][1]["content"], "hi");
}

#[test]
fn openai_length_finish_is_reported() {
    let finish =
        serde_json::json!({"choices": [{"index": 0, "delta": {"content": "!"}, "finish_reason": "length"}]})
            .to_string();
    let (url, _server) = serve_once(sse(&[&delta("a"), &finish, "[DONE]"]));
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let c = ask(&mut backend).0.unwrap();
    assert_eq!(c.text, "a!");
    assert_eq!(c.finish, FinishReason::Length);
}

#[test]
fn refused_connection_is_a_clear_error() {
    // Bind, then drop, so the port is (almost certainly) closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut backend = OpenAiBackend::new(config(format!("http://127.0.0.1:{port}"))).unwrap();
    let err = ask(&mut backend).0.unwrap_err();
    assert!(matches!(err, BackendError::Connect { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("cannot connect to http://127.0.0.1:"), "{msg}");
    assert!(msg.contains("backend.url"), "{msg}");
}

#[test]
fn http_500_carries_the_server_message() {
    let body = r#"{"error":{"message":"model 'test-model' is not loaded","type":"server_error"}}"#;
    let response = format!(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (url, _server) = serve_once(response.into_bytes());
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let err = ask(&mut backend).0.unwrap_err();
    match &err {
        BackendError::Http {
            status, message, ..
        } => {
            assert_eq!(*status, 500);
            assert_eq!(message, "model 'test-model' is not loaded");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("HTTP 500"));
}

#[test]
fn malformed_first_chunk_is_an_error() {
    let (url, _server) = serve_once(sse(&["{\"choices\": [", "[DONE]"]));
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let err = ask(&mut backend).0.unwrap_err();
    assert!(
        matches!(&err, BackendError::MalformedStream { line, .. } if line == "{\"choices\": ["),
        "{err:?}"
    );
}

#[test]
fn malformed_chunk_after_text_keeps_the_text() {
    let (url, _server) = serve_once(sse(&[&delta("partial "), &delta("answer"), "{oops"]));
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let (result, streamed) = ask(&mut backend);
    let c = result.unwrap();
    assert_eq!(c.text, "partial answer");
    assert_eq!(streamed, "partial answer");
    assert!(
        matches!(&c.finish, FinishReason::Failed(m) if m.contains("malformed stream")),
        "{:?}",
        c.finish
    );
}

#[test]
fn dropped_stream_keeps_what_arrived() {
    // The connection closes without a finish reason or [DONE].
    let (url, _server) = serve_once(sse(&[&delta("half of "), &delta("it")]));
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let c = ask(&mut backend).0.unwrap();
    assert_eq!(c.text, "half of it");
    assert!(
        matches!(&c.finish, FinishReason::Failed(m) if m.contains("closed the stream")),
        "{:?}",
        c.finish
    );
}

#[test]
fn dropped_chunked_stream_keeps_what_arrived() {
    // Chunked transfer cut in the middle of a chunk: a transport error after text arrived.
    let first = format!("data: {}\n\n", delta("kept"));
    let mut response =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    response.extend_from_slice(format!("{:x}\r\n{first}\r\n", first.len()).as_bytes());
    response.extend_from_slice(b"400\r\ndata: {\"choi");
    let (url, _server) = serve_once(response);
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let c = ask(&mut backend).0.unwrap();
    assert_eq!(c.text, "kept");
    assert!(
        matches!(c.finish, FinishReason::Failed(_)),
        "{:?}",
        c.finish
    );
}

#[test]
fn stream_that_ends_before_any_text_is_an_error() {
    let (url, _server) = serve_once(sse(&[]));
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let err = ask(&mut backend).0.unwrap_err();
    assert!(matches!(err, BackendError::Dropped { .. }), "{err:?}");
}

#[test]
fn cancel_stops_between_deltas() {
    let (url, _server) = serve_once(sse(&[&delta("a"), &delta("b"), "[DONE]"]));
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let messages = [Message::user("hi")];
    let cancel = AtomicBool::new(false);
    let c = backend
        .complete(&CompletionRequest::new(&messages, 8), &cancel, &mut |_| {
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
    assert_eq!(c.text, "a");
    assert_eq!(c.finish, FinishReason::Cancelled);
}

fn ndjson(lines: &[serde_json::Value]) -> Vec<u8> {
    let mut out =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\n\r\n"
            .to_vec();
    for l in lines {
        out.extend_from_slice(l.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

#[test]
fn ollama_streams_ndjson() {
    let piece = |t: &str| serde_json::json!({"model": "m", "message": {"role": "assistant", "content": t}, "done": false});
    let (url, server) = serve_once(ndjson(&[
        piece("fn "),
        piece("main"),
        serde_json::json!({"model": "m", "message": {"role": "assistant", "content": ""}, "done": true,
            "done_reason": "stop", "prompt_eval_count": 20, "eval_count": 2,
            "prompt_eval_duration": 1000, "eval_duration": 2000}),
    ]));
    let mut backend = OllamaBackend::new(config(url)).unwrap();
    let (result, streamed) = ask(&mut backend);
    let c = result.unwrap();
    assert_eq!(c.text, "fn main");
    assert_eq!(streamed, "fn main");
    assert_eq!(c.finish, FinishReason::Stop);
    assert_eq!(c.usage.prompt_tokens, Some(20));
    assert_eq!(c.usage.completion_tokens, Some(2));
    let req = server.join().unwrap();
    assert_eq!(req.line, "POST /api/chat HTTP/1.1");
    assert_eq!(req.body["model"], "test-model");
    assert_eq!(req.body["options"]["num_predict"], 64);
    assert_eq!(req.body["options"]["num_ctx"], 4096);
    assert_eq!(req.body["options"]["seed"], 7);
}

#[test]
fn ollama_errors_are_reported() {
    let body = r#"{"error":"model \"test-model\" not found, try pulling it first"}"#;
    let response = format!(
        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (url, _server) = serve_once(response.into_bytes());
    let mut backend = OllamaBackend::new(config(url)).unwrap();
    let err = ask(&mut backend).0.unwrap_err();
    assert!(
        matches!(&err, BackendError::Http { status: 404, message, .. } if message.contains("try pulling it first")),
        "{err:?}"
    );

    // An error object in the middle of the stream keeps the text before it.
    let (url, _server) = serve_once(ndjson(&[
        serde_json::json!({"message": {"role": "assistant", "content": "so far"}, "done": false}),
        serde_json::json!({"error": "out of memory"}),
    ]));
    let mut backend = OllamaBackend::new(config(url)).unwrap();
    let c = ask(&mut backend).0.unwrap();
    assert_eq!(c.text, "so far");
    assert!(
        matches!(&c.finish, FinishReason::Failed(m) if m.contains("out of memory")),
        "{:?}",
        c.finish
    );
}

#[test]
fn openai_retries_without_stream_options_when_rejected() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let rejected =
        r#"{"error":{"message":"Unrecognized request argument supplied: stream_options"}}"#;
    let responses = vec![
        format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{rejected}",
            rejected.len()
        )
        .into_bytes(),
        sse(&[&delta("fine"), "[DONE]"]),
    ];
    let server = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for response in responses {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0;
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            bodies.push(serde_json::from_slice::<serde_json::Value>(&body).unwrap());
            let mut stream = stream;
            stream.write_all(&response).unwrap();
        }
        bodies
    });
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let c = ask(&mut backend).0.unwrap();
    assert_eq!(c.text, "fine");
    let bodies = server.join().unwrap();
    assert!(bodies[0].get("stream_options").is_some());
    assert!(bodies[1].get("stream_options").is_none());
    assert_eq!(bodies[1]["stream"], true);
}

#[test]
fn cancel_works_while_the_server_is_silent() {
    // The server reads the request and then says nothing (a long prefill, a stalled link).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let _keep = stream;
        std::thread::sleep(std::time::Duration::from_secs(30));
    });
    for mut backend in [
        Box::new(OpenAiBackend::new(config(url.clone())).unwrap()) as Box<dyn Backend>,
        Box::new(OllamaBackend::new(config(url.clone())).unwrap()),
    ] {
        let messages = [Message::user("hi")];
        let cancel = std::sync::Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let c = backend
            .complete(&CompletionRequest::new(&messages, 8), &cancel, &mut |_| {})
            .unwrap();
        assert_eq!(c.finish, FinishReason::Cancelled);
        assert_eq!(c.text, "");
    }
}
