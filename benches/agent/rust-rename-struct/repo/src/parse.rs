use std::fmt;

use crate::config::{Config, LogLevel};

/// A line that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError { line, message: message.into() }
}

/// Parses `key = value` lines on top of `Config::default()`. Blank lines and lines
/// starting with `#` are skipped.
pub fn parse(text: &str) -> Result<Config, ParseError> {
    let mut config = Config::default();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (key, value) = trimmed
            .split_once('=')
            .ok_or_else(|| err(line, "expected key = value"))?;
        let value = value.trim();
        match key.trim() {
            "host" => config.host = value.to_string(),
            "port" => config.port = value.parse().map_err(|_| err(line, "bad port"))?,
            "workers" => config.workers = value.parse().map_err(|_| err(line, "bad workers"))?,
            "log_level" => {
                config.log_level = LogLevel::from_name(value).ok_or_else(|| err(line, "bad log level"))?
            }
            "timeout" => config.timeout_secs = value.parse().map_err(|_| err(line, "bad timeout"))?,
            other => return Err(err(line, format!("unknown key {other}"))),
        }
    }
    Ok(config)
}
