//! A conversation: the system prompt, then user and assistant turns, checked against the
//! backend's context window before every answer.
//!
//! Nothing is truncated silently. When the prompt plus the room reserved for the answer does not
//! fit, [`Conversation::fit`] first replaces old tool output, then the repository context
//! attached to older user turns, with a short note (oldest first, never the newest message), and
//! reports how many it pruned; if it still does not fit, it refuses with
//! [`ConversationError::Overflow`]. The caller can then [`Conversation::compact`]: the model
//! summarises the older turns, which are replaced by the summary, and `fit` is tried again.

use std::sync::atomic::AtomicBool;

use crate::backend::{Backend, BackendError, CompletionRequest, FinishReason};
use crate::message::{Message, PRUNED_NOTE, Role};

/// The instruction that asks the model to summarise the conversation so far.
pub const COMPACT_PROMPT: &str = "Summarise the conversation above so you can continue it later. \
Keep every name, file, function and decision exactly as written and add nothing that was not said. \
At most 100 words, no preamble.";

/// Starts the user message that replaces compacted turns.
pub const SUMMARY_HEADER: &str = "Summary of our earlier conversation:";

/// What [`Conversation::compact`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compaction {
    /// Messages replaced by the summary.
    pub replaced: usize,
    /// The summary the model wrote.
    pub summary: String,
    /// The oldest of those, left out of the summary because even with their context pruned
    /// they did not fit the window next to the summary (reported, never silent).
    pub left_out: usize,
    /// Prompt tokens before and after.
    pub before: usize,
    pub after: usize,
}

/// Why a conversation cannot be sent.
#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    #[error(
        "the conversation needs {prompt} prompt tokens plus {answer} for the answer, but the context window holds {window}\nhint: start a new session (without --continue), pass fewer --context paths, lower --max-tokens or raise model.context_length"
    )]
    Overflow {
        prompt: usize,
        answer: usize,
        window: usize,
    },
    #[error("compaction was interrupted; the conversation is unchanged")]
    CompactionCancelled,
    #[error("the model returned an empty summary; the conversation is unchanged")]
    EmptySummary,
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// The outcome of [`Conversation::fit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prepared {
    /// Tokens of the prompt as it will be sent.
    pub prompt_tokens: usize,
    /// Messages whose context or tool output was replaced by a note to make room.
    pub pruned: usize,
    /// The context window.
    pub window: usize,
}

/// Roles and turns.
#[derive(Clone, Debug, Default)]
pub struct Conversation {
    messages: Vec<Message>,
}

impl Conversation {
    /// A conversation that starts with `system` (no system message when it is empty).
    pub fn new(system: &str) -> Self {
        let mut messages = Vec::new();
        if !system.is_empty() {
            messages.push(Message::system(system));
        }
        Self { messages }
    }

    /// A conversation restored from saved messages.
    pub fn from_messages(messages: Vec<Message>) -> Self {
        Self { messages }
    }

    /// All messages, the system prompt first.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// Appends a message.
    pub fn push(&mut self, message: Message) {
        self.messages.push(message);
    }

    /// Removes the last message (e.g. a question whose answer failed to start).
    pub fn pop(&mut self) -> Option<Message> {
        self.messages.pop()
    }

    /// Number of user turns.
    pub fn turns(&self) -> usize {
        self.messages
            .iter()
            .filter(|m| m.role == Role::User)
            .count()
    }

    /// Tokens left for repository context if the next question is `question` and the answer
    /// may take `answer_tokens`: the window minus the conversation, the question and the answer
    /// (and a little for the context's framing). Zero when nothing is left.
    pub fn room_for_context(
        &self,
        backend: &dyn Backend,
        question: &str,
        answer_tokens: usize,
    ) -> Result<usize, BackendError> {
        let mut msgs = self.messages.clone();
        msgs.push(Message::user_with_context(question, Some("x".to_owned())));
        let used = backend.count_prompt(&msgs)?;
        Ok(backend
            .context_window()
            .saturating_sub(used + answer_tokens + 8))
    }

    /// Makes the conversation fit the window with `answer_tokens` to spare, pruning as the
    /// module docs describe.
    pub fn fit(
        &mut self,
        backend: &dyn Backend,
        answer_tokens: usize,
    ) -> Result<Prepared, ConversationError> {
        let window = backend.context_window();
        let mut pruned = 0;
        loop {
            let prompt = backend.count_prompt(&self.messages)?;
            if prompt + answer_tokens <= window {
                if pruned > 0 {
                    tracing::info!(pruned, prompt, window, "pruned old context to fit");
                }
                return Ok(Prepared {
                    prompt_tokens: prompt,
                    pruned,
                    window,
                });
            }
            if !self.prune_one() {
                return Err(ConversationError::Overflow {
                    prompt,
                    answer: answer_tokens,
                    window,
                });
            }
            pruned += 1;
        }
    }

    /// Replaces every message between the system prompt and the last `keep_last` messages with a
    /// summary the model writes (at most `summary_tokens`), as a user message starting with
    /// [`SUMMARY_HEADER`] and a short assistant acknowledgement, so roles still alternate.
    /// `Ok(None)` when there is nothing older to compact. The request that asks for the summary
    /// sends the older turns with their attached context pruned; if that is still too long, the
    /// oldest turns are left out of it and counted in [`Compaction::left_out`].
    pub fn compact(
        &mut self,
        backend: &mut dyn Backend,
        keep_last: usize,
        summary_tokens: usize,
        cancel: &AtomicBool,
    ) -> Result<Option<Compaction>, ConversationError> {
        let start = usize::from(
            self.messages
                .first()
                .is_some_and(|m| m.role == Role::System),
        );
        let end = self.messages.len().saturating_sub(keep_last);
        if end <= start {
            return Ok(None);
        }
        let before = backend.count_prompt(&self.messages)?;
        let mut request_messages: Vec<Message> = self.messages[..end]
            .iter()
            .map(|m| {
                let mut m = m.clone();
                if m.context.is_some() {
                    m.context = Some(PRUNED_NOTE.to_owned());
                }
                if m.role == Role::Tool {
                    m.content = PRUNED_NOTE.to_owned();
                }
                m
            })
            .collect();
        request_messages.push(Message::user(COMPACT_PROMPT));
        let window = backend.context_window();
        let mut left_out = 0;
        loop {
            let prompt = backend.count_prompt(&request_messages)?;
            if prompt + summary_tokens <= window {
                break;
            }
            // Keep the system prompt, at least one older message and the instruction.
            if request_messages.len() <= start + 2 {
                return Err(ConversationError::Overflow {
                    prompt,
                    answer: summary_tokens,
                    window,
                });
            }
            request_messages.remove(start);
            left_out += 1;
        }
        let mut request = CompletionRequest::new(&request_messages, summary_tokens);
        request.temperature = 0.0;
        let done = backend.complete(&request, cancel, &mut |_| {})?;
        if done.finish == FinishReason::Cancelled {
            return Err(ConversationError::CompactionCancelled);
        }
        let summary = done.text.trim().to_owned();
        if summary.is_empty() {
            return Err(ConversationError::EmptySummary);
        }
        let replacement = [
            Message::user(format!("{SUMMARY_HEADER}\n{summary}")),
            Message::assistant("Understood."),
        ];
        let replaced = end - start;
        self.messages.splice(start..end, replacement);
        let after = backend.count_prompt(&self.messages)?;
        tracing::info!(replaced, before, after, "compacted the conversation");
        Ok(Some(Compaction {
            replaced,
            summary,
            left_out,
            before,
            after,
        }))
    }

    /// Prunes the oldest prunable message: tool output first, then attached context. Never the
    /// newest message. False when nothing is left to prune.
    fn prune_one(&mut self) -> bool {
        let Some(last) = self.messages.len().checked_sub(1) else {
            return false;
        };
        let older = &mut self.messages[..last];
        if let Some(m) = older
            .iter_mut()
            .find(|m| m.role == Role::Tool && m.content != PRUNED_NOTE)
        {
            m.content = PRUNED_NOTE.to_owned();
            return true;
        }
        if let Some(m) = older
            .iter_mut()
            .find(|m| m.context.as_deref().is_some_and(|c| c != PRUNED_NOTE))
        {
            m.context = Some(PRUNED_NOTE.to_owned());
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Completion;

    /// Counts one token per word plus four per message: enough to test the accounting, which
    /// only relies on `count_prompt` and `context_window`.
    struct Words(usize);

    /// [`Words`] that answers every request with a fixed text and records the requests.
    struct Scripted {
        words: Words,
        reply: &'static str,
        requests: Vec<Vec<Message>>,
    }

    impl Backend for Scripted {
        fn describe(&self) -> String {
            "scripted".to_owned()
        }
        fn context_window(&self) -> usize {
            self.words.context_window()
        }
        fn count_tokens(&self, text: &str) -> usize {
            self.words.count_tokens(text)
        }
        fn count_prompt(&self, messages: &[Message]) -> Result<usize, BackendError> {
            self.words.count_prompt(messages)
        }
        fn complete(
            &mut self,
            request: &CompletionRequest<'_>,
            _: &AtomicBool,
            on_delta: &mut dyn FnMut(&str),
        ) -> Result<Completion, BackendError> {
            self.requests.push(request.messages.to_vec());
            on_delta(self.reply);
            Ok(Completion {
                tool_calls: Vec::new(),
                invalid_tool_calls: Vec::new(),
                text: self.reply.to_owned(),
                finish: FinishReason::Stop,
                usage: crate::backend::Usage::default(),
            })
        }
    }

    impl Backend for Words {
        fn describe(&self) -> String {
            "words".to_owned()
        }
        fn context_window(&self) -> usize {
            self.0
        }
        fn count_tokens(&self, text: &str) -> usize {
            text.split_whitespace().count()
        }
        fn count_prompt(&self, messages: &[Message]) -> Result<usize, BackendError> {
            Ok(messages
                .iter()
                .map(|m| self.count_tokens(&m.wire_text()) + 4)
                .sum())
        }
        fn complete(
            &mut self,
            _: &CompletionRequest<'_>,
            _: &AtomicBool,
            _: &mut dyn FnMut(&str),
        ) -> Result<Completion, BackendError> {
            unreachable!("not used by these tests")
        }
    }

    fn words(n: usize) -> String {
        vec!["w"; n].join(" ")
    }

    #[test]
    fn fits_without_pruning() {
        let mut c = Conversation::new("be brief");
        c.push(Message::user("hello there"));
        let p = c.fit(&Words(100), 50).unwrap();
        // system: 2 words + 4, user: 2 words + 4
        assert_eq!(p.prompt_tokens, 12);
        assert_eq!(p.pruned, 0);
        assert_eq!(p.window, 100);
    }

    #[test]
    fn prunes_tool_output_then_old_context_oldest_first() {
        let mut c = Conversation::new("");
        c.push(Message::user_with_context("q1", Some(words(40))));
        c.push(Message::assistant("a1"));
        c.push(Message::new(Role::Tool, words(30)));
        c.push(Message::user_with_context("q2", Some(words(40))));
        c.push(Message::assistant("a2"));
        c.push(Message::user_with_context("q3", Some(words(20))));
        // 50 + 5 + 34 + 50 + 5 + 30 = 174 tokens; 130 may be used.
        let backend = Words(150);
        assert_eq!(backend.count_prompt(c.messages()).unwrap(), 174);
        let p = c.fit(&backend, 20).unwrap();
        assert_eq!(p.prompt_tokens, 120, "{p:?}");
        // The tool output went first, then the oldest context.
        assert_eq!(c.messages()[2].content, PRUNED_NOTE);
        assert_eq!(c.messages()[0].context.as_deref(), Some(PRUNED_NOTE));
        assert_eq!(p.pruned, 2);
        // The newest question keeps its context.
        assert_eq!(c.messages()[5].context.as_deref(), Some(&*words(20)));
        assert_eq!(c.messages()[3].context.as_deref(), Some(&*words(40)));
    }

    #[test]
    fn refuses_instead_of_truncating_the_question() {
        let mut c = Conversation::new("sys");
        c.push(Message::user_with_context("question", Some(words(200))));
        let err = c.fit(&Words(100), 10).unwrap_err();
        match err {
            ConversationError::Overflow {
                prompt,
                answer,
                window,
            } => {
                assert_eq!((answer, window), (10, 100));
                assert!(prompt > 200);
            }
            other => panic!("{other}"),
        }
        // Nothing was changed by the failed fit.
        assert_eq!(c.messages()[1].context.as_deref(), Some(&*words(200)));
        assert!(
            c.fit(&Words(100), 10)
                .unwrap_err()
                .to_string()
                .contains("hint:")
        );
    }

    #[test]
    fn room_for_context_leaves_the_answer() {
        let mut c = Conversation::new("one two");
        c.push(Message::user("q"));
        c.push(Message::assistant("a"));
        let backend = Words(100);
        let room = c.room_for_context(&backend, "what now", 30).unwrap();
        // Used: 6 + 5 + 5 + ("Context from the repository: x Question: what now" = 8 + 4) = 28;
        // 100 - 28 - 30 - 8.
        assert_eq!(room, 34);
        assert_eq!(c.room_for_context(&backend, "q", 1000).unwrap(), 0);
        assert_eq!(c.turns(), 1);
    }

    #[test]
    fn compaction_replaces_older_turns_with_a_summary() {
        let mut c = Conversation::new("sys");
        c.push(Message::user_with_context("q1", Some(words(60))));
        c.push(Message::assistant(words(50)));
        c.push(Message::user("q2"));
        c.push(Message::assistant(words(50)));
        c.push(Message::user_with_context("q3", Some(words(10))));
        let mut b = Scripted {
            words: Words(200),
            reply: " q1 was about checksums ",
            requests: Vec::new(),
        };
        // 5 + 70 + 54 + 5 + 54 + 20 = 208 tokens; pruning q1's context (to 18) is not enough
        // with 50 reserved for the answer.
        assert!(matches!(
            c.clone().fit(&b, 50),
            Err(ConversationError::Overflow { .. })
        ));
        let mut small = c.clone();
        let done = c
            .compact(&mut b, 1, 20, &AtomicBool::new(false))
            .unwrap()
            .unwrap();
        assert_eq!(done.replaced, 4);
        assert_eq!(done.left_out, 0);
        assert_eq!((done.before, done.after), (208, 43));
        assert_eq!(done.summary, "q1 was about checksums");
        assert!(done.after < done.before);
        // The summary request had the older turns with context pruned, then the instruction.
        let req = &b.requests[0];
        assert_eq!(req.len(), 6);
        assert_eq!(req[1].context.as_deref(), Some(PRUNED_NOTE));
        assert_eq!(req[5].content, COMPACT_PROMPT);
        // system, summary, acknowledgement, the kept question.
        let roles: Vec<Role> = c.messages().iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [Role::System, Role::User, Role::Assistant, Role::User]
        );
        assert!(c.messages()[1].content.starts_with(SUMMARY_HEADER));
        assert!(c.messages()[1].content.ends_with("q1 was about checksums"));
        assert_eq!(c.messages()[3].content, "q3");
        assert!(c.fit(&b, 50).is_ok());

        // In a smaller window the oldest turns are left out of the summary, and counted.
        let mut b = Scripted {
            words: Words(125),
            reply: "summary",
            requests: Vec::new(),
        };
        let done = small
            .compact(&mut b, 1, 20, &AtomicBool::new(false))
            .unwrap()
            .unwrap();
        assert_eq!((done.replaced, done.left_out), (4, 2));
        assert_eq!(b.requests[0].len(), 4); // system, q2, a2, instruction
        assert_eq!(small.messages().len(), 4);

        // Nothing older left: nothing to do.
        let mut single = Conversation::new("sys");
        single.push(Message::user("only"));
        assert_eq!(
            single
                .compact(&mut b, 1, 40, &AtomicBool::new(false))
                .unwrap(),
            None
        );
    }
}
