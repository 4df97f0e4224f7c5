use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;

use serde_json::json;

use super::*;
use crate::backend::FinishReason;
use crate::conversation::{COMPACT_PROMPT, SUMMARY_HEADER};

/// What a [`Scripted`] backend was asked.
#[derive(Clone, Debug)]
struct Seen {
    messages: Vec<Message>,
    max_tokens: usize,
    temperature: f32,
    top_k: usize,
    seed: Option<u64>,
}

/// Counts one token per word plus four per message, and answers each request with the next
/// scripted reply (streamed word by word), or fails when the script says `Err`.
struct Scripted {
    window: usize,
    replies: VecDeque<Result<&'static str, &'static str>>,
    seen: Vec<Seen>,
}

impl Scripted {
    fn new(window: usize, replies: &[Result<&'static str, &'static str>]) -> Self {
        Self {
            window,
            replies: replies.iter().copied().collect(),
            seen: Vec::new(),
        }
    }
}

impl Backend for Scripted {
    fn describe(&self) -> String {
        "scripted".to_owned()
    }
    fn context_window(&self) -> usize {
        self.window
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
        request: &CompletionRequest<'_>,
        _: &AtomicBool,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Completion, BackendError> {
        self.seen.push(Seen {
            messages: request.messages.to_vec(),
            max_tokens: request.max_tokens,
            temperature: request.temperature,
            top_k: request.top_k,
            seed: request.seed,
        });
        let reply = match self.replies.pop_front() {
            Some(Ok(r)) => r,
            Some(Err(message)) => {
                return Err(BackendError::Connect {
                    url: "http://scripted".to_owned(),
                    message: message.to_owned(),
                });
            }
            None => "",
        };
        let mut text = String::new();
        for (i, word) in reply.split(' ').enumerate() {
            let piece = if i == 0 {
                word.to_owned()
            } else {
                format!(" {word}")
            };
            if !piece.is_empty() {
                on_delta(&piece);
                text.push_str(&piece);
            }
        }
        Ok(Completion {
            text,
            tool_calls: Vec::new(),
            invalid_tool_calls: Vec::new(),
            finish: FinishReason::Stop,
            usage: Usage {
                completion_tokens: Some(reply.split_whitespace().count()),
                ..Usage::default()
            },
        })
    }
}

fn words(n: usize) -> String {
    vec!["w"; n].join(" ")
}

fn context(text: &str) -> InjectedContext {
    InjectedContext {
        text: text.to_owned(),
        tokens: text.split_whitespace().count(),
        ..InjectedContext::default()
    }
}

fn turn() -> Turn {
    Turn {
        max_tokens: 64,
        temperature: 0.7,
        top_k: 12,
        seed: Some(9),
        ..Turn::default()
    }
}

/// Runs one question through `prepare` and `answer`, returning the events.
fn ask(
    turn: &Turn,
    conversation: &mut Conversation,
    backend: &mut Scripted,
    question: &str,
    ctx: &str,
) -> (Result<Completion, TurnError>, Vec<TurnEvent>) {
    let cancel = AtomicBool::new(false);
    let mut events = Vec::new();
    let mut on_event = |e: &TurnEvent| events.push(e.clone());
    let result = turn
        .prepare(
            conversation,
            backend,
            question,
            100,
            |_| Ok::<_, std::io::Error>(context(ctx)),
            &cancel,
            &mut on_event,
        )
        .and_then(|_| turn.answer(conversation, backend, &cancel, &mut on_event));
    (result, events)
}

#[test]
fn a_question_is_fitted_streamed_and_kept_with_the_settings() {
    let mut c = Conversation::new("be brief");
    let mut b = Scripted::new(1000, &[Ok("It packs files.")]);
    let (done, events) = ask(
        &turn(),
        &mut c,
        &mut b,
        "what does pack do?",
        "fn pack() {}",
    );
    let done = done.unwrap();
    assert_eq!(done.text, "It packs files.");
    // Context, the prompt, the deltas, the usage.
    assert!(matches!(
        &events[0],
        TurnEvent::Context {
            tokens: 3,
            budget: 100,
            ..
        }
    ));
    // system (2 + 4) + question with context (`Context from the repository: fn pack() {}
    // Question: what does pack do?`, 12 + 4)
    assert_eq!(
        events[1],
        TurnEvent::Prompt {
            prompt_tokens: 22,
            window: 1000,
            pruned: 0
        }
    );
    let deltas: Vec<&str> = events[2..5]
        .iter()
        .map(|e| match e {
            TurnEvent::Delta { text } => text.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(deltas, ["It", " packs", " files."]);
    assert!(matches!(&events[5], TurnEvent::Usage(u) if u.completion_tokens == Some(3)));
    assert_eq!(events.len(), 6);
    // The request carried the settings; the answer stays within half the window.
    let seen = &b.seen[0];
    assert_eq!(
        (seen.max_tokens, seen.temperature, seen.top_k, seen.seed),
        (64, 0.7, 12, Some(9))
    );
    assert_eq!(seen.messages.len(), 2);
    assert_eq!(seen.messages[1].context.as_deref(), Some("fn pack() {}"));
    // The conversation keeps the question and the answer.
    let roles: Vec<Role> = c.messages().iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::System, Role::User, Role::Assistant]);
    assert_eq!(c.messages()[2].content, "It packs files.");
    // A small window caps the answer at half of it.
    assert_eq!(turn().answer_tokens(100), 50);
    assert_eq!(turn().answer_tokens(1), 1);
}

#[test]
fn the_context_budget_is_the_room_left_capped() {
    let t = turn();
    let c = Conversation::new("sys");
    let cancel = AtomicBool::new(false);
    let mut budgets = Vec::new();
    let mut asked = Vec::new();
    for cap in [10, 1000] {
        let mut b = Scripted::new(200, &[]);
        let mut c = c.clone();
        t.prepare(
            &mut c,
            &mut b,
            "q",
            cap,
            |budget| {
                budgets.push(budget);
                Ok::<_, std::io::Error>(InjectedContext::default())
            },
            &cancel,
            &mut |_| {},
        )
        .unwrap();
        asked.push(c);
    }
    // 200 - (5 + `Context from the repository: x Question: q` 7 + 4) - 64 answer - 8.
    assert_eq!(budgets, [10, 112]);
    // An empty context attaches none.
    assert_eq!(asked[0].messages()[1].content, "q");
    assert_eq!(asked[0].messages()[1].context, None);
}

#[test]
fn an_empty_answer_or_an_error_takes_the_question_back() {
    let mut c = Conversation::new("sys");
    let mut b = Scripted::new(1000, &[Ok(""), Err("refused")]);
    let (done, _) = ask(&turn(), &mut c, &mut b, "q1", "");
    assert_eq!(done.unwrap().text, "");
    assert_eq!(c.messages().len(), 1);
    let (err, events) = ask(&turn(), &mut c, &mut b, "q2", "");
    assert!(matches!(
        err,
        Err(TurnError::Backend(BackendError::Connect { .. }))
    ));
    assert!(err.unwrap_err().to_string().contains("refused"));
    assert_eq!(c.messages().len(), 1);
    assert!(!events.iter().any(|e| matches!(e, TurnEvent::Usage(_))));
    // A failed gather changes nothing either, and says what failed.
    let err = turn()
        .prepare(
            &mut c,
            &mut b,
            "q3",
            100,
            |_| Err(std::io::Error::other("no index")),
            &AtomicBool::new(false),
            &mut |_| {},
        )
        .unwrap_err();
    assert!(matches!(err, TurnError::Context(_)));
    assert_eq!(err.to_string(), "no index");
    assert_eq!(c.messages().len(), 1);
}

#[test]
fn a_long_conversation_is_compacted_and_says_so() {
    let mut c = Conversation::new("sys");
    c.push(Message::user("q1"));
    c.push(Message::assistant(words(45)));
    c.push(Message::user("q2"));
    c.push(Message::assistant(words(45)));
    // 5 + 5 + 49 + 5 + 49 = 113 before the question, 119 with it: no room for 90 tokens of
    // answer in 200, and nothing to prune.
    let mut b = Scripted::new(200, &[Ok("we talked about w"), Ok("Done.")]);
    let t = Turn {
        max_tokens: 90,
        ..turn()
    };
    let (done, events) = ask(&t, &mut c, &mut b, "q3 now", "");
    assert_eq!(done.unwrap().text, "Done.");
    assert_eq!(
        events[1],
        TurnEvent::Compacting {
            prompt_tokens: 119,
            window: 200
        }
    );
    assert_eq!(
        events[2],
        TurnEvent::Compacted {
            replaced: 4,
            left_out: 0,
            before: 119,
            after: 29
        }
    );
    assert!(matches!(
        events[3],
        TurnEvent::Prompt {
            prompt_tokens: 29,
            ..
        }
    ));
    // The summary request (greedy, clamp(200 / 8, 32, 256) tokens), then the answer.
    assert_eq!(b.seen[0].max_tokens, 32);
    assert_eq!(b.seen[0].temperature, 0.0);
    assert_eq!(b.seen[0].messages.last().unwrap().content, COMPACT_PROMPT);
    let roles: Vec<Role> = c.messages().iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Role::System,
            Role::User,
            Role::Assistant,
            Role::User,
            Role::Assistant
        ]
    );
    assert!(c.messages()[1].content.starts_with(SUMMARY_HEADER));
    assert_eq!(c.messages()[3].content, "q3 now");
}

#[test]
fn a_question_too_long_alone_is_refused_without_compaction() {
    let mut c = Conversation::new("sys");
    let mut b = Scripted::new(100, &[]);
    let (err, events) = ask(&turn(), &mut c, &mut b, &words(120), "");
    assert!(matches!(
        err,
        Err(TurnError::Conversation(ConversationError::Overflow { .. }))
    ));
    assert!(b.seen.is_empty(), "no summary was asked for");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(c.messages().len(), 1);
}

#[test]
fn events_are_json_lines_tagged_by_type() {
    let line = |e: &TurnEvent| serde_json::to_value(e).unwrap();
    assert_eq!(
        line(&TurnEvent::Delta {
            text: "hi".to_owned()
        }),
        json!({"type": "delta", "text": "hi"})
    );
    assert_eq!(
        line(&TurnEvent::Usage(Usage {
            prompt_tokens: Some(5),
            ..Usage::default()
        })),
        json!({"type": "usage", "prompt_tokens": 5, "reused_tokens": null,
               "completion_tokens": null, "time_to_first_token": null, "total": 0.0})
    );
    assert_eq!(
        line(&TurnEvent::End {
            finish: "stop".to_owned(),
            error: None,
            session: Some("abc".to_owned())
        }),
        json!({"type": "end", "finish": "stop", "error": null, "session": "abc"})
    );
    assert_eq!(
        line(&TurnEvent::Prompt {
            prompt_tokens: 1,
            window: 2,
            pruned: 0
        }),
        json!({"type": "prompt", "prompt_tokens": 1, "window": 2, "pruned": 0})
    );
}
