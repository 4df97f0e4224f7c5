use appconf::{merge, validate, Settings, Problem};

#[test]
fn default_is_valid() {
    assert!(validate(&Settings::default()).is_empty());
}

#[test]
fn finds_problems() {
    let config = Settings { port: 0, workers: 0, ..Settings::default() };
    assert_eq!(validate(&config), vec![Problem::PortZero, Problem::NoWorkers]);
}

#[test]
fn merge_takes_non_default_overlay_fields() {
    let base = Settings { host: "example.org".into(), workers: 8, ..Settings::default() };
    let overlay = Settings { port: 443, ..Settings::default() };
    let merged = merge(&base, &overlay);
    assert_eq!(merged.address(), "example.org:443");
    assert_eq!(merged.workers, 8);
}
