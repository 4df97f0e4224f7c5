//! A scripted agent turn through the public API, as the agent loop will drive it: read, a
//! near-miss edit, tests, undo.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use common::fixture;
use serde_json::json;

#[test]
fn fix_a_failing_test_then_undo() {
    if !std::process::Command::new("cargo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        println!("skipped: cargo not found");
        return;
    }
    let mut f = fixture();
    f.write(
        "Cargo.toml",
        "[package]\nname = \"calc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    );
    let buggy = "pub fn mul(a: i32, b: i32) -> i32 {\n    a + b\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn mul_works() {\n        assert_eq!(super::mul(3, 4), 12);\n    }\n}\n";
    f.write("src/lib.rs", buggy);

    f.tb.begin_turn("fix mul");
    let out = f.ok("run_tests", json!({}));
    assert!(
        out.contains("tests FAILED") && out.contains("tests::mul_works"),
        "{out}"
    );
    f.ok("read_file", json!({"path": "src/lib.rs"}));
    // The model gets the indentation wrong; the cascade still applies it, re-indented.
    let out = f.ok("edit_file", json!({"path": "src/lib.rs", "old_string": "pub fn mul(a: i32, b: i32) -> i32 {\na + b\n}", "new_string": "pub fn mul(a: i32, b: i32) -> i32 {\na * b\n}"}));
    assert!(out.contains("indentation-flexible"), "{out}");
    assert!(f.read("src/lib.rs").contains("\n    a * b\n"));
    let out = f.ok("run_tests", json!({"filter": "mul"}));
    assert!(out.starts_with("tests PASSED"), "{out}");
    assert!(out.contains("tests: 1 passed, 0 failed"), "{out}");

    // /undo: the file is back as it was before the turn; the build output stays.
    let report = f.tb.undo(1).unwrap();
    assert_eq!(report.restored, vec!["src/lib.rs"]);
    assert_eq!(f.read("src/lib.rs"), buggy);
    assert!(f.path("target").is_dir());
    let out = f.ok("run_tests", json!({}));
    assert!(out.contains("tests FAILED"), "{out}");
}
