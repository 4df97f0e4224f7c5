//! Test support shared by the workspace's test suites: locating the real GGUF test models and the
//! llama.cpp reference data committed under `tests/data/llama.cpp/`.
//!
//! ```no_run
//! let path = vibrant_testutil::model_path("smollm2-135m-instruct-q4_1");
//! assert!(path.exists());
//! ```
#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};

/// The three models the project's tests run on (see `scripts/fetch-test-models.sh`).
pub const MODELS: [&str; 3] = [
    "smollm2-135m-instruct-q4_1",
    "qwen2.5-coder-0.5b-instruct-awq-mixed",
    "qwen2.5-coder-1.5b-instruct-q4_k_m",
];

/// The directory the fetch script fills: `$VIBRANT_TEST_MODELS`, else `$XDG_CACHE_HOME/vibrant/test-models`,
/// else `~/.cache/vibrant/test-models`.
pub fn models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("VIBRANT_TEST_MODELS") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("vibrant").join("test-models")
}

/// Path of a test model by name (e.g. `"smollm2-135m-instruct-q4_1"`).
///
/// # Panics
/// When the file is missing, with the exact command that fetches it.
pub fn model_path(name: &str) -> PathBuf {
    let path = models_dir().join(format!("{name}.gguf"));
    if !path.is_file() {
        panic!(
            "test model `{name}` not found at {}\n\
             run this from the repository root to fetch and verify it:\n    scripts/fetch-test-models.sh\n\
             (set VIBRANT_TEST_MODELS to use another directory)",
            path.display()
        );
    }
    path
}

/// The repository root (two levels above this crate's manifest).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A file of the llama.cpp reference data committed in `tests/data/llama.cpp/`.
pub fn reference_path(file: &str) -> PathBuf {
    repo_root()
        .join("tests")
        .join("data")
        .join("llama.cpp")
        .join(file)
}

/// Reads a reference file as a string, panicking with its path when it cannot.
pub fn reference_text(file: &str) -> String {
    let path = reference_path(file);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read reference file {}: {e}", path.display()))
}
