//! `vibrant chat`: a full-screen conversation about the repository. The screen state lives in
//! [`crate::tui::App`] (pure, tested with rendered frames); generation runs on the
//! [`crate::tui::Worker`] thread. Logs go to `<state_dir>/logs/chat.log` while the screen is up.
//! Sessions are saved as `ask` saves them; `--continue` / `--resume ID` reload one.

use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use vibrant_agent::{AgentConfig, Verify};
use vibrant_core::prompt::SYSTEM_PROMPT;
use vibrant_core::{Conversation, FinishReason, InjectOptions, Turn};
use vibrant_tools::{ApprovalRequest, Decision};

use crate::commands::Context;
use crate::commands::index::{index_options, repo_root, update_index};
use crate::commands::run::RunDefaults;
use crate::tui::{
    Action, AgentSetup, App, Author, ChatEngine, Event, Job, Saving, SlashCommand, Status, Worker,
    WorkerEvent,
};

/// Default cap on repository context per question, in tokens.
const DEFAULT_CONTEXT_TOKENS: usize = 1536;
const SUMMARY_TOKENS: usize = 300;

/// Arguments of `vibrant chat`.
#[derive(Debug, clap::Args)]
pub struct ChatArgs {
    /// The model (embedded: as for `vibrant run`; openai/ollama: the server's model name).
    #[arg(short = 'm', long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Download the chosen model without asking.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Continue the latest session of this repository.
    #[arg(short = 'c', long = "continue", conflicts_with = "resume")]
    pub continue_: bool,
    /// Continue the session with this id (or unique prefix).
    #[arg(long, value_name = "ID")]
    pub resume: Option<String>,
    /// Files, directories or globs sent with every question (also /context add).
    #[arg(
        long = "context",
        value_name = "PATH",
        value_delimiter = ',',
        conflicts_with = "no_context"
    )]
    pub context: Vec<String>,
    /// Send no repository context.
    #[arg(long)]
    pub no_context: bool,
    /// Most tokens of repository context per question (default 1536).
    #[arg(long, value_name = "N")]
    pub context_tokens: Option<usize>,
    /// Do not save the conversation in a session.
    #[arg(long)]
    pub no_session: bool,
    /// Most tokens per answer (default: config generation.max_tokens).
    #[arg(short = 'n', long = "max-tokens", value_name = "N")]
    pub max_tokens: Option<usize>,
    /// Sampling temperature (0 = greedy; default: config generation.temperature).
    #[arg(long = "temp", value_name = "T")]
    pub temperature: Option<f32>,
    /// RNG seed.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Context window in tokens (default: config model.context_length).
    #[arg(long = "ctx", value_name = "N")]
    pub ctx: Option<usize>,
    /// Worker threads for the embedded engine.
    #[arg(short = 't', long, value_name = "N")]
    pub threads: Option<usize>,
}

/// `PATH` as `ask --context` takes it: globs as typed, paths made absolute.
fn resolve_path(path: &str) -> Result<String> {
    if path.contains(['*', '?', '[', '{']) {
        return Ok(path.to_owned());
    }
    Ok(std::env::current_dir()?
        .join(path)
        .to_string_lossy()
        .into_owned())
}

pub fn run(ctx: &Context, args: ChatArgs) -> Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!(
            "vibrant chat needs a terminal\nhint: use `vibrant ask QUESTION` in scripts and pipes"
        );
    }
    let defaults = RunDefaults::from_context(ctx)?;
    let config = ctx.config()?;
    let n_ctx = args.ctx.unwrap_or(defaults.ctx);
    let threads = args.threads.unwrap_or(defaults.threads);
    let (backend, counter, kind, model_name) =
        super::backend::make_backend(ctx, args.model.as_deref(), args.yes, n_ctx, threads)?;
    let window = backend.context_window();
    let describe = backend.describe();

    // The conversation and where it is saved.
    let want_session = args.continue_ || args.resume.is_some();
    let store = if args.no_session && !want_session {
        None
    } else {
        Some(super::sessions::store(ctx)?)
    };
    let mut restored = Vec::new();
    let (conversation, saving, session_id) = match store {
        Some(store) if want_session => {
            let id = super::sessions::resolve(&store, args.resume.as_deref().unwrap_or("latest"))?;
            let loaded = store.load(&id)?;
            if let Some(r) = &loaded.repaired {
                restored.push((Author::Note, format!("note: {r}")));
            }
            for (line, e) in &loaded.skipped {
                restored.push((
                    Author::Error,
                    format!("session {id}: skipped damaged line {line}: {e}"),
                ));
            }
            let messages = loaded.messages();
            for m in &messages {
                let author = match m.role {
                    vibrant_core::Role::User => Author::User,
                    vibrant_core::Role::Assistant => Author::Assistant,
                    _ => continue,
                };
                restored.push((author, m.content.clone()));
            }
            let saving = if args.no_session {
                Saving::Off
            } else {
                Saving::Existing {
                    writer: store.append_to(&id)?,
                    store,
                    kind: kind.to_owned(),
                    model: model_name.clone(),
                }
            };
            (Conversation::from_messages(messages), saving, Some(id))
        }
        Some(store) => (
            Conversation::new(SYSTEM_PROMPT),
            Saving::New {
                store,
                kind: kind.to_owned(),
                model: model_name.clone(),
            },
            None,
        ),
        None => (Conversation::new(SYSTEM_PROMPT), Saving::Off, None),
    };

    // Repository context: the index is brought up to date once, before the screen opens.
    let index = if args.no_context {
        None
    } else {
        let root = repo_root(None)?;
        let opts = index_options(ctx)?;
        Some(update_index(&root, &opts, ctx.global.quiet == 0)?.0)
    };
    let no_context = args.no_context;
    let gather = Box::new(move |question: &str, budget: usize, explicit: &[String]| {
        if no_context && explicit.is_empty() {
            return Ok(vibrant_core::InjectedContext::default());
        }
        Ok(vibrant_core::gather(
            index.as_ref(),
            question,
            &InjectOptions {
                budget,
                explicit: explicit.to_vec(),
                piped: None,
                summary: !no_context,
                summary_tokens: SUMMARY_TOKENS,
            },
            counter.as_ref(),
        )?)
    });
    let sampler = &defaults.sampler;
    // Agent mode (`/agent on`): the same tools, sandbox and checkpoints as `vibrant agent`.
    let (decisions_tx, decisions_rx) = std::sync::mpsc::channel();
    let agent = match super::agent::agent_setup(ctx, &sampler_agent_config(ctx, &defaults)?) {
        Ok((toolbox, config, system_prompt)) => Some(AgentSetup {
            toolbox,
            config,
            system_prompt,
            decisions: decisions_rx,
        }),
        Err(e) => {
            tracing::warn!("agent mode unavailable: {e:#}");
            None
        }
    };
    let engine = ChatEngine {
        backend,
        conversation,
        system_prompt: SYSTEM_PROMPT.to_owned(),
        saving,
        gather,
        turn: Turn {
            max_tokens: args.max_tokens.unwrap_or(defaults.max_tokens).max(1),
            temperature: args.temperature.unwrap_or(sampler.temperature),
            top_k: sampler.top_k,
            top_p: sampler.top_p,
            min_p: sampler.min_p,
            repeat_penalty: sampler.repeat_penalty,
            seed: args.seed.or(sampler.seed),
            ..Turn::default()
        },
        context_cap: args.context_tokens.unwrap_or(DEFAULT_CONTEXT_TOKENS),
        agent,
        agent_on: false,
        toolbox: None,
    };
    let mut explicit = args
        .context
        .iter()
        .map(|p| resolve_path(p))
        .collect::<Result<Vec<_>>>()?;

    let mut app = App::new(
        Status {
            model: short_model_name(&model_name),
            backend: kind.to_owned(),
            used_tokens: 0,
            window,
            tokens_per_second: None,
            session: session_id,
            agent: false,
        },
        ctx.color.stdout,
    );
    for (author, text) in restored {
        app.push(author, text);
    }
    let worker = Worker::spawn(engine, super::model::interrupt_flag())?;

    let log_path = config
        .paths
        .state_dir
        .as_ref()
        .map(|d| d.join("logs").join("chat.log"));
    if let Some(p) = &log_path {
        crate::logging::redirect_to_file(p)?;
    }
    let mut terminal = match ratatui::try_init() {
        Ok(t) => t,
        Err(e) => {
            ratatui::restore();
            crate::logging::restore_stderr();
            worker.shutdown();
            return Err(e).context("setting up the terminal for the chat screen");
        }
    };
    let _ = execute!(
        std::io::stdout(),
        EnableMouseCapture,
        event::EnableBracketedPaste
    );
    let mut chat = Chat {
        app: &mut app,
        worker: &worker,
        decisions: decisions_tx,
        explicit: &mut explicit,
        ctx,
        describe: &describe,
        busy: false,
    };
    let result = chat.run_loop(&mut terminal);
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        event::DisableBracketedPaste
    );
    ratatui::restore();
    crate::logging::restore_stderr();
    worker.shutdown();
    result
}

/// The UI loop's state.
struct Chat<'a> {
    app: &'a mut App,
    worker: &'a Worker,
    /// Answers to the agent's approval requests.
    decisions: std::sync::mpsc::Sender<Decision>,
    explicit: &'a mut Vec<String>,
    ctx: &'a Context,
    describe: &'a str,
    /// A job is running on the worker.
    busy: bool,
}

impl Chat<'_> {
    fn run_loop(&mut self, terminal: &mut ratatui::DefaultTerminal) -> Result<()> {
        loop {
            terminal
                .draw(|f| self.app.render(f))
                .context("drawing the screen")?;
            let mut events = Vec::new();
            if event::poll(Duration::from_millis(40)).context("reading the terminal")? {
                events.push(event::read().context("reading the terminal")?);
                while event::poll(Duration::ZERO)? {
                    events.push(event::read()?);
                }
            }
            for e in events {
                let ev = match e {
                    event::Event::Key(k) => Event::Key(k),
                    event::Event::Mouse(m) => Event::Mouse(m),
                    event::Event::Paste(p) => Event::Paste(p),
                    event::Event::Resize(..) => {
                        let _ = terminal.autoresize();
                        Event::Resize
                    }
                    _ => continue,
                };
                let action = self.app.update(ev);
                if self.act(action)? {
                    return Ok(());
                }
            }
            while let Ok(ev) = self.worker.events.try_recv() {
                self.on_worker(ev);
            }
        }
    }

    /// Handles an action; true to quit.
    fn act(&mut self, action: Action) -> Result<bool> {
        match action {
            Action::None => {}
            Action::Quit => return Ok(true),
            Action::Cancel => self.worker.cancel.store(true, Ordering::SeqCst),
            Action::Decide(yes) => {
                let decision = if yes {
                    Decision::Approve
                } else {
                    Decision::Deny { reason: None }
                };
                let _ = self.decisions.send(decision);
                if !yes
                    && self
                        .app
                        .notice
                        .as_deref()
                        .is_some_and(|n| n.contains("stopping"))
                {
                    self.worker.cancel.store(true, Ordering::SeqCst);
                }
            }
            Action::Submit(question) => {
                self.busy = true;
                if self.app.status.agent {
                    self.send(Job::Agent { task: question })?;
                } else {
                    self.send(Job::Ask {
                        question,
                        explicit: self.explicit.clone(),
                    })?;
                }
            }
            Action::Command(cmd) => self.command(cmd)?,
        }
        Ok(false)
    }

    fn send(&self, job: Job) -> Result<()> {
        self.worker
            .jobs
            .send(job)
            .map_err(|_| anyhow::anyhow!("the generation thread stopped (see the log file)"))
    }

    fn command(&mut self, cmd: SlashCommand) -> Result<()> {
        let note = |app: &mut App, text: String| app.push(Author::Note, text);
        match cmd {
            SlashCommand::Help | SlashCommand::Exit => {}
            SlashCommand::Agent(None) => {
                let state = if self.app.status.agent { "on" } else { "off" };
                note(self.app, format!("agent mode is {state} (/agent on|off)"));
            }
            SlashCommand::Agent(Some(on)) => {
                if self.busy {
                    self.app.notice = Some("wait for the answer to finish".to_owned());
                } else {
                    self.app.status.agent = on;
                    self.send(Job::AgentMode(on))?;
                }
            }
            SlashCommand::Undo(n) => {
                if self.busy {
                    self.app.notice = Some("wait for the agent to finish".to_owned());
                } else {
                    self.send(Job::Undo(n))?;
                }
            }
            SlashCommand::Clear => {
                self.app.status.session = None;
                self.send(Job::Clear)?;
            }
            SlashCommand::Compact => {
                if self.busy {
                    self.app.notice = Some("wait for the answer first".to_owned());
                } else {
                    self.busy = true;
                    self.app.notice = Some("compacting…".to_owned());
                    self.send(Job::Compact)?;
                }
            }
            SlashCommand::Save(path) => {
                let text = self.app.to_markdown();
                match std::fs::write(&path, text) {
                    Ok(()) => note(
                        self.app,
                        format!("saved the conversation to {}", path.display()),
                    ),
                    Err(e) => self
                        .app
                        .push(Author::Error, format!("writing {}: {e}", path.display())),
                }
            }
            SlashCommand::ContextAdd(p) => {
                let p = resolve_path(&p)?;
                if !self.explicit.contains(&p) {
                    self.explicit.push(p.clone());
                }
                note(self.app, format!("sending {p} with every question"));
            }
            SlashCommand::ContextRm(p) => {
                let abs = resolve_path(&p)?;
                let before = self.explicit.len();
                self.explicit.retain(|e| *e != abs && *e != p);
                let msg = if self.explicit.len() < before {
                    format!("no longer sending {p}")
                } else {
                    format!("{p} was not in the context list")
                };
                note(self.app, msg);
            }
            SlashCommand::ContextList => {
                let msg = if self.explicit.is_empty() {
                    "no explicit context paths (the project summary and search results are still sent)".to_owned()
                } else {
                    format!("context paths:\n{}", self.explicit.join("\n"))
                };
                note(self.app, msg);
            }
            SlashCommand::Sessions => {
                let msg = match super::sessions::store(self.ctx).and_then(|s| Ok(s.list()?)) {
                    Ok(list) if list.is_empty() => "no saved sessions yet".to_owned(),
                    Ok(list) => {
                        let mut lines =
                            vec!["sessions (resume with vibrant chat --resume ID):".to_owned()];
                        for s in list.iter().rev().take(15) {
                            let i = &s.info;
                            lines.push(format!(
                                "{}  {}  {:>3} msgs  {}",
                                i.id, i.created, i.messages, i.title
                            ));
                        }
                        lines.join("\n")
                    }
                    Err(e) => format!("cannot list sessions: {e:#}"),
                };
                note(self.app, msg);
            }
            SlashCommand::Copy => match self.app.last_code_block() {
                Some(code) => {
                    let mut out = std::io::stdout();
                    write!(out, "\x1b]52;c;{}\x07", base64(code.as_bytes()))?;
                    out.flush()?;
                    self.app.notice =
                        Some(format!("copied {} lines (OSC 52)", code.lines().count()));
                }
                None => self.app.notice = Some("no code block to copy yet".to_owned()),
            },
            SlashCommand::Model => {
                let s = &self.app.status;
                let msg = format!("{} · context window {} tokens", self.describe, s.window);
                note(self.app, msg);
            }
        }
        Ok(())
    }

    fn on_worker(&mut self, ev: WorkerEvent) {
        let app = &mut *self.app;
        match ev {
            WorkerEvent::Started {
                context_tokens,
                sources,
                prompt_tokens,
                window,
                pruned,
                session,
            } => {
                app.status.used_tokens = prompt_tokens;
                app.status.window = window;
                app.status.session = session.or(app.status.session.take());
                let mut n = format!("context: {context_tokens} tokens from {sources} sources");
                if pruned > 0 {
                    n.push_str(&format!(" · pruned {pruned} earlier"));
                }
                app.notice = Some(n);
            }
            WorkerEvent::Delta(d) => app.delta(&d),
            WorkerEvent::Finished(c) => {
                self.busy = false;
                app.notice = None;
                app.status.used_tokens += c.usage.completion_tokens.unwrap_or(0);
                app.status.tokens_per_second = c.usage.decode_tps();
                let note = match &c.finish {
                    FinishReason::Cancelled => {
                        Some("stopped; the partial answer is kept".to_owned())
                    }
                    FinishReason::Failed(m) => Some(format!("the answer was cut off: {m}")),
                    FinishReason::ContextFull => {
                        Some("the context window filled up; try /compact or /clear".to_owned())
                    }
                    FinishReason::Length => {
                        Some("the answer reached the token limit (--max-tokens)".to_owned())
                    }
                    FinishReason::Stop => None,
                };
                app.finish(note);
            }
            WorkerEvent::Note(n) => {
                if !app.streaming {
                    self.busy = false;
                }
                app.notice = None;
                app.push(Author::Note, n);
            }
            WorkerEvent::Failed(e) => {
                self.busy = false;
                app.finish(None);
                app.push(Author::Error, e);
            }
            WorkerEvent::AgentNote(n) => app.agent_note(n),
            WorkerEvent::Approval(request) => app.ask_approval(describe_request(&request)),
            WorkerEvent::AgentFinished {
                summary,
                prompt_tokens,
                completion_tokens,
            } => {
                self.busy = false;
                app.notice = None;
                app.status.used_tokens = prompt_tokens;
                let _ = completion_tokens;
                app.finish(Some(summary));
            }
        }
    }
}

/// The agent's limits in chat: the configured ones, greedy sampling.
fn sampler_agent_config(ctx: &Context, defaults: &RunDefaults) -> Result<AgentConfig> {
    let config = ctx.config()?;
    Ok(AgentConfig {
        max_steps: config.agent.max_steps as usize,
        max_reflections: config.agent.max_reflections as usize,
        verify: Verify::parse(&config.agent.verify).unwrap_or_default(),
        answer_tokens: defaults.max_tokens.clamp(64, 1024),
        constrain_tools: config.agent.constrained,
        top_k: defaults.sampler.top_k,
        top_p: defaults.sampler.top_p,
        min_p: defaults.sampler.min_p,
        seed: defaults.sampler.seed,
        candidates: super::agent::candidate_config(&config.agent, None),
        ..AgentConfig::default()
    })
}

/// An approval request as the scrollback shows it.
fn describe_request(request: &ApprovalRequest) -> String {
    match request {
        ApprovalRequest::Edit { tool, paths, diff } => format!(
            "approve? {tool} wants to change {}:\n```diff\n{}\n```\npress y to apply, n to refuse",
            paths.join(", "),
            diff.trim_end()
        ),
        ApprovalRequest::Command {
            command,
            cwd,
            sandbox,
        } => format!(
            "approve? run in {cwd} ({sandbox}):\n    {command}\npress y to run, n to refuse"
        ),
    }
}

/// A model given as a path is shown by its file name (without `.gguf`) in the status line.
fn short_model_name(name: &str) -> String {
    if !name.contains(std::path::MAIN_SEPARATOR) && !name.ends_with(".gguf") {
        return name.to_owned();
    }
    let file = std::path::Path::new(name)
        .file_name()
        .map_or_else(|| name.to_owned(), |f| f.to_string_lossy().into_owned());
    file.strip_suffix(".gguf")
        .map(str::to_owned)
        .unwrap_or(file)
}

/// Standard base64 (for OSC 52).
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn model_paths_are_shortened_for_the_status_line() {
        assert_eq!(
            super::short_model_name("/models/qwen2.5-coder-0.5b-q8_0.gguf"),
            "qwen2.5-coder-0.5b-q8_0"
        );
        assert_eq!(
            super::short_model_name("qwen2.5-coder:1.5b"),
            "qwen2.5-coder:1.5b"
        );
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(plain.as_bytes()), enc);
        }
    }
}
