//! A scripted local OpenAI-compatible server for the CLI's end-to-end tests.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

/// Status line and headers of a streamed (server-sent events) reply.
pub const HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";

/// One streamed chat-completion chunk carrying `t`.
pub fn delta(t: &str) -> Vec<u8> {
    let chunk = serde_json::json!({"choices": [{"index": 0, "delta": {"content": t}, "finish_reason": null}]});
    format!("data: {chunk}\n\n").into_bytes()
}

/// Reads one HTTP request (headers, then a `Content-Length` body) and returns its body.
pub fn read_request(stream: &TcpStream) -> Vec<u8> {
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
    body
}

/// Serves one HTTP connection: reads the request, then writes each part of `parts` with
/// `pause` between them, and closes. Returns the server's URL.
pub fn serve(parts: Vec<Vec<u8>>, pause: std::time::Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        read_request(&stream);
        for p in parts {
            if stream.write_all(&p).and_then(|()| stream.flush()).is_err() {
                return; // the client went away (cancelled)
            }
            std::thread::sleep(pause);
        }
    });
    url
}

/// Serves one connection per reply in `replies`, in order (each: read the request, write the
/// parts, close). Returns the server's URL.
pub fn serve_each(replies: Vec<Vec<Vec<u8>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for parts in replies {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            read_request(&stream);
            for p in parts {
                if stream.write_all(&p).and_then(|()| stream.flush()).is_err() {
                    break;
                }
            }
        }
    });
    url
}
