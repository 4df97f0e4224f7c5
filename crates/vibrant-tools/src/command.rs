//! Running a shell command with a timeout and an output cap, optionally sandboxed.

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Result, ToolError};
use crate::sandbox::Sandbox;

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    /// The exit code (`None` when killed by a signal).
    pub exit_code: Option<i32>,
    /// It ran past the timeout and was killed.
    pub timed_out: bool,
    /// Standard output, capped (head and tail kept).
    pub stdout: String,
    /// Standard error, capped (head and tail kept).
    pub stderr: String,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
}

impl CommandOutput {
    /// Exited with status 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out
    }
}

/// Runs `command` with `sh -c` in `cwd`, under `sandbox` if given. The command and every
/// process it starts (its process group) are killed at `timeout` and when it exits. Each
/// stream keeps at most `cap_bytes` bytes: the first and last halves.
pub fn run_shell(
    command: &str,
    cwd: &Path,
    sandbox: Option<&Sandbox>,
    timeout: Duration,
    cap_bytes: usize,
) -> Result<CommandOutput> {
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg(command).current_dir(cwd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own session: no controlling terminal, and a process group to kill.
    #[cfg(unix)]
    crate::proc::new_session(&mut cmd);
    if let Some(sb) = sandbox {
        sb.apply(&mut cmd).map_err(|message| ToolError::Command {
            command: command.to_owned(),
            message,
        })?;
    }
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| ToolError::Command {
        command: command.to_owned(),
        message: e.to_string(),
    })?;
    let pid = child.id();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let out = Arc::new(Mutex::new(Capture::new(cap_bytes)));
    let err = Arc::new(Mutex::new(Capture::new(cap_bytes)));
    let mut readers = 0;
    if let Some(s) = child.stdout.take() {
        spawn_reader(s, out.clone(), done_tx.clone());
        readers += 1;
    }
    if let Some(s) = child.stderr.take() {
        spawn_reader(s, err.clone(), done_tx.clone());
        readers += 1;
    }
    drop(done_tx);
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= timeout => {
                timed_out = true;
                kill_group(pid);
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                return Err(ToolError::Command {
                    command: command.to_owned(),
                    message: e.to_string(),
                });
            }
        }
    };
    // Background processes the command left behind would keep the pipes open.
    kill_group(pid);
    // One that left the process group (setsid) survives that; do not wait for it forever.
    let grace = Instant::now() + READER_GRACE;
    let mut finished = 0;
    while finished < readers {
        let left = grace.saturating_duration_since(Instant::now());
        match done_rx.recv_timeout(left) {
            Ok(()) => finished += 1,
            Err(_) => break,
        }
    }
    let render = |c: &Arc<Mutex<Capture>>| c.lock().map(|c| c.render()).unwrap_or_default();
    let mut stderr = render(&err);
    if finished < readers {
        stderr.push_str("\n[a background process that left the command's process group still holds its output open; it was left running]\n");
    }
    Ok(CommandOutput {
        exit_code: status.and_then(|s| s.code()),
        timed_out,
        stdout: render(&out),
        stderr,
        duration_ms: start.elapsed().as_millis() as u64,
    })
}

/// How long to wait for the output pipes to close once the command has ended.
const READER_GRACE: Duration = Duration::from_secs(2);

fn spawn_reader(
    mut r: impl Read + Send + 'static,
    into: Arc<Mutex<Capture>>,
    done: std::sync::mpsc::Sender<()>,
) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if let Ok(mut c) = into.lock() {
                        c.push(&buf[..n]);
                    }
                }
            }
        }
        let _ = done.send(());
    });
}

/// A stream's output, keeping the first and last `cap / 2` bytes.
struct Capture {
    half: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: usize,
}

impl Capture {
    fn new(cap: usize) -> Self {
        Capture {
            half: (cap / 2).max(1),
            head: Vec::new(),
            tail: VecDeque::new(),
            total: 0,
        }
    }

    fn push(&mut self, mut chunk: &[u8]) {
        self.total += chunk.len();
        if self.head.len() < self.half {
            let take = (self.half - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
        }
        self.tail.extend(chunk);
        if self.tail.len() > self.half {
            let excess = self.tail.len() - self.half;
            self.tail.drain(..excess);
        }
    }

    fn render(&self) -> String {
        let omitted = self.total - self.head.len() - self.tail.len();
        let mut s = String::from_utf8_lossy(&self.head).into_owned();
        if omitted > 0 {
            s.push_str(&format!("\n[... {omitted} bytes omitted ...]\n"));
        }
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        s.push_str(&String::from_utf8_lossy(&tail));
        s
    }
}

#[cfg(unix)]
fn kill_group(pid: u32) {
    crate::proc::kill_process_group(pid);
}

#[cfg(not(unix))]
fn kill_group(_pid: u32) {}
