//! Configuration errors: each names where the bad input is (file and line, environment variable
//! or flag), the dotted key, and what was expected.

use std::path::PathBuf;

/// Where a configuration value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A config file, with the 1-based line of the key when known.
    File { path: PathBuf, line: Option<usize> },
    /// An environment variable.
    Env { var: String },
    /// A command-line flag (`--color`, `--set`).
    Flag { flag: String },
    /// A value given to `vibrant config set`.
    Argument,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File {
                path,
                line: Some(line),
            } => write!(f, "{}:{line}", path.display()),
            Self::File { path, line: None } => write!(f, "{}", path.display()),
            Self::Env { var } => write!(f, "environment variable {var}"),
            Self::Flag { flag } => write!(f, "command-line flag {flag}"),
            Self::Argument => f.write_str("command-line argument"),
        }
    }
}

/// Everything that can go wrong reading or writing configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A config file exists but cannot be read.
    #[error("cannot read config file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A config file is not valid TOML (the message shows the line and column).
    #[error("config file {} is not valid TOML; fix it or move it aside\n{message}", path.display())]
    Parse { path: PathBuf, message: String },
    /// A key (or section) that does not exist.
    #[error(
        "{}unknown config key `{key}`{}",
        prefix(location),
        suggestion_text(suggestion)
    )]
    UnknownKey {
        location: Option<Location>,
        key: String,
        suggestion: Option<String>,
    },
    /// A value of the wrong type.
    #[error("{location}: `{key}` must be {expected}, found {found}")]
    WrongType {
        location: Location,
        key: String,
        expected: String,
        found: String,
    },
    /// A value of the right type but not allowed (out of range, malformed).
    #[error("{location}: `{key}` {message}")]
    Invalid {
        location: Location,
        key: String,
        message: String,
    },
    /// A key that project files may not set.
    #[error(
        "{location}: `{key}` cannot be set in a project file (a repository could use it to redirect \
         your API key or files); set it in your user config or with {env}"
    )]
    UserOnly {
        location: Location,
        key: String,
        env: String,
    },
    /// A config file cannot be written.
    #[error("cannot write config file {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No home directory, so no user config file location.
    #[error(
        "cannot locate the user config directory (no home directory); set VIBRANT_CONFIG to the \
         config file's path"
    )]
    NoConfigDir,
    /// A `--set` flag without `=`.
    #[error("--set expects KEY=VALUE (e.g. --set generation.temperature=0.7), found {0:?}")]
    BadOverride(String),
}

impl ConfigError {
    /// An unknown key, with the closest known key as a suggestion.
    pub(crate) fn unknown_key(location: Option<Location>, key: &str) -> Self {
        Self::UnknownKey {
            location,
            key: key.to_owned(),
            suggestion: suggest(key),
        }
    }
}

fn prefix(location: &Option<Location>) -> String {
    location
        .as_ref()
        .map(|l| format!("{l}: "))
        .unwrap_or_default()
}

fn suggestion_text(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean `{s}`? (`vibrant config list` shows every key)"),
        None => " (`vibrant config list` shows every key)".to_owned(),
    }
}

/// The known dotted key closest to `unknown`, if any is close.
pub(crate) fn suggest(unknown: &str) -> Option<String> {
    let last = unknown.rsplit('.').next().unwrap_or(unknown);
    crate::KEYS
        .iter()
        .map(|k| {
            // A key put in the wrong section (or none) is the likeliest mistake.
            let d = if k.key == last {
                0
            } else {
                edit_distance(k.name, unknown)
            };
            (d, k.name)
        })
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name.to_owned())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
