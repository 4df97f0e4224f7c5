//! `vibrant serve`: an OpenAI-compatible HTTP API over one Vibrant [`Backend`] (the embedded
//! engine with its model): `POST /v1/chat/completions` (streamed as server-sent events or whole;
//! tools; stop; seed; usage with cached tokens), `GET /v1/models`, `GET /health`, `GET /metrics`
//! (Prometheus text).
//!
//! One answer is generated at a time (the engine uses every core for one); up to
//! [`ServerOptions::queue`] more requests wait, and beyond that the server answers 429 with
//! `Retry-After`. A client that disconnects cancels its answer. Requests are bounded (body size,
//! header and body read timeouts, answer length), an API key can be required, and a bad request
//! gets OpenAI's error shape without taking the server down. Binding a non-loopback address
//! without an API key is refused by [`check_bind`].

mod wire;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use vibrant_core::{Backend, BackendError, Completion};

pub use wire::{ChatRequest, Invalid};

/// Limits and identity of a server.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// The model id in answers and `/v1/models`.
    pub model: String,
    /// Required as `Authorization: Bearer KEY` when set.
    pub api_key: Option<String>,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Most tokens one answer may have (a request asking for more gets this many).
    pub max_tokens: usize,
    /// Requests that may wait while one is answered; more get 429.
    pub queue: usize,
    /// How long a client may take to send its headers, and its body.
    pub read_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            model: "vibrant".to_owned(),
            api_key: None,
            max_body_bytes: 4 << 20,
            max_tokens: 4096,
            queue: 8,
            read_timeout: Duration::from_secs(20),
        }
    }
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "refusing to listen on {addr} without an API key: anyone who can reach it could use the model"
    )]
    OpenWithoutKey { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

impl ServeError {
    pub fn hint(&self) -> &'static str {
        match self {
            Self::OpenWithoutKey { .. } => {
                "pass --api-key-env VAR (the variable holding the key), or listen on 127.0.0.1"
            }
            Self::Bind { .. } => "is another server on that port? pick another with --port",
        }
    }
}

/// Refuses a non-loopback address without an API key.
pub fn check_bind(addr: SocketAddr, options: &ServerOptions) -> Result<(), ServeError> {
    if !addr.ip().is_loopback() && options.api_key.is_none() {
        return Err(ServeError::OpenWithoutKey { addr });
    }
    Ok(())
}

struct Shared {
    backend: Mutex<Box<dyn Backend + Send>>,
    options: ServerOptions,
    /// Permits: the one answering plus the queue.
    slots: Arc<Semaphore>,
    next_id: AtomicU64,
    metrics: Metrics,
}

/// Upper bounds (seconds) of the answer-duration histogram's buckets.
const DURATION_BUCKETS: [f64; 9] = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0];

/// Counters for `GET /metrics`.
#[derive(Default)]
struct Metrics {
    /// Chat requests by HTTP status.
    by_status: Mutex<std::collections::BTreeMap<u16, u64>>,
    prompt_tokens: AtomicU64,
    cached_tokens: AtomicU64,
    completion_tokens: AtomicU64,
    cancelled: AtomicU64,
    /// Answer durations: count per bucket (the last is +Inf), sum in microseconds.
    buckets: [AtomicU64; DURATION_BUCKETS.len() + 1],
    duration_us: AtomicU64,
}

impl Metrics {
    fn status(&self, code: u16) {
        let mut m = self
            .by_status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *m.entry(code).or_default() += 1;
    }

    fn answered(&self, c: &Completion, took: Duration) {
        let add = |a: &AtomicU64, v: Option<usize>| {
            a.fetch_add(v.unwrap_or(0) as u64, Ordering::Relaxed);
        };
        add(&self.prompt_tokens, c.usage.prompt_tokens);
        add(&self.cached_tokens, c.usage.reused_tokens);
        add(&self.completion_tokens, c.usage.completion_tokens);
        if c.finish == vibrant_core::FinishReason::Cancelled {
            self.cancelled.fetch_add(1, Ordering::Relaxed);
        }
        let secs = took.as_secs_f64();
        let i = DURATION_BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(DURATION_BUCKETS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.duration_us
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// Prometheus' text format.
    fn render(&self, in_progress: usize, waiting: usize) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, lines: &[(String, String)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in lines {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let by_status: Vec<(String, String)> = self
            .by_status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(code, n)| (format!("{{status=\"{code}\"}}"), n.to_string()))
            .collect();
        metric(
            "vibrant_requests_total",
            "counter",
            "Chat completion requests by HTTP status.",
            &by_status,
        );
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed).to_string();
        for (name, help, a) in [
            (
                "vibrant_prompt_tokens_total",
                "Prompt tokens of answered requests.",
                &self.prompt_tokens,
            ),
            (
                "vibrant_prompt_tokens_cached_total",
                "Prompt tokens reused from the KV cache instead of evaluated.",
                &self.cached_tokens,
            ),
            (
                "vibrant_completion_tokens_total",
                "Tokens generated.",
                &self.completion_tokens,
            ),
            (
                "vibrant_requests_cancelled_total",
                "Answers stopped because the client went away.",
                &self.cancelled,
            ),
        ] {
            metric(name, "counter", help, &[(String::new(), load(a))]);
        }
        metric(
            "vibrant_requests_in_progress",
            "gauge",
            "Requests being answered.",
            &[(String::new(), in_progress.to_string())],
        );
        metric(
            "vibrant_requests_waiting",
            "gauge",
            "Requests waiting for the engine.",
            &[(String::new(), waiting.to_string())],
        );
        let mut lines = Vec::new();
        let mut cumulative = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            cumulative += b.load(Ordering::Relaxed);
            let le = DURATION_BUCKETS
                .get(i)
                .map_or("+Inf".to_owned(), |b| b.to_string());
            lines.push((format!("_bucket{{le=\"{le}\"}}"), cumulative.to_string()));
        }
        let sum = self.duration_us.load(Ordering::Relaxed) as f64 / 1e6;
        lines.push(("_sum".to_owned(), format!("{sum:.6}")));
        lines.push(("_count".to_owned(), cumulative.to_string()));
        metric(
            "vibrant_request_duration_seconds",
            "histogram",
            "Time from a request's start on the engine to its last token.",
            &lines,
        );
        out
    }
}

/// Sets its flag when dropped: a response (or the handler) that goes away because the client
/// disconnected cancels the answer it was waiting for.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The HTTP routes over `backend`.
pub fn router(backend: Box<dyn Backend + Send>, options: ServerOptions) -> Router {
    let shared = Arc::new(Shared {
        backend: Mutex::new(backend),
        slots: Arc::new(Semaphore::new(options.queue + 1)),
        options,
        next_id: AtomicU64::new(1),
        metrics: Metrics::default(),
    });
    Router::new()
        .route("/health", get(health))
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .with_state(shared)
}

/// Serves `router` on `listener` until `shutdown` completes; each connection must send its
/// headers within `read_timeout`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    read_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin or exit.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(read_timeout);
            if let Err(e) = builder.serve_connection(io, service).await {
                tracing::debug!(%peer, "connection ended: {e}");
            }
        });
    }
}

fn error(status: StatusCode, message: &str, kind: &str, param: Option<&str>) -> Response {
    let code = match status {
        StatusCode::UNAUTHORIZED => Some("invalid_api_key"),
        StatusCode::TOO_MANY_REQUESTS => Some("rate_limit_exceeded"),
        _ => None,
    };
    (
        status,
        axum::Json(wire::error_json(message, kind, param, code)),
    )
        .into_response()
}

/// The 401 answer for a request without the right key (`None`: let it through).
fn unauthorized(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let Some(key) = &shared.options.api_key else {
        return None;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Compare without an early exit, so the time taken says nothing about the key.
    let ok = given.is_some_and(|g| {
        g.len() == key.len()
            && g.bytes()
                .zip(key.bytes())
                .fold(0u8, |d, (a, b)| d | (a ^ b))
                == 0
    });
    (!ok).then(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "missing or wrong API key (send it as Authorization: Bearer KEY)",
            "invalid_request_error",
            None,
        )
    })
}

async fn health() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "no such endpoint (this server has /v1/chat/completions, /v1/models, /health and /metrics)",
        "invalid_request_error",
        None,
    )
}

async fn models(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(r) = unauthorized(&shared, &headers) {
        return r;
    }
    axum::Json(json!({
        "object": "list",
        "data": [{"id": shared.options.model, "object": "model", "created": now(), "owned_by": "vibrant"}],
    }))
    .into_response()
}

async fn metrics(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(r) = unauthorized(&shared, &headers) {
        return r;
    }
    let taken = (shared.options.queue + 1).saturating_sub(shared.slots.available_permits());
    let in_progress = taken.min(1);
    let text = shared.metrics.render(in_progress, taken - in_progress);
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        text,
    )
        .into_response()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn chat(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let response = answer(Arc::clone(&shared), request).await;
    shared.metrics.status(response.status().as_u16());
    response
}

async fn answer(shared: Arc<Shared>, request: Request) -> Response {
    if let Some(r) = unauthorized(&shared, request.headers()) {
        return r;
    }
    let limit = shared.options.max_body_bytes;
    let body = match tokio::time::timeout(
        shared.options.read_timeout,
        axum::body::to_bytes(request.into_body(), limit),
    )
    .await
    {
        Err(_) => {
            return error(
                StatusCode::REQUEST_TIMEOUT,
                "the request body did not arrive in time",
                "invalid_request_error",
                None,
            );
        }
        Ok(Err(_)) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the request body is larger than {limit} bytes (or broke off)"),
                "invalid_request_error",
                None,
            );
        }
        Ok(Ok(b)) => b,
    };
    let req: ChatRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("the body is not a chat completion request: {e}"),
                "invalid_request_error",
                None,
            );
        }
    };
    let parsed = match wire::parse(req, shared.options.max_tokens) {
        Ok(p) => p,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &e.message,
                "invalid_request_error",
                e.param,
            );
        }
    };
    let Ok(permit) = Arc::clone(&shared.slots).try_acquire_owned() else {
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "the server is busy: too many requests are waiting",
            "rate_limit_error",
            None,
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        return r;
    };
    let id = format!(
        "chatcmpl-{}",
        shared.next_id.fetch_add(1, Ordering::Relaxed)
    );
    let created = now();
    let model = shared.options.model.clone();
    let cancel = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::unbounded_channel::<Piece>();
    let (stream, include_usage) = (parsed.stream, parsed.include_usage);
    let worker = {
        let shared = Arc::clone(&shared);
        let cancel = Arc::clone(&cancel);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            // A panic in another answer poisons the lock; the backend itself is still usable.
            let mut backend = shared
                .backend
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if cancel.load(Ordering::Relaxed) {
                return;
            }
            let request = parsed.request();
            let started = std::time::Instant::now();
            let result = backend.complete(&request, &cancel, &mut |t| {
                if stream {
                    let _ = tx.send(Piece::Text(t.to_owned()));
                }
            });
            if let Ok(c) = &result {
                shared.metrics.answered(c, started.elapsed());
            }
            let _ = tx.send(Piece::Done(result));
        })
    };
    drop(worker);
    if stream {
        stream_response(id, created, model, rx, cancel, include_usage)
    } else {
        whole_response(id, created, model, rx, cancel).await
    }
}

enum Piece {
    Text(String),
    Done(Result<Completion, BackendError>),
}

fn backend_error(e: &BackendError) -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        &e.to_string(),
        "server_error",
        None,
    )
}

async fn whole_response(
    id: String,
    created: u64,
    model: String,
    mut rx: mpsc::UnboundedReceiver<Piece>,
    cancel: Arc<AtomicBool>,
) -> Response {
    let _guard = CancelOnDrop(cancel);
    while let Some(p) = rx.recv().await {
        if let Piece::Done(result) = p {
            return match result {
                Ok(c) => {
                    axum::Json(wire::completion_json(&id, created, &model, &c)).into_response()
                }
                Err(BackendError::PromptTooLong { prompt, window, .. }) => error(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "the prompt has {prompt} tokens but the context window holds {window}"
                    ),
                    "invalid_request_error",
                    Some("messages"),
                ),
                Err(e) => backend_error(&e),
            };
        }
    }
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the answer ended without a result",
        "server_error",
        None,
    )
}

fn stream_response(
    id: String,
    created: u64,
    model: String,
    rx: mpsc::UnboundedReceiver<Piece>,
    cancel: Arc<AtomicBool>,
    include_usage: bool,
) -> Response {
    struct St {
        rx: mpsc::UnboundedReceiver<Piece>,
        _guard: CancelOnDrop,
        id: String,
        created: u64,
        model: String,
        started: bool,
        done: bool,
        include_usage: bool,
    }
    let st = St {
        rx,
        _guard: CancelOnDrop(cancel),
        id,
        created,
        model,
        started: false,
        done: false,
        include_usage,
    };
    let sse = |v: &Value| format!("data: {v}\n\n");
    let stream = futures_util::stream::unfold(st, move |mut st| async move {
        if st.done {
            return None;
        }
        let mut out = String::new();
        if !st.started {
            st.started = true;
            out.push_str(&sse(&wire::chunk_json(
                &st.id,
                st.created,
                &st.model,
                json!({"role": "assistant", "content": ""}),
                None,
            )));
        }
        match st.rx.recv().await {
            Some(Piece::Text(t)) => {
                out.push_str(&sse(&wire::chunk_json(
                    &st.id,
                    st.created,
                    &st.model,
                    json!({"content": t}),
                    None,
                )));
            }
            Some(Piece::Done(Ok(c))) => {
                let delta = if c.tool_calls.is_empty() {
                    json!({})
                } else {
                    json!({"tool_calls": wire::tool_calls_json(&c, true)})
                };
                out.push_str(&sse(&wire::chunk_json(
                    &st.id,
                    st.created,
                    &st.model,
                    delta,
                    Some(wire::finish_reason(&c)),
                )));
                if st.include_usage {
                    let mut u = wire::chunk_json(&st.id, st.created, &st.model, json!({}), None);
                    u["choices"] = json!([]);
                    u["usage"] = wire::usage(&c);
                    out.push_str(&sse(&u));
                }
                out.push_str("data: [DONE]\n\n");
                st.done = true;
            }
            Some(Piece::Done(Err(e))) => {
                out.push_str(&sse(&wire::error_json(
                    &e.to_string(),
                    "server_error",
                    None,
                    None,
                )));
                out.push_str("data: [DONE]\n\n");
                st.done = true;
            }
            None => {
                st.done = true;
            }
        }
        Some((Ok::<_, std::convert::Infallible>(out), st))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
