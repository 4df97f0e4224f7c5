//! Each tool through `Toolbox::call`, as the agent loop uses it.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use common::{fixture, fixture_with};
use serde_json::json;
use vibrant_tools::{ApprovalMode, ApprovalRequest, Decision, all_specs};

#[test]
fn specs_are_valid_object_schemas_with_unique_names() {
    let specs = all_specs();
    let mut names: Vec<&str> = specs.iter().map(|s| s.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), specs.len());
    for s in &specs {
        assert_eq!(s.parameters["type"], "object", "{}", s.name);
        let props = s.parameters["properties"].as_object().unwrap();
        for r in s.parameters["required"].as_array().unwrap() {
            assert!(
                props.contains_key(r.as_str().unwrap()),
                "{}: required {r} not a property",
                s.name
            );
        }
        let f = s.to_function_json();
        assert_eq!(f["function"]["name"], s.name);
    }
    for expected in [
        "read_file",
        "list_dir",
        "glob",
        "grep",
        "search",
        "symbols",
        "edit_file",
        "write_file",
        "apply_patch",
        "run_command",
        "git_status",
        "git_diff",
        "git_log",
    ] {
        assert!(names.contains(&expected), "missing {expected}");
    }
}

#[test]
fn read_file_numbers_lines_and_pages() {
    let mut f = fixture();
    let text: String = (1..=50).map(|i| format!("line {i}\n")).collect();
    f.write("a.txt", &text);
    let out = f.ok(
        "read_file",
        json!({"path": "a.txt", "start_line": 10, "end_line": 12}),
    );
    assert!(out.contains("a.txt (lines 10-12 of 50)"), "{out}");
    assert!(
        out.contains("   10\tline 10\n   11\tline 11\n   12\tline 12\n"),
        "{out}"
    );
    assert!(out.contains("call read_file with start_line=13"), "{out}");
    assert!(!out.contains("line 13\n"));
    let out = f.fail(
        "read_file",
        json!({"path": "a.txt", "start_line": 10, "end_line": 5}),
    );
    assert!(out.contains("end_line 5 is before start_line 10"), "{out}");
    let out = f.fail("read_file", json!({"path": "a.txt", "start_line": 99}));
    assert!(out.contains("past the end of a.txt (50 lines)"), "{out}");
    let out = f.fail("read_file", json!({"path": "nope.txt"}));
    assert!(out.contains("`nope.txt` does not exist"), "{out}");
    std::fs::create_dir(f.path("dir")).unwrap();
    let out = f.fail("read_file", json!({"path": "dir"}));
    assert!(
        out.contains("`dir` does not exist or is not a file"),
        "{out}"
    );
}

#[test]
fn large_and_binary_files_are_refused_with_advice() {
    let mut f = fixture();
    let big = std::fs::File::create(f.path("big.log")).unwrap();
    big.set_len(vibrant_tools::text::MAX_TEXT_FILE + 1).unwrap();
    let out = f.fail("read_file", json!({"path": "big.log"}));
    assert!(
        out.contains("over the 8388608-byte limit") && out.contains("grep"),
        "{out}"
    );
    f.write("bin", b"\x00\x01binary".as_slice());
    let out = f.fail(
        "edit_file",
        json!({"path": "bin", "old_string": "binary", "new_string": "x"}),
    );
    assert!(
        out.contains("not UTF-8 text (it contains NUL bytes)"),
        "{out}"
    );
}

#[test]
fn read_file_default_window_is_capped() {
    let mut f = fixture_with(ApprovalMode::FullAuto, Decision::Approve, |c| {
        c.read_default_lines = 20
    });
    let text: String = (1..=100).map(|i| format!("l{i}\n")).collect();
    f.write("big.txt", &text);
    let out = f.ok("read_file", json!({"path": "big.txt"}));
    assert!(
        out.contains("(lines 1-20 of 100)") && out.contains("start_line=21"),
        "{out}"
    );
}

#[test]
fn argument_errors_tell_the_model_what_to_do() {
    let mut f = fixture();
    let out = f.fail("read_file", json!({"file_path": "a"}));
    assert!(
        out.contains("unknown argument `file_path`") && out.contains("path"),
        "{out}"
    );
    let out = f.fail("read_file", json!({}));
    assert!(out.contains("missing required argument `path`"), "{out}");
    let out = f.fail("nope", json!({}));
    assert!(
        out.contains("unknown tool `nope`") && out.contains("read_file"),
        "{out}"
    );
    let r = f.tb.call_json("read_file", "{not json");
    assert!(!r.ok && r.output.contains("not valid JSON"), "{}", r.output);
    // Arguments double-encoded as a string and quoted numbers are accepted.
    f.write("n.txt", "one\ntwo\n");
    let out = f.ok(
        "read_file",
        json!("{\"path\": \"n.txt\", \"start_line\": \"2\"}"),
    );
    assert!(out.contains("    2\ttwo") && !out.contains("one"), "{out}");
}

#[test]
fn list_dir_respects_gitignore_and_depth() {
    let mut f = fixture();
    f.write(".gitignore", "target/\n");
    f.write("src/main.rs", "fn main() {}\n");
    f.write("src/deep/x.rs", "");
    f.write("target/debug/out", "bin");
    let out = f.ok("list_dir", json!({}));
    assert!(out.contains("src/") && out.contains(".gitignore"), "{out}");
    assert!(!out.contains("target"), "{out}");
    assert!(!out.contains("main.rs"), "depth 1 only: {out}");
    let out = f.ok("list_dir", json!({"path": "src", "depth": 2}));
    assert!(
        out.contains("main.rs (13 B)") && out.contains("x.rs"),
        "{out}"
    );
}

#[test]
fn glob_finds_files() {
    let mut f = fixture();
    f.write("src/a.rs", "");
    f.write("src/b/c.rs", "");
    f.write("README.md", "");
    let out = f.ok("glob", json!({"pattern": "**/*.rs"}));
    assert!(
        out.contains("2 file(s)") && out.contains("src/a.rs") && out.contains("src/b/c.rs"),
        "{out}"
    );
    let out = f.ok("glob", json!({"pattern": "src/*.rs"}));
    assert!(
        out.contains("1 file(s)") && out.contains("src/a.rs"),
        "`*` does not cross directories: {out}"
    );
    let out = f.ok("glob", json!({"pattern": "*.md"}));
    assert!(out.contains("README.md") && !out.contains(".rs"), "{out}");
    let out = f.ok("glob", json!({"pattern": "*.zig"}));
    assert!(out.contains("no files match"), "{out}");
    f.fail("glob", json!({"pattern": "a[b"}));
}

#[test]
fn grep_reports_path_line_text() {
    let mut f = fixture();
    f.write("src/a.rs", "fn alpha() {}\nfn beta() {}\n");
    f.write("src/b.py", "def alpha():\n    pass\n");
    f.write("bin.dat", b"alpha\0\x01\x02".as_slice());
    let out = f.ok("grep", json!({"pattern": "alpha"}));
    assert!(out.contains("2 match(es) in 2 file(s)"), "{out}");
    assert!(
        out.contains("src/a.rs:1: fn alpha() {}") && out.contains("src/b.py:1: def alpha():"),
        "{out}"
    );
    let out = f.ok(
        "grep",
        json!({"pattern": "ALPHA", "case_insensitive": true, "glob": "*.py"}),
    );
    assert!(
        out.contains("1 match(es)") && out.contains("src/b.py"),
        "{out}"
    );
    let out = f.ok("grep", json!({"pattern": "fn \\w+", "max_results": 1}));
    assert!(
        out.contains("2 match(es)") && out.contains("first 1 shown"),
        "{out}"
    );
    f.fail("grep", json!({"pattern": "(unclosed"}));
    // Small models fill optional arguments with empty strings: they mean "not given".
    let out = f.ok(
        "grep",
        json!({"pattern": "alpha", "path": "", "glob": "", "case_insensitive": false, "max_results": 100}),
    );
    assert!(out.contains("2 match(es) in 2 file(s)"), "{out}");
}

#[test]
fn symbols_and_search_use_the_code_index() {
    let mut f = fixture();
    f.write("src/lib.rs", "pub struct Parser;\n\nimpl Parser {\n    pub fn parse_number(s: &str) -> u32 {\n        s.len() as u32\n    }\n}\n");
    f.write("src/other.rs", "pub fn unrelated() {}\n");
    let out = f.ok("symbols", json!({"path": "src/lib.rs"}));
    assert!(
        out.contains("Parser") && out.contains("parse_number"),
        "{out}"
    );
    let out = f.ok("search", json!({"query": "parse number"}));
    assert!(out.contains("src/lib.rs"), "{out}");
    assert!(
        f.state.path().join("index").exists(),
        "the index lives in the state dir"
    );
    assert!(!f.path(".vibrant").exists());
}

#[test]
fn write_file_creates_and_requires_a_read_before_overwriting() {
    let mut f = fixture();
    let out = f.ok(
        "write_file",
        json!({"path": "new/dir/file.txt", "content": "hello\n"}),
    );
    assert!(
        out.contains("created new/dir/file.txt") && out.contains("+hello"),
        "{out}"
    );
    assert_eq!(f.read("new/dir/file.txt"), "hello\n");
    f.write("existing.txt", "old\n");
    let out = f.fail(
        "write_file",
        json!({"path": "existing.txt", "content": "new\n"}),
    );
    assert!(out.contains("have not read it"), "{out}");
    f.ok("read_file", json!({"path": "existing.txt"}));
    let r = f.call(
        "write_file",
        json!({"path": "existing.txt", "content": "new\n"}),
    );
    assert!(r.ok, "{}", r.output);
    assert_eq!(r.changed_files, vec!["existing.txt".to_owned()]);
    assert!(
        r.diff.as_deref().unwrap().contains("-old\n+new"),
        "{:?}",
        r.diff
    );
    assert_eq!(f.read("existing.txt"), "new\n");
}

#[test]
fn edit_file_reports_tier_and_diff() {
    let mut f = fixture();
    f.write("m.py", "def f():\n    return 1\n");
    let r = f.call(
        "edit_file",
        json!({"path": "m.py", "old_string": "return 1", "new_string": "return 2"}),
    );
    assert!(r.ok, "{}", r.output);
    assert!(
        r.output.contains("edited m.py (exact match at line 2)"),
        "{}",
        r.output
    );
    assert!(r.diff.unwrap().contains("--- a/m.py\n+++ b/m.py\n"));
    assert_eq!(f.read("m.py"), "def f():\n    return 2\n");
    // Indentation-flexible.
    let out = f.ok("edit_file", json!({"path": "m.py", "old_string": "def f():\nreturn 2", "new_string": "def f():\n    return 3"}));
    assert!(out.contains("indentation-flexible"), "{out}");
    assert_eq!(f.read("m.py"), "def f():\n    return 3\n");
    // No match: did-you-mean with the closest lines.
    let out = f.fail(
        "edit_file",
        json!({"path": "m.py", "old_string": "def g(x):\n    return x * 3", "new_string": "pass"}),
    );
    assert!(
        out.contains("Did you mean lines 1-2") && out.contains("    1\tdef f():"),
        "{out}"
    );
    assert_eq!(
        f.read("m.py"),
        "def f():\n    return 3\n",
        "a failed edit changes nothing"
    );
}

#[test]
fn crlf_and_bom_are_preserved() {
    let mut f = fixture();
    f.write(
        "win.txt",
        b"\xEF\xBB\xBFfirst\r\nsecond\r\nthird\r\n".as_slice(),
    );
    let out = f.ok("read_file", json!({"path": "win.txt"}));
    assert!(
        out.contains("    1\tfirst\n"),
        "BOM and CR are not shown: {out:?}"
    );
    f.ok(
        "edit_file",
        json!({"path": "win.txt", "old_string": "second\n", "new_string": "2nd\nextra\n"}),
    );
    assert_eq!(
        std::fs::read(f.path("win.txt")).unwrap(),
        b"\xEF\xBB\xBFfirst\r\n2nd\r\nextra\r\nthird\r\n"
    );
    f.ok(
        "write_file",
        json!({"path": "win.txt", "content": "a\nb\n"}),
    );
    assert_eq!(
        std::fs::read(f.path("win.txt")).unwrap(),
        b"\xEF\xBB\xBFa\r\nb\r\n"
    );
    f.write("unix.txt", "x\ny\n");
    f.ok(
        "edit_file",
        json!({"path": "unix.txt", "old_string": "y", "new_string": "z\r\nw"}),
    );
    assert_eq!(f.read("unix.txt"), "x\nz\nw\n");
}

#[cfg(unix)]
#[test]
fn permissions_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let mut f = fixture();
    f.write("run.sh", "#!/bin/sh\necho a\n");
    std::fs::set_permissions(f.path("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    f.ok(
        "edit_file",
        json!({"path": "run.sh", "old_string": "echo a", "new_string": "echo b"}),
    );
    let mode = std::fs::metadata(f.path("run.sh"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o755);
    assert_eq!(f.read("run.sh"), "#!/bin/sh\necho b\n");
}

#[test]
fn stale_file_is_not_overwritten() {
    let mut f = fixture();
    f.write("s.txt", "one\ntwo\n");
    f.ok("read_file", json!({"path": "s.txt"}));
    f.write("s.txt", "one\ntwo\nthree (user)\n");
    let out = f.fail(
        "edit_file",
        json!({"path": "s.txt", "old_string": "two", "new_string": "2"}),
    );
    assert!(
        out.contains("changed on disk since you last read it"),
        "{out}"
    );
    let out = f.fail("write_file", json!({"path": "s.txt", "content": "x\n"}));
    assert!(out.contains("changed on disk"), "{out}");
    assert_eq!(f.read("s.txt"), "one\ntwo\nthree (user)\n");
    // After reading again, the edit goes through; the agent's own edits do not make it stale.
    f.ok("read_file", json!({"path": "s.txt"}));
    f.ok(
        "edit_file",
        json!({"path": "s.txt", "old_string": "two", "new_string": "2"}),
    );
    f.ok(
        "edit_file",
        json!({"path": "s.txt", "old_string": "one", "new_string": "1"}),
    );
    assert_eq!(f.read("s.txt"), "1\n2\nthree (user)\n");
}

#[test]
fn apply_patch_unified_and_codex() {
    let mut f = fixture();
    f.write("a.txt", "alpha\nbeta\ngamma\n");
    f.write("gone.txt", "bye\n");
    let diff = "--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n alpha\n-beta\n+BETA\n gamma\n--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+fresh\n--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n";
    let r = f.call("apply_patch", json!({"patch": diff}));
    assert!(r.ok, "{}", r.output);
    assert_eq!(r.changed_files, vec!["a.txt", "new.txt", "gone.txt"]);
    assert_eq!(f.read("a.txt"), "alpha\nBETA\ngamma\n");
    assert_eq!(f.read("new.txt"), "fresh\n");
    assert!(!f.path("gone.txt").exists());
    let codex = "*** Begin Patch\n*** Update File: a.txt\n*** Move to: b.txt\n@@\n-BETA\n+beta\n*** End Patch";
    f.ok("apply_patch", json!({"patch": codex}));
    assert!(!f.path("a.txt").exists());
    assert_eq!(f.read("b.txt"), "alpha\nbeta\ngamma\n");
}

#[test]
fn apply_patch_is_all_or_nothing() {
    let mut f = fixture();
    f.write("a.txt", "one\n");
    f.write("b.txt", "two\n");
    let diff = "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-one\n+ONE\n--- a/b.txt\n+++ b/b.txt\n@@ -1 +1 @@\n-not there\n+X\n";
    let out = f.fail("apply_patch", json!({"patch": diff}));
    assert!(
        out.contains("b.txt") && out.contains("does not apply"),
        "{out}"
    );
    assert_eq!(f.read("a.txt"), "one\n");
}

#[test]
fn approvals_follow_the_mode() {
    // suggest: edits ask; a denial changes nothing and tells the model.
    let mut f = fixture_with(
        ApprovalMode::Suggest,
        Decision::Deny {
            reason: Some("not like that".into()),
        },
        |_| {},
    );
    f.write("a.txt", "x\n");
    let out = f.fail(
        "edit_file",
        json!({"path": "a.txt", "old_string": "x", "new_string": "y"}),
    );
    assert!(out.contains("declined this edit: not like that"), "{out}");
    assert_eq!(f.read("a.txt"), "x\n");
    let out = f.fail("run_command", json!({"command": "touch made"}));
    assert!(out.contains("declined this command"), "{out}");
    assert!(!f.path("made").exists());
    {
        let asked = f.asked.lock().unwrap();
        assert_eq!(asked.len(), 2);
        assert!(
            matches!(&asked[0], ApprovalRequest::Edit { paths, diff, .. } if paths == &["a.txt"] && diff.contains("-x\n+y"))
        );
        assert!(
            matches!(&asked[1], ApprovalRequest::Command { command, .. } if command == "touch made")
        );
    }
    // auto-edit: edits apply without asking, commands ask.
    let mut f = fixture_with(ApprovalMode::AutoEdit, Decision::Approve, |_| {});
    f.write("a.txt", "x\n");
    f.ok(
        "edit_file",
        json!({"path": "a.txt", "old_string": "x", "new_string": "y"}),
    );
    f.ok("run_command", json!({"command": "true"}));
    let asked = f.asked.lock().unwrap();
    assert_eq!(asked.len(), 1);
    assert!(matches!(&asked[0], ApprovalRequest::Command { .. }));
}

#[test]
fn run_command_reports_exit_code_and_output() {
    let mut f = fixture();
    f.write("sub/file.txt", "content\n");
    let out = f.ok(
        "run_command",
        json!({"command": "cat file.txt; echo oops >&2; exit 3", "cwd": "sub"}),
    );
    assert!(out.starts_with("exit code 3"), "{out}");
    assert!(
        out.contains("--- stdout ---\ncontent") && out.contains("--- stderr ---\noops"),
        "{out}"
    );
    let out = f.fail("run_command", json!({"command": "true", "cwd": "../"}));
    assert!(out.contains("outside the workspace"), "{out}");
}

#[test]
fn run_command_timeout_kills_the_process_group() {
    let mut f = fixture();
    let out = f.ok(
        "run_command",
        json!({"command": "sleep 30 & sleep 30; echo never", "timeout_secs": 1}),
    );
    assert!(out.starts_with("timed out after 1s"), "{out}");
    assert!(!out.contains("never"), "{out}");
}

#[test]
fn a_background_process_that_escapes_the_group_does_not_hang_the_call() {
    let has_setsid = std::process::Command::new("setsid")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_setsid {
        println!("skipped: setsid not found");
        return;
    }
    let mut f = fixture();
    let out = f.ok(
        "run_command",
        json!({"command": "setsid sh -c 'touch escaped; sleep 20' & while [ ! -f escaped ]; do sleep 0.01; done; echo started"}),
    );
    assert!(out.starts_with("exit code 0"), "{out}");
    assert!(out.contains("started"), "{out}");
    if f.tb.sandbox_status().pid_namespace {
        // Killed with the command's pid namespace: nothing holds the output open.
        assert!(!out.contains("still holds its output open"), "{out}");
    } else {
        assert!(out.contains("still holds its output open"), "{out}");
    }
}

#[test]
fn run_command_output_is_capped_head_and_tail() {
    let mut f = fixture_with(ApprovalMode::FullAuto, Decision::Approve, |c| {
        c.max_output_chars = 2000
    });
    let out = f.ok("run_command", json!({"command": "seq 1 100000"}));
    assert!(out.len() <= 2100, "{}", out.len());
    assert!(out.contains("\n1\n2\n3\n"), "head kept: {out}");
    assert!(out.contains("100000"), "tail kept: {out}");
    assert!(out.contains("omitted"), "{out}");
}

#[test]
fn repeated_identical_calls_are_stopped() {
    let mut f = fixture();
    f.write("a.txt", "x\n");
    f.ok("read_file", json!({"path": "a.txt"}));
    f.ok("read_file", json!({"path": "a.txt"}));
    let out = f.fail("read_file", json!({"path": "a.txt"}));
    assert!(
        out.contains("call number 3 in a row") && out.contains("Do something different"),
        "{out}"
    );
    f.ok("list_dir", json!({}));
    f.ok("read_file", json!({"path": "a.txt"}));
}

#[test]
fn git_tools_read_the_repository() {
    let mut f = fixture();
    let git = |args: &[&str]| {
        let s = std::process::Command::new("git")
            .args(args)
            .current_dir(f.ws.path())
            .output()
            .unwrap();
        assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    };
    git(&["init", "-q", "-b", "main"]);
    f.write("a.txt", "one\n");
    git(&["add", "a.txt"]);
    git(&[
        "-c",
        "user.name=T",
        "-c",
        "user.email=t@e",
        "commit",
        "-q",
        "-m",
        "first commit",
    ]);
    f.write("a.txt", "two\n");
    let out = f.ok("git_status", json!({}));
    assert!(out.contains("## main") && out.contains(" M a.txt"), "{out}");
    let out = f.ok("git_diff", json!({}));
    assert!(out.contains("-one\n+two"), "{out}");
    let out = f.ok("git_log", json!({"limit": 5}));
    assert!(out.contains("T: first commit"), "{out}");
    let out = f.ok("git_diff", json!({"staged": true}));
    assert_eq!(out, "no changes");
}

#[test]
fn run_tests_and_run_build_condense_a_cargo_project() {
    let has_cargo = std::process::Command::new("cargo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_cargo {
        println!("skipped: cargo not found");
        return;
    }
    let mut f = fixture();
    f.write(
        "Cargo.toml",
        "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    );
    f.write(
        "src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 { a - b }\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() { assert_eq!(super::add(2, 2), 4); }\n    #[test]\n    fn zero() { assert_eq!(super::add(0, 0), 0); }\n}\n",
    );
    let out = f.ok("run_tests", json!({}));
    println!("{out}");
    assert!(
        out.starts_with("tests FAILED (exit code 101) — cargo: `RUST_BACKTRACE=0 cargo test"),
        "{out}"
    );
    assert!(out.contains("tests: 1 passed, 1 failed"), "{out}");
    assert!(out.contains("failed tests (1):\n  tests::adds"), "{out}");
    assert!(
        out.contains("src/lib.rs:6:17: panic: assertion `left == right` failed; left: 0; right: 4"),
        "{out}"
    );
    assert!(!out.contains("stack backtrace"), "{out}");
    f.write(
        "src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 { a + c }\n",
    );
    let out = f.ok("run_build", json!({}));
    println!("{out}");
    assert!(out.starts_with("build FAILED"), "{out}");
    assert!(out.contains("src/lib.rs:1:"), "{out}");
    assert!(out.contains("error[E0425]"), "{out}");
    let out = f.fail("run_tests", json!({"cwd": "src"}));
    assert!(out.contains("no build tool found in `src`"), "{out}");
}

fn have(tool: &str) -> bool {
    std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn run_build_condenses_gcc_errors_through_make() {
    if !have("make") || !have("gcc") {
        println!("skipped: make or gcc not found");
        return;
    }
    let mut f = fixture();
    f.write(
        "Makefile",
        "all:\n\tgcc -c main.c -o main.o\ntest: all\n\t./check.sh\n",
    );
    f.write("main.c", "int main(void) {\n    return 0\n}\n");
    let out = f.ok("run_build", json!({}));
    assert!(
        out.starts_with("build FAILED") && out.contains("make: `make`"),
        "{out}"
    );
    assert!(out.contains("errors (1):\n  main.c:2:"), "{out}");
    f.write("main.c", "int main(void) {\n    return 0;\n}\n");
    let out = f.ok("run_build", json!({}));
    assert!(out.starts_with("build PASSED"), "{out}");
}

#[test]
fn run_tests_runs_npm_scripts() {
    if !have("npm") || !have("node") {
        println!("skipped: npm or node not found");
        return;
    }
    let mut f = fixture();
    f.write(
        "package.json",
        "{\"name\": \"t\", \"version\": \"1.0.0\", \"scripts\": {\"test\": \"node test.js\"}}\n",
    );
    f.write(
        "test.js",
        "const assert = require('assert');\nassert.strictEqual(1 + 1, 3, 'math is broken');\n",
    );
    let out = f.ok("run_tests", json!({}));
    assert!(
        out.starts_with("tests FAILED") && out.contains("npm: `npm test --silent`"),
        "{out}"
    );
    assert!(out.contains("math is broken"), "{out}");
    f.write("test.js", "console.log('all good');\n");
    let out = f.ok("run_tests", json!({}));
    assert!(out.starts_with("tests PASSED"), "{out}");
}

#[test]
fn apply_patch_respects_the_stale_check_and_asks_once_for_all_files() {
    let mut f = fixture_with(ApprovalMode::Suggest, Decision::Approve, |_| {});
    f.write("a.txt", "one\n");
    f.write("b.txt", "two\n");
    f.ok("read_file", json!({"path": "a.txt"}));
    f.write("a.txt", "one (changed by the user)\n");
    let patch = "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-one (changed by the user)\n+ONE\n";
    let out = f.fail("apply_patch", json!({"patch": patch}));
    assert!(
        out.contains("changed on disk since you last read it"),
        "{out}"
    );
    assert!(
        f.asked.lock().unwrap().is_empty(),
        "nothing is asked for a refused patch"
    );
    f.ok("read_file", json!({"path": "a.txt"}));
    let patch = format!("{patch}--- a/b.txt\n+++ b/b.txt\n@@ -1 +1 @@\n-two\n+TWO\n");
    f.ok("apply_patch", json!({"patch": patch}));
    let asked = f.asked.lock().unwrap();
    assert_eq!(asked.len(), 1);
    assert!(
        matches!(&asked[0], ApprovalRequest::Edit { tool, paths, diff } if tool == "apply_patch" && paths == &["a.txt", "b.txt"] && diff.contains("+ONE") && diff.contains("+TWO")),
        "{:?}",
        asked[0]
    );
    drop(asked);
    assert_eq!(f.read("a.txt"), "ONE\n");
    assert_eq!(f.read("b.txt"), "TWO\n");
}

#[test]
fn write_file_takes_pasted_read_file_output_as_the_text_it_shows() {
    let mut f = fixture();
    f.write(
        "utils.py",
        "def word_count(text):\n    return len(text.split())\n",
    );
    let shown = f.ok("read_file", json!({"path": "utils.py"}));
    // The model pastes what it saw, gutter and header included, with a function added.
    let mut pasted = shown.clone();
    pasted.push_str("    3\t\n    4\tdef shout(s):\n    5\t    return s.upper()\n");
    let out = f.ok("write_file", json!({"path": "utils.py", "content": pasted}));
    assert!(
        out.contains("removed the read_file header and line numbers"),
        "{out}"
    );
    assert_eq!(
        f.read("utils.py"),
        "def word_count(text):\n    return len(text.split())\n\ndef shout(s):\n    return s.upper()\n"
    );
}
