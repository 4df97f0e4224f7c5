//! Codebase context for Vibrant: everything the assistant needs to know about a repository,
//! fitted into a small model's prompt.
//!
//! The pipeline, one module each:
//! - [`walk`]: list the repository's files with the `ignore` crate (`.gitignore`, `.ignore`,
//!   global git excludes, hidden files, `.vibrantignore`), skipping vendored trees, lockfiles,
//!   binaries, generated files and files over a size limit; [`lang`] detects the language.
//! - [`syntax`]: tree-sitter definitions (with signatures), references, imports and
//!   syntax-aligned chunks for Rust, Python, Go, JavaScript, TypeScript/TSX, Java, C and C++;
//!   line-window chunks for everything else.
//! - [`index`]: a persistent, incremental index in the user cache dir (size+mtime, then content
//!   hash) with BM25 search over chunks using code-aware terms ([`terms`]).
//! - [`repomap`]: definitions ranked by personalised PageRank over the reference graph,
//!   rendered as signatures and cut to a token budget.
//! - [`summary`]: a project overview (tree, README excerpt, languages, build systems).
//! - [`assemble`]: the budgeted context the assistant sends to the model.
//!
//! Token counting is injected through [`TokenCounter`]; [`CharEstimate`] is used when no model
//! tokenizer is available. This crate depends on no other Vibrant crate.

pub mod assemble;
mod blob;
mod codec;
pub mod error;
pub mod index;
pub mod lang;
mod postings;
pub mod repomap;
pub mod retrieve;
pub mod summary;
pub mod syntax;
pub mod terms;
pub mod tokens;
pub mod walk;

pub use assemble::{AssembleOptions, Snippet, SnippetKind, render_snippets};
pub use error::ContextError;
pub use index::{FileRecord, FileStatus, Index, IndexOptions, Progress, SearchHit, UpdateStats};
pub use lang::Language;
pub use repomap::RepoMapOptions;
pub use retrieve::{ChunkRef, Retriever, reciprocal_rank_fusion};
pub use summary::ProjectSummary;
pub use syntax::{ChunkSpan, FileSyntax, Symbol, SymbolKind};
pub use tokens::{CharEstimate, TokenCounter};
pub use walk::{SkipReason, WalkOptions};

/// Result alias for this crate.
pub type Result<T, E = ContextError> = std::result::Result<T, E>;
