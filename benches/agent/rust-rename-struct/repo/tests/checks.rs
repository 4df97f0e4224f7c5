use appconf::{merge, validate, Config, Problem};

#[test]
fn default_is_valid() {
    assert!(validate(&Config::default()).is_empty());
}

#[test]
fn finds_problems() {
    let config = Config { port: 0, workers: 0, ..Config::default() };
    assert_eq!(validate(&config), vec![Problem::PortZero, Problem::NoWorkers]);
}

#[test]
fn merge_takes_non_default_overlay_fields() {
    let base = Config { host: "example.org".into(), workers: 8, ..Config::default() };
    let overlay = Config { port: 443, ..Config::default() };
    let merged = merge(&base, &overlay);
    assert_eq!(merged.address(), "example.org:443");
    assert_eq!(merged.workers, 8);
}
