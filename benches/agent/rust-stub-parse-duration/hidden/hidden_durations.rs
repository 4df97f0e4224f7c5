use std::time::Duration;

use humantime_lite::{format_duration, parse_duration, ParseDurationError};

#[test]
fn hidden_repeated_and_multi_digit() {
    assert_eq!(parse_duration("1m1m"), Ok(Duration::from_secs(120)));
    assert_eq!(parse_duration("120s"), Ok(Duration::from_secs(120)));
    assert_eq!(parse_duration("0s"), Ok(Duration::from_secs(0)));
    assert_eq!(parse_duration("1s 1m  1h"), Ok(Duration::from_secs(3661)));
}

#[test]
fn hidden_errors() {
    assert_eq!(parse_duration("   "), Err(ParseDurationError::Empty));
    assert_eq!(parse_duration("5m3"), Err(ParseDurationError::MissingUnit));
    assert_eq!(parse_duration("1hm"), Err(ParseDurationError::InvalidNumber));
    assert_eq!(parse_duration("2H"), Err(ParseDurationError::UnknownUnit('H')));
    assert_eq!(parse_duration("-5s"), Err(ParseDurationError::InvalidNumber));
}

#[test]
fn hidden_round_trips() {
    for secs in [1u64, 59, 60, 61, 3599, 3600, 86_399, 86_400, 1_000_000] {
        let d = Duration::from_secs(secs);
        assert_eq!(parse_duration(&format_duration(d)), Ok(d), "{secs}");
    }
}
