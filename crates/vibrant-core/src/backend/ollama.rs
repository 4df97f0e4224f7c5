//! Ollama's native API: `POST {base}/api/chat` with `stream: true`, read as one JSON object per
//! line.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::http::{LineStream, Next, client, stream_failure};
use super::{
    Backend, BackendError, Completion, CompletionRequest, FinishReason, RemoteConfig, Usage,
    cancelled, estimate_prompt,
};
use crate::message::Message;

/// A backend speaking Ollama's `/api/chat`.
pub struct OllamaBackend {
    config: RemoteConfig,
    client: reqwest::blocking::Client,
}

impl OllamaBackend {
    /// A backend for the Ollama server at `config.url` (usually `http://localhost:11434`).
    pub fn new(config: RemoteConfig) -> Result<Self, BackendError> {
        Ok(Self {
            config,
            client: client()?,
        })
    }

    /// The chat URL.
    pub fn endpoint(&self) -> String {
        format!("{}/api/chat", self.config.url.trim_end_matches('/'))
    }

    fn body(&self, request: &CompletionRequest<'_>) -> Value {
        let messages: Vec<Value> = request
            .messages
            .iter()
            .map(|m| json!({"role": m.role.as_str(), "content": m.wire_text()}))
            .collect();
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
        json!({
            "model": self.config.model,
            "messages": messages,
            "stream": true,
            "options": options,
        })
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
        )?;
        let Some(stream) = opened else {
            return Ok(cancelled(started));
        };
        let mut text = String::new();
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
                    finish = Some(stream_failure(&url, &text, err)?);
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
                    finish = Some(stream_failure(&url, &text, err)?);
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
                finish = Some(stream_failure(&url, &text, err)?);
                break;
            }
            if let Some(delta) = chunk.pointer("/message/content").and_then(Value::as_str)
                && !delta.is_empty()
            {
                usage.time_to_first_token.get_or_insert(started.elapsed());
                text.push_str(delta);
                on_delta(delta);
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
