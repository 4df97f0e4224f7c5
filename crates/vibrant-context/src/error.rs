//! Errors of the context system; each names the file at fault and what to do.

use std::path::PathBuf;

/// Everything that can go wrong while indexing or reading an index.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// A file or directory could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("cannot read", "cannot write", ...).
        action: &'static str,
        /// The path at fault.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The index on disk could not be decoded.
    #[error(
        "index file {path} is damaged at byte {offset} ({reason}); the index is only a cache: delete {path} \
         (or its directory) and run `vibrant index` again"
    )]
    Corrupt {
        /// The index file.
        path: PathBuf,
        /// Byte offset of the problem.
        offset: usize,
        /// What was wrong.
        reason: String,
    },
    /// The repository root is missing or not a directory.
    #[error("repository root {path} is not a directory; pass the path of a directory to index")]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },
    /// No cache directory could be found for the index.
    #[error(
        "no cache directory for the index: set VIBRANT_CACHE_DIR or HOME, or pass an index directory"
    )]
    NoCacheDir,
    /// A `--context` path or glob matched no file.
    #[error(
        "--context {pattern:?} matches no file in {root}; give a path relative to the repository root or a glob"
    )]
    NoMatch {
        /// The pattern as given.
        pattern: String,
        /// The repository root.
        root: PathBuf,
    },
    /// A `--context` glob did not parse.
    #[error(
        "invalid path pattern {pattern:?}: {source}; use a path or a glob such as `src/**/*.rs`"
    )]
    Glob {
        /// The pattern as given.
        pattern: String,
        /// The parse error.
        #[source]
        source: globset::Error,
    },
}

impl ContextError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
