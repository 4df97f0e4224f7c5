//! Vibrant's agent: given a task, it plans, reads the code, edits files, runs the project's
//! build and tests, reads the failures and corrects itself, then reports what it did.
//!
//! [`Agent::run`] drives one task over any [`vibrant_core::Backend`] (the embedded engine, whose
//! tool calls are grammar-constrained, or a remote server's native tool calls) and a
//! [`vibrant_tools::Toolbox`] (the tools, approvals, sandbox, checkpoints and the doom-loop
//! guard). Everything the user should see arrives as [`AgentEvent`]s; the outcome is an
//! [`AgentReport`] with the files changed, a diffstat and what was verified.
//!
//! The loop, step by step (`specs/agent-behavior.md` has the details):
//! 0. when the project has tests, test-verified candidates come first (`solve.rs`): the
//!    functions the failures and the task point at are shown to the model, several candidate
//!    rewrites are sampled from one prompt and checked on a scratch copy, and the first that
//!    passes is applied; the tool loop below runs only when none does;
//! 1. the conversation is fitted to the context window (old tool output pruned first);
//! 2. the model answers with text and/or tool calls; a numbered list in its text becomes the
//!    plan shown to the user;
//! 3. each call runs through the toolbox and its (capped) output goes back as a tool message;
//!    unreadable calls are answered with what was wrong;
//! 4. when the model stops calling tools after changing files, the project's tests (or build)
//!    run; a failure goes back to the model, up to `max_reflections` times;
//! 5. the loop ends when the model is done and verified, is stuck (the doom-loop guard fired
//!    twice in a row), or runs out of steps or time, or the user cancels.

mod config;
mod event;
mod plan;
mod prompt;
mod report;
mod run;
mod solve;
pub mod task;
mod task_tests;

pub use config::{AgentConfig, CandidateConfig, Verify};
pub use event::AgentEvent;
pub use plan::parse_plan;
pub use prompt::system_prompt;
pub use report::{AgentReport, FileStat, Outcome, VerifyResult, diffstat};
pub use run::{Agent, FINISH_TOOL, finish_tool};
