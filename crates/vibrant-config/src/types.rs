//! The value types a config key can have, and how each is read from TOML and from text
//! (environment variables, `vibrant config set`, flags).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use toml_edit::Value;

/// A type a config key can hold.
pub trait ConfigType: Sized {
    /// What a value must look like, for error messages ("an integer from 0 to 4294967295").
    fn expected() -> String;
    /// Reads the value from a TOML value; `None` when it has the wrong type or range.
    fn from_toml(value: &Value) -> Option<Self>;
    /// Reads the value from text (an environment variable, `config set`, a flag).
    fn from_text(text: &str) -> Option<Self>;
    /// The value as TOML; `None` for an unset optional value.
    fn to_toml(&self) -> Option<Value>;
}

impl ConfigType for String {
    fn expected() -> String {
        "a string".to_owned()
    }
    fn from_toml(value: &Value) -> Option<Self> {
        value.as_str().map(str::to_owned)
    }
    fn from_text(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
    fn to_toml(&self) -> Option<Value> {
        Some(Value::from(self.as_str()))
    }
}

/// Unsigned integers, limited to what a TOML integer (an i64) can hold.
macro_rules! integer_type {
    ($($t:ty),*) => {$(
        impl ConfigType for $t {
            fn expected() -> String {
                format!("an integer from 0 to {}", Self::largest())
            }
            fn from_toml(value: &Value) -> Option<Self> {
                value.as_integer().and_then(|i| Self::try_from(i).ok())
            }
            fn from_text(text: &str) -> Option<Self> {
                let value: Self = text.trim().replace('_', "").parse().ok()?;
                (value <= Self::largest()).then_some(value)
            }
            fn to_toml(&self) -> Option<Value> {
                i64::try_from(*self).ok().map(Value::from)
            }
        }
    )*};
}

trait Largest: Sized {
    fn largest() -> Self;
}
impl Largest for u32 {
    fn largest() -> Self {
        u32::MAX
    }
}
impl Largest for u64 {
    fn largest() -> Self {
        i64::MAX.unsigned_abs()
    }
}
integer_type!(u32, u64);

impl ConfigType for f32 {
    fn expected() -> String {
        "a number".to_owned()
    }
    fn from_toml(value: &Value) -> Option<Self> {
        match value {
            Value::Float(f) => Some(*f.value() as f32),
            Value::Integer(i) => Some(*i.value() as f32),
            _ => None,
        }
    }
    fn from_text(text: &str) -> Option<Self> {
        text.trim().parse().ok()
    }
    fn to_toml(&self) -> Option<Value> {
        // Go through the shortest decimal form so 0.2f32 is written as 0.2, not 0.20000000298.
        format!("{self}").parse::<f64>().ok().map(Value::from)
    }
}

impl ConfigType for bool {
    fn expected() -> String {
        "true or false".to_owned()
    }
    fn from_toml(value: &Value) -> Option<Self> {
        value.as_bool()
    }
    fn from_text(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Some(true),
            "false" | "0" | "no" | "off" => Some(false),
            _ => None,
        }
    }
    fn to_toml(&self) -> Option<Value> {
        Some(Value::from(*self))
    }
}

/// Paths are kept as written; a leading `~/` is expanded when the configuration is loaded.
impl ConfigType for PathBuf {
    fn expected() -> String {
        "a path (string)".to_owned()
    }
    fn from_toml(value: &Value) -> Option<Self> {
        value.as_str().and_then(Self::from_text)
    }
    fn from_text(text: &str) -> Option<Self> {
        (!text.is_empty()).then(|| PathBuf::from(text))
    }
    fn to_toml(&self) -> Option<Value> {
        Some(Value::from(self.to_string_lossy().as_ref()))
    }
}

/// Expands a leading `~` (alone or followed by `/`) to `home`.
pub(crate) fn expand_tilde(path: &std::path::Path, home: Option<&std::path::Path>) -> PathBuf {
    match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

/// Lists of paths: a TOML array of strings; as text either a TOML array (`["a", "b"]`) or a
/// list separated like `PATH` (`:` on Unix, `;` on Windows).
impl ConfigType for Vec<PathBuf> {
    fn expected() -> String {
        "an array of paths (strings)".to_owned()
    }
    fn from_toml(value: &Value) -> Option<Self> {
        value.as_array()?.iter().map(PathBuf::from_toml).collect()
    }
    fn from_text(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.starts_with('[') {
            return Self::from_toml(&text.parse::<Value>().ok()?);
        }
        if text.is_empty() {
            return Some(Vec::new());
        }
        std::env::split_paths(text)
            .map(|p| PathBuf::from_text(&p.to_string_lossy()))
            .collect()
    }
    fn to_toml(&self) -> Option<Value> {
        let array: toml_edit::Array = self
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        Some(Value::Array(array))
    }
}

impl<T: ConfigType> ConfigType for Option<T> {
    fn expected() -> String {
        T::expected()
    }
    fn from_toml(value: &Value) -> Option<Self> {
        T::from_toml(value).map(Some)
    }
    fn from_text(text: &str) -> Option<Self> {
        T::from_text(text).map(Some)
    }
    fn to_toml(&self) -> Option<Value> {
        self.as_ref().and_then(T::to_toml)
    }
}

/// Declares an enum whose values are written as lower-case strings.
macro_rules! config_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($(#[$vattr:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vattr])* $variant,)*
        }

        impl $name {
            /// Every value, as written in config files.
            pub const NAMES: &[&str] = &[$($text),*];

            /// The value as written in config files.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text,)* }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($text => Ok(Self::$variant),)*
                    _ => Err(format!("expected {}, found {s:?}", <Self as ConfigType>::expected())),
                }
            }
        }

        impl ConfigType for $name {
            fn expected() -> String {
                let names: Vec<String> = Self::NAMES.iter().map(|n| format!("\"{n}\"")).collect();
                format!("one of {}", names.join(", "))
            }
            fn from_toml(value: &Value) -> Option<Self> {
                value.as_str().and_then(|s| s.parse().ok())
            }
            fn from_text(text: &str) -> Option<Self> {
                text.parse().ok()
            }
            fn to_toml(&self) -> Option<Value> {
                Some(Value::from(self.as_str()))
            }
        }
    };
}

config_enum! {
    /// Which matrix kernels the engine uses.
    KernelChoice {
        /// The best the CPU supports, detected at runtime.
        #[default]
        Auto = "auto",
        /// Plain Rust, no SIMD: the reference for correctness.
        Scalar = "scalar",
        /// AVX2 + FMA kernels.
        Avx2 = "avx2",
        /// AVX-512 kernels.
        Avx512 = "avx512",
        /// aarch64 NEON kernels.
        Neon = "neon",
        /// aarch64 NEON kernels with the dot-product extension (`sdot`).
        NeonDot = "neondot",
    }
}

config_enum! {
    /// Where answers come from.
    BackendKind {
        /// Vibrant's own engine, in-process.
        #[default]
        Embedded = "embedded",
        /// An OpenAI-compatible HTTP server.
        Openai = "openai",
        /// An Ollama server.
        Ollama = "ollama",
    }
}

config_enum! {
    /// When to color output.
    ColorChoice {
        /// When the output is a terminal and `NO_COLOR` is not set.
        #[default]
        Auto = "auto",
        /// Always, even into a pipe.
        Always = "always",
        /// Never.
        Never = "never",
    }
}

/// A value for people: strings without quotes, everything else as TOML.
pub fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.value().clone(),
        other => other.clone().decorated("", "").to_string(),
    }
}

/// Describes a TOML value for "found …" in error messages.
pub(crate) fn describe(value: &Value) -> String {
    let shown = value.clone().decorated("", "").to_string();
    let shown = if shown.chars().count() > 40 {
        format!("{}…", shown.chars().take(40).collect::<String>())
    } else {
        shown
    };
    let kind = match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::InlineTable(_) => "a table",
    };
    format!("{kind} ({shown})")
}
