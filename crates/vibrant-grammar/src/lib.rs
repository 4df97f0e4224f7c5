//! Grammar-constrained decoding for tool calls: while the embedded engine writes a tool call, only
//! tokens that keep the text a valid call of one of the tools — `{"name": <a tool>, "arguments":
//! <an object valid for that tool's JSON schema>}` in the model's `<tool_call>` tags — may be
//! sampled, so every call parses and validates, however small the model.
//!
//! - [`Vocab`]: the tokenizer's vocabulary prepared once per model: a byte trie of the text tokens,
//!   the tokens that can sit inside a JSON string as they are, the tokens allowed in the agent's
//!   prose, and the special tokens that open and close a call.
//! - [`Schema`]: the tools' parameter schemas compiled to a small automaton (objects with known
//!   properties and `required`, strings with optional `enum`, integers with `minimum`/`maximum`,
//!   booleans; `additionalProperties` is always false). Other schema features are refused with
//!   [`GrammarError::Unsupported`] so the caller can fall back to unconstrained decoding.
//! - [`ToolCallConstraint`]: the [`vibrant_engine::TokenConstraint`] the engine applies at every
//!   token. Free text first (without code blocks or JSON, which small models otherwise write
//!   instead of calls), then from `<tool_call>` the JSON under the automaton, then `</tool_call>`
//!   forced, then another call or the end.
//!
//! Masking walks the trie with the automaton's state, pruning at the first byte that cannot
//! follow; inside a free JSON string the tokens without quotes, backslashes or control bytes are
//! allowed wholesale and only the few others are walked. `specs/agent-behavior.md` describes the
//! mechanism and its cost.

mod json;
mod schema;
mod toolcall;
mod vocab;

pub use schema::Schema;
pub use toolcall::{REQUIRED_PROSE_TOKENS, ToolCallConstraint, ToolMode};
pub use vocab::Vocab;

/// Why a constraint could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GrammarError {
    /// A schema uses something the automaton does not support.
    #[error("tool `{tool}`: {what} is not supported by constrained decoding")]
    Unsupported { tool: String, what: String },
    /// A tool description is malformed.
    #[error("tool description {index}: {what}")]
    BadTool { index: usize, what: String },
    /// The vocabulary has no single tokens for the call tags.
    #[error(
        "the model's vocabulary has no `<tool_call>`/`</tool_call>` tokens; tool calls are decoded unconstrained"
    )]
    NoCallTokens,
}
