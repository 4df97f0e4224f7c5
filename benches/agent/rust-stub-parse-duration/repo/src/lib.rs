//! Human-friendly durations: "1h30m" <-> 5400 seconds.

use std::fmt;
use std::time::Duration;

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseDurationError {
    /// The input was empty (or only whitespace).
    Empty,
    /// A number was not followed by a unit, e.g. "10" or "5m3".
    MissingUnit,
    /// A unit other than d, h, m, s; holds the offending character.
    UnknownUnit(char),
    /// A unit without a number before it, e.g. "h" or "1hm", or another unexpected character.
    InvalidNumber,
}

impl fmt::Display for ParseDurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseDurationError::Empty => write!(f, "empty duration"),
            ParseDurationError::MissingUnit => write!(f, "number without a unit"),
            ParseDurationError::UnknownUnit(c) => write!(f, "unknown unit '{c}'"),
            ParseDurationError::InvalidNumber => write!(f, "expected a number"),
        }
    }
}

impl std::error::Error for ParseDurationError {}

/// Parses durations such as "45s", "1h30m", "2d 4h" or " 10m ".
///
/// The input is a sequence of `<digits><unit>` parts where the unit is one of
/// `d` (days), `h` (hours), `m` (minutes) or `s` (seconds). Parts may be
/// separated by spaces and leading/trailing whitespace is ignored; the same
/// unit may appear more than once ("1m1m" is two minutes). Units are case
/// sensitive (lower case only).
///
/// Errors: [`ParseDurationError::Empty`] for an empty string,
/// [`ParseDurationError::MissingUnit`] when digits are not followed by a unit,
/// [`ParseDurationError::UnknownUnit`] for a letter that is not a unit, and
/// [`ParseDurationError::InvalidNumber`] for a unit (or any other character)
/// where a number was expected.
pub fn parse_duration(text: &str) -> Result<Duration, ParseDurationError> {
    todo!("parse {text:?}")
}

/// Formats a duration with the largest units first, skipping zero parts: 5400 s -> "1h30m".
/// Sub-second precision is dropped; a zero duration is "0s".
pub fn format_duration(duration: Duration) -> String {
    let mut secs = duration.as_secs();
    if secs == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, size) in [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)] {
        if secs >= size {
            out.push_str(&format!("{}{}", secs / size, unit));
            secs %= size;
        }
    }
    out
}
