use appconf::{parse, Settings, LogLevel};

#[test]
fn defaults_when_empty() {
    assert_eq!(parse("").unwrap(), Settings::default());
}

#[test]
fn parses_values() {
    let config: Settings = parse("# server\nhost = 0.0.0.0\nport=9000\nlog_level = DEBUG\n").unwrap();
    assert_eq!(config.address(), "0.0.0.0:9000");
    assert_eq!(config.log_level, LogLevel::Debug);
    assert_eq!(config.workers, 4);
}

#[test]
fn reports_line_of_error() {
    let e = parse("port = 80\nworkers = many\n").unwrap_err();
    assert_eq!(e.line, 2);
}
