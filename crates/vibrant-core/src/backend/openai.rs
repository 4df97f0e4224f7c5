//! An OpenAI-compatible server (llama.cpp's `llama-server`, vLLM, LM Studio, hosted APIs):
//! `POST {base}/v1/chat/completions` with `stream: true`, read as server-sent events.
//!
//! Tools go out as `tools` and `tool_choice`; calls come back as streamed `delta.tool_calls`
//! fragments (keyed by `index`, the `arguments` JSON split over many chunks). A server that
//! leaves the model's `<tool_call>` text in `content` (llama-server without `--jinja`) is read
//! with the text protocol's parser instead.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde_json::{Value, json};

use super::http::{LineStream, Next, ToolStream, client, client_with, stream_failure};
use super::{
    Backend, BackendError, Completion, CompletionRequest, FinishReason, RemoteConfig, ToolChoice,
    Usage, cancelled, estimate_prompt,
};
use crate::message::{Message, Role};

/// A backend speaking the OpenAI chat-completions protocol.
pub struct OpenAiBackend {
    config: RemoteConfig,
    client: reqwest::blocking::Client,
    /// How long the server may stay silent.
    idle: std::time::Duration,
    /// Numbers the ids of tool calls the server gave no id (`call_1`, …).
    call_counter: u64,
}

impl OpenAiBackend {
    /// A backend for the server at `config.url`.
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

    /// The ids of the models the server at `url` serves (`GET {base}/v1/models`, OpenAI's
    /// `{"data": [{"id": …}, …]}`), in the server's order. `api_key` goes as a bearer token.
    pub fn served_models(
        url: &str,
        api_key: Option<&str>,
        idle: std::time::Duration,
    ) -> Result<Vec<String>, BackendError> {
        let endpoint = v1_url(url, "models");
        let resp = super::http::get(&client_with(idle)?, &endpoint, api_key, idle)?;
        // A hostile or confused server cannot make the listing unbounded.
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(resp, MAX_MODEL_LIST + 1), &mut raw)
            .map_err(|e| BackendError::BadModelList {
                url: endpoint.clone(),
                message: e.to_string(),
            })?;
        let bad = |message: String| BackendError::BadModelList {
            url: endpoint.clone(),
            message,
        };
        if raw.len() as u64 > MAX_MODEL_LIST {
            return Err(bad(format!("longer than {MAX_MODEL_LIST} bytes")));
        }
        let v: Value = serde_json::from_slice(&raw).map_err(|e| bad(e.to_string()))?;
        let data = v
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no `data` array".to_owned()))?;
        data.iter()
            .map(|m| {
                m.get("id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| bad(format!("a model without an `id`: {m}")))
            })
            .collect()
    }

    /// The model to use when none was named: the only one the server at `url` serves
    /// ([`Self::served_models`]); an error naming them when it serves several, or none.
    pub fn only_served_model(
        url: &str,
        api_key: Option<&str>,
        idle: std::time::Duration,
    ) -> Result<String, BackendError> {
        let mut models = Self::served_models(url, api_key, idle)?;
        match models.len() {
            0 => Err(BackendError::NoServedModel {
                url: url.to_owned(),
            }),
            1 => Ok(models.remove(0)),
            _ => Err(BackendError::SeveralServedModels {
                url: url.to_owned(),
                models,
            }),
        }
    }

    /// The chat-completions URL (`{base}/v1/chat/completions`; a base that already ends in
    /// `/v1` is not doubled).
    pub fn endpoint(&self) -> String {
        v1_url(&self.config.url, "chat/completions")
    }

    fn body(&self, request: &CompletionRequest<'_>) -> Value {
        let messages: Vec<Value> = request.messages.iter().map(wire_message).collect();
        let mut body = json!({
            "model": self.config.model,
            "messages": messages,
            "stream": true,
            "stream_options": {"include_usage": true},
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
        });
        if !request.stop.is_empty() {
            body["stop"] = json!(request.stop);
        }
        if let Some(seed) = request.seed {
            body["seed"] = json!(seed);
        }
        if !request.tools.is_empty() {
            body["tools"] = request.tools.iter().map(wire_tool).collect();
            body["tool_choice"] = json!(match request.tool_choice {
                ToolChoice::Auto => "auto",
                ToolChoice::Required => "required",
                ToolChoice::None => "none",
            });
        }
        body
    }
}

/// Most bytes of a `/v1/models` listing that are read.
const MAX_MODEL_LIST: u64 = 4 << 20;

/// `{base}/v1/{path}`; a base that already ends in `/v1` is not doubled.
fn v1_url(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("/v1") {
        format!("{base}/{path}")
    } else {
        format!("{base}/v1/{path}")
    }
}

/// A message as the chat-completions API wants it: an assistant turn's calls with `arguments`
/// as a JSON string (and `content` null when there is no text), a tool result as `role: "tool"`
/// with the `tool_call_id` it answers.
fn wire_message(m: &Message) -> Value {
    match m.role {
        Role::Assistant if !m.tool_calls.is_empty() => {
            let calls: Vec<Value> = m
                .tool_calls
                .iter()
                .map(|c| {
                    let arguments = match &c.arguments {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    json!({
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": arguments},
                    })
                })
                .collect();
            let content = if m.content.is_empty() {
                Value::Null
            } else {
                Value::String(m.content.clone())
            };
            json!({"role": "assistant", "content": content, "tool_calls": calls})
        }
        Role::Tool => {
            let mut msg = json!({"role": "tool", "content": m.content});
            if let Some(id) = &m.tool_call_id {
                msg["tool_call_id"] = json!(id);
            }
            msg
        }
        _ => json!({"role": m.role.as_str(), "content": m.wire_text()}),
    }
}

/// A tool in the `{"type": "function", "function": {…}}` shape (a bare function object is
/// wrapped).
pub(crate) fn wire_tool(tool: &Value) -> Value {
    if tool.get("function").is_some() {
        let mut t = tool.clone();
        if t.get("type").is_none() {
            t["type"] = json!("function");
        }
        t
    } else {
        json!({"type": "function", "function": tool})
    }
}

impl Backend for OpenAiBackend {
    fn describe(&self) -> String {
        format!("openai {} ({})", self.config.url, self.config.model)
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
        let mut body = self.body(request);
        let key = self.config.api_key.as_deref();
        let opened = match LineStream::open(&self.client, &url, key, &body, cancel, self.idle) {
            // Some servers reject `stream_options`; usage is optional, so ask again without it.
            Err(BackendError::Http {
                status: 400 | 422,
                message,
                ..
            }) if message.contains("stream_options") => {
                tracing::debug!("{url} rejected stream_options ({message}); retrying without");
                if let Some(map) = body.as_object_mut() {
                    map.remove("stream_options");
                }
                LineStream::open(&self.client, &url, key, &body, cancel, self.idle)?
            }
            other => other?,
        };
        let Some(stream) = opened else {
            return Ok(cancelled(started));
        };
        let mut text = String::new();
        let mut tools = ToolStream::new(request);
        let mut usage = Usage::default();
        let mut server_finish: Option<String> = None;
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
            // SSE: blank lines separate events, ':' starts a comment; only data lines matter.
            let Some(data) = line.strip_prefix("data:") else {
                continue;
            };
            let data = data.trim();
            if data == "[DONE]" {
                finish.get_or_insert(FinishReason::Stop);
                break;
            }
            let chunk: Value = match serde_json::from_str(data) {
                Ok(v) => v,
                Err(e) => {
                    let err = BackendError::MalformedStream {
                        url: url.clone(),
                        message: e.to_string(),
                        line: data.chars().take(200).collect(),
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
                    .get("message")
                    .and_then(Value::as_str)
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
            if let Some(u) = chunk.get("usage").filter(|u| u.is_object()) {
                let n = |k: &str| u.get(k).and_then(Value::as_u64).map(|n| n as usize);
                usage.prompt_tokens = n("prompt_tokens");
                usage.completion_tokens = n("completion_tokens");
                usage.reused_tokens = u
                    .pointer("/prompt_tokens_details/cached_tokens")
                    .and_then(Value::as_u64)
                    .map(|n| n as usize);
            }
            if let Some(choice) = chunk.pointer("/choices/0") {
                if let Some(delta) = choice.pointer("/delta/content").and_then(Value::as_str)
                    && !delta.is_empty()
                {
                    usage.time_to_first_token.get_or_insert(started.elapsed());
                    text.push_str(delta);
                    tools.text(delta, on_delta);
                }
                if let Some(calls) = choice
                    .pointer("/delta/tool_calls")
                    .and_then(Value::as_array)
                {
                    usage.time_to_first_token.get_or_insert(started.elapsed());
                    for call in calls {
                        let s = |p: &str| call.pointer(p).and_then(Value::as_str);
                        tools.fragment(
                            call.get("index").and_then(Value::as_u64),
                            s("/id"),
                            s("/function/name"),
                            s("/function/arguments"),
                        );
                    }
                }
                if let Some(fr) = choice.get("finish_reason").and_then(Value::as_str) {
                    server_finish = Some(fr.to_owned());
                }
            }
        }
        let finish = match finish {
            Some(FinishReason::Stop) | None if server_finish.is_some() => {
                match server_finish.as_deref() {
                    Some("length") => FinishReason::Length,
                    // "stop", "tool_calls" (the calls are in the completion), "function_call"…
                    _ => FinishReason::Stop,
                }
            }
            Some(f) => f,
            None => {
                let err = BackendError::Dropped {
                    url: url.clone(),
                    message: "the server closed the stream before it finished".to_owned(),
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
