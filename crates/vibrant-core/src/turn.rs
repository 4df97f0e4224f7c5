//! One assistant turn, the same for every front end (`vibrant ask`, `vibrant chat`, the agent):
//! fit the conversation into the context window (pruning, then compacting older turns when
//! pruning is not enough), build the [`CompletionRequest`] from the sampling settings, stream the
//! completion through the [`Backend`] and report what happens as serde-typed [`TurnEvent`]s.
//!
//! The settings come from the caller (config values and flags); this module reads no environment
//! and prints nothing. A plain question is [`Turn::prepare`] (attach the repository context, push
//! the question, fit) then [`Turn::answer`] (stream, keep the answer); the caller saves the
//! question to its session in between. The agent uses the parts: [`Turn::fit`] with room for the
//! tools, [`Turn::request`] plus its tools, and [`Turn::complete`].
//!
//! ```
//! use std::sync::atomic::AtomicBool;
//! use vibrant_core::{Conversation, Turn, TurnEvent};
//! # use vibrant_core::{Backend, BackendError, Completion, CompletionRequest, FinishReason, Message, Usage};
//! # struct Echo;
//! # impl Backend for Echo {
//! #     fn describe(&self) -> String { "echo".into() }
//! #     fn context_window(&self) -> usize { 4096 }
//! #     fn count_tokens(&self, t: &str) -> usize { t.split_whitespace().count() }
//! #     fn count_prompt(&self, m: &[Message]) -> Result<usize, BackendError> {
//! #         Ok(m.iter().map(|m| self.count_tokens(&m.wire_text()) + 4).sum())
//! #     }
//! #     fn complete(&mut self, _: &CompletionRequest<'_>, _: &AtomicBool, d: &mut dyn FnMut(&str))
//! #         -> Result<Completion, BackendError> {
//! #         d("hi");
//! #         Ok(Completion { text: "hi".into(), tool_calls: vec![], invalid_tool_calls: vec![],
//! #             finish: FinishReason::Stop, usage: Usage::default() })
//! #     }
//! # }
//! # let mut backend = Echo;
//! let turn = Turn::default();
//! let mut conversation = Conversation::new("be brief");
//! let cancel = AtomicBool::new(false);
//! let mut print = |e: &TurnEvent| println!("{}", serde_json::to_string(e).unwrap_or_default());
//! turn.prepare(&mut conversation, &mut backend, "what is this?", 512,
//!     |_budget| Ok::<_, std::io::Error>(Default::default()), &cancel, &mut print)?;
//! let completion = turn.answer(&mut conversation, &mut backend, &cancel, &mut print)?;
//! assert_eq!(completion.text, "hi");
//! # Ok::<(), vibrant_core::TurnError>(())
//! ```

use std::sync::atomic::AtomicBool;

use serde::Serialize;

use crate::backend::{Backend, BackendError, Completion, CompletionRequest, ToolChoice, Usage};
use crate::conversation::{Conversation, ConversationError, Prepared};
use crate::inject::{ContextSource, InjectedContext};
use crate::message::{Message, Role};

/// A boxed error from the caller's context gathering.
pub type GatherError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What happened during a turn. `vibrant ask --json` writes each as a JSON line
/// (`{"type": "delta", "text": "…"}`), as `vibrant agent --json` does with its events.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TurnEvent {
    /// A question starts (sent by the front end, which knows the session and the model).
    Start {
        /// The session the turn is saved in, if any.
        session: Option<String>,
        backend: String,
        model: String,
        /// The context window in tokens.
        window: usize,
        /// Tokens reserved for the answer.
        max_tokens: usize,
    },
    /// The repository context attached to the question.
    Context {
        tokens: usize,
        /// What it was allowed to take.
        budget: usize,
        sources: Vec<ContextSource>,
    },
    /// The conversation does not fit the window even when pruned: older turns are being
    /// summarised.
    Compacting { prompt_tokens: usize, window: usize },
    /// Older turns were replaced by a summary (prompt tokens before and after).
    Compacted {
        replaced: usize,
        /// The oldest of them, too long to be summarised.
        left_out: usize,
        before: usize,
        after: usize,
    },
    /// The prompt fits; generation starts.
    Prompt {
        prompt_tokens: usize,
        window: usize,
        /// Messages whose context or tool output was replaced by a note to make room.
        pruned: usize,
    },
    /// Streamed text of the answer (tool-call markup excluded).
    Delta { text: String },
    /// Token counts and timings of the answer.
    Usage(Usage),
    /// The answer ended (sent by the front end).
    End {
        /// `stop`, `length`, `cancelled`, `context_full` or `failed`.
        finish: String,
        /// Why it failed, for `failed`.
        error: Option<String>,
        session: Option<String>,
    },
}

/// Why a turn could not run.
#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    #[error(transparent)]
    Conversation(#[from] ConversationError),
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The caller's context gathering failed.
    #[error(transparent)]
    Context(GatherError),
}

/// The settings of every answer (from config `generation.*` and the command's flags) and the
/// steps of a turn.
#[derive(Clone, Debug, PartialEq)]
pub struct Turn {
    /// The most tokens an answer may take (a plain answer also stays within half the window).
    pub max_tokens: usize,
    pub temperature: f32,
    pub top_k: usize,
    pub top_p: f32,
    pub min_p: f32,
    pub repeat_penalty: f32,
    pub seed: Option<u64>,
    /// Constrain tool calls to the tools' schemas while decoding (the embedded engine).
    pub constrain_tools: bool,
    /// The newest messages compaction keeps as they are.
    pub keep_last: usize,
    /// Most tokens of a compaction summary; `None`: `clamp(window / 8, 32, 256)`.
    pub summary_tokens: Option<usize>,
}

impl Default for Turn {
    /// The defaults of `generation.*` (those of [`CompletionRequest::new`]); compaction keeps the
    /// newest message.
    fn default() -> Self {
        let r = CompletionRequest::new(&[], 1024);
        Self {
            max_tokens: r.max_tokens,
            temperature: r.temperature,
            top_k: r.top_k,
            top_p: r.top_p,
            min_p: r.min_p,
            repeat_penalty: r.repeat_penalty,
            seed: r.seed,
            constrain_tools: r.constrain_tools,
            keep_last: 1,
            summary_tokens: None,
        }
    }
}

impl Turn {
    /// Tokens reserved for a plain answer in a `window`: `max_tokens`, at most half the window,
    /// at least 1.
    pub fn answer_tokens(&self, window: usize) -> usize {
        self.max_tokens.min(window / 2).max(1)
    }

    /// Most tokens of a compaction summary in a `window`.
    pub fn summary_tokens(&self, window: usize) -> usize {
        self.summary_tokens
            .unwrap_or_else(|| (window / 8).clamp(32, 256))
    }

    /// A request for `messages` with these sampling settings and no tools (set `tools` and
    /// `tool_choice` on it for a tool-calling answer).
    pub fn request<'a>(&self, messages: &'a [Message], max_tokens: usize) -> CompletionRequest<'a> {
        CompletionRequest {
            messages,
            max_tokens,
            temperature: self.temperature,
            top_k: self.top_k,
            top_p: self.top_p,
            min_p: self.min_p,
            repeat_penalty: self.repeat_penalty,
            seed: self.seed,
            stop: Vec::new(),
            tools: &[],
            tool_choice: ToolChoice::Auto,
            constrain_tools: self.constrain_tools,
            require_code_block: false,
        }
    }

    /// Makes `conversation` fit the window with `reserve` tokens to spare (the answer, and the
    /// tools' descriptions when they are sent). Pruning comes first ([`Conversation::fit`]); when
    /// that is not enough and there are older turns than the [`Turn::keep_last`] newest, they
    /// are summarised ([`Conversation::compact`], events `Compacting` then `Compacted`) and the
    /// fit is tried again. Ends with a `Prompt` event.
    pub fn fit(
        &self,
        conversation: &mut Conversation,
        backend: &mut dyn Backend,
        reserve: usize,
        cancel: &AtomicBool,
        on_event: &mut dyn FnMut(&TurnEvent),
    ) -> Result<Prepared, TurnError> {
        let prepared = match conversation.fit(&*backend, reserve) {
            Err(ConversationError::Overflow { prompt, window, .. })
                if has_older(conversation, self.keep_last) =>
            {
                on_event(&TurnEvent::Compacting {
                    prompt_tokens: prompt,
                    window,
                });
                let summary_tokens = self.summary_tokens(window);
                if let Some(c) =
                    conversation.compact(backend, self.keep_last, summary_tokens, cancel)?
                {
                    on_event(&TurnEvent::Compacted {
                        replaced: c.replaced,
                        left_out: c.left_out,
                        before: c.before,
                        after: c.after,
                    });
                }
                conversation.fit(&*backend, reserve)?
            }
            other => other?,
        };
        on_event(&TurnEvent::Prompt {
            prompt_tokens: prepared.prompt_tokens,
            window: prepared.window,
            pruned: prepared.pruned,
        });
        Ok(prepared)
    }

    /// Streams the answer to `request`: a `Delta` event per piece of text, then `Usage`.
    pub fn complete(
        &self,
        backend: &mut dyn Backend,
        request: &CompletionRequest<'_>,
        cancel: &AtomicBool,
        on_event: &mut dyn FnMut(&TurnEvent),
    ) -> Result<Completion, BackendError> {
        let completion = backend.complete(request, cancel, &mut |text| {
            on_event(&TurnEvent::Delta {
                text: text.to_owned(),
            });
        })?;
        on_event(&TurnEvent::Usage(completion.usage.clone()));
        Ok(completion)
    }

    /// Pushes `question` with its repository context and fits the conversation for an answer
    /// of [`Turn::answer_tokens`]. The context comes from `gather`, called with the budget: the
    /// room the window leaves for it, at most `context_cap` (event `Context`). On an error the
    /// question is taken back out, so the conversation is as it was (unless a compaction
    /// succeeded first).
    #[allow(clippy::too_many_arguments)] // the turn's inputs, each used once
    pub fn prepare<E: Into<GatherError>>(
        &self,
        conversation: &mut Conversation,
        backend: &mut dyn Backend,
        question: &str,
        context_cap: usize,
        gather: impl FnOnce(usize) -> Result<InjectedContext, E>,
        cancel: &AtomicBool,
        on_event: &mut dyn FnMut(&TurnEvent),
    ) -> Result<Prepared, TurnError> {
        let answer_tokens = self.answer_tokens(backend.context_window());
        let room = conversation.room_for_context(&*backend, question, answer_tokens)?;
        let budget = room.min(context_cap);
        let injected = gather(budget).map_err(|e| TurnError::Context(e.into()))?;
        on_event(&TurnEvent::Context {
            tokens: injected.tokens,
            budget,
            sources: injected.sources,
        });
        conversation.push(Message::user_with_context(question, Some(injected.text)));
        let fitted = self.fit(conversation, backend, answer_tokens, cancel, on_event);
        if fitted.is_err() {
            conversation.pop();
        }
        fitted
    }

    /// Streams the answer to the conversation (prepared by [`Turn::prepare`]) and keeps it. An
    /// empty answer (cancelled before the first token) or an error takes the question back out,
    /// so roles keep alternating.
    pub fn answer(
        &self,
        conversation: &mut Conversation,
        backend: &mut dyn Backend,
        cancel: &AtomicBool,
        on_event: &mut dyn FnMut(&TurnEvent),
    ) -> Result<Completion, TurnError> {
        let answer_tokens = self.answer_tokens(backend.context_window());
        let request = self.request(conversation.messages(), answer_tokens);
        match self.complete(backend, &request, cancel, on_event) {
            Ok(c) if c.text.is_empty() => {
                conversation.pop();
                Ok(c)
            }
            Ok(c) => {
                conversation.push(Message::assistant(c.text.clone()));
                Ok(c)
            }
            Err(e) => {
                conversation.pop();
                Err(e.into())
            }
        }
    }
}

/// Whether `conversation` has messages older than the system prompt and the `keep_last` newest.
fn has_older(conversation: &Conversation, keep_last: usize) -> bool {
    let messages = conversation.messages();
    let start = usize::from(messages.first().is_some_and(|m| m.role == Role::System));
    messages.len() > start + keep_last
}

#[cfg(test)]
mod tests;
