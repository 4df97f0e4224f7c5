//! The one error type of this crate. Every variant names the model, file, URL or directory at
//! fault and says what the user can do about it.

use std::path::PathBuf;

/// What went wrong while resolving, selecting, downloading or storing a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The embedded or a user-supplied catalog file is malformed.
    #[error("model catalog {source_name} is invalid: {message}")]
    Catalog {
        /// Where the catalog came from (`built-in catalog.toml` or a path).
        source_name: String,
        /// What is wrong, with the entry and field.
        message: String,
    },

    /// A model reference matches nothing: not a catalog name, not a Hub reference, not a file.
    #[error(
        "unknown model `{reference}`{suggestion}\n\
         use a catalog name (see `vibrant model list --catalog`), `hf.co/OWNER/REPO:QUANT`, \
         `OWNER/REPO/FILE.gguf` or the path of a .gguf file"
    )]
    UnknownModel {
        /// What the user typed.
        reference: String,
        /// `"; did you mean ..."` or empty.
        suggestion: String,
    },

    /// A catalog model exists but not in the requested quantization.
    #[error("model `{model}` has no quantization `{quant}` in the catalog; available: {available}")]
    UnknownQuant {
        /// The catalog model.
        model: String,
        /// The quantization asked for.
        quant: String,
        /// The quantizations the catalog lists, comma separated.
        available: String,
    },

    /// A Hub repository has no GGUF file matching the requested quantization.
    #[error("no GGUF file for quantization `{quant}` in {repo}; GGUF files there: {available}")]
    NoMatchingFile {
        /// `OWNER/REPO`.
        repo: String,
        /// The quantization asked for (or `any`).
        quant: String,
        /// The GGUF files the listing has.
        available: String,
    },

    /// 401/403 from the Hub: the repository is gated or private.
    #[error(
        "access to {url} was refused (HTTP {status}): the repository is gated or private.\n\
         accept its licence on the Hub page, then set HF_TOKEN to a token with read access{token_note}"
    )]
    Unauthorized {
        /// The URL that was refused.
        url: String,
        /// 401 or 403.
        status: u16,
        /// Whether a token was sent.
        token_note: &'static str,
    },

    /// 404 from the Hub.
    #[error(
        "{url} was not found (HTTP 404): check the repository and file name (and HF_ENDPOINT if you use a mirror)"
    )]
    NotFound {
        /// The URL that was not found.
        url: String,
    },

    /// Another HTTP status the downloader cannot recover from.
    #[error("{url} answered HTTP {status}{detail}")]
    Http {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// Extra context, may be empty.
        detail: String,
    },

    /// The HTTP client could not be set up (TLS initialisation).
    #[error("cannot set up the HTTP client: {message}")]
    HttpClient {
        /// The client builder's message.
        message: String,
    },

    /// The network failed (and retries were exhausted).
    #[error(
        "could not download {url} after {attempts} attempt(s): {message}\n\
         check the network connection (or HF_ENDPOINT / HTTPS_PROXY); the partial download is kept \
         and the next pull resumes it"
    )]
    Network {
        /// The URL.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last error.
        message: String,
    },

    /// The downloaded bytes do not hash to the expected sha256.
    #[error(
        "sha256 mismatch for {file}: expected {expected}, got {actual} (expected value from {origin}).\n\
         the corrupt partial download {partial} was removed; run the pull again"
    )]
    HashMismatch {
        /// The file name.
        file: String,
        /// The expected hash.
        expected: String,
        /// The computed hash.
        actual: String,
        /// Where the expected hash came from (catalog or X-Linked-ETag).
        origin: &'static str,
        /// The partial file that was removed.
        partial: PathBuf,
    },

    /// The size of the download does not match what the server announced.
    #[error(
        "{file}: downloaded {actual} bytes but the server announced {expected}; run the pull again"
    )]
    SizeMismatch {
        /// The file name.
        file: String,
        /// The announced size.
        expected: u64,
        /// The size received.
        actual: u64,
    },

    /// Not enough free disk space for the download.
    #[error(
        "not enough disk space in {dir}: {needed} needed, {available} available.\n\
         free some space or point paths.models_dir at a larger disk"
    )]
    DiskFull {
        /// The directory the model goes to.
        dir: PathBuf,
        /// Bytes still needed, human readable.
        needed: String,
        /// Bytes available, human readable.
        available: String,
    },

    /// The download was cancelled (Ctrl-C); the partial file is kept for a later resume.
    #[error(
        "download of {file} cancelled at {done} bytes; the partial file {partial} is kept and the next pull resumes it"
    )]
    Cancelled {
        /// The file name.
        file: String,
        /// Bytes in the partial file.
        done: u64,
        /// The partial file.
        partial: PathBuf,
    },

    /// A file that should be a GGUF model is not one.
    #[error("{path} is not a GGUF model file (it does not start with the `GGUF` magic)")]
    NotGguf {
        /// The file.
        path: PathBuf,
    },

    /// An import would take the name of a downloaded model.
    #[error("`{name}` is already the name of a downloaded model; import under another --name")]
    NameTaken {
        /// The name.
        name: String,
    },

    /// The model is not in the local store.
    #[error("model `{name}` is not installed; `vibrant model list` shows the installed models")]
    NotInstalled {
        /// What the user typed.
        name: String,
    },

    /// The model lives in another tool's store, which Vibrant only reads.
    #[error(
        "model `{name}` lives in {owner} ({path}); Vibrant only reads it there, remove it with that tool"
    )]
    ReadOnly {
        /// The model.
        name: String,
        /// Ollama, the Hugging Face cache, a search path.
        owner: String,
        /// Where it is.
        path: PathBuf,
    },

    /// First run without a model and without the user's consent to download one.
    #[error(
        "no model is configured and downloading {model} ({size}) needs your consent.\n\
         run `vibrant model pull {model}` first, pass --yes, or set model.default to a local .gguf file"
    )]
    ConsentRequired {
        /// The model that would be downloaded.
        model: String,
        /// Its size, human readable.
        size: String,
    },

    /// A file or directory could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`cannot read`, `cannot create`, ...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// A repository id or file name (from a reference, the catalog or a Hub listing) could
    /// leave the model store: a `..` component, an absolute path, a backslash or a control
    /// character.
    #[error("unsafe {field} {value:?}: {reason}.\n{hint}")]
    UnsafeName {
        /// `repository id` or `file name`.
        field: &'static str,
        /// The value at fault (shown quoted and escaped, so control characters cannot reach the
        /// terminal).
        value: String,
        /// What is wrong with it.
        reason: &'static str,
        /// What the user can do.
        hint: &'static str,
    },

    /// A JSON document (a manifest, a Hub listing) is malformed.
    #[error("{what} is not valid JSON: {message}")]
    Json {
        /// What was parsed (a path or a URL).
        what: String,
        /// The parser's message.
        message: String,
    },
}

impl ModelError {
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

/// This crate's result type.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;

/// Formats a byte count for people: `4.68 GB`, `512 MB`, `900 B` (decimal units, like the Hub).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}
