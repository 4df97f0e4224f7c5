use std::time::Duration;

use humantime_lite::{format_duration, parse_duration, ParseDurationError};

#[test]
fn single_units() {
    assert_eq!(parse_duration("45s"), Ok(Duration::from_secs(45)));
    assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
    assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
    assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
}

#[test]
fn combined_units_and_spaces() {
    assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
    assert_eq!(parse_duration(" 2d 4h "), Ok(Duration::from_secs(2 * 86_400 + 4 * 3600)));
}

#[test]
fn errors() {
    assert_eq!(parse_duration(""), Err(ParseDurationError::Empty));
    assert_eq!(parse_duration("10"), Err(ParseDurationError::MissingUnit));
    assert_eq!(parse_duration("3w"), Err(ParseDurationError::UnknownUnit('w')));
    assert_eq!(parse_duration("h"), Err(ParseDurationError::InvalidNumber));
}

#[test]
fn round_trip_with_format() {
    let d = Duration::from_secs(93_784);
    assert_eq!(format_duration(d), "1d2h3m4s");
    assert_eq!(parse_duration(&format_duration(d)), Ok(d));
}
