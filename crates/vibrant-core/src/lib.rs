//! The assistant core of Vibrant: what `vibrant ask`, `vibrant chat` and the agent are built on,
//! with no terminal code in it.
//!
//! - [`backend`]: one [`Backend`] trait that streams a chat completion, with three
//!   implementations: the embedded engine ([`EmbeddedBackend`], the default, which keeps one KV
//!   cache session per conversation so a follow-up only prefills the new tokens), an
//!   OpenAI-compatible HTTP server ([`OpenAiBackend`], `POST /v1/chat/completions` with SSE) and
//!   Ollama's native API ([`OllamaBackend`], `POST /api/chat` with NDJSON).
//! - [`conversation`]: roles and turns, the system prompt ([`prompt`]), token accounting against
//!   the context window, pruning and compaction (model-written summaries of older turns); nothing
//!   is ever truncated silently.
//! - [`inject`]: the repository context for a question (explicit paths, piped input, project
//!   summary, assembled snippets) under a token budget, with the list of sources used.
//! - [`turn`]: one assistant turn for every front end ([`Turn`]): fit the window (compacting when
//!   needed), build the request from the sampling settings, stream it, report [`TurnEvent`]s.
//! - [`session`]: conversations saved as append-only JSONL files per repository, with torn-line
//!   repair on load.
//!
//! The specification is `specs/assistant-core.md`.

pub mod backend;
pub mod conversation;
pub mod inject;
pub mod message;
pub mod prompt;
pub mod session;
mod time;
pub mod turn;

pub use backend::{
    Answers, Backend, BackendError, Completion, CompletionRequest, DEFAULT_IDLE_TIMEOUT,
    EmbeddedBackend, FinishReason, MAX_STREAM_LINE, OllamaBackend, OpenAiBackend, RemoteConfig,
    Sampling, ToolChoice, Usage,
};
pub use conversation::{Compaction, Conversation, ConversationError, Prepared};
pub use inject::{
    ContextSource, InjectError, InjectOptions, InjectedContext, ModelTokenCounter, gather,
};
pub use message::{Message, Role, ToolCall};
pub use session::{
    LoadedSession, SessionError, SessionInfo, SessionRecord, SessionStore, SessionWriter, repo_key,
};
pub use turn::{GatherError, Turn, TurnError, TurnEvent};
