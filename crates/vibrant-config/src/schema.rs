//! Every configuration key, declared once.
//!
//! To add a key, add one line to the section it belongs to in the `config_schema!` call below:
//! `/// doc` then `name: Type = default,` optionally followed by `check <fn>` (validation),
//! `env "VIBRANT_ALIAS"` (a second environment variable) and `user_only = true` (not
//! allowed in a project file). The struct field, the `VIBRANT_<SECTION>_<KEY>` variable, `config get/set/list`,
//! origins and error messages all follow from it. Then document it in `specs/configuration.md`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use toml_edit::Value;

use crate::error::{ConfigError, Location};
use crate::types::{BackendKind, ColorChoice, ConfigType, KernelChoice};

/// One configuration key: its name, documentation, and how to read and write it.
#[derive(Clone, Copy)]
pub struct KeySpec {
    /// Dotted name, e.g. `generation.temperature`.
    pub name: &'static str,
    /// The section (`generation`).
    pub section: &'static str,
    /// The key within the section (`temperature`).
    pub key: &'static str,
    /// What the key does (its doc comment).
    pub doc: &'static str,
    /// A second environment variable read for this key (e.g. `VIBRANT_DATA_DIR`).
    pub env_alias: Option<&'static str>,
    /// Keys that could redirect credentials or files are refused in project files, which come
    /// with repositories the user may not trust.
    pub user_only: bool,
    pub(crate) expected: fn() -> String,
    pub(crate) get: fn(&Config) -> Option<Value>,
    pub(crate) set_toml: fn(&mut Config, &Value) -> Result<(), SetError>,
    pub(crate) set_text: fn(&mut Config, &str) -> Result<(), SetError>,
}

impl std::fmt::Debug for KeySpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySpec")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl KeySpec {
    /// The environment variable for this key: `VIBRANT_<SECTION>_<KEY>`, upper-cased.
    pub fn env_var(&self) -> String {
        format!("VIBRANT_{}_{}", self.section, self.key).to_ascii_uppercase()
    }

    /// What a value must look like ("an integer from 0 to 4294967295").
    pub fn expected(&self) -> String {
        (self.expected)()
    }

    /// The built-in default (`None` when the key is unset by default).
    pub fn default_value(&self) -> Option<Value> {
        (self.get)(&Config::default())
    }

    /// The value of this key in `config`.
    pub fn get(&self, config: &Config) -> Option<Value> {
        (self.get)(config)
    }

    /// The environment variable to suggest for this key: the short alias if it has one.
    pub fn preferred_env_var(&self) -> String {
        self.env_alias.map_or_else(|| self.env_var(), str::to_owned)
    }

    /// Parses `text` as this key's type and validates it, returning the TOML value to store.
    /// Errors name `location` (where the text came from), the key and the expected type.
    pub fn parse_text(&self, text: &str, location: Location) -> Result<Value, ConfigError> {
        let mut scratch = Config::default();
        let result = (self.set_text)(&mut scratch, text);
        self.check(result, || format!("{text:?}"), location)?;
        (self.get)(&scratch).ok_or_else(|| ConfigError::Invalid {
            location: Location::Argument,
            key: self.name.to_owned(),
            message: "cannot be written to a TOML file".to_owned(),
        })
    }

    /// Turns the outcome of assigning a value into a [`ConfigError`] naming the key.
    pub(crate) fn check(
        &self,
        result: Result<(), SetError>,
        found: impl FnOnce() -> String,
        location: Location,
    ) -> Result<(), ConfigError> {
        match result {
            Ok(()) => Ok(()),
            Err(SetError::WrongType) => Err(ConfigError::WrongType {
                location,
                key: self.name.to_owned(),
                expected: self.expected(),
                found: found(),
            }),
            Err(SetError::Invalid(message)) => Err(ConfigError::Invalid {
                location,
                key: self.name.to_owned(),
                message,
            }),
        }
    }
}

/// Why a value could not be assigned to a key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SetError {
    /// Not of the key's type.
    WrongType,
    /// Of the right type but out of range; the message says what is allowed.
    Invalid(String),
}

/// Finds a key by its dotted name.
pub fn key_spec(name: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|k| k.name == name)
}

/// Finds a key by its dotted name, or explains that there is none (with the closest key).
pub(crate) fn lookup(
    name: &str,
    location: Option<Location>,
) -> Result<&'static KeySpec, ConfigError> {
    key_spec(name).ok_or_else(|| ConfigError::unknown_key(location, name))
}

/// Declares the sections and keys; see the module docs.
macro_rules! config_schema {
    ($(
        $(#[doc = $sdoc:literal])*
        [$section:ident] $Section:ident {
            $(
                $(#[doc = $kdoc:literal])*
                $key:ident: $ty:ty = $default:expr
                    $(, check $check:expr)?
                    $(, env $env:literal)?
                    $(, user_only = $user_only:literal)?
                ;
            )*
        }
    )*) => {
        /// The effective configuration. Each field is a section of the TOML file.
        #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct Config {
            $(
                $(#[doc = $sdoc])*
                pub $section: $Section,
            )*
        }

        $(
            $(#[doc = $sdoc])*
            #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
            #[serde(default, deny_unknown_fields)]
            pub struct $Section {
                $(
                    $(#[doc = $kdoc])*
                    pub $key: $ty,
                )*
            }

            impl Default for $Section {
                fn default() -> Self {
                    Self { $($key: $default,)* }
                }
            }
        )*

        /// Every key, in file order.
        pub static KEYS: &[KeySpec] = &[$($(
            KeySpec {
                name: concat!(stringify!($section), ".", stringify!($key)),
                section: stringify!($section),
                key: stringify!($key),
                doc: concat!($($kdoc, "\n",)*),
                env_alias: config_schema!(@opt $($env)?),
                user_only: config_schema!(@flag $($user_only)?),
                expected: <$ty as ConfigType>::expected,
                get: |c: &Config| ConfigType::to_toml(&c.$section.$key),
                set_toml: |c: &mut Config, v: &Value| {
                    let value = <$ty as ConfigType>::from_toml(v).ok_or(SetError::WrongType)?;
                    config_schema!(@check value, $ty $(, $check)?);
                    c.$section.$key = value;
                    Ok(())
                },
                set_text: |c: &mut Config, text: &str| {
                    let value = <$ty as ConfigType>::from_text(text).ok_or(SetError::WrongType)?;
                    config_schema!(@check value, $ty $(, $check)?);
                    c.$section.$key = value;
                    Ok(())
                },
            },
        )*)*];
    };
    (@opt) => { None };
    (@opt $env:literal) => { Some($env) };
    (@flag) => { false };
    (@flag $user_only:literal) => { $user_only };
    (@check $value:ident, $ty:ty) => {};
    (@check $value:ident, $ty:ty, $check:expr) => {{
        let check: fn(&$ty) -> Result<(), String> = $check;
        check(&$value).map_err(SetError::Invalid)?;
    }};
}

config_schema! {
    /// Which model to run and how much context it gets.
    [model] ModelSection {
        /// The model to use: a catalog name, a path to a .gguf file, or a Hugging Face reference.
        default: Option<String> = None;
        /// The context window in tokens (prompt plus answer).
        context_length: u32 = 4096, check at_least_one;
        /// Extra directories searched for .gguf files.
        search_paths: Vec<PathBuf> = Vec::new();
        /// Hugging Face endpoint to download from (a mirror); unset means HF_ENDPOINT, else huggingface.co.
        hf_endpoint: Option<String> = None, check |u| url(u.as_deref()), user_only = true;
    }
    /// The inference engine.
    [engine] EngineSection {
        /// Worker threads; unset means one per physical core this process may use.
        threads: Option<u32> = None, check |t| at_least_one(&t.unwrap_or(1));
        /// Matrix kernels: auto (best the CPU supports), scalar, avx2, avx512 (x86_64), neon or neondot (aarch64).
        kernels: KernelChoice = KernelChoice::Auto;
        /// Repack quantized layer weights at load into interleaved tiles for the fast prompt-processing
        /// GEMM (about +2 % memory, a fraction of a second at load); VIBRANT_REPACK=0|1 overrides it.
        repack: bool = true;
        /// Speculative decoding by prompt lookup: the most tokens guessed from the prompt and the answer so far (code being rewritten, quoted paths) and checked in one pass; 0 turns it off. The output is the same either way, only faster.
        lookup_draft: u32 = 8, check |n| range(*n as f32, 0.0, 64.0);
    }
    /// Sampling defaults for generation.
    [generation] GenerationSection {
        /// Sampling temperature; 0 picks the most likely token every time.
        temperature: f32 = 0.2, check |t| range(*t, 0.0, 100.0);
        /// Keep only the k most likely tokens (0 disables the filter).
        top_k: u32 = 40;
        /// Nucleus sampling: keep the smallest set of tokens whose probabilities sum to p.
        top_p: f32 = 0.95, check |p| range(*p, 0.0, 1.0);
        /// Drop tokens less likely than min_p times the most likely one.
        min_p: f32 = 0.05, check |p| range(*p, 0.0, 1.0);
        /// Penalty for repeating recent tokens (1.0 disables it).
        repeat_penalty: f32 = 1.0, check |p| range(*p, 0.0, 10.0);
        /// The most tokens one answer may have.
        max_tokens: u32 = 1024, check at_least_one;
        /// Random seed for reproducible sampling; unset means a fresh seed every run.
        seed: Option<u64> = None;
    }
    /// Where answers come from.
    [backend] BackendSection {
        /// embedded (Vibrant's own engine), openai (an OpenAI-compatible server) or ollama.
        kind: BackendKind = BackendKind::Embedded;
        /// The server's base URL for the openai and ollama backends.
        url: Option<String> = None, check |u| url(u.as_deref()), user_only = true;
        /// The NAME of the environment variable that holds the API key (never the key itself).
        api_key_env: Option<String> = None, check |n| env_var_name(n.as_deref()), user_only = true;
        /// Seconds the openai or ollama server may stay silent (before its answer starts, or in the middle of it) before the request fails.
        idle_timeout: u32 = 120, check at_least_one, user_only = true;
    }
    /// The agent (`vibrant agent`, `/agent on` in chat).
    [agent] AgentSection {
        /// When to ask: suggest (before every edit and command), auto-edit (edits apply, commands ask) or full-auto (commands run in the sandbox without asking).
        approval: String = "auto-edit".to_owned(), check |m| one_of(m, &["suggest", "auto-edit", "full-auto"]), user_only = true;
        /// Model answers one task may take at most.
        max_steps: u32 = 30, check at_least_one;
        /// Automatic verify-and-fix rounds after the model says it is done.
        max_reflections: u32 = 3;
        /// How edits are checked: auto (the project's tests when a tool is detected), tests, build or off.
        verify: String = "auto".to_owned(), check |v| one_of(v, &["auto", "tests", "build", "off"]);
        /// Candidate edits sampled per round from one prompt and checked with the project's tests on a scratch copy before the step-by-step tool loop (0 turns them off).
        candidates: u32 = 4;
        /// Rounds of candidates at most, within `agent.budget` (the second and later show the model its closest failed attempt and what failed).
        candidate_rounds: u32 = 6, check at_least_one;
        /// Seconds the candidate phase may take, sampling and checks together.
        budget: u32 = 240, check at_least_one;
        /// Constrain the embedded engine's tool calls to the tools' JSON schemas (grammar-constrained decoding).
        constrained: bool = true;
        /// Run commands in the sandbox (Landlock + namespaces on Linux); off runs them like your shell does.
        sandbox: bool = true, user_only = true;
        /// Let sandboxed commands use the network.
        network: bool = false, user_only = true;
    }
    /// Terminal output.
    [ui] UiSection {
        /// Color output: auto (when a terminal and NO_COLOR is unset), always or never.
        color: ColorChoice = ColorChoice::Auto;
    }
    /// Diagnostics on stderr.
    [log] LogSection {
        /// Log filter in tracing env-filter syntax (error, warn, info, debug, trace, or per module).
        level: String = "warn".to_owned();
    }
    /// Where Vibrant keeps its files; unset means the platform's conventional directory.
    [paths] PathsSection {
        /// Data: downloaded models, indexes (default ~/.local/share/vibrant on Linux).
        data_dir: Option<PathBuf> = None, env "VIBRANT_DATA_DIR", user_only = true;
        /// Cache: files that can be rebuilt (default ~/.cache/vibrant on Linux).
        cache_dir: Option<PathBuf> = None, env "VIBRANT_CACHE_DIR", user_only = true;
        /// State: sessions, history, logs (default ~/.local/state/vibrant on Linux).
        state_dir: Option<PathBuf> = None, env "VIBRANT_STATE_DIR", user_only = true;
        /// Downloaded models (default <data_dir>/models).
        models_dir: Option<PathBuf> = None, env "VIBRANT_MODELS_DIR", user_only = true;
    }
}

fn one_of(value: &str, allowed: &[&str]) -> Result<(), String> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "must be one of {}, found {value:?}",
            allowed.join(", ")
        ))
    }
}

fn at_least_one(n: &u32) -> Result<(), String> {
    if *n >= 1 {
        Ok(())
    } else {
        Err("must be at least 1".to_owned())
    }
}

fn range(x: f32, lo: f32, hi: f32) -> Result<(), String> {
    if x.is_finite() && (lo..=hi).contains(&x) {
        Ok(())
    } else {
        Err(format!("must be between {lo} and {hi}, found {x}"))
    }
}

fn url(u: Option<&str>) -> Result<(), String> {
    match u {
        Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
            Err(format!("must start with http:// or https://, found {u:?}"))
        }
        _ => Ok(()),
    }
}

fn env_var_name(name: Option<&str>) -> Result<(), String> {
    match name {
        Some(n)
            if n.is_empty()
                || n.starts_with(|c: char| c.is_ascii_digit())
                || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Err(format!(
                "must be the name of an environment variable holding the key (such as \
                 OPENAI_API_KEY), not the key itself; found {} characters that are not a variable name",
                n.len()
            ))
        }
        _ => Ok(()),
    }
}
