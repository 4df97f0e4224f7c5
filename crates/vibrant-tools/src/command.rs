//! Running a shell command with a timeout and an output cap, optionally sandboxed.

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
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
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
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
    let out = child
        .stdout
        .take()
        .map(|s| std::thread::spawn(move || capture(s, cap_bytes)));
    let err = child
        .stderr
        .take()
        .map(|s| std::thread::spawn(move || capture(s, cap_bytes)));
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
    let join = |h: Option<std::thread::JoinHandle<String>>| {
        h.and_then(|h| h.join().ok()).unwrap_or_default()
    };
    Ok(CommandOutput {
        exit_code: status.and_then(|s| s.code()),
        timed_out,
        stdout: join(out),
        stderr: join(err),
        duration_ms: start.elapsed().as_millis() as u64,
    })
}

/// Reads a stream to the end, keeping the first and last `cap / 2` bytes.
fn capture(mut r: impl Read, cap: usize) -> String {
    let half = (cap / 2).max(1);
    let mut head = Vec::new();
    let mut tail: VecDeque<u8> = VecDeque::new();
    let mut total = 0usize;
    let mut buf = [0u8; 8192];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        total += n;
        let mut chunk = &buf[..n];
        if head.len() < half {
            let take = (half - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
        }
        tail.extend(chunk);
        if tail.len() > half {
            let excess = tail.len() - half;
            tail.drain(..excess);
        }
    }
    let omitted = total - head.len() - tail.len();
    let mut s = String::from_utf8_lossy(&head).into_owned();
    if omitted > 0 {
        s.push_str(&format!("\n[... {omitted} bytes omitted ...]\n"));
    }
    let tail: Vec<u8> = tail.into_iter().collect();
    s.push_str(&String::from_utf8_lossy(&tail));
    s
}

#[cfg(unix)]
fn kill_group(pid: u32) {
    crate::proc::kill_process_group(pid);
}

#[cfg(not(unix))]
fn kill_group(_pid: u32) {}
