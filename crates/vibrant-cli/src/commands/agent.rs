//! `vibrant agent TASK`: works on a task in this repository with tools — reads code, edits files
//! (diff shown, checkpointed for `vibrant undo`), runs the build and tests, fixes what fails —
//! then prints what it changed and what it verified.
//!
//! Exit codes: 0 done (and verified when there was something to verify), 1 an error, 2 usage
//! error, 3 the agent stopped without finishing (stuck, out of steps or time, or the check after
//! its edits still fails), 130 Ctrl-C.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command: output is its job

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use clap::builder::PossibleValuesParser;
use serde_json::Value;
use vibrant_agent::{
    Agent, AgentConfig, AgentEvent, AgentReport, CandidateConfig, Outcome, Verify,
};
use vibrant_tools::{
    ApprovalMode, ApprovalRequest, Approver, Decision, DenyAll, SandboxPolicy, Toolbox,
    ToolboxConfig,
};

use super::Context;
use super::run::RunDefaults;
use crate::output::{Style, inert, paint};

/// Agent turns kept for `vibrant undo`.
const KEEP_CHECKPOINTS: usize = 50;

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// What to do, e.g. "make the failing test in tests/parse.rs pass".
    #[arg(required = true, num_args = 1.., value_name = "TASK")]
    pub task: Vec<String>,
    /// When to ask before acting (config agent.approval): suggest asks before every edit and
    /// command, auto-edit before commands, full-auto never (commands stay sandboxed).
    #[arg(long, value_name = "MODE", value_parser = PossibleValuesParser::new(["suggest", "auto-edit", "full-auto"]))]
    pub approval: Option<String>,
    /// Model answers the task may take at most (config agent.max_steps).
    #[arg(long, value_name = "N")]
    pub max_steps: Option<usize>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Candidate edits per round tried on a scratch copy before the tool loop (config
    /// agent.candidates; 0 turns them off).
    #[arg(long, value_name = "N")]
    pub candidates: Option<usize>,
    /// How edits are checked (config agent.verify).
    #[arg(long, value_name = "HOW", value_parser = PossibleValuesParser::new(["auto", "tests", "build", "off"]))]
    pub verify: Option<String>,
    /// Let the model write tool calls freely instead of constraining them to the tools' schemas.
    #[arg(long)]
    pub no_constrain: bool,
    /// Work in DIR instead of the repository around the current directory.
    #[arg(short = 'C', long = "dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Accept a workspace that is `/`, your home directory or a directory above it (refused by
    /// default: every file of yours would be in the agent's reach).
    #[arg(long)]
    pub allow_broad_workspace: bool,
    /// Write events as JSON lines on stdout (step, delta, plan, tool_call, tool_result,
    /// invalid_call, verify, notice, finished).
    #[arg(long)]
    pub json: bool,
    /// The model (a catalog name, a .gguf path or, for a remote backend, the server's name).
    #[arg(short = 'm', long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Download the default model without asking on first run.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// The most tokens one answer may have.
    #[arg(short = 'n', long = "max-tokens", value_name = "N")]
    pub max_tokens: Option<usize>,
    /// Sampling temperature (default 0: the agent is most reliable greedy).
    #[arg(long = "temp", value_name = "T")]
    pub temperature: Option<f32>,
    /// Context window in tokens (default: model.context_length, at least 8192).
    #[arg(long = "ctx", value_name = "N")]
    pub ctx: Option<usize>,
    /// Engine threads.
    #[arg(short = 't', long, value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    /// How many agent turns to undo (the newest first).
    #[arg(default_value_t = 1, value_name = "N")]
    pub n: usize,
    /// List the turns that can be undone instead.
    #[arg(long)]
    pub list: bool,
    /// The workspace (default: the repository around the current directory).
    #[arg(short = 'C', long = "dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Where the agent keeps this workspace's checkpoints and index: under the state dir, never in
/// the repository.
pub fn agent_state_dir(ctx: &Context, root: &Path) -> Result<PathBuf> {
    let config = ctx.config()?;
    let state =
        config.paths.state_dir.as_ref().context(
            "no state directory is known\nhint: set paths.state_dir or VIBRANT_STATE_DIR",
        )?;
    Ok(state.join("agent").join(vibrant_core::repo_key(root)))
}

/// The workspace root: `dir`, else the git repository around the current directory, else it.
pub fn workspace_root(dir: Option<&Path>) -> Result<PathBuf> {
    super::index::repo_root(dir)
}

/// A toolbox over `root` with the configured approval mode and sandbox; a workspace at or above
/// the home directory only when `allow_broad`.
pub fn open_toolbox(
    ctx: &Context,
    root: &Path,
    mode: ApprovalMode,
    approver: Box<dyn Approver + Send>,
    allow_broad: bool,
) -> Result<Toolbox> {
    let mut cfg = ToolboxConfig::new(root, agent_state_dir(ctx, root)?);
    cfg.approval = mode;
    cfg.sandbox = sandbox_policy(ctx)?;
    cfg.home = vibrant_config::PlatformDirs::detect().home;
    cfg.allow_broad_root = allow_broad;
    Toolbox::new(cfg, approver).context("opening the agent's tools")
}

/// The sandbox the configuration asks for (`agent.sandbox`, `agent.network`).
pub fn sandbox_policy(ctx: &Context) -> Result<SandboxPolicy> {
    let config = ctx.config()?;
    Ok(SandboxPolicy {
        enabled: config.agent.sandbox,
        allow_network: config.agent.network,
        ..SandboxPolicy::default()
    })
}

/// What `/agent on` in chat needs: the toolbox settings for the repository around the current
/// directory (approval mode from `agent.approval`), the loop's limits, and the system prompt.
pub fn agent_setup(
    ctx: &Context,
    config: &AgentConfig,
) -> Result<(ToolboxConfig, AgentConfig, String)> {
    let loaded = ctx.config()?;
    let root = workspace_root(None)?;
    let mut cfg = ToolboxConfig::new(&root, agent_state_dir(ctx, &root)?);
    cfg.approval = ApprovalMode::parse(&loaded.agent.approval)
        .with_context(|| format!("unknown approval mode {:?}", loaded.agent.approval))?;
    cfg.sandbox = sandbox_policy(ctx)?;
    cfg.home = vibrant_config::PlatformDirs::detect().home;
    let project = vibrant_tools::project::detect(&root).map(|k| k.name());
    let system = vibrant_agent::system_prompt(&root, project);
    Ok((cfg, config.clone(), system))
}

pub fn run(ctx: &Context, args: AgentArgs) -> Result<()> {
    let defaults = RunDefaults::from_context(ctx)?;
    let config = ctx.config()?;
    let task = args.task.join(" ");
    if task.trim().is_empty() {
        bail!("the task is empty");
    }
    let root = workspace_root(args.dir.as_deref())?;
    let mode_name = args.approval.as_deref().unwrap_or(&config.agent.approval);
    let mode = ApprovalMode::parse(mode_name)
        .with_context(|| format!("unknown approval mode {mode_name:?}"))?;
    let verify = Verify::parse(args.verify.as_deref().unwrap_or(&config.agent.verify))
        .context("unknown agent.verify value")?;
    let color = ctx.color.stdout && !args.json;
    let interactive = std::io::stdin().is_terminal() || std::fs::File::open("/dev/tty").is_ok();
    let approver: Box<dyn Approver + Send> = if interactive {
        Box::new(TtyApprover {
            color: ctx.color.stderr,
        })
    } else {
        Box::new(DenyAll)
    };
    let mut tools = open_toolbox(ctx, &root, mode, approver, args.allow_broad_workspace)?;
    let cancel = super::model::interrupt_flag();

    let n_ctx = args.ctx.unwrap_or_else(|| defaults.ctx.max(8192));
    let threads = args.threads.unwrap_or(defaults.threads);
    let (mut backend, _counter, _kind, model_name) =
        super::backend::make_backend(ctx, args.model.as_deref(), args.yes, n_ctx, threads)?;

    let agent_config = AgentConfig {
        max_steps: args.max_steps.unwrap_or(config.agent.max_steps as usize),
        max_reflections: config.agent.max_reflections as usize,
        time_budget: args.timeout.map(Duration::from_secs),
        verify,
        answer_tokens: args
            .max_tokens
            .unwrap_or(defaults.max_tokens)
            .min(backend.context_window() / 4)
            .max(64),
        temperature: args.temperature.unwrap_or(0.0),
        top_k: defaults.sampler.top_k,
        top_p: defaults.sampler.top_p,
        min_p: defaults.sampler.min_p,
        seed: defaults.sampler.seed,
        constrain_tools: config.agent.constrained && !args.no_constrain,
        candidates: candidate_config(&config.agent, args.candidates),
    };
    let status = tools.sandbox_status().clone();
    let policy = sandbox_policy(ctx)?;
    let mut printer = Printer {
        json: args.json,
        color,
        err_color: ctx.color.stderr,
        suggest: mode == ApprovalMode::Suggest,
        at_line_start: true,
    };
    if !args.json && ctx.global.quiet == 0 {
        eprintln!(
            "{} {} — {} in {} ({mode} mode; commands: {})",
            paint(ctx.color.stderr, Style::Bold, "agent:"),
            model_name,
            backend.describe(),
            root.display(),
            status.describe(&policy)
        );
        for w in &status.warnings {
            eprintln!("{} {w}", paint(ctx.color.stderr, Style::Yellow, "warning:"));
        }
    }
    let report = {
        let mut agent = Agent::new(backend.as_mut(), &mut tools, agent_config);
        agent.run(&task, &cancel, &mut |e| printer.event(e))
    };
    if let Err(e) = tools.prune_checkpoints(KEEP_CHECKPOINTS) {
        tracing::warn!("pruning old checkpoints failed: {e}");
    }
    if cancel.load(Ordering::Relaxed) || report.outcome == Outcome::Cancelled {
        std::process::exit(130);
    }
    match report.outcome {
        Outcome::Done => Ok(()),
        Outcome::Failed { message } => bail!("the agent stopped: {message}"),
        _ => std::process::exit(3),
    }
}

/// The candidate phase's settings from config (`agent.candidates`, `agent.candidate_rounds`,
/// `agent.budget`), with a command-line override of the count.
pub fn candidate_config(
    agent: &vibrant_config::AgentSection,
    count: Option<usize>,
) -> CandidateConfig {
    CandidateConfig {
        candidates: count.unwrap_or(agent.candidates as usize),
        rounds: agent.candidate_rounds as usize,
        budget: Duration::from_secs(u64::from(agent.budget)),
        ..CandidateConfig::default()
    }
}

pub fn undo(ctx: &Context, args: &UndoArgs) -> Result<()> {
    let root = workspace_root(args.dir.as_deref())?;
    // Undo only puts back what an agent changed: allowed wherever an agent was allowed to run.
    let mut tools = open_toolbox(ctx, &root, ApprovalMode::Suggest, Box::new(DenyAll), true)?;
    let checkpoints = tools.checkpoints()?;
    if args.list {
        let mut out = std::io::stdout().lock();
        if checkpoints.is_empty() {
            eprintln!("no agent changes to undo in {}", root.display());
        }
        for c in checkpoints.iter().rev() {
            let files: Vec<&str> = c.files.iter().map(|f| f.path.as_str()).collect();
            writeln!(out, "{:>4}  {}  ({})", c.id, c.label, files.join(", "))?;
        }
        return Ok(());
    }
    if checkpoints.is_empty() {
        bail!(
            "the agent has no changes to undo in {}\nhint: undo covers the files the agent changed, turn by turn",
            root.display()
        );
    }
    let report = tools.undo(args.n.max(1))?;
    for p in &report.restored {
        println!("restored {p}");
    }
    for p in &report.removed {
        println!("removed {p}");
    }
    eprintln!(
        "undid {} agent turn{}",
        report.checkpoints.len(),
        if report.checkpoints.len() == 1 {
            ""
        } else {
            "s"
        }
    );
    Ok(())
}

/// Renders the agent's events on the terminal (or as JSON lines).
struct Printer {
    json: bool,
    color: bool,
    err_color: bool,
    /// Diffs were already shown in the approval prompt.
    suggest: bool,
    at_line_start: bool,
}

impl Printer {
    fn event(&mut self, e: &AgentEvent) {
        if self.json {
            if let Ok(line) = serde_json::to_string(e) {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
            return;
        }
        let mut out = std::io::stdout().lock();
        let c = self.color;
        match e {
            AgentEvent::Step { .. } | AgentEvent::Plan { .. } => {}
            AgentEvent::Delta { text } => {
                let _ = write!(out, "{}", inert(text));
                self.at_line_start = text.ends_with('\n');
            }
            AgentEvent::ToolCall {
                name, arguments, ..
            } => {
                self.newline(&mut out);
                let _ = writeln!(
                    out,
                    "{} {}",
                    paint(c, Style::Cyan, &format!("→ {name}")),
                    paint(c, Style::Dim, &inert(&short_args(arguments)))
                );
            }
            AgentEvent::ToolResult {
                ok, summary, diff, ..
            } => {
                let mark = if *ok {
                    paint(c, Style::Dim, "  ✓")
                } else {
                    paint(c, Style::Red, "  ✗")
                };
                let _ = writeln!(out, "{mark} {}", inert(&shorten(summary, 160)));
                if let Some(d) = diff
                    && !self.suggest
                {
                    write_diff(&mut out, d, c, Some(60));
                }
            }
            AgentEvent::InvalidCall { message } => {
                self.newline(&mut out);
                let _ = writeln!(
                    out,
                    "{} {}",
                    paint(c, Style::Red, "  ✗ unreadable tool call:"),
                    inert(&shorten(message, 200))
                );
            }
            AgentEvent::Verify { result } => {
                self.newline(&mut out);
                let (mark, style) = if result.passed {
                    ("✓ check passed:", Style::Bold)
                } else {
                    ("✗ check failed:", Style::Red)
                };
                let _ = writeln!(out, "{} {}", paint(c, style, mark), inert(&result.summary));
            }
            AgentEvent::Candidate {
                index,
                passed,
                summary,
                ..
            } => {
                self.newline(&mut out);
                let (mark, style) = if *passed {
                    ("✓", Style::Bold)
                } else {
                    ("·", Style::Dim)
                };
                let _ = writeln!(
                    out,
                    "{} candidate {index}: {}",
                    paint(c, style, mark),
                    inert(summary)
                );
            }
            AgentEvent::Notice { message } => {
                self.newline(&mut out);
                let _ = out.flush();
                eprintln!(
                    "{} {}",
                    paint(self.err_color, Style::Yellow, "note:"),
                    inert(message)
                );
            }
            AgentEvent::Finished { report } => {
                self.newline(&mut out);
                write_report(&mut out, report, c);
            }
        }
        let _ = out.flush();
    }

    fn newline(&mut self, out: &mut impl Write) {
        if !self.at_line_start {
            let _ = writeln!(out);
            self.at_line_start = true;
        }
    }
}

fn write_report(out: &mut impl Write, r: &AgentReport, c: bool) {
    let headline = match &r.outcome {
        Outcome::Done => paint(c, Style::Bold, "✓ done"),
        Outcome::Stuck { reason } => paint(c, Style::Red, &format!("✗ stuck: {reason}")),
        Outcome::Failed { message } => paint(c, Style::Red, &format!("✗ failed: {message}")),
        other => paint(c, Style::Yellow, &format!("■ {}", other.label())),
    };
    let _ = writeln!(out, "\n{headline}");
    if r.files.is_empty() {
        let _ = writeln!(out, "no files changed");
    } else {
        for f in &r.files {
            let _ = writeln!(
                out,
                "  {:<9} {}  {}{}",
                f.status,
                f.path,
                paint(c, Style::Bold, &format!("+{}", f.added)),
                paint(c, Style::Red, &format!(" -{}", f.removed))
            );
        }
        let _ = writeln!(out, "{}", r.diffstat_line());
    }
    match &r.verification {
        Some(v) => {
            let _ = writeln!(
                out,
                "verified: {} ({})",
                if v.passed { "yes" } else { "NO" },
                v.summary
            );
        }
        None => {
            let _ = writeln!(out, "verified: nothing was run");
        }
    }
    let _ = writeln!(
        out,
        "{} steps, {} tool calls ({} failed, {} unreadable), {} reflections; {} prompt tokens ({} reused), {} generated; {:.1} s",
        r.steps,
        r.tool_calls,
        r.failed_calls,
        r.invalid_calls,
        r.reflections,
        r.prompt_tokens,
        r.reused_tokens,
        r.completion_tokens,
        r.elapsed_secs
    );
    if !r.files.is_empty() {
        let _ = writeln!(out, "{}", paint(c, Style::Dim, "undo with: vibrant undo"));
    }
}

/// Writes `diff` colored, at most `max_lines` lines (all of them for an approval: what is not
/// shown cannot be approved), every line made inert.
fn write_diff(out: &mut impl Write, diff: &str, c: bool, max_lines: Option<usize>) {
    let lines: Vec<String> = diff.lines().map(inert).collect();
    let max = max_lines.unwrap_or(usize::MAX);
    for line in lines.iter().take(max) {
        let styled = if line.starts_with("+++") || line.starts_with("---") {
            paint(c, Style::Bold, line)
        } else if line.starts_with('+') {
            green(c, line)
        } else if line.starts_with('-') {
            paint(c, Style::Red, line)
        } else if line.starts_with("@@") {
            paint(c, Style::Cyan, line)
        } else {
            line.clone()
        };
        let _ = writeln!(out, "    {styled}");
    }
    if lines.len() > max {
        let _ = writeln!(out, "    … {} more diff lines", lines.len() - max);
    }
}

fn green(enabled: bool, text: &str) -> String {
    if enabled {
        format!("\x1b[32m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// Tool arguments on one line (`key="value" n=3`), newlines shown as ⏎, shortened.
pub(crate) fn short_args(args: &Value) -> String {
    let s = match args {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => format!("{s:?}"),
                    other => other.to_string(),
                };
                format!("{k}={v}")
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    };
    shorten(&s.replace('\n', "⏎"), 140)
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{cut}…")
}

/// Asks on the terminal (stderr for the question, the controlling terminal for the answer, so
/// it works with piped stdin).
struct TtyApprover {
    color: bool,
}

impl Approver for TtyApprover {
    fn approve(&mut self, request: &ApprovalRequest) -> Decision {
        let c = self.color;
        let mut err = std::io::stderr().lock();
        match request {
            ApprovalRequest::Edit { tool, paths, diff } => {
                let _ = writeln!(
                    err,
                    "\n{} {tool} wants to change {}:",
                    paint(c, Style::Yellow, "approve?"),
                    inert(&paths.join(", "))
                );
                write_diff(&mut err, diff, c, None);
                let _ = write!(err, "apply this change? [y]es / [n]o (or n: why) › ");
            }
            ApprovalRequest::Command {
                command,
                cwd,
                sandbox,
            } => {
                let _ = writeln!(
                    err,
                    "\n{} run in {} ({}):\n    {}",
                    paint(c, Style::Yellow, "approve?"),
                    inert(cwd),
                    inert(sandbox),
                    paint(c, Style::Bold, &inert(command))
                );
                let _ = write!(err, "run it? [y]es / [n]o (or n: why) › ");
            }
        }
        let _ = err.flush();
        let answer = read_tty_line().unwrap_or_default();
        parse_decision(&answer)
    }
}

/// The answer to an approval question, read from the terminal. Keys typed before the question
/// appeared (a `y` and Enter meant for something else, while the agent worked) are discarded
/// first: only an answer typed after reading the question counts.
fn read_tty_line() -> Option<String> {
    let mut line = String::new();
    match std::fs::File::open("/dev/tty") {
        Ok(tty) => {
            #[cfg(unix)]
            {
                let _ = rustix::termios::tcflush(&tty, rustix::termios::QueueSelector::IFlush);
            }
            std::io::BufReader::new(tty).read_line(&mut line).ok()?;
        }
        Err(_) => {
            std::io::stdin().lock().read_line(&mut line).ok()?;
        }
    }
    Some(line)
}

/// `y`/`yes` approves; anything else denies, with the text after `n:` as the reason.
fn parse_decision(answer: &str) -> Decision {
    let a = answer.trim();
    let lower = a.to_ascii_lowercase();
    if lower == "y" || lower == "yes" {
        return Decision::Approve;
    }
    let reason = a
        .split_once(':')
        .map(|(_, why)| why.trim().to_owned())
        .filter(|why| !why.is_empty());
    Decision::Deny { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions() {
        assert_eq!(parse_decision("y\n"), Decision::Approve);
        assert_eq!(parse_decision("YES"), Decision::Approve);
        assert_eq!(parse_decision(""), Decision::Deny { reason: None });
        assert_eq!(
            parse_decision("n: use the helper instead"),
            Decision::Deny {
                reason: Some("use the helper instead".to_owned())
            }
        );
    }

    #[test]
    fn arguments_are_shortened_for_display() {
        let a = serde_json::json!({"path": "src/lib.rs", "start_line": 3});
        assert_eq!(short_args(&a), "path=\"src/lib.rs\" start_line=3");
        let long = serde_json::json!({"content": "x\n".repeat(200)});
        assert!(short_args(&long).chars().count() <= 141);
    }
}
