//! Everyday developer workflows over git and the model, for the CLI to wire: commit messages from
//! the staged diff ([`commit`], over [`git`]). The library reads no configuration and prints
//! nothing; errors carry what to do next ([`WorkflowError::hint`]).

pub mod commit;
mod error;
pub mod git;

pub use commit::{CommitMessage, Generated, Options as CommitOptions};
pub use error::WorkflowError;
pub use git::{Changes, Committed, FileChange, Repo, Scope};
