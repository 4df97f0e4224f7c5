//! `vibrant ask QUESTION`: answers one question about the repository and exits. The answer
//! streams to stdout (on a terminal its markdown is rendered, code blocks syntax-highlighted a
//! line at a time; plain text when piped or under `NO_COLOR`), the context sources and
//! statistics go to stderr; `--json` prints JSONL events instead. Every question and answer is appended to a session (see
//! `vibrant sessions`). Exit codes: 0 answered, 1 error (including a stream that broke midway;
//! the partial answer is printed and saved), 2 usage error, 130 interrupted by Ctrl-C (what was
//! printed is kept and saved).
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command: output is its job

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use anyhow::{Context as _, Result, bail};
use vibrant_core::prompt::SYSTEM_PROMPT;
use vibrant_core::{
    Conversation, FinishReason, InjectOptions, SessionRecord, SessionWriter, Turn, TurnEvent,
};

use crate::commands::Context;
use crate::commands::index::{index_options, repo_root, update_index};
use crate::commands::run::RunDefaults;
use crate::highlight::MarkdownStream;

/// Default cap on repository context, in tokens (prefill is the slow part on a CPU).
const DEFAULT_CONTEXT_TOKENS: usize = 1536;
/// Most tokens the project summary takes of that.
const SUMMARY_TOKENS: usize = 300;

/// Arguments of `vibrant ask`.
#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// The question (several words are joined with spaces).
    #[arg(required = true, num_args = 1.., value_name = "QUESTION")]
    pub question: Vec<String>,
    /// Files, directories or globs to include first (repeatable, or comma-separated).
    #[arg(
        long = "context",
        value_name = "PATH",
        value_delimiter = ',',
        conflicts_with = "no_context"
    )]
    pub context: Vec<String>,
    /// Send no repository context (piped stdin is still used).
    #[arg(long)]
    pub no_context: bool,
    /// Most tokens of repository context (default 1536, less when the window is small).
    #[arg(long, value_name = "N")]
    pub context_tokens: Option<usize>,
    /// The model (embedded: as for `vibrant run`; openai/ollama: the server's model name).
    #[arg(short = 'm', long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Download the chosen model without asking.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Also write the answer to FILE (markdown).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Print JSONL events on stdout: start, context, prompt, delta, usage, end.
    #[arg(long)]
    pub json: bool,
    /// Print the answer when it is complete instead of streaming it.
    #[arg(long)]
    pub no_stream: bool,
    /// Continue the latest session of this repository (its history is sent again).
    #[arg(short = 'c', long = "continue", conflicts_with = "resume")]
    pub continue_: bool,
    /// Continue the session with this id (or unique prefix).
    #[arg(long, value_name = "ID")]
    pub resume: Option<String>,
    /// Do not read stdin even when it is not a terminal.
    #[arg(long)]
    pub no_stdin: bool,
    /// Do not save this question and answer in a session.
    #[arg(long)]
    pub no_session: bool,
    /// Most tokens in the answer (default: config generation.max_tokens).
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
    /// Do not print statistics to stderr at the end.
    #[arg(long)]
    pub no_stats: bool,
}

/// Where output goes: text or JSONL events on stdout.
struct Out {
    json: bool,
    stream: bool,
    /// Renders the answer's markdown for a terminal (code highlighted); plain when piped.
    markdown: MarkdownStream,
    out: std::io::Stdout,
    write_err: Option<std::io::Error>,
}

impl Out {
    /// Writes `event` as a JSON line (in `--json` mode).
    fn event(&mut self, event: &TurnEvent) {
        if self.json {
            match serde_json::to_string(event) {
                Ok(line) => self.write(&format!("{line}\n")),
                Err(e) => tracing::warn!("could not write an event as JSON: {e}"),
            }
        }
    }

    /// Writes a piece of the answer (through the markdown renderer).
    fn answer(&mut self, delta: &str) {
        let rendered = self.markdown.push(delta);
        if !rendered.is_empty() {
            self.write(&rendered);
        }
    }

    fn write(&mut self, s: &str) {
        if self.write_err.is_some() {
            return;
        }
        let mut lock = self.out.lock();
        if let Err(e) = lock.write_all(s.as_bytes()).and_then(|()| lock.flush()) {
            self.write_err = Some(e);
        }
    }
}

/// Deletes a new session when dropped, unless [`DiscardSession::keep`] was called.
struct DiscardSession {
    store: vibrant_core::SessionStore,
    id: String,
    keep: bool,
}

impl DiscardSession {
    fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for DiscardSession {
    fn drop(&mut self) {
        if !self.keep
            && let Err(e) = self.store.remove(&self.id)
        {
            tracing::warn!("could not remove the unused session {}: {e}", self.id);
        }
    }
}

/// The notes on stderr that go with a turn's events (text mode).
fn notes(event: &TurnEvent, window: usize) {
    match event {
        TurnEvent::Compacting { .. } => eprintln!(
            "note: the conversation does not fit the {window}-token window; summarising older turns…"
        ),
        TurnEvent::Compacted {
            replaced,
            left_out,
            before,
            after,
        } => eprintln!(
            "note: compacted {replaced} earlier messages into a summary ({before} → {after} prompt tokens){}",
            if *left_out > 0 {
                format!("; the {left_out} oldest were too long to summarise")
            } else {
                String::new()
            }
        ),
        TurnEvent::Context {
            tokens, sources, ..
        } => {
            if sources.is_empty() {
                eprintln!("context: none");
            } else {
                eprintln!("context: {tokens} tokens from {} sources", sources.len());
                for s in sources {
                    eprintln!("  {:>5} tok  {:<10} {}", s.tokens, s.kind, s.label());
                }
            }
        }
        _ => {}
    }
}

fn read_piped_stdin() -> Result<Option<String>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut s = String::new();
    stdin
        .lock()
        .read_to_string(&mut s)
        .context("reading piped input from stdin")?;
    Ok((!s.trim().is_empty()).then_some(s))
}

pub fn run(ctx: &Context, args: AskArgs) -> Result<()> {
    let defaults = RunDefaults::from_context(ctx)?;
    let question = args.question.join(" ");
    if question.trim().is_empty() {
        bail!("the question is empty");
    }
    let show = ctx.global.quiet == 0;
    let piped = if args.no_stdin {
        None
    } else {
        read_piped_stdin()?
    };
    let cancel = super::model::interrupt_flag();
    let sampler = &defaults.sampler;
    let turn = Turn {
        max_tokens: args.max_tokens.unwrap_or(defaults.max_tokens).max(1),
        temperature: args.temperature.unwrap_or(sampler.temperature),
        top_k: sampler.top_k,
        top_p: sampler.top_p,
        min_p: sampler.min_p,
        repeat_penalty: sampler.repeat_penalty,
        seed: args.seed.or(sampler.seed),
        ..Turn::default()
    };
    let n_ctx = args.ctx.unwrap_or(defaults.ctx);

    // The backend, and a token counter for the context budget.
    let threads = args.threads.unwrap_or(defaults.threads);
    let (mut backend, counter, kind, model_name) =
        super::backend::make_backend(ctx, args.model.as_deref(), args.yes, n_ctx, threads)?;
    let window = backend.context_window();
    let answer_tokens = turn.answer_tokens(window);

    // The conversation: new, or a saved session continued.
    let want_session = args.continue_ || args.resume.is_some();
    let store = if args.no_session && !want_session {
        None
    } else {
        Some(super::sessions::store(ctx)?)
    };
    // A new session is deleted again if the answer never starts (refused connection, prompt too
    // long…), so failures leave no empty sessions behind.
    let mut discard: Option<DiscardSession> = None;
    let (mut conv, mut writer): (Conversation, Option<SessionWriter>) = match &store {
        Some(store) if want_session => {
            let id = super::sessions::resolve(store, args.resume.as_deref().unwrap_or("latest"))?;
            let loaded = store.load(&id)?;
            if let Some(r) = &loaded.repaired {
                eprintln!("note: {r}");
            }
            for (line, e) in &loaded.skipped {
                eprintln!("warning: session {id}: skipped damaged line {line}: {e}");
            }
            let writer = (!args.no_session)
                .then(|| store.append_to(&id))
                .transpose()?;
            (Conversation::from_messages(loaded.messages()), writer)
        }
        Some(store) => {
            let mut writer = store.create(kind, &model_name)?;
            discard = Some(DiscardSession {
                store: store.clone(),
                id: writer.id().to_owned(),
                keep: false,
            });
            let conv = Conversation::new(SYSTEM_PROMPT);
            for m in conv.messages() {
                writer.append_message(m)?;
            }
            (conv, Some(writer))
        }
        None => (Conversation::new(SYSTEM_PROMPT), None),
    };

    let mut out = Out {
        json: args.json,
        stream: !args.no_stream,
        markdown: MarkdownStream::new(ctx.color.stdout && !args.json),
        out: std::io::stdout(),
        write_err: None,
    };
    out.event(&TurnEvent::Start {
        session: writer.as_ref().map(|w| w.id().to_owned()),
        backend: backend.describe(),
        model: model_name.clone(),
        window,
        max_tokens: answer_tokens,
    });

    // Context: piped input, project summary, assembled snippets, within what the window leaves.
    let piped_tokens = piped.as_deref().map_or(0, |p| counter.count(p) + 8);
    let cap = args.context_tokens.unwrap_or(DEFAULT_CONTEXT_TOKENS);
    let index = if args.no_context {
        None
    } else {
        let root = repo_root(None)?;
        let opts = index_options(ctx)?;
        Some(update_index(&root, &opts, show && !args.json)?.0)
    };
    let cwd = std::env::current_dir()?;
    let explicit: Vec<String> = args
        .context
        .iter()
        .map(|c| {
            if c.contains(['*', '?', '[', '{']) {
                c.clone()
            } else {
                cwd.join(c).to_string_lossy().into_owned()
            }
        })
        .collect();
    let gather = |budget| {
        vibrant_core::gather(
            index.as_ref(),
            &question,
            &InjectOptions {
                budget,
                explicit,
                piped,
                summary: true,
                summary_tokens: SUMMARY_TOKENS,
            },
            counter.as_ref(),
        )
    };
    // The turn: attach the context, fit the window (summarising older turns of a long
    // continued session), then stream the answer.
    let text = show && !args.json;
    let prepared = turn.prepare(
        &mut conv,
        backend.as_mut(),
        &question,
        cap + piped_tokens,
        gather,
        &cancel,
        &mut |e| {
            out.event(e);
            if text {
                notes(e, window);
            }
        },
    )?;
    if prepared.pruned > 0 && show {
        eprintln!(
            "note: removed the repository context of {} earlier message(s) to fit the {}-token window",
            prepared.pruned, window
        );
    }
    if let (Some(w), Some(m)) = (writer.as_mut(), conv.messages().last()) {
        w.append_message(m)?;
    }

    let completion = turn.answer(&mut conv, backend.as_mut(), &cancel, &mut |e| {
        match e {
            TurnEvent::Delta { text } if !out.json && out.stream => out.answer(text),
            TurnEvent::Usage(_) => {} // after the answer is saved, below
            _ => out.event(e),
        }
        if out.write_err.is_some() {
            cancel.store(true, Ordering::Relaxed);
        }
    })?;
    if let Some(d) = discard.take() {
        d.keep();
    }
    // A closed pipe (`vibrant ask … | head -3`) stops the answer; it still gets saved, and the
    // command exits 0 as every command does on a closed pipe.
    let broken_pipe = match out.write_err.take() {
        Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            out.write_err = Some(e);
            true
        }
        Some(e) => return Err(e).context("writing to stdout"),
        None => false,
    };
    if !broken_pipe && !out.json {
        if !out.stream {
            out.answer(&completion.text);
        }
        let rest = out.markdown.finish();
        out.write(&rest);
        if !completion.text.is_empty() && !completion.text.ends_with('\n') {
            out.write("\n");
        }
    }

    let usage = serde_json::to_value(&completion.usage)?;
    if let Some(w) = writer.as_mut()
        && !completion.text.is_empty()
    {
        w.append(&SessionRecord::answer(
            &completion.text,
            completion.finish.label(),
            Some(usage),
        ))?;
    }
    if let Some(path) = &args.save {
        std::fs::write(path, format!("{}\n", completion.text.trim_end()))
            .with_context(|| format!("writing the answer to {}", path.display()))?;
    }

    out.event(&TurnEvent::Usage(completion.usage.clone()));
    let error = match &completion.finish {
        FinishReason::Failed(m) => Some(m.clone()),
        _ => None,
    };
    out.event(&TurnEvent::End {
        finish: completion.finish.label().to_owned(),
        error,
        session: writer.as_ref().map(|w| w.id().to_owned()),
    });

    if show && !args.no_stats && !args.json {
        let u = &completion.usage;
        let mut parts = vec![backend.describe()];
        if let Some(p) = u.prompt_tokens {
            match u.reused_tokens {
                Some(r) if r > 0 => parts.push(format!("prompt {p} tokens ({r} cached)")),
                _ => parts.push(format!("prompt {p} tokens")),
            }
        }
        if let Some(t) = u.time_to_first_token {
            parts.push(format!("first token {:.2}s", t.as_secs_f64()));
        }
        let tps = u
            .decode_tps()
            .map_or_else(String::new, |r| format!(", {r:.1} tok/s"));
        match u.completion_tokens {
            Some(n) => parts.push(format!(
                "answer {n} tokens in {:.2}s{tps}",
                u.total.as_secs_f64()
            )),
            None => parts.push(format!("{:.2}s", u.total.as_secs_f64())),
        }
        parts.push(format!("stop: {}", completion.finish.label()));
        if let Some(w) = &writer {
            parts.push(format!("session {}", w.id()));
        }
        eprintln!("[{}]", parts.join(" | "));
    }
    match completion.finish {
        _ if broken_pipe => Ok(()),
        FinishReason::Cancelled => {
            if show && !args.json {
                eprintln!("interrupted; the partial answer is kept");
            }
            std::process::exit(130);
        }
        FinishReason::Failed(m) => {
            bail!("the answer was cut off: {m}\n(the partial answer above is kept)")
        }
        FinishReason::ContextFull => {
            bail!(
                "the context window filled up before the answer finished\nhint: raise --ctx or lower --max-tokens"
            )
        }
        FinishReason::Stop | FinishReason::Length => Ok(()),
    }
}
