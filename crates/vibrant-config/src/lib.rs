//! Vibrant's configuration: a typed [`Config`] assembled from layers, each overriding the one
//! before it:
//!
//! 1. built-in defaults,
//! 2. the user file (`~/.config/vibrant/config.toml` on Linux; `$VIBRANT_CONFIG` or `--config`
//!    name another file),
//! 3. the project file `.vibrant/config.toml`, found by walking up from the working directory,
//! 4. `VIBRANT_<SECTION>_<KEY>` environment variables,
//! 5. command-line flags ([`Loader::set_override`]).
//!
//! Every key is declared once, in `schema.rs`: its section, name, Rust type, default, doc and
//! validation. That one declaration drives the struct fields, the environment variable, the
//! error messages, `vibrant config get/set/list` and [`LoadedConfig::explain`].
//!
//! Bad input never panics: an unreadable or malformed file, an unknown key or a value of the
//! wrong type is a [`ConfigError`] naming the file (and line), the dotted key and the expected type.
//! [`edit::set`] and [`edit::unset`] change one key in a file, keeping its comments and layout,
//! and replace it atomically.
//!
//! ```
//! use vibrant_config::{Loader, PlatformDirs};
//!
//! let home = tempfile::tempdir()?;
//! let loaded = Loader::new()
//!     .dirs(PlatformDirs::under_home(home.path()))
//!     .cwd(home.path())
//!     .env([("VIBRANT_GENERATION_TEMPERATURE", "0.7")])
//!     .load()?;
//! assert_eq!(loaded.generation.temperature, 0.7);
//! assert_eq!(loaded.model.context_length, 4096);
//! assert_eq!(
//!     loaded.explain("generation.temperature")?.origin.to_string(),
//!     "environment variable VIBRANT_GENERATION_TEMPERATURE"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod edit;
mod error;
mod load;
mod paths;
mod schema;
mod types;

pub use error::{ConfigError, Location};
pub use load::{Explained, LoadedConfig, Loader, Origin, Scope};
pub use paths::PlatformDirs;
pub use schema::{
    AgentSection, BackendSection, Config, EngineSection, GenerationSection, KEYS, KeySpec,
    LogSection, ModelSection, PathsSection, UiSection, key_spec,
};
/// The TOML library whose [`toml_edit::Value`] appears in this crate's API.
pub use toml_edit;
pub use types::{BackendKind, ColorChoice, ConfigType, KernelChoice, display_value};

#[cfg(test)]
mod tests;
