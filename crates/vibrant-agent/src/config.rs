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

/// Newest messages compaction keeps as they are (the task's latest steps).
const KEEP_LAST: usize = 4;

/// Most tokens of a compaction summary.
const SUMMARY_TOKENS: usize = 200;

impl AgentConfig {
    /// The settings of each step's answer: these sampling settings (repeat penalty off), and
    /// compaction that keeps the latest steps.
    pub fn turn(&self) -> vibrant_core::Turn {
        vibrant_core::Turn {
            max_tokens: self.answer_tokens,
            temperature: self.temperature,
            top_k: self.top_k,
            top_p: self.top_p,
            min_p: self.min_p,
            repeat_penalty: 1.0,
            seed: self.seed,
            constrain_tools: self.constrain_tools,
            keep_last: KEEP_LAST,
            summary_tokens: Some(SUMMARY_TOKENS),
        }
    }
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
