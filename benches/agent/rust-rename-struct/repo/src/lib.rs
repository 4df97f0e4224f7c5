//! Application settings loaded from `key = value` text, with defaults and validation.

mod config;
mod merge;
mod parse;
mod validate;

pub use config::{Config, LogLevel};
pub use merge::merge;
pub use parse::{parse, ParseError};
pub use validate::{validate, Problem};
