//! The OpenAI chat-completions wire format: requests parsed into Vibrant's messages and request,
//! answers and stream chunks built from a [`Completion`], errors in OpenAI's error shape.

use serde::Deserialize;
use serde_json::{Value, json};
use vibrant_core::{Completion, CompletionRequest, FinishReason, Message, ToolCall, ToolChoice};

/// `POST /v1/chat/completions` body (unknown fields are ignored, as other servers do).
#[derive(Debug, Deserialize)]
pub struct ChatRequest {
    #[serde(default)]
    pub model: Option<String>,
    pub messages: Vec<InMessage>,
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    pub max_tokens: Option<usize>,
    pub max_completion_tokens: Option<usize>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub top_k: Option<usize>,
    pub min_p: Option<f32>,
    pub seed: Option<u64>,
    pub stop: Option<Stop>,
    pub n: Option<usize>,
    #[serde(default)]
    pub tools: Vec<Value>,
    pub tool_choice: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: bool,
}

#[derive(Debug, Deserialize)]
pub struct InMessage {
    pub role: String,
    #[serde(default)]
    pub content: Option<Content>,
    #[serde(default)]
    pub tool_calls: Vec<InToolCall>,
    #[serde(default)]
    pub tool_call_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Debug, Deserialize)]
pub struct Part {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct InToolCall {
    #[serde(default)]
    pub id: String,
    pub function: InFunction,
}

#[derive(Debug, Deserialize)]
pub struct InFunction {
    pub name: String,
    /// A JSON string (OpenAI) or an object (some clients).
    #[serde(default)]
    pub arguments: Value,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

/// A request the server refuses, as OpenAI's `invalid_request_error` (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub message: String,
    pub param: Option<&'static str>,
}

fn invalid(message: impl Into<String>, param: &'static str) -> Invalid {
    Invalid {
        message: message.into(),
        param: Some(param),
    }
}

impl Content {
    fn text(&self) -> Result<String, Invalid> {
        match self {
            Content::Text(s) => Ok(s.clone()),
            Content::Parts(parts) => {
                let mut out = String::new();
                for p in parts {
                    match (p.kind.as_str(), &p.text) {
                        ("text", Some(t)) => out.push_str(t),
                        (kind, _) => {
                            return Err(invalid(
                                format!(
                                    "content parts of type {kind:?} are not supported (text only)"
                                ),
                                "messages",
                            ));
                        }
                    }
                }
                Ok(out)
            }
        }
    }
}

/// Settings of a parsed request, beside its messages.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub messages: Vec<Message>,
    pub max_tokens: usize,
    pub temperature: f32,
    pub top_p: f32,
    pub top_k: usize,
    pub min_p: f32,
    pub seed: Option<u64>,
    pub stop: Vec<String>,
    pub tools: Vec<Value>,
    pub tool_choice: ToolChoice,
    pub stream: bool,
    pub include_usage: bool,
}

impl Parsed {
    /// The backend request for these settings.
    pub fn request(&self) -> CompletionRequest<'_> {
        let mut r = CompletionRequest::new(&self.messages, self.max_tokens);
        r.temperature = self.temperature;
        r.top_p = self.top_p;
        r.top_k = self.top_k;
        r.min_p = self.min_p;
        r.seed = self.seed;
        r.stop = self.stop.clone();
        r.tools = &self.tools;
        r.tool_choice = self.tool_choice;
        r
    }
}

/// Checks and converts a request; `max_tokens_cap` bounds the answer.
pub fn parse(req: ChatRequest, max_tokens_cap: usize) -> Result<Parsed, Invalid> {
    if req.messages.is_empty() {
        return Err(invalid("messages must not be empty", "messages"));
    }
    if req.n.is_some_and(|n| n != 1) {
        return Err(invalid("only n = 1 is supported", "n"));
    }
    let max_tokens = req
        .max_completion_tokens
        .or(req.max_tokens)
        .unwrap_or(max_tokens_cap);
    if max_tokens == 0 {
        return Err(invalid("max_tokens must be at least 1", "max_tokens"));
    }
    let temperature = req.temperature.unwrap_or(0.2);
    if !(0.0..=2.0).contains(&temperature) {
        return Err(invalid(
            "temperature must be between 0 and 2",
            "temperature",
        ));
    }
    let top_p = req.top_p.unwrap_or(0.95);
    if !(0.0..=1.0).contains(&top_p) {
        return Err(invalid("top_p must be between 0 and 1", "top_p"));
    }
    let stop = match req.stop {
        None => Vec::new(),
        Some(Stop::One(s)) => vec![s],
        Some(Stop::Many(v)) if v.len() > 4 => {
            return Err(invalid("at most 4 stop sequences", "stop"));
        }
        Some(Stop::Many(v)) => v,
    };
    let tool_choice = match &req.tool_choice {
        None => ToolChoice::Auto,
        Some(Value::String(s)) if s == "auto" => ToolChoice::Auto,
        Some(Value::String(s)) if s == "required" => ToolChoice::Required,
        Some(Value::String(s)) if s == "none" => ToolChoice::None,
        Some(other) => {
            return Err(invalid(
                format!("tool_choice {other} is not supported (auto, required or none)"),
                "tool_choice",
            ));
        }
    };
    for t in &req.tools {
        if t.get("function")
            .and_then(|f| f.get("name"))
            .and_then(Value::as_str)
            .is_none()
        {
            return Err(invalid(
                "each tool must be {\"type\": \"function\", \"function\": {\"name\", …}}",
                "tools",
            ));
        }
    }
    let mut messages = Vec::with_capacity(req.messages.len());
    let mut calls: Vec<ToolCall> = Vec::new();
    for m in req.messages {
        let content = match &m.content {
            Some(c) => c.text()?,
            None => String::new(),
        };
        messages.push(match m.role.as_str() {
            "system" | "developer" => Message::system(content),
            "user" => Message::user(content),
            "assistant" => {
                let these: Vec<ToolCall> = m
                    .tool_calls
                    .into_iter()
                    .map(|c| ToolCall {
                        id: c.id,
                        name: c.function.name,
                        arguments: match c.function.arguments {
                            Value::String(s) => {
                                serde_json::from_str(&s).unwrap_or(Value::String(s))
                            }
                            v => v,
                        },
                    })
                    .collect();
                calls.extend(these.iter().cloned());
                Message::assistant_with_calls(content, these)
            }
            "tool" => {
                let id = m.tool_call_id.unwrap_or_default();
                let call = calls
                    .iter()
                    .find(|c| c.id == id)
                    .cloned()
                    .unwrap_or_else(|| ToolCall {
                        id: id.clone(),
                        name: m.name.clone().unwrap_or_default(),
                        arguments: Value::Null,
                    });
                Message::tool_result(&call, content)
            }
            other => {
                return Err(invalid(
                    format!("unknown role {other:?} (system, user, assistant or tool)"),
                    "messages",
                ));
            }
        });
    }
    Ok(Parsed {
        messages,
        max_tokens: max_tokens.min(max_tokens_cap),
        temperature,
        top_p,
        top_k: req.top_k.unwrap_or(40),
        min_p: req.min_p.unwrap_or(0.05),
        seed: req.seed,
        stop,
        tools: req.tools,
        tool_choice,
        stream: req.stream,
        include_usage: req.stream_options.is_some_and(|o| o.include_usage),
    })
}

/// OpenAI's `finish_reason` for a completion.
pub fn finish_reason(c: &Completion) -> &'static str {
    if !c.tool_calls.is_empty() {
        return "tool_calls";
    }
    match c.finish {
        FinishReason::Length | FinishReason::ContextFull => "length",
        _ => "stop",
    }
}

/// Tool calls in OpenAI's response shape (arguments as a JSON string).
pub fn tool_calls_json(c: &Completion, with_index: bool) -> Vec<Value> {
    c.tool_calls
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let arguments = match &t.arguments {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            let mut v = json!({
                "id": t.id,
                "type": "function",
                "function": {"name": t.name, "arguments": arguments},
            });
            if with_index {
                v["index"] = json!(i);
            }
            v
        })
        .collect()
}

/// The `usage` object.
pub fn usage(c: &Completion) -> Value {
    let prompt = c.usage.prompt_tokens.unwrap_or(0);
    let completion = c.usage.completion_tokens.unwrap_or(0);
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": c.usage.reused_tokens.unwrap_or(0)},
    })
}

/// A whole (non-streamed) answer.
pub fn completion_json(id: &str, created: u64, model: &str, c: &Completion) -> Value {
    let mut message = json!({"role": "assistant", "content": c.text});
    if !c.tool_calls.is_empty() {
        message["tool_calls"] = json!(tool_calls_json(c, false));
        if c.text.is_empty() {
            message["content"] = Value::Null;
        }
    }
    json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason(c)}],
        "usage": usage(c),
    })
}

/// One streamed chunk with `delta` (and `finish_reason` when given).
pub fn chunk_json(
    id: &str,
    created: u64,
    model: &str,
    delta: Value,
    finish: Option<&str>,
) -> Value {
    json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    })
}

/// OpenAI's error body.
pub fn error_json(message: &str, kind: &str, param: Option<&str>, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": param, "code": code}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(v: Value) -> ChatRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_plain_request_becomes_messages_and_settings() {
        let p = parse(
            req(json!({
                "model": "x",
                "messages": [
                    {"role": "system", "content": "be brief"},
                    {"role": "user", "content": [{"type": "text", "text": "hi "}, {"type": "text", "text": "there"}]}
                ],
                "max_tokens": 5000, "temperature": 0, "stop": "END", "seed": 3, "stream": true,
                "stream_options": {"include_usage": true}
            })),
            1024,
        )
        .unwrap();
        assert_eq!(p.messages.len(), 2);
        assert_eq!(p.messages[1].content, "hi there");
        assert_eq!(p.max_tokens, 1024, "capped");
        assert_eq!(p.temperature, 0.0);
        assert_eq!(p.stop, vec!["END".to_owned()]);
        assert!(p.stream && p.include_usage);
        assert_eq!(p.request().seed, Some(3));
    }

    #[test]
    fn bad_requests_name_the_parameter() {
        let bad = |v: Value| parse(req(v), 100).unwrap_err().param;
        assert_eq!(bad(json!({"messages": []})), Some("messages"));
        assert_eq!(
            bad(json!({"messages": [{"role": "wizard", "content": "x"}]})),
            Some("messages")
        );
        assert_eq!(
            bad(json!({"messages": [{"role": "user", "content": "x"}], "n": 3})),
            Some("n")
        );
        assert_eq!(
            bad(json!({"messages": [{"role": "user", "content": "x"}], "temperature": 9})),
            Some("temperature")
        );
        assert_eq!(
            bad(json!({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})),
            Some("messages")
        );
        assert_eq!(
            bad(
                json!({"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]})
            ),
            Some("tools")
        );
    }

    #[test]
    fn tool_results_find_their_call() {
        let p = parse(
            req(json!({"messages": [
                {"role": "user", "content": "list"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "ls", "arguments": "{\"path\":\".\"}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "a.txt"}
            ]})),
            100,
        )
        .unwrap();
        assert_eq!(p.messages[1].tool_calls[0].arguments, json!({"path": "."}));
        assert_eq!(p.messages[2].name.as_deref(), Some("ls"));
    }
}
