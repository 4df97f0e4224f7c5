//! A conversation: the system prompt, then user and assistant turns, checked against the
//! backend's context window before every answer.
//!
//! Nothing is truncated silently. When the prompt plus the room reserved for the answer does not
//! fit, [`Conversation::fit`] first replaces old tool output, then the repository context
//! attached to older user turns, with a short note (oldest first, never the newest message), and
//! reports how many it pruned; if it still does not fit, it refuses with
//! [`ConversationError::Overflow`]. Summarising older turns (compaction) is a follow-up.

use crate::backend::{Backend, BackendError};
use crate::message::{Message, PRUNED_NOTE, Role};

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
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::backend::{Completion, CompletionRequest};

    /// Counts one token per word plus four per message: enough to test the accounting, which
    /// only relies on `count_prompt` and `context_window`.
    struct Words(usize);

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
}
