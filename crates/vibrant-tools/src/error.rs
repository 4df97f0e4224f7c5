//! The error type of the tools crate.

use std::path::PathBuf;

/// What went wrong while running a tool. Every variant names the path or argument at fault and
/// says what to do; [`crate::Toolbox::call`] turns these into a failed [`crate::ToolResult`]
/// whose text is shown to the model.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// The model named a tool the registry does not have.
    #[error("unknown tool `{name}`; available tools: {available}")]
    UnknownTool { name: String, available: String },
    /// The arguments did not match the tool's schema.
    #[error("invalid arguments for `{tool}`: {message}")]
    InvalidArgs { tool: String, message: String },
    /// A path that resolves outside the workspace root.
    #[error(
        "path `{path}` is outside the workspace {root}: {why}; use a path relative to the workspace root"
    )]
    OutsideWorkspace {
        path: String,
        root: PathBuf,
        why: String,
    },
    /// The workspace is `/`, the home directory or above it: every file of the user's would be
    /// in reach of the agent's edits and commands.
    #[error(
        "the workspace {root} is {why}: the agent's edits and commands could change any of your files; start in a project directory (or pass it with -C DIR), or allow this explicitly with --allow-broad-workspace"
    )]
    BroadWorkspace { root: PathBuf, why: String },
    /// A path inside `.git/`, which the file tools never write.
    #[error(
        "path `{path}` is inside .git/; the agent does not modify git internals (use git yourself)"
    )]
    GitInternals { path: String },
    /// A file that does not exist (or is not a regular file).
    #[error("`{path}` does not exist or is not a file; check the path with list_dir or glob")]
    NotFound { path: String },
    /// The file changed on disk since the agent last read it.
    #[error(
        "`{path}` changed on disk since you last read it (someone else edited it); call read_file on it again before changing it"
    )]
    StaleFile { path: String },
    /// An existing file the agent never read would be overwritten.
    #[error(
        "`{path}` already exists and you have not read it; call read_file first, then edit_file or write_file"
    )]
    NotRead { path: String },
    /// A file too large for the text tools.
    #[error(
        "`{path}` is {size} bytes, over the {limit}-byte limit of the file tools; use grep, or run_command with head/tail/sed"
    )]
    TooLarge { path: String, size: u64, limit: u64 },
    /// A file that is not UTF-8 text.
    #[error("`{path}` is not UTF-8 text ({why}); the file tools only edit text files")]
    NotText { path: String, why: String },
    /// `edit_file` found no region matching the search text; carries the did-you-mean excerpt.
    #[error("{message}")]
    NoMatch { message: String },
    /// A patch that could not be parsed or applied.
    #[error("patch error: {message}")]
    Patch { message: String },
    /// The user (through the [`crate::Approver`]) declined the action.
    #[error("the user declined this {what}{}", reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
    Declined {
        what: String,
        reason: Option<String>,
    },
    /// The doom-loop guard stopped a repeated call.
    #[error("{message}")]
    Repeated { message: String },
    /// A checkpoint or undo problem.
    #[error("{message}")]
    Undo { message: String },
    /// An I/O error on a named path.
    #[error("I/O error on `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A command could not be started.
    #[error("could not run `{command}`: {message}")]
    Command { command: String, message: String },
}

impl ToolError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ToolError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn args(tool: &str, message: impl Into<String>) -> Self {
        ToolError::InvalidArgs {
            tool: tool.to_owned(),
            message: message.into(),
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = ToolError> = std::result::Result<T, E>;
