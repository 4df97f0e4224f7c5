//! Read-only git tools. Git runs with repository-configured programs switched off (no
//! fsmonitor hook, pager, external diff or textconv), so reading status cannot run code from
//! the repository's config; it refuses a `.git/commondir` (which a command could write to point
//! git at another repository's config, hooks and filters); and it runs inside the command
//! sandbox, in its own session, so whatever git is still talked into running (a clean filter
//! named by attributes) is confined like any command.

use std::process::{Command, Stdio};

use crate::error::{Result, ToolError};
use crate::toolbox::{Args, ToolResult, Toolbox};

pub(crate) fn run(tb: &mut Toolbox, name: &str, args: &Args<'_>) -> Result<ToolResult> {
    let mut argv: Vec<String> = Vec::new();
    match name {
        "git_status" => argv.extend(["status", "--short", "--branch"].map(String::from)),
        "git_diff" => {
            argv.extend(["diff", "--no-ext-diff", "--no-textconv", "--no-color"].map(String::from));
            if args.bool_opt("staged")?.unwrap_or(false) {
                argv.push("--staged".to_owned());
            }
            if let Some(p) = args.str_opt("path")? {
                argv.push("--".to_owned());
                argv.push(tb.ws.resolve(p)?.rel);
            }
        }
        _ => {
            let n = args.u64_opt("limit")?.unwrap_or(10).clamp(1, 100);
            argv.extend([
                "log".to_owned(),
                "--no-color".to_owned(),
                format!("-n{n}"),
                "--format=%h %ad %an: %s".to_owned(),
                "--date=short".to_owned(),
            ]);
            if let Some(p) = args.str_opt("path")? {
                argv.push("--".to_owned());
                argv.push(tb.ws.resolve(p)?.rel);
            }
        }
    }
    let git_dir = tb.ws.root().join(".git");
    if git_dir.is_dir() && git_dir.join("commondir").exists() {
        return Err(ToolError::Command {
            command: format!("git {}", argv.join(" ")),
            message: format!(
                "{} redirects git to another repository's config, hooks and filters (a command may have written it); the git tools refuse to run — remove the file if you did not create it",
                git_dir.join("commondir").display()
            ),
        });
    }
    let mut cmd = Command::new("git");
    cmd.args([
        "--no-pager",
        "-c",
        "core.fsmonitor=false",
        "-c",
        "core.pager=cat",
        "-c",
        "diff.external=",
        "-c",
        "core.hooksPath=/dev/null",
    ])
    .args(&argv)
    .current_dir(tb.ws.root())
    .env("GIT_OPTIONAL_LOCKS", "0")
    .env("GIT_TERMINAL_PROMPT", "0")
    .stdin(Stdio::null());
    #[cfg(unix)]
    crate::proc::new_session(&mut cmd);
    tb.sandbox
        .apply(&mut cmd)
        .map_err(|message| ToolError::Command {
            command: format!("git {}", argv.join(" ")),
            message,
        })?;
    let out = cmd.output().map_err(|e| ToolError::Command {
        command: format!("git {}", argv.join(" ")),
        message: format!("{e} (is git installed?)"),
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(ToolError::Command {
            command: format!("git {}", argv.join(" ")),
            message: stderr.trim().to_owned(),
        });
    }
    let text = if stdout.trim().is_empty() {
        match name {
            "git_diff" => "no changes".to_owned(),
            "git_log" => "no commits".to_owned(),
            _ => "clean".to_owned(),
        }
    } else {
        stdout.into_owned()
    };
    Ok(ToolResult::ok(name, text))
}
