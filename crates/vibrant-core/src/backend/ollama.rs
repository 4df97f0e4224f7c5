//! Ollama's native API: `POST {base}/api/chat` with `stream: true`, read as one JSON object per
//! line.
//!
//! Tools go out as `tools` (Ollama has no `tool_choice`: `none` leaves the tools out, `required`
//! cannot be enforced); calls come back whole in `message.tool_calls`, arguments as an object.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::http::{LineStream, Next, ToolStream, client, client_with, stream_failure};
use super::openai::wire_tool;
use super::{
    Backend, BackendError, Completion, CompletionRequest, FinishReason, RemoteConfig, ToolChoice,
    Usage, cancelled, estimate_prompt,
};
use crate::message::{Message, Role};

/// A backend speaking Ollama's `/api/chat`.
pub struct OllamaBackend {
    config: RemoteConfig,
    client: reqwest::blocking::Client,
    /// How long the server may stay silent.
    idle: std::time::Duration,
    /// Numbers the ids of tool calls the server gave no id (`call_1`, …).
    call_counter: u64,
}

impl OllamaBackend {
    /// A backend for the Ollama server at `config.url` (usually `http://localhost:11434`).
    pub fn new(config: RemoteConfig) -> Result<Self, BackendError> {
        Ok(Self {
            config,
            client: client()?,
            idle: crate::DEFAULT_IDLE_TIMEOUT,
            call_counter: 0,
        })
    }

    /// Gives up when the server sends nothing for `idle` (waiting for the response headers, or
    /// between two reads of the answer); the default is [`DEFAULT_IDLE_TIMEOUT`](crate::DEFAULT_IDLE_TIMEOUT).
    pub fn with_idle_timeout(mut self, idle: std::time::Duration) -> Result<Self, BackendError> {
        self.client = client_with(idle)?;
        self.idle = idle;
        Ok(self)
    }

    /// The chat URL.
    pub fn endpoint(&self) -> String {
        format!("{}/api/chat", self.config.url.trim_end_matches('/'))
    }

    fn body(&self, request: &CompletionRequest<'_>) -> Value {
        let messages: Vec<Value> = request.messages.iter().map(wire_message).collect();
        let mut options = json!({
            "temperature": request.temperature,
            "top_k": request.top_k,
            "top_p": request.top_p,
            "min_p": request.min_p,
            "repeat_penalty": request.repeat_penalty,
            "num_predict": request.max_tokens,
            "num_ctx": self.config.context_window,
        });
        if !request.stop.is_empty() {
            options["stop"] = json!(request.stop);
        }
        if let Some(seed) = request.seed {
            options["seed"] = json!(seed);
        }
        let mut body = json!({
            "model": self.config.model,
            "messages": messages,
            "stream": true,
            "options": options,
        });
        if !request.tools.is_empty() {
            match request.tool_choice {
                ToolChoice::None => {}
                ToolChoice::Auto | ToolChoice::Required => {
                    body["tools"] = request.tools.iter().map(wire_tool).collect();
                }
            }
        }
        body
    }
}

/// A message as `/api/chat` wants it: an assistant turn's calls with `arguments` as an object, a
/// tool result as `role: "tool"` with the `tool_name` it comes from.
fn wire_message(m: &Message) -> Value {
    match m.role {
        Role::Assistant if !m.tool_calls.is_empty() => {
            let calls: Vec<Value> = m
                .tool_calls
                .iter()
                .map(|c| {
                    // Ollama refuses arguments that are not an object; a call whose arguments
                    // never parsed is replayed without them.
                    let arguments = if c.arguments.is_object() {
                        c.arguments.clone()
                    } else {
                        json!({})
                    };
                    json!({"function": {"name": c.name, "arguments": arguments}})
                })
                .collect();
            json!({"role": "assistant", "content": m.content, "tool_calls": calls})
        }
        Role::Tool => {
            let mut msg = json!({"role": "tool", "content": m.content});
            if let Some(name) = &m.name {
                msg["tool_name"] = json!(name);
            }
            msg
        }
        _ => json!({"role": m.role.as_str(), "content": m.wire_text()}),
    }
}

impl Backend for OllamaBackend {
    fn describe(&self) -> String {
        format!("ollama {} ({})", self.config.url, self.config.model)
    }

    fn context_window(&self) -> usize {
        self.config.context_window
    }

    fn count_tokens(&self, text: &str) -> usize {
        vibrant_context::TokenCounter::count(&vibrant_context::CharEstimate::default(), text)
    }

    fn count_prompt(&self, messages: &[Message]) -> Result<usize, BackendError> {
        Ok(estimate_prompt(messages))
    }

    fn complete(
        &mut self,
        request: &CompletionRequest<'_>,
        cancel: &AtomicBool,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Completion, BackendError> {
        let started = Instant::now();
        let url = self.endpoint();
        let opened = LineStream::open(
            &self.client,
            &url,
            self.config.api_key.as_deref(),
            &self.body(request),
            cancel,
            self.idle,
        )?;
        let Some(stream) = opened else {
            return Ok(cancelled(started));
        };
        let mut text = String::new();
        let mut tools = ToolStream::new(request);
        let mut usage = Usage::default();
        let mut finish: Option<FinishReason> = None;
        loop {
            let line = match stream.next(cancel) {
                Next::Line(line) => line,
                Next::End => break,
                Next::Cancelled => {
                    finish = Some(FinishReason::Cancelled);
                    break;
                }
                Next::Broken(message) => {
                    let err = BackendError::Dropped {
                        url: url.clone(),
                        message,
                    };
                    finish = Some(stream_failure(
                        &url,
                        !text.is_empty() || tools.received_calls(),
                        err,
                    )?);
                    break;
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            let chunk: Value = match serde_json::from_str(&line) {
                Ok(v) => v,
                Err(e) => {
                    let err = BackendError::MalformedStream {
                        url: url.clone(),
                        message: e.to_string(),
                        line: line.chars().take(200).collect(),
                    };
                    finish = Some(stream_failure(
                        &url,
                        !text.is_empty() || tools.received_calls(),
                        err,
                    )?);
                    break;
                }
            };
            if let Some(error) = chunk.get("error") {
                let message = error
                    .as_str()
                    .map_or_else(|| error.to_string(), str::to_owned);
                let err = BackendError::Server {
                    url: url.clone(),
                    message,
                };
                finish = Some(stream_failure(
                    &url,
                    !text.is_empty() || tools.received_calls(),
                    err,
                )?);
                break;
            }
            if let Some(delta) = chunk.pointer("/message/content").and_then(Value::as_str)
                && !delta.is_empty()
            {
                usage.time_to_first_token.get_or_insert(started.elapsed());
                text.push_str(delta);
                tools.text(delta, on_delta);
            }
            if let Some(calls) = chunk
                .pointer("/message/tool_calls")
                .and_then(Value::as_array)
            {
                usage.time_to_first_token.get_or_insert(started.elapsed());
                for call in calls {
                    let name = call
                        .pointer("/function/name")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    tools.whole_call(
                        call.get("id").and_then(Value::as_str),
                        name,
                        call.pointer("/function/arguments"),
                    );
                }
            }
            if chunk.get("done").and_then(Value::as_bool) == Some(true) {
                let n = |k: &str| chunk.get(k).and_then(Value::as_u64).map(|n| n as usize);
                usage.prompt_tokens = n("prompt_eval_count");
                usage.completion_tokens = n("eval_count");
                if let Some(d) = chunk.get("prompt_eval_duration").and_then(Value::as_u64) {
                    tracing::debug!(prefill = ?Duration::from_nanos(d), "ollama timings");
                }
                finish = Some(match chunk.get("done_reason").and_then(Value::as_str) {
                    Some("length") => FinishReason::Length,
                    _ => FinishReason::Stop,
                });
                break;
            }
        }
        let finish = match finish {
            Some(f) => f,
            None => {
                let err = BackendError::Dropped {
                    url: url.clone(),
                    message: "the server closed the stream before it sent done".to_owned(),
                };
                stream_failure(&url, !text.is_empty() || tools.received_calls(), err)?
            }
        };
        let (text, tool_calls, invalid_tool_calls) =
            tools.finish(text, on_delta, &mut self.call_counter);
        usage.total = started.elapsed();
        Ok(Completion {
            tool_calls,
            invalid_tool_calls,
            text,
            finish,
            usage,
        })
    }
}
