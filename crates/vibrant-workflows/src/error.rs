use std::path::PathBuf;

/// What went wrong in a workflow, with what the user can do about it ([`WorkflowError::hint`]).
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("{} is not inside a git repository", dir.display())]
    NotARepository { dir: PathBuf },
    #[error("cannot run git: {message}")]
    GitMissing { message: String },
    #[error("`{command}` failed: {message}")]
    Git { command: String, message: String },
    #[error("nothing is staged to commit{}", unstaged_note(*tracked, *untracked))]
    NothingStaged { tracked: usize, untracked: usize },
    #[error("there is no commit to amend yet")]
    NothingToAmend,
    #[error("{what} is in progress")]
    OperationInProgress { what: &'static str },
    #[error("`{command}` failed:\n{message}")]
    CommitFailed { command: String, message: String },
    #[error("the model's answer is not a commit message: {problem}")]
    NoMessage { problem: String },
    #[error("cancelled")]
    Cancelled,
    #[error(transparent)]
    Backend(#[from] vibrant_core::BackendError),
}

fn unstaged_note(tracked: usize, untracked: usize) -> String {
    match (tracked, untracked) {
        (0, 0) => " (the working tree is clean)".to_owned(),
        (t, 0) => format!(" ({t} changed file(s) are not staged)"),
        (0, u) => format!(" ({u} untracked file(s))"),
        (t, u) => format!(" ({t} changed file(s) not staged, {u} untracked)"),
    }
}

impl WorkflowError {
    /// What to do next, for the front end to print after the error.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::NotARepository { .. } => "run it in a git work tree (or `git init` first)".into(),
            Self::GitMissing { .. } => "install git and make sure it is on PATH".into(),
            Self::NothingStaged { tracked, .. } if *tracked > 0 => {
                "stage what belongs in the commit with `git add PATH…`, or pass --all to commit every changed tracked file".into()
            }
            Self::NothingStaged { untracked, .. } if *untracked > 0 => {
                "stage the new files with `git add PATH…` first".into()
            }
            Self::NothingStaged { .. } => "change something first".into(),
            Self::NothingToAmend => "make the first commit without --amend".into(),
            Self::OperationInProgress { what } => format!(
                "finish {what} with `git commit` (git prepared its message), or abort it"
            ),
            Self::CommitFailed { .. } => {
                "nothing was committed; the message is printed above so you can reuse it with `git commit -F FILE`".into()
            }
            Self::NoMessage { .. } => {
                "try again, pick a larger model (-m), or write the message yourself".into()
            }
            Self::Git { .. } | Self::Backend(_) | Self::Cancelled => return None,
        })
    }
}
