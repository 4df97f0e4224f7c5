//! The generation worker: one thread that owns the backend, the conversation and the session
//! writer, takes [`Job`]s from the UI and sends [`WorkerEvent`]s back over a channel, so the
//! screen keeps drawing (and Ctrl-C keeps working) while the model prefills and decodes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use anyhow::{Context as _, Result};
use vibrant_agent::{Agent, AgentConfig, AgentEvent};
use vibrant_core::{
    Backend, Completion, Conversation, FinishReason, InjectedContext, Message, SessionRecord,
    SessionStore, SessionWriter, Turn, TurnEvent,
};
use vibrant_tools::{ApprovalMode, ApprovalRequest, Approver, Decision, Toolbox, ToolboxConfig};

use crate::commands::agent::short_args;

/// Gathers the repository context for a question: (question, token budget, explicit paths).
pub type GatherFn =
    Box<dyn FnMut(&str, usize, &[String]) -> Result<InjectedContext> + Send + 'static>;

/// Where the conversation is saved.
pub enum Saving {
    /// Not saved (`--no-session`).
    Off,
    /// A new session is created in `store` when the first question is asked.
    New {
        store: SessionStore,
        kind: String,
        model: String,
    },
    /// Appending to a loaded session.
    Existing {
        store: SessionStore,
        writer: SessionWriter,
        kind: String,
        model: String,
    },
}

/// Work for the worker.
#[derive(Clone, Debug)]
pub enum Job {
    /// Answer a question, sending the context of these paths first.
    Ask {
        question: String,
        explicit: Vec<String>,
    },
    /// Summarise older turns.
    Compact,
    /// Start a new conversation (and, when saving, a new session at the next question).
    Clear,
    /// Work on a task with tools (agent mode).
    Agent { task: String },
    /// Switch agent mode on or off (the system prompt changes with it).
    AgentMode(bool),
    /// Restore the files of the agent's last N turns.
    Undo(usize),
}

/// What the worker reports.
#[derive(Clone, Debug)]
pub enum WorkerEvent {
    /// Context attached and prompt size, before generation starts.
    Started {
        context_tokens: usize,
        sources: usize,
        prompt_tokens: usize,
        window: usize,
        pruned: usize,
        session: Option<String>,
    },
    Delta(String),
    /// The answer ended (any [`FinishReason`], including cancelled).
    Finished(Completion),
    /// A note for the scrollback (compaction done, nothing to compact…).
    Note(String),
    /// The job failed before an answer started.
    Failed(String),
    /// Agent activity for the scrollback (a tool call and its result, a check, a diff).
    AgentNote(String),
    /// The agent wants to edit or run something: answer on [`ChatEngine::decisions`].
    Approval(ApprovalRequest),
    /// The agent's task ended; the summary for the scrollback.
    AgentFinished {
        summary: String,
        /// The prompt of the task's last step (what the window holds now, before the answer).
        prompt_tokens: usize,
        /// Tokens generated over the whole task.
        completion_tokens: usize,
    },
}

/// What agent mode needs: the toolbox settings (the toolbox is opened on first use, on the
/// worker thread) and the loop's limits.
pub struct AgentSetup {
    pub toolbox: ToolboxConfig,
    pub config: AgentConfig,
    /// The agent's system prompt (replaces the chat's while agent mode is on).
    pub system_prompt: String,
    /// Where the UI's answers to approval requests arrive.
    pub decisions: Receiver<Decision>,
}

/// Asks the UI: sends the request as an event and waits for its answer.
struct ChannelApprover {
    tx: Sender<WorkerEvent>,
    rx: Arc<std::sync::Mutex<Receiver<Decision>>>,
}

impl Approver for ChannelApprover {
    fn approve(&mut self, request: &ApprovalRequest) -> Decision {
        if self
            .tx
            .send(WorkerEvent::Approval(request.clone()))
            .is_err()
        {
            return Decision::Deny {
                reason: Some("the chat screen closed".to_owned()),
            };
        }
        let answer = self.rx.lock().ok().and_then(|rx| rx.recv().ok());
        answer.unwrap_or(Decision::Deny {
            reason: Some("the chat screen closed".to_owned()),
        })
    }
}

/// The state the worker thread owns.
pub struct ChatEngine {
    pub backend: Box<dyn Backend + Send>,
    pub conversation: Conversation,
    pub system_prompt: String,
    pub saving: Saving,
    pub gather: GatherFn,
    /// Sampling settings of every answer, and the turn's steps.
    pub turn: Turn,
    /// Most tokens of repository context per question.
    pub context_cap: usize,
    /// Agent mode's settings; `None` when it is not available (no state dir).
    pub agent: Option<AgentSetup>,
    /// Agent mode is on: questions are tasks.
    pub agent_on: bool,
    /// The toolbox, opened the first time agent mode is used.
    pub toolbox: Option<Toolbox>,
}

/// The running worker.
pub struct Worker {
    pub jobs: Sender<Job>,
    pub events: Receiver<WorkerEvent>,
    /// Set to stop the answer being generated.
    pub cancel: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

impl Worker {
    /// Starts the thread. `cancel` is checked between tokens; the worker clears it before each job.
    pub fn spawn(mut engine: ChatEngine, cancel: Arc<AtomicBool>) -> Result<Self> {
        let (jobs, job_rx) = channel::<Job>();
        let (tx, events) = channel();
        let flag = Arc::clone(&cancel);
        let handle = std::thread::Builder::new()
            .name("vibrant-chat-worker".to_owned())
            .spawn(move || {
                for job in job_rx {
                    flag.store(false, Ordering::SeqCst);
                    if let Err(e) = engine.run(job, &flag, &tx) {
                        tracing::warn!("chat job failed: {e:#}");
                        let _ = tx.send(WorkerEvent::Failed(format!("{e:#}")));
                    }
                }
            })
            .context("starting the generation thread")?;
        Ok(Self {
            jobs,
            events,
            cancel,
            handle,
        })
    }

    /// Closes the job channel and waits for the thread (after cancelling any answer).
    pub fn shutdown(self) {
        self.cancel.store(true, Ordering::SeqCst);
        drop(self.jobs);
        if self.handle.join().is_err() {
            tracing::warn!("the generation thread panicked");
        }
    }
}

impl ChatEngine {
    /// The session writer, creating the session when the first turn is saved: the caller
    /// appends the last `unsaved` messages itself, so the ones before them are written here (a
    /// question: 1; an agent task: everything the task added).
    fn writer(&mut self, unsaved: usize) -> Result<Option<&mut SessionWriter>> {
        if let Saving::New { store, kind, model } = &self.saving {
            let mut writer = store.create(kind, model)?;
            let msgs = self.conversation.messages();
            for m in &msgs[..msgs.len().saturating_sub(unsaved)] {
                writer.append_message(m)?;
            }
            self.saving = Saving::Existing {
                store: store.clone(),
                writer,
                kind: kind.clone(),
                model: model.clone(),
            };
        }
        Ok(match &mut self.saving {
            Saving::Existing { writer, .. } => Some(writer),
            _ => None,
        })
    }

    fn run(&mut self, job: Job, cancel: &AtomicBool, tx: &Sender<WorkerEvent>) -> Result<()> {
        match job {
            Job::Clear => {
                self.conversation = Conversation::new(&self.system_prompt);
                self.saving = match std::mem::replace(&mut self.saving, Saving::Off) {
                    Saving::Existing {
                        store, kind, model, ..
                    }
                    | Saving::New { store, kind, model } => Saving::New { store, kind, model },
                    Saving::Off => Saving::Off,
                };
                Ok(())
            }
            Job::Compact => {
                let summary_tokens = self.turn.summary_tokens(self.backend.context_window());
                let c =
                    self.conversation
                        .compact(self.backend.as_mut(), 2, summary_tokens, cancel)?;
                let note = match c {
                    Some(c) => format!(
                        "compacted {} earlier messages into a summary ({} → {} prompt tokens)",
                        c.replaced, c.before, c.after
                    ),
                    None => "nothing to compact yet".to_owned(),
                };
                let _ = tx.send(WorkerEvent::Note(note));
                Ok(())
            }
            Job::Ask { question, explicit } => self.ask(question, &explicit, cancel, tx),
            Job::AgentMode(on) => self.agent_mode(on, tx),
            Job::Agent { task } => self.agent_task(task, cancel, tx),
            Job::Undo(n) => {
                let tools = self.open_toolbox(tx)?;
                let note = match tools.undo(n) {
                    Ok(r) => {
                        let mut lines = vec![format!(
                            "undid {} agent turn{}",
                            r.checkpoints.len(),
                            if r.checkpoints.len() == 1 { "" } else { "s" }
                        )];
                        lines.extend(r.restored.iter().map(|p| format!("  restored {p}")));
                        lines.extend(r.removed.iter().map(|p| format!("  removed {p}")));
                        lines.join("\n")
                    }
                    Err(e) => format!("cannot undo: {e}"),
                };
                let _ = tx.send(WorkerEvent::Note(note));
                Ok(())
            }
        }
    }

    /// The toolbox, opening it (and probing the sandbox) on first use.
    fn open_toolbox(&mut self, tx: &Sender<WorkerEvent>) -> Result<&mut Toolbox> {
        if self.toolbox.is_none() {
            let setup = self
                .agent
                .as_mut()
                .context("agent mode needs a state directory (set paths.state_dir)")?;
            // The decision channel's receiver moves into the approver.
            let (_, placeholder) = channel();
            let decisions = std::mem::replace(&mut setup.decisions, placeholder);
            let approver = ChannelApprover {
                tx: tx.clone(),
                rx: Arc::new(std::sync::Mutex::new(decisions)),
            };
            let tools = Toolbox::new(setup.toolbox.clone(), Box::new(approver))
                .context("opening the agent's tools")?;
            self.toolbox = Some(tools);
        }
        self.toolbox
            .as_mut()
            .context("the agent's tools are not open")
    }

    fn agent_mode(&mut self, on: bool, tx: &Sender<WorkerEvent>) -> Result<()> {
        let system = match (&self.agent, on) {
            (None, true) => {
                anyhow::bail!("agent mode needs a state directory (set paths.state_dir)")
            }
            (Some(setup), true) => setup.system_prompt.clone(),
            (_, false) => self.system_prompt.clone(),
        };
        let note = if on {
            let tools = self.open_toolbox(tx)?;
            let mode = tools.approval_mode();
            let sandbox = tools.sandbox_status().warnings.join("; ");
            format!(
                "agent mode on ({mode}): your messages are tasks; the model may read and edit files and run commands{}. /undo restores the last turn, /agent off returns to questions.{}",
                if mode == ApprovalMode::FullAuto {
                    ""
                } else {
                    ", asking you first"
                },
                if sandbox.is_empty() {
                    String::new()
                } else {
                    format!("\nsandbox: {sandbox}")
                }
            )
        } else {
            "agent mode off: your messages are questions again".to_owned()
        };
        let window = self.backend.context_window();
        let note = if on && window < 8192 {
            format!(
                "{note}\nnote: the context window is {window} tokens and the tool descriptions alone take about 2,000; start chat with --ctx 8192 (or set model.context_length) for longer tasks"
            )
        } else {
            note
        };
        let mut messages = self.conversation.messages().to_vec();
        match messages.first_mut() {
            Some(m) if m.role == vibrant_core::Role::System => m.content = system,
            _ => messages.insert(0, Message::system(system)),
        }
        self.conversation = Conversation::from_messages(messages);
        self.agent_on = on;
        let _ = tx.send(WorkerEvent::Note(note));
        Ok(())
    }

    fn agent_task(
        &mut self,
        task: String,
        cancel: &AtomicBool,
        tx: &Sender<WorkerEvent>,
    ) -> Result<()> {
        self.open_toolbox(tx)?;
        let config = self
            .agent
            .as_ref()
            .map(|s| s.config.clone())
            .unwrap_or_default();
        let before = self.conversation.messages().len();
        let conversation = std::mem::take(&mut self.conversation);
        let (Some(tools), backend) = (self.toolbox.as_mut(), self.backend.as_mut()) else {
            anyhow::bail!("the agent's tools are not open");
        };
        let mut agent = Agent::new(backend, tools, config).with_conversation(conversation);
        let mut last_prompt = 0;
        let report = agent.run(&task, cancel, &mut |e| {
            let event = match e {
                AgentEvent::Step { prompt_tokens, .. } => {
                    last_prompt = *prompt_tokens;
                    return;
                }
                AgentEvent::Delta { text } => WorkerEvent::Delta(text.clone()),
                AgentEvent::ToolCall {
                    name, arguments, ..
                } => WorkerEvent::AgentNote(format!("→ {name} {}", short_args(arguments))),
                AgentEvent::ToolResult {
                    ok, summary, diff, ..
                } => {
                    let mark = if *ok { "✓" } else { "✗" };
                    let mut text = format!("  {mark} {summary}");
                    if let Some(d) = diff {
                        text.push_str("\n```diff\n");
                        text.push_str(d.trim_end());
                        text.push_str("\n```");
                    }
                    WorkerEvent::AgentNote(text)
                }
                AgentEvent::InvalidCall { message } => {
                    WorkerEvent::AgentNote(format!("  ✗ unreadable tool call: {message}"))
                }
                AgentEvent::Verify { result } => WorkerEvent::AgentNote(format!(
                    "{} {}",
                    if result.passed {
                        "✓ check passed:"
                    } else {
                        "✗ check failed:"
                    },
                    result.summary
                )),
                AgentEvent::Notice { message } => WorkerEvent::AgentNote(message.clone()),
                AgentEvent::Candidate {
                    index,
                    passed,
                    summary,
                    ..
                } => WorkerEvent::AgentNote(format!(
                    "  {} candidate {index}: {summary}",
                    if *passed { "✓" } else { "·" }
                )),
                AgentEvent::Plan { .. } | AgentEvent::Finished { .. } => {
                    return;
                }
            };
            let _ = tx.send(event);
        });
        self.conversation = agent.into_conversation();
        // Save what the task added (the task, the model's answers, tool calls and results).
        let added: Vec<Message> = self.conversation.messages()[before..].to_vec();
        if let Some(w) = self.writer(added.len())? {
            for m in &added {
                w.append_message(m)?;
            }
        }
        let mut summary = format!("agent: {}", report.outcome.label());
        if let vibrant_agent::Outcome::Stuck { reason }
        | vibrant_agent::Outcome::Failed { message: reason } = &report.outcome
        {
            summary.push_str(&format!(" — {reason}"));
        }
        if !report.files.is_empty() {
            summary.push_str(&format!(" · {}", report.diffstat_line()));
            for f in &report.files {
                summary.push_str(&format!(
                    "\n  {} {} +{} -{}",
                    f.status, f.path, f.added, f.removed
                ));
            }
        }
        if let Some(v) = &report.verification {
            summary.push_str(&format!(
                "\nverified: {} ({})",
                if v.passed { "yes" } else { "NO" },
                v.summary
            ));
        }
        summary.push_str(&format!(
            "\n{} steps, {} tool calls, {:.1} s{}",
            report.steps,
            report.tool_calls,
            report.elapsed_secs,
            if report.files.is_empty() {
                ""
            } else {
                " · /undo restores the files"
            }
        ));
        let _ = tx.send(WorkerEvent::AgentFinished {
            summary,
            prompt_tokens: last_prompt,
            completion_tokens: report.completion_tokens,
        });
        Ok(())
    }

    /// Saves the question just asked (creating the session first when needed); the session id.
    fn save_question(&mut self) -> Result<Option<String>> {
        let last = self.conversation.messages().last().cloned();
        let Some(w) = self.writer(1)? else {
            return Ok(None);
        };
        if let Some(m) = &last {
            w.append_message(m)?;
        }
        Ok(Some(w.id().to_owned()))
    }

    fn ask(
        &mut self,
        question: String,
        explicit: &[String],
        cancel: &AtomicBool,
        tx: &Sender<WorkerEvent>,
    ) -> Result<()> {
        let gather = &mut self.gather;
        let mut context = (0, 0);
        let prepared = self.turn.prepare(
            &mut self.conversation,
            self.backend.as_mut(),
            &question,
            self.context_cap,
            |budget| gather(&question, budget, explicit),
            cancel,
            &mut |e| match e {
                TurnEvent::Context {
                    tokens, sources, ..
                } => context = (*tokens, sources.len()),
                TurnEvent::Compacting { .. } => {
                    let _ = tx.send(WorkerEvent::Note(
                        "the conversation no longer fits the window; summarising older turns…"
                            .to_owned(),
                    ));
                }
                TurnEvent::Compacted {
                    replaced,
                    before,
                    after,
                    ..
                } => {
                    let _ = tx.send(WorkerEvent::Note(format!(
                        "compacted {replaced} earlier messages into a summary ({before} → {after} prompt tokens)"
                    )));
                }
                _ => {}
            },
        )?;
        let session = match self.save_question() {
            Ok(s) => s,
            Err(e) => {
                self.conversation.pop();
                return Err(e);
            }
        };
        let _ = tx.send(WorkerEvent::Started {
            context_tokens: context.0,
            sources: context.1,
            prompt_tokens: prepared.prompt_tokens,
            window: prepared.window,
            pruned: prepared.pruned,
            session,
        });
        let completion = self.turn.answer(
            &mut self.conversation,
            self.backend.as_mut(),
            cancel,
            &mut |e| {
                if let TurnEvent::Delta { text } = e {
                    let _ = tx.send(WorkerEvent::Delta(text.clone()));
                }
            },
        )?;
        if !completion.text.is_empty() {
            let usage = serde_json::to_value(&completion.usage)?;
            if let Some(w) = self.writer(1)? {
                w.append(&SessionRecord::answer(
                    &completion.text,
                    completion.finish.label(),
                    Some(usage),
                ))?;
            }
        }
        if let FinishReason::Failed(m) = &completion.finish {
            tracing::warn!("the answer was cut off: {m}");
        }
        let _ = tx.send(WorkerEvent::Finished(completion));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use vibrant_core::{
        Backend, BackendError, Completion, CompletionRequest, Conversation, FinishReason,
        InjectedContext, Message, Role, SessionStore, Usage,
    };

    use super::{ChatEngine, Job, Saving, Worker, WorkerEvent};

    /// A backend that answers with scripted pieces; with `wait_for_cancel` it sends one piece
    /// and then waits for the cancel flag.
    struct Scripted {
        pieces: Vec<&'static str>,
        wait_for_cancel: bool,
        seen: Arc<std::sync::Mutex<Vec<Vec<Message>>>>,
        window: usize,
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
            cancel: &AtomicBool,
            on_delta: &mut dyn FnMut(&str),
        ) -> Result<Completion, BackendError> {
            self.seen.lock().unwrap().push(request.messages.to_vec());
            let mut text = String::new();
            let mut finish = FinishReason::Stop;
            for p in &self.pieces {
                on_delta(p);
                text.push_str(p);
                if self.wait_for_cancel {
                    let start = Instant::now();
                    while !cancel.load(Ordering::SeqCst)
                        && start.elapsed() < Duration::from_secs(20)
                    {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    finish = FinishReason::Cancelled;
                    break;
                }
            }
            Ok(Completion {
                tool_calls: Vec::new(),
                invalid_tool_calls: Vec::new(),
                text,
                finish,
                usage: Usage {
                    completion_tokens: Some(self.pieces.len()),
                    ..Usage::default()
                },
            })
        }
    }

    fn engine(backend: Scripted, saving: Saving) -> ChatEngine {
        ChatEngine {
            backend: Box::new(backend),
            conversation: Conversation::new("be brief"),
            system_prompt: "be brief".to_owned(),
            saving,
            gather: Box::new(|question: &str, _budget, explicit: &[String]| {
                Ok(InjectedContext {
                    text: format!("context for {question} from {}", explicit.join(",")),
                    tokens: 7,
                    ..InjectedContext::default()
                })
            }),
            turn: vibrant_core::Turn {
                max_tokens: 64,
                temperature: 0.0,
                top_k: 40,
                top_p: 1.0,
                min_p: 0.0,
                repeat_penalty: 1.0,
                seed: None,
                ..vibrant_core::Turn::default()
            },
            context_cap: 512,
            agent: None,
            agent_on: false,
            toolbox: None,
        }
    }

    fn next(w: &Worker) -> WorkerEvent {
        w.events.recv_timeout(Duration::from_secs(30)).unwrap()
    }

    #[test]
    fn a_full_turn_streams_deltas_and_is_saved() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::for_repo(dir.path(), dir.path());
        let seen = Arc::default();
        let backend = Scripted {
            pieces: vec!["Hello", ", ", "world."],
            wait_for_cancel: false,
            seen: Arc::clone(&seen),
            window: 4096,
        };
        let saving = Saving::New {
            store: store.clone(),
            kind: "embedded".to_owned(),
            model: "scripted".to_owned(),
        };
        let w = Worker::spawn(engine(backend, saving), Arc::new(AtomicBool::new(false))).unwrap();
        for round in 0..2 {
            w.jobs
                .send(Job::Ask {
                    question: format!("question {round}"),
                    explicit: vec!["src/main.rs".to_owned()],
                })
                .unwrap();
            let WorkerEvent::Started {
                context_tokens,
                window,
                session,
                ..
            } = next(&w)
            else {
                panic!("expected Started");
            };
            assert_eq!((context_tokens, window), (7, 4096));
            assert!(session.is_some());
            let mut text = String::new();
            let completion = loop {
                match next(&w) {
                    WorkerEvent::Delta(d) => text.push_str(&d),
                    WorkerEvent::Finished(c) => break c,
                    other => panic!("unexpected {other:?}"),
                }
            };
            assert_eq!(text, "Hello, world.");
            assert_eq!(completion.finish, FinishReason::Stop);
        }
        // The second request carried the first turn and the context of both questions.
        let seen = seen.lock().unwrap();
        let second = &seen[1];
        let roles: Vec<Role> = second.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [Role::System, Role::User, Role::Assistant, Role::User]
        );
        assert_eq!(second[2].content, "Hello, world.");
        assert!(
            second[3]
                .context
                .as_deref()
                .unwrap()
                .contains("src/main.rs")
        );
        // One session holds both turns.
        let ids = store.ids().unwrap();
        assert_eq!(ids.len(), 1);
        let loaded = store.load(&ids[0]).unwrap();
        let msgs = loaded.messages();
        assert_eq!(msgs.len(), 5);
        assert_eq!(msgs[3].content, "question 1");
        assert_eq!(msgs[4].content, "Hello, world.");
        w.shutdown();
    }

    #[test]
    fn cancel_keeps_the_partial_answer_and_clear_starts_over() {
        let seen = Arc::default();
        let backend = Scripted {
            pieces: vec!["partial", " never sent"],
            wait_for_cancel: true,
            seen: Arc::clone(&seen),
            window: 4096,
        };
        let cancel = Arc::new(AtomicBool::new(false));
        let w = Worker::spawn(engine(backend, Saving::Off), Arc::clone(&cancel)).unwrap();
        w.jobs
            .send(Job::Ask {
                question: "q".to_owned(),
                explicit: Vec::new(),
            })
            .unwrap();
        assert!(matches!(
            next(&w),
            WorkerEvent::Started { session: None, .. }
        ));
        assert!(matches!(next(&w), WorkerEvent::Delta(d) if d == "partial"));
        w.cancel.store(true, Ordering::SeqCst);
        let WorkerEvent::Finished(c) = next(&w) else {
            panic!("expected Finished");
        };
        assert_eq!(c.finish, FinishReason::Cancelled);
        assert_eq!(c.text, "partial");
        // The flag is cleared for the next job; after /clear only the system prompt remains.
        w.jobs.send(Job::Clear).unwrap();
        w.jobs
            .send(Job::Ask {
                question: "again".to_owned(),
                explicit: Vec::new(),
            })
            .unwrap();
        assert!(matches!(next(&w), WorkerEvent::Started { .. }));
        assert!(matches!(next(&w), WorkerEvent::Delta(_)));
        cancel.store(true, Ordering::SeqCst);
        assert!(matches!(next(&w), WorkerEvent::Finished(_)));
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen[1].len(),
            2,
            "after /clear: system prompt and the new question"
        );
        assert_eq!(seen[1][1].content, "again");
        drop(seen);
        w.shutdown();
    }

    #[test]
    fn a_conversation_too_long_for_the_window_is_compacted_with_notes() {
        let seen = Arc::default();
        let backend = Scripted {
            pieces: vec!["Hello", ", ", "world."],
            wait_for_cancel: false,
            seen: Arc::clone(&seen),
            window: 200,
        };
        let mut engine = engine(backend, Saving::Off);
        let long = vec!["w"; 60].join(" ");
        engine.conversation = Conversation::from_messages(vec![
            Message::system("be brief"),
            Message::user("q1"),
            Message::assistant(long.clone()),
            Message::user("q2"),
            Message::assistant(long),
        ]);
        let w = Worker::spawn(engine, Arc::new(AtomicBool::new(false))).unwrap();
        w.jobs
            .send(Job::Ask {
                question: "q3".to_owned(),
                explicit: Vec::new(),
            })
            .unwrap();
        assert!(matches!(next(&w), WorkerEvent::Note(n) if n.contains("summarising older turns")));
        let WorkerEvent::Note(note) = next(&w) else {
            panic!("expected the compaction note");
        };
        assert!(
            note.starts_with("compacted 4 earlier messages into a summary"),
            "{note}"
        );
        let WorkerEvent::Started {
            prompt_tokens,
            window,
            ..
        } = next(&w)
        else {
            panic!("expected Started");
        };
        assert_eq!(window, 200);
        assert!(prompt_tokens + 64 <= 200, "{prompt_tokens}");
        let completion = loop {
            match next(&w) {
                WorkerEvent::Delta(_) => {}
                WorkerEvent::Finished(c) => break c,
                other => panic!("unexpected {other:?}"),
            }
        };
        assert_eq!(completion.text, "Hello, world.");
        // The answer was asked with the summary instead of the older turns.
        let seen = seen.lock().unwrap();
        let roles: Vec<Role> = seen[1].iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [Role::System, Role::User, Role::Assistant, Role::User]
        );
        assert!(seen[1][1].content.contains("Hello, world."));
        assert_eq!(seen[1][3].content, "q3");
        drop(seen);
        w.shutdown();
    }

    /// A model that edits a file (tool call), then says it is done.
    struct Editor {
        step: usize,
    }

    impl Backend for Editor {
        fn describe(&self) -> String {
            "editor".to_owned()
        }
        fn context_window(&self) -> usize {
            8192
        }
        fn count_tokens(&self, text: &str) -> usize {
            text.len() / 4 + 1
        }
        fn count_prompt(&self, messages: &[Message]) -> Result<usize, BackendError> {
            Ok(messages.iter().map(|m| m.content.len() / 4 + 4).sum())
        }
        fn complete(
            &mut self,
            request: &CompletionRequest<'_>,
            _cancel: &AtomicBool,
            on_delta: &mut dyn FnMut(&str),
        ) -> Result<Completion, BackendError> {
            assert!(!request.tools.is_empty(), "agent mode sends the tools");
            self.step += 1;
            let (text, tool_calls) = if self.step == 1 {
                (
                    "I will fix the greeting.".to_owned(),
                    vec![vibrant_core::ToolCall {
                        id: "call_1".to_owned(),
                        name: "edit_file".to_owned(),
                        arguments: serde_json::json!({
                            "path": "hello.txt", "old_string": "helo", "new_string": "hello"
                        }),
                    }],
                )
            } else {
                ("Fixed the typo.".to_owned(), Vec::new())
            };
            on_delta(&text);
            Ok(Completion {
                text,
                tool_calls,
                invalid_tool_calls: Vec::new(),
                finish: FinishReason::Stop,
                usage: Usage::default(),
            })
        }
    }

    #[test]
    fn agent_mode_asks_applies_and_undoes() {
        let ws = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        std::fs::write(ws.path().join("hello.txt"), "helo world\n").unwrap();
        let mut toolbox = vibrant_tools::ToolboxConfig::new(ws.path(), state.path());
        toolbox.approval = vibrant_tools::ApprovalMode::Suggest;
        let (decide, decisions) = std::sync::mpsc::channel();
        let mut engine = engine(
            Scripted {
                pieces: Vec::new(),
                wait_for_cancel: false,
                seen: Arc::default(),
                window: 4096,
            },
            Saving::Off,
        );
        engine.backend = Box::new(Editor { step: 0 });
        engine.agent = Some(super::AgentSetup {
            toolbox,
            config: vibrant_agent::AgentConfig {
                verify: vibrant_agent::Verify::Off,
                ..vibrant_agent::AgentConfig::default()
            },
            system_prompt: "you are an agent".to_owned(),
            decisions,
        });
        let w = Worker::spawn(engine, Arc::new(AtomicBool::new(false))).unwrap();
        w.jobs.send(Job::AgentMode(true)).unwrap();
        assert!(
            matches!(next(&w), WorkerEvent::Note(n) if n.starts_with("agent mode on (suggest)"))
        );
        w.jobs
            .send(Job::Agent {
                task: "fix the typo in hello.txt".to_owned(),
            })
            .unwrap();
        assert!(matches!(next(&w), WorkerEvent::Delta(d) if d.contains("fix the greeting")));
        assert!(matches!(next(&w), WorkerEvent::AgentNote(n) if n.starts_with("→ edit_file")));
        // Suggest mode: the edit waits for the user's answer, with the diff.
        let WorkerEvent::Approval(vibrant_tools::ApprovalRequest::Edit { diff, .. }) = next(&w)
        else {
            panic!("expected an approval request");
        };
        assert!(diff.contains("+hello world"));
        decide.send(vibrant_tools::Decision::Approve).unwrap();
        assert!(matches!(next(&w), WorkerEvent::AgentNote(n) if n.contains("```diff")));
        assert!(matches!(next(&w), WorkerEvent::Delta(d) if d == "Fixed the typo."));
        let WorkerEvent::AgentFinished { summary, .. } = next(&w) else {
            panic!("expected the end of the task");
        };
        assert!(summary.starts_with("agent: done"), "{summary}");
        assert!(summary.contains("hello.txt +1 -1"), "{summary}");
        assert_eq!(
            std::fs::read_to_string(ws.path().join("hello.txt")).unwrap(),
            "hello world\n"
        );
        // /undo restores the file.
        w.jobs.send(Job::Undo(1)).unwrap();
        assert!(matches!(next(&w), WorkerEvent::Note(n) if n.starts_with("undid 1 agent turn")));
        assert_eq!(
            std::fs::read_to_string(ws.path().join("hello.txt")).unwrap(),
            "helo world\n"
        );
        w.shutdown();
    }
}
