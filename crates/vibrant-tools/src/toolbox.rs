//! The registry: configuration, dispatch of `call(name, args)`, approvals, the stale-file
//! check, checkpoints and the doom-loop guard around every tool.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::approval::{ApprovalMode, ApprovalRequest, Approver, Decision};
use crate::beneath::{read_beneath, remove_beneath, write_beneath};
use crate::checkpoint::{Checkpoint, CheckpointStore, UndoReport};
use crate::doom::DoomLoopGuard;
use crate::error::{Result, ToolError};
use crate::output::cap_head_tail;
use crate::sandbox::{Sandbox, SandboxPolicy, SandboxStatus};
use crate::scratch::{Scratch, ScratchLimits};
use crate::specs::{ToolSpec, all_specs};
use crate::text::{MAX_TEXT_FILE, hash_bytes};
use crate::workspace::{Workspace, WsPath};

/// How a [`Toolbox`] is set up.
#[derive(Debug, Clone)]
pub struct ToolboxConfig {
    /// The workspace root; no tool reads or writes outside it.
    pub root: PathBuf,
    /// Where checkpoints, the sandbox temp dir and the search index live (outside the
    /// workspace, e.g. `~/.local/state/vibrant/agent/<workspace>`).
    pub state_dir: PathBuf,
    /// When to ask the [`Approver`].
    pub approval: ApprovalMode,
    /// The command sandbox.
    pub sandbox: SandboxPolicy,
    /// Largest tool output, in characters, given back to the model.
    pub max_output_chars: usize,
    /// Lines `read_file` returns when no range is given.
    pub read_default_lines: usize,
    /// Default command timeout.
    pub command_timeout: Duration,
    /// Largest timeout a call may ask for.
    pub max_command_timeout: Duration,
    /// Minimum line similarity (0..=1) for the last tier of `edit_file` matching.
    pub similarity_threshold: f64,
    /// The `limit`-th identical consecutive call is stopped.
    pub repeat_limit: usize,
    /// The user's home directory: a workspace that is it, or contains it, or `/`, is refused
    /// unless [`ToolboxConfig::allow_broad_root`] (a dotfiles repository or a start from `~`
    /// would make every file of the user's writable by the agent's commands).
    pub home: Option<PathBuf>,
    /// Accept a workspace at or above the home directory (the user asked for it explicitly).
    pub allow_broad_root: bool,
}

impl ToolboxConfig {
    /// Defaults for a workspace: suggest mode, sandbox on, 8000-character outputs.
    pub fn new(root: impl Into<PathBuf>, state_dir: impl Into<PathBuf>) -> Self {
        ToolboxConfig {
            root: root.into(),
            state_dir: state_dir.into(),
            approval: ApprovalMode::Suggest,
            sandbox: SandboxPolicy::default(),
            max_output_chars: 8000,
            read_default_lines: 300,
            command_timeout: Duration::from_secs(120),
            max_command_timeout: Duration::from_secs(600),
            similarity_threshold: 0.85,
            repeat_limit: 3,
            home: None,
            allow_broad_root: false,
        }
    }
}

/// Why `root` is too broad to be a workspace: `/`, the home directory, or a directory that
/// contains it. `None` for an ordinary project directory.
pub fn broad_root(root: &Path, home: Option<&Path>) -> Option<String> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    if root.parent().is_none() {
        return Some("the file system's root".to_owned());
    }
    let home = home?;
    let home = home.canonicalize().unwrap_or_else(|_| home.to_path_buf());
    if root == home {
        Some("your home directory".to_owned())
    } else if home.starts_with(&root) {
        Some(format!(
            "a directory that contains your home directory ({})",
            home.display()
        ))
    } else {
        None
    }
}

/// What a tool call produced; `output` is what the model sees.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolResult {
    /// The tool called.
    pub tool: String,
    /// The call succeeded (a command that ran but failed is still `ok`, with its exit code in
    /// the output).
    pub ok: bool,
    /// Text for the model, capped at the configured size.
    pub output: String,
    /// The unified diff of the files changed, for the UI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Workspace-relative paths of files changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed_files: Vec<String>,
}

impl ToolResult {
    pub(crate) fn ok(tool: &str, output: String) -> Self {
        ToolResult {
            tool: tool.to_owned(),
            ok: true,
            output,
            diff: None,
            changed_files: Vec::new(),
        }
    }

    fn err(tool: &str, e: &ToolError) -> Self {
        ToolResult {
            tool: tool.to_owned(),
            ok: false,
            output: format!("error: {e}"),
            diff: None,
            changed_files: Vec::new(),
        }
    }
}

/// A planned file change, checked and approved as part of one tool call.
#[derive(Debug)]
pub(crate) struct Planned {
    pub path: WsPath,
    /// The bytes on disk the change was computed from (`None`: the file does not exist).
    pub old_bytes: Option<Vec<u8>>,
    /// The new bytes (`None`: delete the file).
    pub new_bytes: Option<Vec<u8>>,
    /// LF text before and after, for the diff.
    pub old_text: String,
    pub new_text: String,
}

/// The agent's tools over one workspace.
pub struct Toolbox {
    pub(crate) ws: Workspace,
    pub(crate) cfg: ToolboxConfig,
    approver: Box<dyn Approver + Send>,
    /// Content hash of each file as the agent last saw it (read or wrote).
    pub(crate) seen: HashMap<PathBuf, String>,
    checkpoints: CheckpointStore,
    guard: DoomLoopGuard,
    pub(crate) sandbox: Sandbox,
}

impl std::fmt::Debug for Toolbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Toolbox")
            .field("root", &self.ws.root())
            .field("approval", &self.cfg.approval)
            .finish_non_exhaustive()
    }
}

impl Toolbox {
    /// Opens the toolbox: resolves the root, creates the state dir, probes the sandbox.
    pub fn new(cfg: ToolboxConfig, approver: Box<dyn Approver + Send>) -> Result<Self> {
        let ws = Workspace::new(&cfg.root)?;
        if !cfg.allow_broad_root
            && let Some(why) = broad_root(ws.root(), cfg.home.as_deref())
        {
            return Err(ToolError::BroadWorkspace {
                root: ws.root().to_path_buf(),
                why,
            });
        }
        std::fs::create_dir_all(&cfg.state_dir).map_err(|e| ToolError::io(&cfg.state_dir, e))?;
        let tmp = cfg.state_dir.join("tmp");
        std::fs::create_dir_all(&tmp).map_err(|e| ToolError::io(&tmp, e))?;
        let tmp = tmp.canonicalize().map_err(|e| ToolError::io(&tmp, e))?;
        let checkpoints = CheckpointStore::open(&cfg.state_dir)?;
        let sandbox = Sandbox::new(cfg.sandbox.clone(), ws.root(), &tmp);
        for w in &sandbox.status().warnings {
            tracing::warn!("sandbox: {w}");
        }
        let guard = DoomLoopGuard::new(cfg.repeat_limit);
        Ok(Toolbox {
            ws,
            cfg,
            approver,
            seen: HashMap::new(),
            checkpoints,
            guard,
            sandbox,
        })
    }

    /// The tool descriptions to show the model.
    pub fn specs(&self) -> Vec<ToolSpec> {
        all_specs()
    }

    /// The workspace.
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    /// What the command sandbox enforces on this machine.
    pub fn sandbox_status(&self) -> &SandboxStatus {
        self.sandbox.status()
    }

    /// The approval mode.
    pub fn approval_mode(&self) -> ApprovalMode {
        self.cfg.approval
    }

    /// Changes the approval mode (e.g. the user switched it mid-session).
    pub fn set_approval_mode(&mut self, mode: ApprovalMode) {
        self.cfg.approval = mode;
    }

    /// Starts a turn: the next file change opens a new checkpoint, which `undo` restores as a unit.
    pub fn begin_turn(&mut self, label: &str) {
        self.checkpoints.begin_turn(label);
    }

    /// Forgets the repeated-call history (a new task).
    pub fn reset_repeat_guard(&mut self) {
        self.guard.reset();
    }

    /// Restores the files of the last `n` turns; refuses (changing nothing) when the user
    /// changed any of them since.
    pub fn undo(&mut self, n: usize) -> Result<UndoReport> {
        let report = self.checkpoints.undo(&self.ws, n)?;
        for rel in report.restored.iter().chain(&report.removed) {
            self.seen.remove(&self.ws.root().join(rel));
        }
        Ok(report)
    }

    /// Deletes all but the newest `keep` checkpoints and the contents only they referred to.
    /// Returns (manifests, objects) removed.
    pub fn prune_checkpoints(&mut self, keep: usize) -> Result<(usize, usize)> {
        self.checkpoints.prune(keep)
    }

    /// What the current turn changed, as one unified diff per file (from the content before
    /// the turn's first change to the content after its last), in the order first changed.
    /// Empty when the turn changed nothing.
    pub fn turn_diff(&self) -> Result<Vec<(String, String)>> {
        let Some(cp) = self.checkpoints.current() else {
            return Ok(Vec::new());
        };
        let text = |b: Option<Vec<u8>>| {
            b.map(|b| String::from_utf8_lossy(&b).replace("\r\n", "\n"))
                .unwrap_or_default()
        };
        let mut out = Vec::new();
        for f in &cp.files {
            let before = self.checkpoints.content(&f.before)?;
            let after = self.checkpoints.content(&f.after)?;
            let (existed, exists) = (before.is_some(), after.is_some());
            let (old, new) = (text(before), text(after));
            if existed == exists && old == new {
                continue;
            }
            out.push((
                f.path.clone(),
                unified_diff(&f.path, existed, exists, &old, &new),
            ));
        }
        Ok(out)
    }

    /// A scratch copy of the workspace under the state dir, for trying candidate edits
    /// ([`Scratch`]); removed when dropped.
    pub fn scratch(&self, limits: ScratchLimits) -> Result<Scratch> {
        Scratch::create(self.ws.root(), &self.cfg.state_dir.join("tmp"), limits)
    }

    /// Asks, as the approval mode requires for commands, to run `command` on scratch copies of
    /// the workspace (once for all the candidates of a task).
    pub fn approve_checks(&mut self, command: &str) -> Result<()> {
        let status = self.sandbox.status();
        let policy = self.sandbox.policy();
        if self
            .cfg
            .approval
            .asks_for_commands(status.complete(policy) && !policy.allow_network)
        {
            let req = ApprovalRequest::Command {
                command: command.to_owned(),
                cwd: "(scratch copies of the workspace, one per candidate edit)".to_owned(),
                sandbox: status.describe(policy),
            };
            if let Decision::Deny { reason } = self.approver.approve(&req) {
                return Err(ToolError::Declined {
                    what: "command".to_owned(),
                    reason,
                });
            }
        }
        Ok(())
    }

    /// Runs `command` in the scratch copy, in a sandbox whose writable root is the copy (the
    /// same policy as the workspace's commands). Call [`Toolbox::approve_checks`] first.
    pub fn run_check_in(
        &self,
        scratch: &Scratch,
        command: &str,
        timeout: Duration,
    ) -> Result<crate::command::CommandOutput> {
        let policy = self.sandbox.policy().clone();
        let enabled = policy.enabled;
        // The workspace's own temp dir (caches such as Go's build cache persist there); the
        // copy lies inside it.
        let tmp = self.sandbox.temp_dir().to_path_buf();
        let sandbox = Sandbox::new(policy, scratch.root(), &tmp);
        crate::command::run_shell(
            command,
            scratch.root(),
            enabled.then_some(&sandbox),
            timeout.min(self.cfg.max_command_timeout),
            self.cfg.max_output_chars * 2,
        )
    }

    /// Writes a set of whole files (a checked candidate edit) through the normal path: stale
    /// check against `based_on` (the text each file had when the candidate was made; `None`:
    /// it did not exist), diff, approval, checkpoint. The result reads like `write_file`'s.
    pub fn apply_files(
        &mut self,
        tool: &str,
        files: &std::collections::BTreeMap<String, String>,
        based_on: &std::collections::BTreeMap<String, Option<String>>,
    ) -> ToolResult {
        match self.apply_files_inner(tool, files, based_on) {
            Ok(r) => r,
            Err(e) => ToolResult::err(tool, &e),
        }
    }

    fn apply_files_inner(
        &mut self,
        tool: &str,
        files: &std::collections::BTreeMap<String, String>,
        based_on: &std::collections::BTreeMap<String, Option<String>>,
    ) -> Result<ToolResult> {
        let mut planned = Vec::new();
        for (rel, content) in files {
            let path = self.ws.resolve_for_write(rel)?;
            let old_bytes = read_beneath(self.ws.root(), &path.rel, MAX_TEXT_FILE)?;
            let (old_text, style) = match &old_bytes {
                Some(b) => {
                    let f = crate::text::TextFile::decode(&path.rel, b)?;
                    (f.text.clone(), f)
                }
                None => (String::new(), crate::text::TextFile::new(String::new())),
            };
            let expected = based_on.get(rel).cloned().flatten();
            if old_bytes.is_some() != expected.is_some()
                || expected.is_some_and(|e| e.replace("\r\n", "\n") != old_text)
            {
                return Err(ToolError::StaleFile { path: path.rel });
            }
            planned.push(Planned {
                path,
                old_bytes,
                new_bytes: Some(style.encode(content)),
                old_text,
                new_text: content.clone(),
            });
        }
        let (diff, changed) = self.commit(tool, planned, false)?;
        let mut r = ToolResult::ok(tool, format!("changed {}", changed.join(", ")));
        r.diff = Some(diff);
        r.changed_files = changed;
        Ok(r)
    }

    /// The live checkpoints, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
        self.checkpoints.list()
    }

    /// Calls a tool with JSON text arguments (as a model writes them).
    pub fn call_json(&mut self, name: &str, args: &str) -> ToolResult {
        match serde_json::from_str::<Value>(args) {
            Ok(v) => self.call(name, &v),
            Err(e) => ToolResult::err(
                name,
                &ToolError::args(name, format!("arguments are not valid JSON ({e})")),
            ),
        }
    }

    /// Calls a tool. Never panics and never returns an error: failures are a result with
    /// `ok == false` and a message that tells the model what to do.
    pub fn call(&mut self, name: &str, args: &Value) -> ToolResult {
        // Some models send the arguments object as a JSON string.
        let parsed;
        let args = match args {
            Value::String(s) if s.trim_start().starts_with('{') => {
                match serde_json::from_str::<Value>(s) {
                    Ok(v) => {
                        parsed = v;
                        &parsed
                    }
                    Err(_) => args,
                }
            }
            Value::Null => {
                parsed = Value::Object(Default::default());
                &parsed
            }
            _ => args,
        };
        if let Some(message) = self.guard.check(name, args) {
            return ToolResult::err(name, &ToolError::Repeated { message });
        }
        let span = tracing::debug_span!("tool", name);
        let _enter = span.enter();
        let result = self.dispatch(name, args);
        let mut r = match result {
            Ok(r) => r,
            Err(e) => ToolResult::err(name, &e),
        };
        r.output = cap_head_tail(&r.output, self.cfg.max_output_chars);
        tracing::debug!(ok = r.ok, chars = r.output.len(), "tool result");
        r
    }

    fn dispatch(&mut self, name: &str, v: &Value) -> Result<ToolResult> {
        let spec = all_specs()
            .into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| ToolError::UnknownTool {
                name: name.to_owned(),
                available: all_specs()
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let args = Args::new(name, v, &spec.parameters)?;
        match name {
            "read_file" => self.read_file(&args),
            "list_dir" => crate::fs_tools::list_dir(self, &args),
            "glob" => crate::fs_tools::glob(self, &args),
            "grep" => crate::fs_tools::grep(self, &args),
            "search" => crate::fs_tools::search(self, &args),
            "symbols" => crate::fs_tools::symbols(self, &args),
            "edit_file" => crate::edit_tools::edit_file(self, &args),
            "write_file" => crate::edit_tools::write_file(self, &args),
            "apply_patch" => crate::edit_tools::apply_patch(self, &args),
            "run_command" => self.run_command(&args),
            "run_tests" | "run_build" => crate::project::run(self, name, &args),
            "git_status" | "git_diff" | "git_log" => crate::git::run(self, name, &args),
            _ => Err(ToolError::UnknownTool {
                name: name.to_owned(),
                available: String::new(),
            }),
        }
    }

    fn read_file(&mut self, args: &Args<'_>) -> Result<ToolResult> {
        let p = self.ws.resolve(args.str_req("path")?)?;
        let (bytes, file) = crate::text::read_text_file(self.ws.root(), &p.rel)?;
        self.seen.insert(p.abs.clone(), hash_bytes(&bytes));
        let lines: Vec<&str> = file.text.lines().collect();
        let total = lines.len();
        let start = args.u64_opt("start_line")?.unwrap_or(1).max(1) as usize;
        let default_end = start + self.cfg.read_default_lines - 1;
        let end = (args
            .u64_opt("end_line")?
            .map(|e| e as usize)
            .unwrap_or(default_end))
        .min(total);
        if total == 0 {
            return Ok(ToolResult::ok("read_file", format!("{} is empty", p.rel)));
        }
        if end < start && start <= total {
            return Err(ToolError::args(
                "read_file",
                format!("end_line {end} is before start_line {start}"),
            ));
        }
        if start > total {
            return Err(ToolError::args(
                "read_file",
                format!(
                    "start_line {start} is past the end of {} ({total} lines)",
                    p.rel
                ),
            ));
        }
        let mut out = format!("{} (lines {start}-{end} of {total}):\n", p.rel);
        let budget = self.cfg.max_output_chars.saturating_sub(200);
        let mut last = start - 1;
        for (i, line) in lines.iter().enumerate().take(end).skip(start - 1) {
            let shown: String = if line.chars().count() > 500 {
                format!(
                    "{}… [line truncated]",
                    line.chars().take(500).collect::<String>()
                )
            } else {
                (*line).to_owned()
            };
            let row = format!("{:>5}\t{}\n", i + 1, shown);
            if out.len() + row.len() > budget && i + 1 > start {
                break;
            }
            out.push_str(&row);
            last = i + 1;
        }
        if last < total {
            out.push_str(&format!(
                "[{} more lines; call read_file with start_line={} to continue]\n",
                total - last,
                last + 1
            ));
        }
        Ok(ToolResult::ok("read_file", out))
    }

    /// Asks for approval as the mode requires, then runs `command` in `cwd` under the sandbox.
    /// Returns the output and the sandbox description.
    pub(crate) fn execute(
        &mut self,
        command: &str,
        cwd: &WsPath,
        timeout: Duration,
    ) -> Result<(crate::command::CommandOutput, String)> {
        let status = self.sandbox.status();
        let policy = self.sandbox.policy();
        let describe = status.describe(policy);
        if self
            .cfg
            .approval
            .asks_for_commands(status.complete(policy) && !policy.allow_network)
        {
            let req = ApprovalRequest::Command {
                command: command.to_owned(),
                cwd: cwd.rel.clone(),
                sandbox: describe.clone(),
            };
            if let Decision::Deny { reason } = self.approver.approve(&req) {
                return Err(ToolError::Declined {
                    what: "command".to_owned(),
                    reason,
                });
            }
        }
        let sandbox = policy.enabled.then_some(&self.sandbox);
        let out = crate::command::run_shell(
            command,
            &cwd.abs,
            sandbox,
            timeout,
            self.cfg.max_output_chars * 2,
        )?;
        Ok((out, describe))
    }

    fn run_command(&mut self, args: &Args<'_>) -> Result<ToolResult> {
        let command = args.str_req("command")?;
        if command.trim().is_empty() {
            return Err(ToolError::args("run_command", "command is empty"));
        }
        let cwd = self.ws.resolve(args.str_opt("cwd")?.unwrap_or("."))?;
        if !cwd.abs.is_dir() {
            return Err(ToolError::NotFound { path: cwd.rel });
        }
        let timeout = args
            .u64_opt("timeout_secs")?
            .map(Duration::from_secs)
            .unwrap_or(self.cfg.command_timeout)
            .min(self.cfg.max_command_timeout);
        let (out, describe) = self.execute(command, &cwd, timeout)?;
        let mut text = if out.timed_out {
            format!("timed out after {}s and was killed", timeout.as_secs())
        } else {
            match out.exit_code {
                Some(c) => format!("exit code {c}"),
                None => "killed by a signal".to_owned(),
            }
        };
        text.push_str(&format!(
            " ({:.1}s; {describe})\n",
            out.duration_ms as f64 / 1000.0
        ));
        let half = self.cfg.max_output_chars.saturating_sub(300) / 2;
        let (so, se) = (out.stdout.trim_end(), out.stderr.trim_end());
        // Give stderr (where errors are) the room stdout does not use.
        let se_budget = (half * 2).saturating_sub(so.len().min(half));
        let so_budget = (half * 2).saturating_sub(se.len().min(se_budget));
        if !so.is_empty() {
            text.push_str(&format!(
                "--- stdout ---\n{}\n",
                cap_head_tail(so, so_budget.max(200))
            ));
        }
        if !se.is_empty() {
            text.push_str(&format!(
                "--- stderr ---\n{}\n",
                cap_head_tail(se, se_budget.max(200))
            ));
        }
        if so.is_empty() && se.is_empty() {
            text.push_str("(no output)\n");
        }
        Ok(ToolResult::ok("run_command", text))
    }

    /// Checks, previews, approves and applies a set of file changes atomically per file, with
    /// a checkpoint. Returns the combined diff.
    pub(crate) fn commit(
        &mut self,
        tool: &str,
        changes: Vec<Planned>,
        require_read: bool,
    ) -> Result<(String, Vec<String>)> {
        // Stale-file check against what the agent last saw.
        for c in &changes {
            if let Some(old) = &c.old_bytes {
                match self.seen.get(&c.path.abs) {
                    Some(h) if *h != hash_bytes(old) => {
                        return Err(ToolError::StaleFile {
                            path: c.path.rel.clone(),
                        });
                    }
                    None if require_read => {
                        return Err(ToolError::NotRead {
                            path: c.path.rel.clone(),
                        });
                    }
                    _ => {}
                }
            }
        }
        let diff: String = changes
            .iter()
            .map(|c| {
                unified_diff(
                    &c.path.rel,
                    c.old_bytes.is_some(),
                    c.new_bytes.is_some(),
                    &c.old_text,
                    &c.new_text,
                )
            })
            .collect();
        let paths: Vec<String> = changes.iter().map(|c| c.path.rel.clone()).collect();
        if self.cfg.approval.asks_for_edits() {
            let req = ApprovalRequest::Edit {
                tool: tool.to_owned(),
                paths: paths.clone(),
                diff: diff.clone(),
            };
            if let Decision::Deny { reason } = self.approver.approve(&req) {
                return Err(ToolError::Declined {
                    what: "edit".to_owned(),
                    reason,
                });
            }
        }
        // The file may have changed while the user looked at the diff.
        for c in &changes {
            let now = read_beneath(self.ws.root(), &c.path.rel, MAX_TEXT_FILE)?;
            if now != c.old_bytes {
                return Err(ToolError::StaleFile {
                    path: c.path.rel.clone(),
                });
            }
        }
        for c in &changes {
            self.checkpoints
                .before_change(self.ws.root(), &c.path.rel, c.new_bytes.as_deref())?;
            match &c.new_bytes {
                Some(bytes) => {
                    write_beneath(self.ws.root(), &c.path.rel, bytes, None)?;
                    self.seen.insert(c.path.abs.clone(), hash_bytes(bytes));
                }
                None => {
                    remove_beneath(self.ws.root(), &c.path.rel)?;
                    self.seen.remove(&c.path.abs);
                }
            }
            self.checkpoints.after_change(self.ws.root(), &c.path.rel)?;
        }
        Ok((diff, paths))
    }
}

/// A unified diff of one file with `a/` and `b/` headers (`/dev/null` for created/deleted files).
pub fn unified_diff(rel: &str, existed: bool, exists: bool, old: &str, new: &str) -> String {
    let a = if existed {
        format!("a/{rel}")
    } else {
        "/dev/null".to_owned()
    };
    let b = if exists {
        format!("b/{rel}")
    } else {
        "/dev/null".to_owned()
    };
    let diff = similar::TextDiff::from_lines(old, new);
    let body = diff
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string();
    if body.is_empty() {
        format!("--- {a}\n+++ {b}\n")
    } else {
        body
    }
}

/// Typed access to a call's arguments, checked against the schema's property names.
#[derive(Debug)]
pub(crate) struct Args<'a> {
    tool: &'a str,
    map: &'a serde_json::Map<String, Value>,
}

impl<'a> Args<'a> {
    fn new(tool: &'a str, v: &'a Value, schema: &Value) -> Result<Self> {
        let map = v
            .as_object()
            .ok_or_else(|| ToolError::args(tool, "arguments must be a JSON object"))?;
        let props = schema.get("properties").and_then(Value::as_object);
        let known: Vec<&str> = props
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for k in map.keys() {
            if !known.contains(&k.as_str()) {
                return Err(ToolError::args(
                    tool,
                    format!("unknown argument `{k}`; expected: {}", known.join(", ")),
                ));
            }
        }
        if let Some(req) = schema.get("required").and_then(Value::as_array) {
            for r in req.iter().filter_map(Value::as_str) {
                if !map.contains_key(r) {
                    return Err(ToolError::args(
                        tool,
                        format!("missing required argument `{r}`"),
                    ));
                }
            }
        }
        Ok(Args { tool, map })
    }

    /// A required string; empty is a value (an empty file, a deletion's replacement).
    pub fn str_req(&self, k: &str) -> Result<&'a str> {
        match self.map.get(k) {
            Some(Value::String(s)) => Ok(s),
            None | Some(Value::Null) => Err(ToolError::args(
                self.tool,
                format!("missing required argument `{k}`"),
            )),
            Some(other) => Err(ToolError::args(
                self.tool,
                format!("`{k}` must be a string, got {other}"),
            )),
        }
    }

    /// An optional string; an empty one counts as absent (small models fill every optional
    /// argument, e.g. `"glob": ""`, meaning "no filter").
    pub fn str_opt(&self, k: &str) -> Result<Option<&'a str>> {
        match self.map.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(ToolError::args(
                self.tool,
                format!("`{k}` must be a string, got {other}"),
            )),
        }
    }

    pub fn u64_opt(&self, k: &str) -> Result<Option<u64>> {
        match self.map.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
            // Small models often quote numbers.
            Some(Value::String(s)) if s.trim().parse::<u64>().is_ok() => {
                Ok(s.trim().parse::<u64>().ok())
            }
            Some(other) => Err(ToolError::args(
                self.tool,
                format!("`{k}` must be a non-negative integer, got {other}"),
            )),
        }
    }

    pub fn bool_opt(&self, k: &str) -> Result<Option<bool>> {
        match self.map.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(other) => Err(ToolError::args(
                self.tool,
                format!("`{k}` must be true or false, got {other}"),
            )),
        }
    }
}
