//! What the agent tells the UI while it works.

use serde::Serialize;
use serde_json::Value;

use crate::report::{AgentReport, VerifyResult};

/// One thing that happened. `vibrant agent --json` writes each as a JSON line.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentEvent {
    /// A model answer starts.
    Step {
        step: usize,
        prompt_tokens: usize,
        window: usize,
    },
    /// Streamed text of the answer (tool-call markup excluded).
    Delta { text: String },
    /// The plan the model wrote (or rewrote).
    Plan { items: Vec<String> },
    /// A tool is about to run.
    ToolCall {
        id: String,
        name: String,
        arguments: Value,
    },
    /// What it returned: `summary` is its first line, `output` what the model sees, `diff` the
    /// change for the user.
    ToolResult {
        id: String,
        name: String,
        ok: bool,
        summary: String,
        output: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        diff: Option<String>,
        changed_files: Vec<String>,
    },
    /// A tool call that could not be read; the model is told what was wrong.
    InvalidCall { message: String },
    /// The automatic check after edits.
    Verify { result: VerifyResult },
    /// A candidate edit was sampled and tried on a scratch copy of the workspace.
    Candidate {
        /// Round (the second and later show the model its best failed attempt).
        round: usize,
        /// Candidate number within the task, from 1.
        index: usize,
        temperature: f32,
        /// The check passed on the copy.
        passed: bool,
        /// The check's verdict, or why the candidate was not tried.
        summary: String,
    },
    /// Something the user should know (context pruned, a guard fired, a budget is near).
    Notice { message: String },
    /// The run ended.
    Finished { report: AgentReport },
}
