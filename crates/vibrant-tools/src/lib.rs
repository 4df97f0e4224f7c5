//! Vibrant's agent tools: what a model may do to a workspace, and the safety around it.
//!
//! A [`Toolbox`] is a registry of tools ([`Toolbox::specs`] gives their JSON-schema
//! descriptions to show a model) and a dispatcher ([`Toolbox::call`]) that the agent loop
//! feeds each tool call, getting back a capped [`ToolResult`] for the model. Around every
//! call:
//!
//! - paths are confined to the workspace root ([`Workspace::resolve`]: no `..` escapes,
//!   absolute paths outside, or symlinks that lead out; the tools never write `.git/`);
//! - edits are atomic, keep permissions, line endings and a BOM, and are refused when the
//!   file changed on disk since the agent read it;
//! - `edit_file` matches forgivingly ([`fuzzy::apply_edit`]) and answers a miss with the
//!   closest region; every change yields a unified diff for preview;
//! - the [`ApprovalMode`] decides whether the UI's [`Approver`] is asked;
//! - each turn's changes are checkpointed so [`Toolbox::undo`] can restore them;
//! - commands run with a timeout and output cap inside a [`Sandbox`] (Landlock, namespaces);
//! - a [`DoomLoopGuard`] stops the third identical call in a row.
//!
//! The agent loop, constrained decoding and the UI live elsewhere; see `specs/agent-behavior.md`.

pub mod approval;
pub mod beneath;
pub mod checkpoint;
pub mod command;
pub mod doom;
mod edit_tools;
pub mod error;
mod fs_tools;
pub mod fuzzy;
mod git;
pub mod imports;
pub mod locate;
pub mod output;
pub mod patch;
#[cfg(unix)]
mod proc;
pub mod project;
pub mod sandbox;
pub mod scratch;
pub mod specs;
pub mod symbol_edit;
pub mod text;
mod toolbox;
pub mod workspace;

pub use approval::{ApprovalMode, ApprovalRequest, ApproveAll, Approver, Decision, DenyAll};
pub use checkpoint::{Checkpoint, FileChange, FileState, UndoReport};
pub use command::{CommandOutput, run_shell};
pub use doom::DoomLoopGuard;
pub use error::ToolError;
pub use project::{Diagnostic, ProjectKind, RunSummary, summarize};
pub use sandbox::{Sandbox, SandboxPolicy, SandboxStatus, is_secret_env};
pub use scratch::{Scratch, ScratchLimits};
pub use specs::{ToolSpec, all_specs, render_tool_list};
pub use toolbox::{ToolResult, Toolbox, ToolboxConfig, broad_root, unified_diff};
pub use workspace::{Workspace, WsPath};
