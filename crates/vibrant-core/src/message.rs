//! Chat messages as the assistant keeps them: a role, the text, and the repository context that
//! was attached to a user turn (kept apart so it can be pruned before the question itself).

use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
    /// Output of a tool (the agent's; pruned first when the window fills up).
    Tool,
}

impl Role {
    /// The role name chat templates and HTTP APIs use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
            Self::Tool => "tool",
        }
    }
}

/// A call of one of the agent's tools, as the model asked for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The id the result message refers to (`call_1`…; a remote server's own id when it gave one).
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments object (a JSON string when a server sent arguments that do not parse, so
    /// the tool can report the error).
    pub arguments: serde_json::Value,
}

impl ToolCall {
    /// The OpenAI shape chat templates and HTTP APIs use:
    /// `{"id", "type": "function", "function": {"name", "arguments"}}` with `arguments` an object.
    pub fn to_openai_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        })
    }
}

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    /// The text the user typed or the model answered.
    pub content: String,
    /// Repository context attached to a user message; sent before the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Tools an assistant message called.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For a tool result: the id of the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// For a tool result: the tool's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What replaces pruned context or tool output, so the model knows something was there.
pub const PRUNED_NOTE: &str = "[earlier context removed to fit the context window]";

impl Message {
    /// A message with no attached context.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            context: None,
            tool_calls: Vec::new(),
            tool_call_id: None,
            name: None,
        }
    }

    /// An assistant message that calls tools.
    pub fn assistant_with_calls(content: impl Into<String>, tool_calls: Vec<ToolCall>) -> Self {
        Self {
            tool_calls,
            ..Self::assistant(content)
        }
    }

    /// The result of the tool call `call`.
    pub fn tool_result(call: &ToolCall, output: impl Into<String>) -> Self {
        Self {
            tool_call_id: Some(call.id.clone()),
            name: Some(call.name.clone()),
            ..Self::new(Role::Tool, output)
        }
    }

    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content)
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }

    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content)
    }

    /// A user message with repository context attached.
    pub fn user_with_context(content: impl Into<String>, context: Option<String>) -> Self {
        Self {
            context: context.filter(|c| !c.trim().is_empty()),
            ..Self::user(content)
        }
    }

    /// The text sent to the model: the context (if any), then the content.
    pub fn wire_text(&self) -> String {
        match &self.context {
            Some(ctx) => format!(
                "Context from the repository:\n{}\n\nQuestion: {}",
                ctx.trim_end(),
                self.content
            ),
            None => self.content.clone(),
        }
    }
}
