//! What bounds a run.

use std::time::Duration;

use serde::Serialize;

pub use crate::solve::CandidateConfig;

/// How the agent checks its own edits when the model says it is done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verify {
    /// The project's tests when a test tool is detected, else its build; nothing when neither.
    #[default]
    Auto,
    /// `run_tests`.
    Tests,
    /// `run_build`.
    Build,
    /// No automatic check.
    Off,
}

impl Verify {
    /// Parses `auto`, `tests`, `build`, `off`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(Self::Auto),
            "tests" | "test" => Some(Self::Tests),
            "build" => Some(Self::Build),
            "off" | "none" => Some(Self::Off),
            _ => None,
        }
    }
}

/// Limits and settings of one run.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// Model answers at most (each may call several tools).
    pub max_steps: usize,
    /// Automatic verify-and-fix rounds at most.
    pub max_reflections: usize,
    /// Wall-clock budget for the whole task.
    pub time_budget: Option<Duration>,
    pub verify: Verify,
    /// Tokens one model answer may take.
    pub answer_tokens: usize,
    pub temperature: f32,
    pub top_k: usize,
    pub top_p: f32,
    pub min_p: f32,
    pub seed: Option<u64>,
    /// Ask the backend to constrain tool calls to their schemas (the embedded engine does).
    pub constrain_tools: bool,
    /// Test-verified candidate edits tried before the tool loop.
    pub candidates: CandidateConfig,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            max_steps: 30,
            max_reflections: 3,
            time_budget: None,
            verify: Verify::Auto,
            answer_tokens: 1024,
            temperature: 0.0,
            top_k: 40,
            top_p: 0.95,
            min_p: 0.05,
            seed: None,
            constrain_tools: true,
            candidates: CandidateConfig::default(),
        }
    }
}
