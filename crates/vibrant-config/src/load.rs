//! Assembling the configuration from its layers, remembering where each value came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml_edit::{Item, Value};

use crate::error::{ConfigError, Location, suggest};
use crate::paths::PlatformDirs;
use crate::schema::{Config, KEYS, KeySpec, key_spec, lookup};
use crate::types::{describe, expand_tilde};

/// Which config file: the user's or the project's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `~/.config/vibrant/config.toml` (or `$VIBRANT_CONFIG`, `--config`).
    User,
    /// `.vibrant/config.toml` in the working directory or one above it.
    Project,
}

/// The layer a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in default (or the platform's directory, for `paths.*`).
    Default,
    /// A config file.
    File { scope: Scope, path: PathBuf },
    /// An environment variable.
    Env { var: String },
    /// A command-line flag.
    Flag { flag: String },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File {
                scope: Scope::User,
                path,
            } => write!(f, "user config {}", path.display()),
            Self::File {
                scope: Scope::Project,
                path,
            } => {
                write!(f, "project config {}", path.display())
            }
            Self::Env { var } => write!(f, "environment variable {var}"),
            Self::Flag { flag } => write!(f, "command-line flag {flag}"),
        }
    }
}

/// One key's effective value and where it came from.
#[derive(Debug, Clone)]
pub struct Explained {
    /// The key.
    pub spec: &'static KeySpec,
    /// Its value; `None` when unset.
    pub value: Option<Value>,
    /// The layer that set it.
    pub origin: Origin,
}

/// Builds a [`LoadedConfig`]. Without further calls it reads the process's working directory,
/// `VIBRANT_*` environment variables (as they were when [`Loader::new`] ran) and platform
/// directories; tests give their own.
#[derive(Debug, Clone)]
pub struct Loader {
    dirs: PlatformDirs,
    cwd: Option<PathBuf>,
    env: Vec<(String, String)>,
    env_warnings: Vec<String>,
    config_file: Option<PathBuf>,
    overrides: Vec<(String, String, String)>,
}

impl Default for Loader {
    fn default() -> Self {
        Self::new()
    }
}

impl Loader {
    /// A loader reading the process's environment.
    pub fn new() -> Self {
        let mut env = Vec::new();
        let mut env_warnings = Vec::new();
        for (key, value) in std::env::vars_os() {
            let Some(key) = key.to_str().filter(|k| k.starts_with("VIBRANT_")) else {
                continue;
            };
            match value.into_string() {
                Ok(value) => env.push((key.to_owned(), value)),
                Err(_) => {
                    env_warnings.push(format!("ignoring {key}: its value is not valid UTF-8"))
                }
            }
        }
        Self {
            dirs: PlatformDirs::detect(),
            cwd: None,
            env,
            env_warnings,
            config_file: None,
            overrides: Vec::new(),
        }
    }

    /// Uses these platform directories instead of the current user's.
    pub fn dirs(mut self, dirs: PlatformDirs) -> Self {
        self.dirs = dirs;
        self
    }

    /// Looks for the project file from `dir` upwards instead of the working directory.
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// Uses these environment variables instead of the process's.
    pub fn env<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self.env_warnings.clear();
        self
    }

    /// Reads the user layer from `path` (the `--config` flag) instead of the default location.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_file = Some(path.into());
        self
    }

    /// Sets `key` from the command line, above every other layer. `flag` is how the user wrote it
    /// (`--color`, `--set`), for origins and errors. The key and value are checked by [`Self::load`].
    pub fn set_override(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
        flag: impl Into<String>,
    ) -> Self {
        self.overrides.push((key.into(), value.into(), flag.into()));
        self
    }

    /// Adds a `--set KEY=VALUE` flag.
    pub fn set_assignment(self, assignment: &str) -> Result<Self, ConfigError> {
        let (key, value) = assignment
            .split_once('=')
            .ok_or_else(|| ConfigError::BadOverride(assignment.to_owned()))?;
        Ok(self.set_override(key.trim(), value, "--set"))
    }

    fn env_var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn working_dir(&self) -> Option<PathBuf> {
        self.cwd.clone().or_else(|| std::env::current_dir().ok())
    }

    /// The user config file: `--config`, else `$VIBRANT_CONFIG`, else `config.toml` in the
    /// platform config directory. It need not exist.
    pub fn user_file(&self) -> Result<PathBuf, ConfigError> {
        if let Some(path) = &self.config_file {
            return Ok(path.clone());
        }
        if let Some(path) = self.env_var("VIBRANT_CONFIG").filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(path));
        }
        self.dirs
            .config_dir
            .as_ref()
            .map(|d| d.join("config.toml"))
            .ok_or(ConfigError::NoConfigDir)
    }

    /// The nearest `.vibrant/config.toml` in the working directory or above, if any.
    pub fn project_file(&self) -> Option<PathBuf> {
        let cwd = self.working_dir()?;
        let user = self.user_file().ok();
        cwd.ancestors()
            .map(|d| d.join(".vibrant").join("config.toml"))
            .find(|p| p.is_file() && user.as_deref().is_none_or(|u| !same_file(u, p)))
    }

    /// Where `config set --project` writes: the nearest project file, else
    /// `.vibrant/config.toml` in the working directory.
    pub fn project_file_for_writing(&self) -> PathBuf {
        self.project_file().unwrap_or_else(|| {
            self.working_dir()
                .unwrap_or_default()
                .join(".vibrant")
                .join("config.toml")
        })
    }

    /// Reads every layer and returns the effective configuration.
    pub fn load(&self) -> Result<LoadedConfig, ConfigError> {
        let mut loaded = LoadedConfig::empty();
        let explicit = self.config_file.is_some() || self.env_var("VIBRANT_CONFIG").is_some();
        match self.user_file() {
            Ok(path) => {
                if let Some(text) = read_optional(&path)? {
                    apply_file(&mut loaded, &path, Scope::User, &text)?;
                    loaded.user_file = Some(path);
                } else if explicit {
                    loaded.warnings.push(format!(
                        "config file {} does not exist; using defaults",
                        path.display()
                    ));
                }
            }
            Err(e) => loaded.warnings.push(e.to_string()),
        }
        if let Some(path) = self.project_file()
            && let Some(text) = read_optional(&path)?
        {
            apply_file(&mut loaded, &path, Scope::Project, &text)?;
            loaded.project_file = Some(path);
        }
        loaded.warnings.extend(self.env_warnings.iter().cloned());
        apply_env(&mut loaded, &self.env)?;
        for (key, value, flag) in &self.overrides {
            let location = Location::Flag { flag: flag.clone() };
            let spec = lookup(key, Some(location.clone()))?;
            let result = (spec.set_text)(&mut loaded.config, value);
            spec.check(result, || format!("{value:?}"), location)?;
            loaded
                .origins
                .insert(spec.name, Origin::Flag { flag: flag.clone() });
        }
        fill_platform_paths(&mut loaded.config, &self.dirs);
        Ok(loaded)
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Reads a file that may be absent; any other failure is an error naming it.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Applies one config file's keys, checking each against the schema.
pub(crate) fn apply_file(
    loaded: &mut LoadedConfig,
    path: &Path,
    scope: Scope,
    text: &str,
) -> Result<(), ConfigError> {
    let doc = toml_edit::Document::parse(text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    let line_of = |span: Option<std::ops::Range<usize>>| {
        span.map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
    };
    let location = |line| Location::File {
        path: path.to_path_buf(),
        line,
    };
    for (section, item) in doc.as_table().iter() {
        let line = line_of(doc.as_table().key(section).and_then(|k| k.span()));
        if !KEYS.iter().any(|k| k.section == section) {
            return Err(ConfigError::unknown_key(Some(location(line)), section));
        }
        let Some(table) = item.as_table_like() else {
            return Err(ConfigError::WrongType {
                location: location(line),
                key: section.to_owned(),
                expected: format!("a table ([{section}])"),
                found: item
                    .as_value()
                    .map_or_else(|| item.type_name().to_owned(), describe),
            });
        };
        for (key, item) in table.iter() {
            let name = format!("{section}.{key}");
            let line = line_of(table.key(key).and_then(|k| k.span()));
            let spec = lookup(&name, Some(location(line)))?;
            let value = match item {
                Item::Value(v) => v,
                other => {
                    return Err(ConfigError::WrongType {
                        location: location(line),
                        key: name,
                        expected: spec.expected(),
                        found: other.type_name().to_owned(),
                    });
                }
            };
            if scope == Scope::Project && spec.user_only {
                return Err(ConfigError::UserOnly {
                    location: location(line),
                    key: name,
                    env: spec.preferred_env_var(),
                });
            }
            let result = (spec.set_toml)(&mut loaded.config, value);
            spec.check(result, || describe(value), location(line))?;
            loaded.origins.insert(
                spec.name,
                Origin::File {
                    scope,
                    path: path.to_path_buf(),
                },
            );
        }
    }
    Ok(())
}

fn apply_env(loaded: &mut LoadedConfig, env: &[(String, String)]) -> Result<(), ConfigError> {
    let lookup = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    for spec in KEYS {
        // The alias first, so the canonical name wins when both are set.
        let canonical = spec.env_var();
        for var in spec.env_alias.into_iter().chain([canonical.as_str()]) {
            if let Some(text) = lookup(var) {
                let result = (spec.set_text)(&mut loaded.config, text);
                let location = Location::Env {
                    var: var.to_owned(),
                };
                spec.check(result, || format!("{text:?}"), location)?;
                loaded.origins.insert(
                    spec.name,
                    Origin::Env {
                        var: var.to_owned(),
                    },
                );
            }
        }
    }
    // A misspelt variable in a known section is silently ignored by most programs; say so.
    for (var, _) in env {
        let Some(rest) = var.strip_prefix("VIBRANT_") else {
            continue;
        };
        let known_section = KEYS
            .iter()
            .any(|k| rest.starts_with(&format!("{}_", k.section.to_ascii_uppercase())));
        let known_var = KEYS
            .iter()
            .any(|k| k.env_var() == *var || k.env_alias == Some(var.as_str()));
        if known_section && !known_var {
            let guess = rest.to_ascii_lowercase().replacen('_', ".", 1);
            let hint = suggest(&guess)
                .and_then(|name| key_spec(&name))
                .map(|s| format!("; did you mean {}?", s.env_var()))
                .unwrap_or_default();
            loaded
                .warnings
                .push(format!("ignoring unknown environment variable {var}{hint}"));
        }
    }
    Ok(())
}

fn fill_platform_paths(config: &mut Config, dirs: &PlatformDirs) {
    let home = dirs.home.as_deref();
    for path in &mut config.model.search_paths {
        *path = expand_tilde(path, home);
    }
    let paths = &mut config.paths;
    for path in [
        &mut paths.data_dir,
        &mut paths.cache_dir,
        &mut paths.state_dir,
        &mut paths.models_dir,
    ]
    .into_iter()
    .flatten()
    {
        *path = expand_tilde(path, home);
    }
    if paths.data_dir.is_none() {
        paths.data_dir = dirs.data_dir.clone();
    }
    if paths.cache_dir.is_none() {
        paths.cache_dir = dirs.cache_dir.clone();
    }
    if paths.state_dir.is_none() {
        paths.state_dir = dirs.state_dir.clone();
    }
    if paths.models_dir.is_none() {
        paths.models_dir = paths.data_dir.as_ref().map(|d| d.join("models"));
    }
}

/// The effective configuration, with the origin of every value. Dereferences to [`Config`].
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The values.
    pub config: Config,
    origins: BTreeMap<&'static str, Origin>,
    /// The user file, when it exists and was read.
    pub user_file: Option<PathBuf>,
    /// The project file, when one was found and read.
    pub project_file: Option<PathBuf>,
    /// Things the user should hear about (a missing `--config` file, an unknown `VIBRANT_*`
    /// variable). The library does not print; the binary logs them.
    pub warnings: Vec<String>,
}

impl std::ops::Deref for LoadedConfig {
    type Target = Config;
    fn deref(&self) -> &Config {
        &self.config
    }
}

impl LoadedConfig {
    /// Defaults only, nothing read yet.
    pub(crate) fn empty() -> Self {
        Self {
            config: Config::default(),
            origins: BTreeMap::new(),
            user_file: None,
            project_file: None,
            warnings: Vec::new(),
        }
    }

    /// A key's value and the layer it came from (`config get --show-origin`).
    pub fn explain(&self, key: &str) -> Result<Explained, ConfigError> {
        Ok(self.explain_spec(lookup(key, None)?))
    }

    fn explain_spec(&self, spec: &'static KeySpec) -> Explained {
        Explained {
            spec,
            value: spec.get(&self.config),
            origin: self
                .origins
                .get(spec.name)
                .cloned()
                .unwrap_or(Origin::Default),
        }
    }

    /// Every key, in schema order (`config list`).
    pub fn entries(&self) -> impl Iterator<Item = Explained> + '_ {
        KEYS.iter().map(|spec| self.explain_spec(spec))
    }
}
