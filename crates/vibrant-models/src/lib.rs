//! Model management for Vibrant: which code models exist ([`Catalog`]), which one suits this
//! machine ([`recommend`]), getting it safely from the Hugging Face Hub or a mirror
//! ([`Downloader`]: resume, retries, stall detection, sha256, atomic rename, free-space check,
//! cross-process lock, cancellation), and the local [`Store`] (downloaded and imported models, plus
//! read-only reuse of Ollama's store, the Hugging Face cache and configured search paths).
//!
//! Typical use, as `vibrant run` does it:
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//! use vibrant_models::{DownloadOptions, HubConfig, ModelSettings, ensure_model};
//!
//! let settings = ModelSettings {
//!     default: None,
//!     context_length: 4096,
//!     models_dir: "/home/me/.local/share/vibrant/models".into(),
//!     search_paths: vec![],
//!     hub: HubConfig::from_env(None),
//!     download: DownloadOptions::default(),
//!     speed_cache: None,
//! };
//! let cancel = AtomicBool::new(false);
//! let (model, _origin) = ensure_model(None, &settings, &mut |q| { eprintln!("{q}"); true }, &mut |_| {}, &cancel)?;
//! println!("{}", model.path().display());
//! # Ok::<(), vibrant_models::ModelError>(())
//! ```
//!
//! The library never prints; progress reaches the caller as [`DownloadEvent`]s.

mod catalog;
mod discover;
mod download;
mod error;
mod first_run;
mod hub;
mod select;
mod speed;
mod store;

pub use catalog::{ArchFacts, Catalog, CatalogModel, CatalogPick, QuantEntry, is_sha256};
pub use discover::{
    LocalModel, Location, default_hf_cache, default_ollama_dir, group_parts, quant_from_name,
    scan_hf_cache, scan_ollama, scan_search_path,
};
pub use download::{
    DownloadEvent, DownloadOptions, Downloader, FileOutcome, FileSpec, MAX_LISTING_BYTES,
    available_space, sha256_file,
};
pub use error::{ModelError, Result, human_bytes};
pub use first_run::{DownloadQuestion, ModelSettings, Origin, ensure_model, ensure_model_in};
pub use hub::{
    DEFAULT_ENDPOINT, HubConfig, RepoFile, check_file_name, check_repo_id, parse_tree, pick_files,
    split_part,
};
pub use select::{
    Candidate, MachineFacts, Recommendation, estimate, estimate_for, headroom_bytes,
    kv_cache_bytes, recommend, recommend_for, scratch_bytes, tier,
};
pub use speed::{
    SpeedEstimate, SpeedFacts, Workload, estimate_speed, int8_ops_per_core, parse_params,
};
pub use store::{
    RemoteFile, RemoteModel, Removed, Resolution, ResolvedModel, Store, download_time_estimate,
    is_gguf, remote_size,
};
