//! Approval modes and the callback through which the UI approves edits and commands.

use serde::{Deserialize, Serialize};

/// How much the agent may do without asking (Codex's modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalMode {
    /// Ask before every edit and every command.
    #[default]
    Suggest,
    /// Apply edits inside the workspace without asking; ask before commands.
    AutoEdit,
    /// Apply edits and run commands in the sandbox without asking. Commands still ask when
    /// the sandbox is not available on this machine, or when network access was granted.
    FullAuto,
}

impl ApprovalMode {
    /// Parses `suggest`, `auto-edit` or `full-auto`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "suggest" => Some(Self::Suggest),
            "auto-edit" | "autoedit" => Some(Self::AutoEdit),
            "full-auto" | "fullauto" => Some(Self::FullAuto),
            _ => None,
        }
    }

    /// Whether a file change must be approved first.
    pub fn asks_for_edits(self) -> bool {
        self == Self::Suggest
    }

    /// Whether a command must be approved first, given whether it will run fully sandboxed.
    pub fn asks_for_commands(self, fully_sandboxed: bool) -> bool {
        match self {
            Self::Suggest | Self::AutoEdit => true,
            Self::FullAuto => !fully_sandboxed,
        }
    }
}

impl std::fmt::Display for ApprovalMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Suggest => "suggest",
            Self::AutoEdit => "auto-edit",
            Self::FullAuto => "full-auto",
        })
    }
}

/// What the agent wants to do, shown to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalRequest {
    /// Change files; `diff` is the unified diff of all of them.
    Edit {
        tool: String,
        paths: Vec<String>,
        diff: String,
    },
    /// Run a shell command in `cwd` (relative to the workspace); `sandbox` describes the
    /// confinement it will run under (or why there is none).
    Command {
        command: String,
        cwd: String,
        sandbox: String,
    },
}

/// The user's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Approve,
    /// Do not; the reason (if any) is passed back to the model.
    Deny { reason: Option<String> },
}

/// Implemented by the UI (a dialog in `vibrant chat`, a prompt in `vibrant agent`).
pub trait Approver {
    /// Asks the user about one action.
    fn approve(&mut self, request: &ApprovalRequest) -> Decision;
}

/// Approves everything (for tests and for modes that never ask).
#[derive(Debug, Default, Clone, Copy)]
pub struct ApproveAll;

impl Approver for ApproveAll {
    fn approve(&mut self, _request: &ApprovalRequest) -> Decision {
        Decision::Approve
    }
}

/// Denies everything (a non-interactive run in `suggest` mode).
#[derive(Debug, Default, Clone, Copy)]
pub struct DenyAll;

impl Approver for DenyAll {
    fn approve(&mut self, _request: &ApprovalRequest) -> Decision {
        Decision::Deny {
            reason: Some("no one is available to approve actions in this run".to_owned()),
        }
    }
}
