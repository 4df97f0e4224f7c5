//! The remote backends against a scripted local HTTP server (std::net and a thread): streaming,
//! usage, errors (refused connection, HTTP 500 with the server's message, malformed chunk) and a
//! stream dropped midway that keeps what arrived; tool calls (streamed fragments, parallel calls,
//! unreadable arguments, the request and history shapes, the `<tool_call>` text fallback, Ollama);
//! the server's only model taken from `GET /v1/models` when none is named.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;

use serde_json::json;
use vibrant_core::{
    Backend, BackendError, CompletionRequest, FinishReason, Message, OllamaBackend, OpenAiBackend,
    RemoteConfig, ToolCall, ToolChoice,
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
            body: if body.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::from_slice(&body).unwrap()
            },
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
    assert!(
        err.to_string()
            .contains("hint: the server does not have this model"),
        "{err}"
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

fn tools() -> Vec<serde_json::Value> {
    vec![
        json!({"type": "function", "function": {
            "name": "read_file", "description": "Read a file.",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}
        }}),
        // A bare function object is accepted and wrapped.
        json!({"name": "grep", "description": "Search.",
            "parameters": {"type": "object", "properties": {"pattern": {"type": "string"}}}}),
    ]
}

/// Asks with tools; returns the completion and what was streamed.
fn ask_tools(
    backend: &mut dyn Backend,
    messages: &[Message],
    choice: ToolChoice,
) -> (vibrant_core::Completion, String) {
    let tools = tools();
    let mut req = CompletionRequest::new(messages, 64);
    req.tools = &tools;
    req.tool_choice = choice;
    let mut streamed = String::new();
    let c = backend
        .complete(&req, &AtomicBool::new(false), &mut |d| streamed.push_str(d))
        .unwrap();
    (c, streamed)
}

/// A `delta.tool_calls` chunk with one fragment.
fn call_delta(index: u64, id: Option<&str>, name: Option<&str>, args: &str) -> String {
    let mut function = json!({"arguments": args});
    if let Some(name) = name {
        function["name"] = json!(name);
    }
    let mut call = json!({"index": index, "function": function});
    if let Some(id) = id {
        call["id"] = json!(id);
        call["type"] = json!("function");
    }
    json!({"choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": null}]})
        .to_string()
}

fn finish_chunk(reason: &str) -> String {
    json!({"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]}).to_string()
}

#[test]
fn openai_assembles_streamed_parallel_tool_calls() {
    // Two calls whose fragments interleave; arguments split mid-key and mid-value.
    let (url, _server) = serve_once(sse(&[
        &delta("Let me look."),
        &call_delta(0, Some("call_abc"), Some("read_file"), ""),
        &call_delta(0, None, None, "{\"pa"),
        &call_delta(1, Some("call_def"), Some("grep"), "{\"pattern\":"),
        &call_delta(0, None, None, "th\": \"src/ma"),
        &call_delta(1, None, None, " \"fn main\"}"),
        &call_delta(0, None, None, "in.rs\"}"),
        &finish_chunk("tool_calls"),
        "[DONE]",
    ]));
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let (c, streamed) = ask_tools(
        &mut backend,
        &[Message::user("where is main?")],
        ToolChoice::Auto,
    );
    assert_eq!(c.text, "Let me look.");
    assert_eq!(streamed, "Let me look.");
    assert_eq!(c.finish, FinishReason::Stop);
    assert!(
        c.invalid_tool_calls.is_empty(),
        "{:?}",
        c.invalid_tool_calls
    );
    assert_eq!(
        c.tool_calls,
        vec![
            ToolCall {
                id: "call_abc".to_owned(),
                name: "read_file".to_owned(),
                arguments: json!({"path": "src/main.rs"}),
            },
            ToolCall {
                id: "call_def".to_owned(),
                name: "grep".to_owned(),
                arguments: json!({"pattern": "fn main"}),
            },
        ]
    );
    assert!(c.usage.time_to_first_token.is_some());
}

#[test]
fn openai_unreadable_arguments_are_reported_not_dropped() {
    let (url, _server) = serve_once(sse(&[
        &call_delta(0, Some("c1"), Some("read_file"), "{\"path\": \"a.rs\","),
        &call_delta(1, Some("c2"), Some("grep"), "{\"pattern\": \"x\"}"),
        &call_delta(2, Some("c3"), Some("read_file"), "[\"a.rs\"]"),
        &finish_chunk("tool_calls"),
        "[DONE]",
    ]));
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let (c, streamed) = ask_tools(&mut backend, &[Message::user("go")], ToolChoice::Required);
    assert_eq!(streamed, "");
    assert_eq!(c.text, "");
    assert_eq!(c.tool_calls.len(), 1);
    assert_eq!(c.tool_calls[0].name, "grep");
    assert_eq!(c.invalid_tool_calls.len(), 2, "{:?}", c.invalid_tool_calls);
    let bad = &c.invalid_tool_calls[0];
    assert!(bad.contains("read_file"), "{bad}");
    assert!(bad.contains("not valid JSON"), "{bad}");
    assert!(bad.contains("{\"path\": \"a.rs\","), "{bad}");
    assert!(
        c.invalid_tool_calls[1].contains("not a JSON object"),
        "{:?}",
        c.invalid_tool_calls
    );
}

/// A conversation with one tool round: the call and its result.
fn tool_history() -> Vec<Message> {
    let call = ToolCall {
        id: "call_7".to_owned(),
        name: "read_file".to_owned(),
        arguments: json!({"path": "a.rs"}),
    };
    vec![
        Message::system("you are an agent"),
        Message::user("read a.rs"),
        Message::assistant_with_calls("", vec![call.clone()]),
        Message::tool_result(&call, "fn a() {}"),
    ]
}

#[test]
fn openai_request_carries_tools_choice_and_tool_history() {
    let (url, server) = serve_once(sse(&[
        &delta("It defines a."),
        &finish_chunk("stop"),
        "[DONE]",
    ]));
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let (c, _) = ask_tools(&mut backend, &tool_history(), ToolChoice::Required);
    assert_eq!(c.text, "It defines a.");
    assert!(c.tool_calls.is_empty());
    let body = server.join().unwrap().body;
    assert_eq!(body["tool_choice"], "required");
    assert_eq!(body["tools"][0]["function"]["name"], "read_file");
    assert_eq!(
        body["tools"][1],
        json!({"type": "function", "function": tools()[1]})
    );
    let m = &body["messages"];
    assert_eq!(m[2]["role"], "assistant");
    assert_eq!(m[2]["content"], serde_json::Value::Null);
    let call = &m[2]["tool_calls"][0];
    assert_eq!(call["id"], "call_7");
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "read_file");
    // The API wants the arguments as a JSON string.
    let args = call["function"]["arguments"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(args).unwrap(),
        json!({"path": "a.rs"})
    );
    assert_eq!(
        m[3],
        json!({"role": "tool", "content": "fn a() {}", "tool_call_id": "call_7"})
    );
}

#[test]
fn openai_tool_choice_none_and_no_tools() {
    let (url, server) = serve_once(sse(&[&delta("no tools"), "[DONE]"]));
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let (c, _) = ask_tools(&mut backend, &[Message::user("hi")], ToolChoice::None);
    assert_eq!(c.text, "no tools");
    let body = server.join().unwrap().body;
    assert_eq!(body["tool_choice"], "none");
    assert_eq!(body["tools"].as_array().unwrap().len(), 2);

    // Without tools, neither field is sent and tool-call markup is ordinary text.
    let markup = "<tool_call>{\"name\": \"read_file\", \"arguments\": {}}</tool_call>";
    let (url, server) = serve_once(sse(&[&delta(markup), "[DONE]"]));
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let (result, streamed) = ask(&mut backend);
    let c = result.unwrap();
    assert_eq!(c.text, markup);
    assert_eq!(streamed, markup);
    assert!(c.tool_calls.is_empty());
    let body = server.join().unwrap().body;
    assert!(body.get("tools").is_none());
    assert!(body.get("tool_choice").is_none());
}

#[test]
fn openai_falls_back_to_tool_call_text_in_content() {
    // llama-server without --jinja: the model's call arrives as plain content, split anywhere.
    let (url, _server) = serve_once(sse(&[
        &delta("I'll read it.\n<tool"),
        &delta("_call>\n{\"name\": \"read_file\", "),
        &delta(
            "\"arguments\": {\"path\": \"a.rs\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"grep\", \"arguments\": {\"pattern\": ",
        ),
        &delta("\"x\",}}\n</tool_call>"),
        &finish_chunk("stop"),
        "[DONE]",
    ]));
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let (c, streamed) = ask_tools(
        &mut backend,
        &[Message::user("read a.rs")],
        ToolChoice::Auto,
    );
    // The newline before the tag went out before the tag was recognisable.
    assert_eq!(streamed.trim_end(), "I'll read it.");
    assert!(!streamed.contains('<'), "{streamed:?}");
    assert_eq!(c.text, "I'll read it.");
    assert_eq!(c.tool_calls.len(), 1, "{:?}", c.tool_calls);
    assert_eq!(c.tool_calls[0].name, "read_file");
    assert_eq!(c.tool_calls[0].arguments, json!({"path": "a.rs"}));
    assert_eq!(c.tool_calls[0].id, "call_1");
    // The second call's JSON has a trailing comma: reported, not dropped.
    assert_eq!(c.invalid_tool_calls.len(), 1);
    assert!(c.invalid_tool_calls[0].contains("not valid JSON"));
}

#[test]
fn openai_stream_broken_after_a_call_fragment_keeps_it() {
    // No text arrived, but a call did: the completion is kept and marked failed.
    let (url, _server) = serve_once(sse(&[&call_delta(
        0,
        Some("c1"),
        Some("read_file"),
        "{\"path\": \"a.rs\"}",
    )]));
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let (c, _) = ask_tools(&mut backend, &[Message::user("go")], ToolChoice::Auto);
    assert!(
        matches!(c.finish, FinishReason::Failed(_)),
        "{:?}",
        c.finish
    );
    assert_eq!(c.tool_calls.len(), 1);
}

#[test]
fn ollama_tool_calls_and_history() {
    let (url, server) = serve_once(ndjson(&[
        json!({"model": "m", "message": {"role": "assistant", "content": "", "tool_calls": [
            {"function": {"name": "read_file", "arguments": {"path": "b.rs"}}},
            {"function": {"index": 1, "name": "grep", "arguments": {"pattern": "todo"}}},
        ]}, "done": false}),
        json!({"model": "m", "message": {"role": "assistant", "content": ""}, "done": true,
            "done_reason": "stop", "prompt_eval_count": 50, "eval_count": 20}),
    ]));
    let mut backend = OllamaBackend::new(config(url)).unwrap();
    let (c, streamed) = ask_tools(&mut backend, &tool_history(), ToolChoice::Auto);
    assert_eq!(streamed, "");
    assert_eq!(c.finish, FinishReason::Stop);
    assert!(c.invalid_tool_calls.is_empty());
    assert_eq!(c.tool_calls.len(), 2);
    assert_eq!(c.tool_calls[0].name, "read_file");
    assert_eq!(c.tool_calls[0].arguments, json!({"path": "b.rs"}));
    assert_eq!(c.tool_calls[1].name, "grep");
    assert_eq!(c.tool_calls[1].arguments, json!({"pattern": "todo"}));
    // Ollama gives no ids: distinct ones are made up.
    assert_ne!(c.tool_calls[0].id, c.tool_calls[1].id);
    assert!(c.tool_calls.iter().all(|t| !t.id.is_empty()));

    let body = server.join().unwrap().body;
    assert_eq!(body["tools"][0]["function"]["name"], "read_file");
    assert_eq!(body["tools"][1]["type"], "function");
    assert!(body.get("tool_choice").is_none());
    let m = &body["messages"];
    assert_eq!(
        m[2]["tool_calls"][0],
        json!({"function": {"name": "read_file", "arguments": {"path": "a.rs"}}})
    );
    assert_eq!(
        m[3],
        json!({"role": "tool", "content": "fn a() {}", "tool_name": "read_file"})
    );
}

#[test]
fn ollama_text_fallback_and_tool_choice_none() {
    let piece = |t: &str| json!({"message": {"role": "assistant", "content": t}, "done": false});
    let (url, _server) = serve_once(ndjson(&[
        piece("<tool_call>\n{\"name\": \"grep\", "),
        piece("\"arguments\": {\"pattern\": \"x\"}}\n</tool_call>"),
        json!({"message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop"}),
    ]));
    let mut backend = OllamaBackend::new(config(url)).unwrap();
    let (c, streamed) = ask_tools(&mut backend, &[Message::user("find x")], ToolChoice::Auto);
    assert_eq!(streamed, "");
    assert_eq!(c.text, "");
    assert_eq!(c.tool_calls.len(), 1);
    assert_eq!(c.tool_calls[0].arguments, json!({"pattern": "x"}));

    // `none`: Ollama has no tool_choice, so the tools are left out.
    let (url, server) = serve_once(ndjson(&[
        json!({"message": {"role": "assistant", "content": "ok"}, "done": true, "done_reason": "stop"}),
    ]));
    let mut backend = OllamaBackend::new(config(url)).unwrap();
    let (c, _) = ask_tools(&mut backend, &[Message::user("hi")], ToolChoice::None);
    assert_eq!(c.text, "ok");
    assert!(server.join().unwrap().body.get("tools").is_none());
}

/// A real OpenAI-compatible server (llama-server with `--jinja`, for instance): one tool round
/// trip. Run with `VIBRANT_TEST_OPENAI_URL=http://127.0.0.1:8093 cargo nextest run -p
/// vibrant-core --test remote --run-ignored only live_openai_tool_round_trip --no-capture`.
#[test]
#[ignore = "needs a running server named by VIBRANT_TEST_OPENAI_URL"]
fn live_openai_tool_round_trip() {
    let url = std::env::var("VIBRANT_TEST_OPENAI_URL")
        .expect("set VIBRANT_TEST_OPENAI_URL to the server's base URL");
    let mut backend = OpenAiBackend::new(RemoteConfig {
        url,
        model: "test".to_owned(),
        api_key: None,
        context_window: 4096,
    })
    .unwrap();
    let tools = tools();
    let mut messages = vec![
        Message::system("You are a coding assistant. Use the tools to look at files."),
        Message::user("Show me what is in the file src/main.rs."),
    ];
    let mut req = CompletionRequest::new(&messages, 128);
    req.temperature = 0.0;
    req.seed = Some(1);
    req.tools = &tools;
    let mut streamed = String::new();
    let c = backend
        .complete(&req, &AtomicBool::new(false), &mut |d| streamed.push_str(d))
        .unwrap();
    println!("first answer: text={:?} streamed={streamed:?}", c.text);
    println!("tool_calls={:?}", c.tool_calls);
    println!(
        "invalid={:?} finish={:?} usage={:?}",
        c.invalid_tool_calls, c.finish, c.usage
    );
    assert_eq!(c.tool_calls.len(), 1, "{c:?}");
    assert_eq!(c.tool_calls[0].name, "read_file");
    assert!(c.tool_calls[0].arguments["path"].is_string(), "{c:?}");

    // Send the result back: the server must accept the history shape and answer in text.
    let call = c.tool_calls[0].clone();
    messages.push(Message::assistant_with_calls(c.text, vec![call.clone()]));
    messages.push(Message::tool_result(
        &call,
        "fn main() {\n    println!(\"hello from vibrant\");\n}\n",
    ));
    let mut req = CompletionRequest::new(&messages, 128);
    req.temperature = 0.0;
    req.seed = Some(1);
    req.tools = &tools;
    let c = backend
        .complete(&req, &AtomicBool::new(false), &mut |_| {})
        .unwrap();
    println!("second answer: text={:?}", c.text);
    println!("tool_calls={:?} finish={:?}", c.tool_calls, c.finish);
    assert!(
        !c.text.trim().is_empty() || !c.tool_calls.is_empty(),
        "{c:?}"
    );

    // `required`: llama-server constrains the answer to a call and returns it structured.
    let mut req = CompletionRequest::new(&messages[..2], 128);
    req.temperature = 0.0;
    req.seed = Some(1);
    req.tools = &tools;
    req.tool_choice = ToolChoice::Required;
    let mut streamed = String::new();
    let c = backend
        .complete(&req, &AtomicBool::new(false), &mut |d| streamed.push_str(d))
        .unwrap();
    println!("required: text={:?} streamed={streamed:?}", c.text);
    println!(
        "tool_calls={:?} invalid={:?} finish={:?}",
        c.tool_calls, c.invalid_tool_calls, c.finish
    );
    assert!(!c.tool_calls.is_empty(), "{c:?}");
}

#[test]
fn a_wrong_endpoint_gets_a_hint() {
    let response = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nFile Not Found";
    let (url, _server) = serve_once(response.as_bytes().to_vec());
    let mut backend = OpenAiBackend::new(config(url)).unwrap();
    let err = ask(&mut backend).0.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("HTTP 404"), "{text}");
    assert!(
        text.contains("check backend.url and backend.kind"),
        "{text}"
    );
}

/// Accepts one connection, reads the request, then hands the socket to `respond`.
fn serve_with(respond: impl FnOnce(&mut std::net::TcpStream) + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut len = 0;
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            let h = h.trim_end().to_ascii_lowercase();
            if h.is_empty() {
                break;
            }
            if let Some(v) = h.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        respond(&mut stream);
    });
    url
}

const IDLE: std::time::Duration = std::time::Duration::from_millis(500);

/// A server that sends the response headers (and a first delta), then nothing, holding the
/// connection open: the backend gives up after its idle timeout instead of hanging.
#[test]
fn a_server_that_stalls_after_the_headers_fails_after_the_idle_timeout() {
    for (ollama, head) in [
        (false, SSE_HEAD),
        (
            true,
            b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\n\r\n"
                .as_slice(),
        ),
    ] {
        for first in [None, Some(())] {
            let url = serve_with(move |s| {
                s.write_all(head).unwrap();
                if first.is_some() {
                    let line = if ollama {
                        format!(
                            "{}\n",
                            json!({"message": {"role": "assistant", "content": "Hel"}, "done": false})
                        )
                    } else {
                        format!("data: {}\n\n", delta("Hel"))
                    };
                    s.write_all(line.as_bytes()).unwrap();
                }
                s.flush().unwrap();
                std::thread::sleep(std::time::Duration::from_secs(60));
            });
            let mut backend: Box<dyn Backend + Send> = if ollama {
                Box::new(
                    OllamaBackend::new(config(url))
                        .unwrap()
                        .with_idle_timeout(IDLE)
                        .unwrap(),
                )
            } else {
                Box::new(
                    OpenAiBackend::new(config(url))
                        .unwrap()
                        .with_idle_timeout(IDLE)
                        .unwrap(),
                )
            };
            let start = std::time::Instant::now();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let (r, streamed) = ask(backend.as_mut());
                let _ = tx.send((r.map(|c| c.finish).map_err(|e| e.to_string()), streamed));
            });
            let (r, streamed) = rx
                .recv_timeout(std::time::Duration::from_secs(15))
                .unwrap_or_else(|_| {
                    panic!("ollama={ollama} first={first:?}: still waiting after 15 s")
                });
            let elapsed = start.elapsed();
            assert!(elapsed < std::time::Duration::from_secs(10), "{elapsed:?}");
            let message = match (first, r) {
                (None, Err(e)) => e,
                (Some(()), Ok(FinishReason::Failed(m))) => {
                    assert_eq!(streamed, "Hel");
                    m
                }
                other => panic!("ollama={ollama}: {other:?}"),
            };
            assert!(
                message.contains("no data") && message.contains("idle"),
                "{message}"
            );
        }
    }
}

/// A server that sends one endless line: the backend stops at [`MAX_STREAM_LINE`] with a clear
/// error instead of growing its buffer.
#[test]
fn an_endless_stream_line_is_cut_off_with_a_clear_error() {
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = sent.clone();
    let url = serve_with(move |s| {
        s.write_all(SSE_HEAD).unwrap();
        s.write_all(b"data: {\"choices\": [{\"delta\": {\"content\": \"")
            .unwrap();
        let chunk = vec![b'x'; 64 * 1024];
        // At most 64 MiB, so that a client without the cap fails the test instead of the machine.
        for _ in 0..1024 {
            if s.write_all(&chunk).is_err() {
                return;
            }
            counter.fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let mut backend = OpenAiBackend::new(config(url))
        .unwrap()
        .with_idle_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    let start = std::time::Instant::now();
    let (r, streamed) = ask(&mut backend);
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    let err = r.unwrap_err().to_string();
    assert!(
        err.contains("longer than") && err.contains(&vibrant_core::MAX_STREAM_LINE.to_string()),
        "{}",
        &err[..err.len().min(300)]
    );
    assert_eq!(streamed, "");
    assert!(sent.load(std::sync::atomic::Ordering::SeqCst) < 64 * 1024 * 1024);
}

/// An error answer with an endless body: only its beginning is read for the message.
#[test]
fn an_endless_error_body_is_not_read_to_the_end() {
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = sent.clone();
    let url = serve_with(move |s| {
        s.write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
            .unwrap();
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..1024 {
            if s.write_all(&chunk).is_err() {
                return;
            }
            counter.fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let mut backend = OpenAiBackend::new(config(url))
        .unwrap()
        .with_idle_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    let (r, _) = ask(&mut backend);
    let err = r.unwrap_err();
    assert!(
        matches!(err, BackendError::Http { status: 500, .. }),
        "{err:?}"
    );
    assert!(err.to_string().len() < 1000);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let sent = sent.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        sent < 32 * 1024 * 1024,
        "the client read {sent} bytes of an error body"
    );
}

/// A JSON reply with `body`.
fn json_reply(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

const LIST_IDLE: std::time::Duration = std::time::Duration::from_secs(10);

#[test]
fn openai_takes_the_only_served_model() {
    let (url, server) = serve_once(json_reply(
        r#"{"object":"list","data":[{"id":"qwen2.5-coder-7b-instruct","object":"model","owned_by":"llamacpp"}]}"#,
    ));
    let model = OpenAiBackend::only_served_model(&format!("{url}/v1/"), Some("sk-test"), LIST_IDLE)
        .unwrap();
    assert_eq!(model, "qwen2.5-coder-7b-instruct");
    let req = server.join().unwrap();
    assert_eq!(req.line, "GET /v1/models HTTP/1.1");
    assert!(
        req.headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case("authorization: Bearer sk-test")),
        "{:?}",
        req.headers
    );
}

#[test]
fn openai_several_served_models_is_an_error_naming_them() {
    let (url, _server) = serve_once(json_reply(
        r#"{"data":[{"id":"coder-small"},{"id":"coder-large"}]}"#,
    ));
    let err = OpenAiBackend::only_served_model(&url, None, LIST_IDLE).unwrap_err();
    match &err {
        BackendError::SeveralServedModels { models, .. } => {
            assert_eq!(models, &["coder-small", "coder-large"]);
        }
        other => panic!("{other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("serves 2 models") && msg.contains("coder-small, coder-large"),
        "{msg}"
    );
}

#[test]
fn openai_no_served_model_or_an_unreadable_list_is_an_error() {
    let (url, _server) = serve_once(json_reply(r#"{"object":"list","data":[]}"#));
    let err = OpenAiBackend::only_served_model(&url, None, LIST_IDLE).unwrap_err();
    assert!(matches!(err, BackendError::NoServedModel { .. }), "{err:?}");

    let (url, _server) = serve_once(json_reply(r#"{"models":"none here"}"#));
    let err = OpenAiBackend::only_served_model(&url, None, LIST_IDLE).unwrap_err();
    assert!(matches!(err, BackendError::BadModelList { .. }), "{err:?}");
    assert!(err.to_string().contains("/v1/models"), "{err}");

    // A server without the endpoint: the HTTP error, with its status.
    let body = r#"{"error":{"message":"File Not Found"}}"#;
    let response = format!(
        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (url, _server) = serve_once(response.into_bytes());
    let err = OpenAiBackend::served_models(&url, None, LIST_IDLE).unwrap_err();
    assert!(
        matches!(err, BackendError::Http { status: 404, .. }),
        "{err:?}"
    );
}
