//! How a run ended and what it changed.

use serde::Serialize;

/// Why the loop stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The model finished (and the check after its edits passed, or there was nothing to check).
    Done,
    /// The model finished but the check after its edits still fails after every allowed
    /// reflection.
    Unverified,
    /// The model kept repeating itself (the doom-loop guard fired twice in a row) or could not
    /// produce a readable tool call.
    Stuck { reason: String },
    /// `max_steps` model answers were used.
    StepBudget,
    /// The time budget ran out.
    TimeBudget,
    /// The user cancelled (Ctrl-C).
    Cancelled,
    /// The backend failed (the message says why).
    Failed { message: String },
}

impl Outcome {
    /// A short label for messages and exit codes.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Unverified => "unverified",
            Self::Stuck { .. } => "stuck",
            Self::StepBudget => "step budget reached",
            Self::TimeBudget => "time budget reached",
            Self::Cancelled => "cancelled",
            Self::Failed { .. } => "failed",
        }
    }
}

/// One changed file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileStat {
    pub path: String,
    /// `created`, `modified` or `deleted`.
    pub status: &'static str,
    pub added: usize,
    pub removed: usize,
}

/// The result of an automatic check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyResult {
    /// `run_tests` or `run_build`.
    pub tool: String,
    pub passed: bool,
    /// The first line of the tool's output (`tests PASSED (exit code 0) — cargo: …`).
    pub summary: String,
}

/// The end of a run.
#[derive(Clone, Debug, Serialize)]
pub struct AgentReport {
    pub outcome: Outcome,
    /// Model answers.
    pub steps: usize,
    pub tool_calls: usize,
    /// Calls that failed (the tool reported an error).
    pub failed_calls: usize,
    /// Calls that could not be read.
    pub invalid_calls: usize,
    /// Automatic verify-and-fix rounds used.
    pub reflections: usize,
    /// What the task changed, net (before the first change to after the last).
    pub files: Vec<FileStat>,
    /// The last automatic check, if one ran.
    pub verification: Option<VerifyResult>,
    /// The model's closing words.
    pub final_message: String,
    pub prompt_tokens: usize,
    pub reused_tokens: usize,
    pub completion_tokens: usize,
    /// Candidate edits sampled and tried on a scratch copy before the tool loop.
    pub candidates: usize,
    pub elapsed_secs: f64,
}

impl AgentReport {
    /// `3 files changed, 12 insertions(+), 4 deletions(-)`.
    pub fn diffstat_line(&self) -> String {
        let added: usize = self.files.iter().map(|f| f.added).sum();
        let removed: usize = self.files.iter().map(|f| f.removed).sum();
        let n = self.files.len();
        format!(
            "{n} file{} changed, {added} insertion{}(+), {removed} deletion{}(-)",
            if n == 1 { "" } else { "s" },
            if added == 1 { "" } else { "s" },
            if removed == 1 { "" } else { "s" },
        )
    }
}

/// Counts the lines a unified diff adds and removes, and whether it creates or deletes the file.
pub fn diffstat(path: &str, diff: &str) -> FileStat {
    let (mut added, mut removed) = (0, 0);
    let mut status = "modified";
    for line in diff.lines() {
        if line.starts_with("+++ ") || line.starts_with("--- ") {
            if line.ends_with("/dev/null") {
                status = if line.starts_with("---") {
                    "created"
                } else {
                    "deleted"
                };
            }
        } else if line.starts_with('+') {
            added += 1;
        } else if line.starts_with('-') {
            removed += 1;
        }
    }
    FileStat {
        path: path.to_owned(),
        status,
        added,
        removed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines() {
        let d = "--- a/x.rs\n+++ b/x.rs\n@@ -1,2 +1,3 @@\n a\n-b\n+c\n+d\n";
        let s = diffstat("x.rs", d);
        assert_eq!((s.added, s.removed, s.status), (2, 1, "modified"));
        let s = diffstat("n", "--- /dev/null\n+++ b/n\n@@ -0,0 +1 @@\n+x\n");
        assert_eq!((s.added, s.removed, s.status), (1, 0, "created"));
        let s = diffstat("n", "--- a/n\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n");
        assert_eq!((s.added, s.removed, s.status), (0, 1, "deleted"));
    }
}
