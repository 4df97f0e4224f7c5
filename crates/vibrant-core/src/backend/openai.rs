//! An OpenAI-compatible server (llama.cpp's `llama-server`, vLLM, LM Studio, hosted APIs):
//! `POST {base}/v1/chat/completions` with `stream: true`, read as server-sent events.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde_json::{Value, json};

use super::http::{LineStream, Next, client, stream_failure};
use super::{
    Backend, BackendError, Completion, CompletionRequest, FinishReason, RemoteConfig, Usage,
    cancelled, estimate_prompt,
};
use crate::message::Message;

/// A backend speaking the OpenAI chat-completions protocol.
pub struct OpenAiBackend {
    config: RemoteConfig,
    client: reqwest::blocking::Client,
}

impl OpenAiBackend {
    /// A backend for the server at `config.url`.
    pub fn new(config: RemoteConfig) -> Result<Self, BackendError> {
        Ok(Self {
            config,
            client: client()?,
        })
    }

    /// The chat-completions URL (`{base}/v1/chat/completions`; a base that already ends in
    /// `/v1` is not doubled).
    pub fn endpoint(&self) -> String {
        let base = self.config.url.trim_end_matches('/');
        if base.ends_with("/v1") {
            format!("{base}/chat/completions")
        } else {
            format!("{base}/v1/chat/completions")
        }
    }

    fn body(&self, request: &CompletionRequest<'_>) -> Value {
        let messages: Vec<Value> = request
            .messages
            .iter()
            .map(|m| json!({"role": m.role.as_str(), "content": m.wire_text()}))
            .collect();
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
        body
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
        let opened = match LineStream::open(&self.client, &url, key, &body, cancel) {
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
                LineStream::open(&self.client, &url, key, &body, cancel)?
            }
            other => other?,
        };
        let Some(stream) = opened else {
            return Ok(cancelled(started));
        };
        let mut text = String::new();
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
                    finish = Some(stream_failure(&url, &text, err)?);
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
                    finish = Some(stream_failure(&url, &text, err)?);
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
                finish = Some(stream_failure(&url, &text, err)?);
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
                    on_delta(delta);
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
                    _ => FinishReason::Stop,
                }
            }
            Some(f) => f,
            None => {
                let err = BackendError::Dropped {
                    url: url.clone(),
                    message: "the server closed the stream before it finished".to_owned(),
                };
                stream_failure(&url, &text, err)?
            }
        };
        usage.total = started.elapsed();
        Ok(Completion {
            tool_calls: Vec::new(),
            invalid_tool_calls: Vec::new(),
            text,
            finish,
            usage,
        })
    }
}
