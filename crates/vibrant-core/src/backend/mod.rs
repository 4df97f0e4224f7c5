//! Where answers come from: one [`Backend`] trait and its three implementations.
//!
//! A backend streams one chat completion for a list of messages: text deltas go to a callback as
//! they arrive, a cancel flag is honoured between deltas, and the result carries the usage,
//! timings and why generation stopped. A stream that breaks after text arrived is not an error:
//! the text is kept and [`FinishReason::Failed`] says what went wrong.

mod embedded;
mod http;
mod ollama;
mod openai;
pub mod toolcall;

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde::Serialize;

use crate::message::{Message, ToolCall};

pub use embedded::EmbeddedBackend;
pub use http::{DEFAULT_IDLE_TIMEOUT, MAX_STREAM_LINE};
pub use ollama::OllamaBackend;
pub use openai::OpenAiBackend;

/// What to generate.
#[derive(Clone, Debug)]
pub struct CompletionRequest<'a> {
    pub messages: &'a [Message],
    /// The most tokens the answer may have.
    pub max_tokens: usize,
    pub temperature: f32,
    pub top_k: usize,
    pub top_p: f32,
    pub min_p: f32,
    pub repeat_penalty: f32,
    pub seed: Option<u64>,
    /// Stop when the answer contains one of these.
    pub stop: Vec<String>,
    /// Tools the model may call, as OpenAI function JSON
    /// (`{"type": "function", "function": {"name", "description", "parameters"}}`); empty for a
    /// plain answer.
    pub tools: &'a [serde_json::Value],
    /// Whether the model must, may or must not call a tool (ignored without `tools`).
    pub tool_choice: ToolChoice,
    /// Constrain tool calls to the tools' JSON schemas while decoding (the embedded engine;
    /// remote servers do what they do).
    pub constrain_tools: bool,
    /// The answer may not end before it holds a complete fenced code block (the embedded engine
    /// masks the end of generation until then; remote servers ignore it).
    pub require_code_block: bool,
}

/// Whether an answer calls tools.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides: text, tool calls, or text then tool calls.
    #[default]
    Auto,
    /// The answer must be tool calls.
    Required,
    /// No tool calls (tools are still described to the model).
    None,
}

impl<'a> CompletionRequest<'a> {
    /// A request with greedy-leaning defaults (those of `generation.*`).
    pub fn new(messages: &'a [Message], max_tokens: usize) -> Self {
        Self {
            messages,
            max_tokens,
            temperature: 0.2,
            top_k: 40,
            top_p: 0.95,
            min_p: 0.05,
            repeat_penalty: 1.0,
            seed: None,
            stop: Vec::new(),
            tools: &[],
            tool_choice: ToolChoice::Auto,
            constrain_tools: true,
            require_code_block: false,
        }
    }
}

/// Why an answer ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum FinishReason {
    /// The model finished its answer.
    Stop,
    /// `max_tokens` was reached.
    Length,
    /// The cancel flag was set (Ctrl-C).
    Cancelled,
    /// The context window filled up.
    ContextFull,
    /// The stream broke after text arrived; the text so far is kept.
    Failed(String),
}

impl FinishReason {
    /// Short label for messages and JSON.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::Length => "length",
            Self::Cancelled => "cancelled",
            Self::ContextFull => "context_full",
            Self::Failed(_) => "failed",
        }
    }
}

/// Token counts and timings of one completion. Counts a server did not report are `None`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Usage {
    pub prompt_tokens: Option<usize>,
    /// Prompt tokens whose KV cache was reused from the previous turn (embedded backend).
    pub reused_tokens: Option<usize>,
    pub completion_tokens: Option<usize>,
    /// From the request to the first text delta.
    #[serde(with = "secs_opt")]
    pub time_to_first_token: Option<Duration>,
    /// From the request to the end of the stream.
    #[serde(with = "secs")]
    pub total: Duration,
}

mod secs {
    use std::time::Duration;
    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

mod secs_opt {
    use std::time::Duration;
    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_f64(d.as_secs_f64()),
            None => s.serialize_none(),
        }
    }
}

impl Usage {
    /// Generated tokens per second after the first token, when known.
    pub fn decode_tps(&self) -> Option<f64> {
        let n = self.completion_tokens?.checked_sub(1)?;
        let ttft = self.time_to_first_token?;
        let secs = self.total.checked_sub(ttft)?.as_secs_f64();
        (secs > 0.0 && n > 0).then(|| n as f64 / secs)
    }
}

/// The result of [`Backend::complete`].
#[derive(Clone, Debug)]
pub struct Completion {
    /// The whole answer's text (everything passed to the callback); tool-call markup is not
    /// part of it.
    pub text: String,
    /// The tools the answer calls, in order.
    pub tool_calls: Vec<ToolCall>,
    /// Tool calls the answer tried to make but that could not be read (what was wrong, and the
    /// text), to be sent back to the model.
    pub invalid_tool_calls: Vec<String>,
    pub finish: FinishReason,
    pub usage: Usage,
}

/// Why a completion could not start (or broke before any text arrived).
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("cannot connect to {url}: {message}\nhint: is the server running? Check backend.url")]
    Connect { url: String, message: String },
    #[error("{url} answered HTTP {status}: {message}{}", http_hint(*status, message))]
    Http {
        url: String,
        status: u16,
        message: String,
    },
    #[error("request to {url} failed: {message}")]
    Request { url: String, message: String },
    #[error("malformed stream from {url}: {message} (in {line:?})")]
    MalformedStream {
        url: String,
        message: String,
        line: String,
    },
    #[error("the stream from {url} ended before any answer arrived: {message}")]
    Dropped { url: String, message: String },
    #[error("the server at {url} reported an error: {message}")]
    Server { url: String, message: String },
    #[error("the API key variable {var} named by backend.api_key_env is not set")]
    MissingApiKey { var: String },
    #[error("the model list from {url} is unreadable: {message}")]
    BadModelList { url: String, message: String },
    #[error("the server at {url} lists no models")]
    NoServedModel { url: String },
    #[error("the server at {url} serves {} models, so one must be chosen: {}", models.len(), list_models(models))]
    SeveralServedModels { url: String, models: Vec<String> },
    #[error("the {backend} backend needs a model name\nhint: pass -m NAME or set model.default")]
    NoModel { backend: &'static str },
    #[error(
        "the {backend} backend needs backend.url\nhint: vibrant config set backend.url http://localhost:8080"
    )]
    NoUrl { backend: &'static str },
    #[error(
        "the prompt has {prompt} tokens and the answer may need {answer}, but the context window holds {window}"
    )]
    PromptTooLong {
        prompt: usize,
        answer: usize,
        window: usize,
    },
    #[error("the embedded engine failed: {0}")]
    Engine(#[from] vibrant_engine::EngineError),
    #[error("rendering the chat template failed: {0}")]
    Template(String),
}

/// At most the first 20 of `models`, comma-separated, then how many more there are.
fn list_models(models: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut s = models
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if models.len() > SHOWN {
        s.push_str(&format!(" … ({} more)", models.len() - SHOWN));
    }
    s
}

/// What to check after an HTTP error status.
fn http_hint(status: u16, message: &str) -> &'static str {
    let lower = message.to_ascii_lowercase();
    match status {
        404 if lower.contains("model") => {
            "\nhint: the server does not have this model: pass -m with a model it serves (for Ollama: ollama pull NAME)"
        }
        404 => {
            "\nhint: the server has no such endpoint: check backend.url and backend.kind (openai uses /v1/chat/completions, ollama /api/chat)"
        }
        401 | 403 => {
            "\nhint: check the API key (backend.api_key_env names the variable that holds it)"
        }
        _ => "",
    }
}

/// A source of chat completions.
pub trait Backend {
    /// What to show the user: `embedded qwen2.5-coder…`, `openai http://…`.
    fn describe(&self) -> String;

    /// The context window in tokens (prompt plus answer).
    fn context_window(&self) -> usize;

    /// Tokens `text` costs (exact for the embedded engine, an estimate for remote servers).
    fn count_tokens(&self, text: &str) -> usize;

    /// Tokens the whole prompt for `messages` costs, with the chat template's framing and the
    /// opened assistant turn.
    fn count_prompt(&self, messages: &[Message]) -> Result<usize, BackendError>;

    /// Tokens the prompt costs with `tools` described to the model. The default adds an estimate
    /// of the tools' JSON to [`Backend::count_prompt`].
    fn count_prompt_with_tools(
        &self,
        messages: &[Message],
        tools: &[serde_json::Value],
    ) -> Result<usize, BackendError> {
        let tools_text: usize = tools.iter().map(|t| t.to_string().len()).sum();
        Ok(self.count_prompt(messages)? + tools_text.div_ceil(3))
    }

    /// Streams the answer to `messages`, calling `on_delta` with each piece of text as it
    /// arrives. `cancel` is checked between pieces; when set, the answer so far is returned with
    /// [`FinishReason::Cancelled`].
    fn complete(
        &mut self,
        request: &CompletionRequest<'_>,
        cancel: &AtomicBool,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Completion, BackendError>;

    /// One answer per sampling variant to the same request (candidates), each handed out as
    /// soon as it is complete ([`Answers::next_answer`]): the embedded engine decodes them
    /// together in one batch that shares the prompt's KV cache, so a caller can check the first
    /// answer while the others are still being written, and drop the rest once one is good. The
    /// default asks one by one (remote servers). Answers are not streamed piece by piece.
    fn answers<'a>(
        &'a mut self,
        request: &CompletionRequest<'a>,
        variants: &[Sampling],
    ) -> Result<Box<dyn Answers + 'a>, BackendError> {
        Ok(Box::new(EachAnswer {
            backend: self,
            request: request.clone(),
            variants: variants.to_vec(),
            next: 0,
        }))
    }

    /// Every answer of [`Backend::answers`], in the order of `variants`.
    fn complete_many(
        &mut self,
        request: &CompletionRequest<'_>,
        variants: &[Sampling],
        cancel: &AtomicBool,
    ) -> Result<Vec<Completion>, BackendError> {
        let mut out: Vec<Option<Completion>> = vec![None; variants.len()];
        let mut answers = self.answers(request, variants)?;
        while let Some((i, c)) = answers.next_answer(cancel)? {
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(c);
            }
        }
        Ok(out.into_iter().flatten().collect())
    }
}

/// Answers to one request, handed out as they complete ([`Backend::answers`]). Dropping it
/// stops the answers not yet complete.
pub trait Answers {
    /// Generates until the next answer is complete and returns it with the index of its
    /// variant; `None` once all have been returned. When `cancel` is set, the answers not yet
    /// complete end with [`FinishReason::Cancelled`].
    fn next_answer(
        &mut self,
        cancel: &AtomicBool,
    ) -> Result<Option<(usize, Completion)>, BackendError>;
}

/// [`Backend::answers`] one answer at a time (remote servers; constrained tool calls).
pub(crate) struct EachAnswer<'a, B: Backend + ?Sized> {
    pub backend: &'a mut B,
    pub request: CompletionRequest<'a>,
    pub variants: Vec<Sampling>,
    pub next: usize,
}

impl<B: Backend + ?Sized> Answers for EachAnswer<'_, B> {
    fn next_answer(
        &mut self,
        cancel: &AtomicBool,
    ) -> Result<Option<(usize, Completion)>, BackendError> {
        let Some(v) = self.variants.get(self.next) else {
            return Ok(None);
        };
        let i = self.next;
        self.next += 1;
        let mut r = self.request.clone();
        r.temperature = v.temperature;
        r.seed = v.seed;
        let c = self.backend.complete(&r, cancel, &mut |_| {})?;
        Ok(Some((i, c)))
    }
}

/// How one of several answers to a request is sampled ([`Backend::complete_many`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sampling {
    pub temperature: f32,
    pub seed: Option<u64>,
}

/// The name of a tool given as OpenAI function JSON (or as a bare function object).
pub fn tool_name(tool: &serde_json::Value) -> Option<&str> {
    tool.get("function")
        .unwrap_or(tool)
        .get("name")
        .and_then(serde_json::Value::as_str)
}

/// Settings of a remote backend.
#[derive(Clone, Debug)]
pub struct RemoteConfig {
    /// Base URL, e.g. `http://localhost:8080` (a trailing `/v1` is accepted for OpenAI).
    pub url: String,
    /// The model name sent to the server.
    pub model: String,
    /// The API key (sent as a bearer token), read from the variable `backend.api_key_env` names.
    pub api_key: Option<String>,
    /// The context window assumed for token accounting.
    pub context_window: usize,
}

/// Tokens a remote prompt is assumed to cost: a conservative 3.5 characters per token plus a
/// few tokens of framing per message.
pub(crate) fn estimate_prompt(messages: &[Message]) -> usize {
    let est = vibrant_context::CharEstimate::default();
    messages
        .iter()
        .map(|m| vibrant_context::TokenCounter::count(&est, &m.wire_text()) + 5)
        .sum::<usize>()
        + 3
}

/// The result when the cancel flag was set before the server answered.
pub(crate) fn cancelled(started: std::time::Instant) -> Completion {
    Completion {
        text: String::new(),
        tool_calls: Vec::new(),
        invalid_tool_calls: Vec::new(),
        finish: FinishReason::Cancelled,
        usage: Usage {
            total: started.elapsed(),
            ..Usage::default()
        },
    }
}
