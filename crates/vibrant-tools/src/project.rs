//! `run_tests` and `run_build`: detect the project's build tool, run it like `run_command`
//! (same approval and sandbox), and condense the output into failed tests, compiler errors
//! and a tail of the log.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use regex::Regex;

use crate::error::{Result, ToolError};
use crate::toolbox::{Args, ToolResult, Toolbox};

/// A build tool the project uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectKind {
    /// `Cargo.toml`.
    Cargo,
    /// `go.mod`.
    Go,
    /// `package.json` with `pnpm-lock.yaml`.
    Pnpm,
    /// `package.json` with `yarn.lock`.
    Yarn,
    /// `package.json`.
    Npm,
    /// `pyproject.toml`, `setup.py`, `setup.cfg`, `pytest.ini` or `tox.ini` (pytest).
    Python,
    /// `pom.xml`.
    Maven,
    /// `build.gradle` or `build.gradle.kts`.
    Gradle,
    /// `CMakeLists.txt` (CMake and CTest).
    CMake,
    /// `Makefile`.
    Make,
    /// No marker file, but JavaScript test files (`*.test.js`, `test/*.js`): node's own runner.
    NodeTest,
}

/// The first build tool whose marker file is in `dir` (in the order of [`ProjectKind`]).
pub fn detect(dir: &Path) -> Option<ProjectKind> {
    let has = |f: &str| dir.join(f).is_file();
    if has("Cargo.toml") {
        Some(ProjectKind::Cargo)
    } else if has("go.mod") {
        Some(ProjectKind::Go)
    } else if has("package.json") {
        Some(if has("pnpm-lock.yaml") {
            ProjectKind::Pnpm
        } else if has("yarn.lock") {
            ProjectKind::Yarn
        } else {
            ProjectKind::Npm
        })
    } else if [
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "pytest.ini",
        "tox.ini",
    ]
    .iter()
    .any(|f| has(f))
    {
        Some(ProjectKind::Python)
    } else if has("pom.xml") {
        Some(ProjectKind::Maven)
    } else if has("build.gradle") || has("build.gradle.kts") {
        Some(ProjectKind::Gradle)
    } else if has("CMakeLists.txt") {
        Some(ProjectKind::CMake)
    } else if has("Makefile") || has("makefile") || has("GNUmakefile") {
        Some(ProjectKind::Make)
    } else {
        detect_by_tests(dir)
    }
}

/// A folder without a marker file that still has tests: `test_*.py`/`*_test.py` (pytest runs
/// them), or `*.test.js`/`*.test.mjs` (node's runner), at the top or in `tests/`/`test/`.
fn detect_by_tests(dir: &Path) -> Option<ProjectKind> {
    let mut py = false;
    let mut js = false;
    for sub in [".", "tests", "test"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries.flatten().take(10_000) {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            let in_test_dir = sub != ".";
            if name.ends_with(".py")
                && (name.starts_with("test_") || name.ends_with("_test.py") || in_test_dir)
            {
                py = true;
            }
            if [".js", ".mjs", ".cjs"].iter().any(|x| name.ends_with(x))
                && (name.contains(".test.") || in_test_dir)
            {
                js = true;
            }
        }
    }
    if py {
        Some(ProjectKind::Python)
    } else if js {
        Some(ProjectKind::NodeTest)
    } else {
        None
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl ProjectKind {
    /// A short name (`cargo`, `npm`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Cargo => "cargo",
            Self::Go => "go",
            Self::Pnpm => "pnpm",
            Self::Yarn => "yarn",
            Self::Npm => "npm",
            Self::Python => "pytest",
            Self::Maven => "maven",
            Self::Gradle => "gradle",
            Self::CMake => "cmake",
            Self::Make => "make",
            Self::NodeTest => "node",
        }
    }

    /// The command that runs the tests, optionally only those matching `filter`.
    pub fn test_command(self, dir: &Path, filter: Option<&str>) -> String {
        let f = filter.map(quote);
        let with = |base: &str, flag: &str| match &f {
            Some(f) => format!("{base} {flag}{f}"),
            None => base.to_owned(),
        };
        match self {
            Self::Cargo => with(
                "RUST_BACKTRACE=0 cargo test --color=never --message-format=short",
                "",
            ),
            Self::Go => with("go test ./...", "-run "),
            Self::Pnpm => with("pnpm test", "-- "),
            Self::Yarn => with("yarn test", ""),
            Self::Npm => with("npm test --silent", "-- "),
            Self::Python => with("python3 -m pytest -q -p no:cacheprovider", "-k "),
            Self::Maven => with("mvn -q -o test", "-Dtest="),
            Self::Gradle => with(&format!("{} test --offline", gradle(dir)), "--tests "),
            Self::CMake => with(
                "cmake -S . -B build && cmake --build build && ctest --test-dir build --output-on-failure",
                "-R ",
            ),
            Self::Make => "make test".to_owned(),
            Self::NodeTest => with("node --test", "--test-name-pattern="),
        }
    }

    /// The command that builds (type-checks) the project.
    pub fn build_command(self, dir: &Path) -> String {
        match self {
            Self::Cargo => {
                "cargo build --all-targets --color=never --message-format=short".to_owned()
            }
            Self::Go => "go build ./... && go vet ./...".to_owned(),
            Self::Pnpm => "pnpm run --if-present build".to_owned(),
            Self::Yarn => "yarn run build".to_owned(),
            Self::Npm => "npm run build --if-present".to_owned(),
            Self::Python => {
                "python3 -m compileall -q -x '(^|/)(\\.git|\\.venv|venv|node_modules)/' ."
                    .to_owned()
            }
            Self::Maven => "mvn -q -o compile".to_owned(),
            Self::Gradle => format!("{} build -x test --offline", gradle(dir)),
            Self::CMake => "cmake -S . -B build && cmake --build build".to_owned(),
            Self::Make => "make".to_owned(),
            Self::NodeTest => "for f in $(ls *.js *.mjs *.cjs 2>/dev/null); do node --check \"$f\" || exit 1; done"
                .to_owned(),
        }
    }
}

fn gradle(dir: &Path) -> &'static str {
    if dir.join("gradlew").is_file() {
        "./gradlew"
    } else {
        "gradle"
    }
}

/// One compiler or linter message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File as printed by the tool.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, if printed.
    pub column: Option<u32>,
    /// `error` or `warning`.
    pub severity: String,
    /// The message, with its code (`error[E0308]`, `TS2322`) where there is one.
    pub message: String,
}

/// What a test or build run printed, condensed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunSummary {
    /// Tests passed, where the tool prints a count.
    pub passed: Option<u32>,
    /// Tests failed, where the tool prints a count.
    pub failed: Option<u32>,
    /// Names of failed tests.
    pub failed_tests: Vec<String>,
    /// Errors and warnings, deduplicated, in order.
    pub diagnostics: Vec<Diagnostic>,
}

struct Patterns {
    located: Regex,
    rust_header: Regex,
    rust_arrow: Regex,
    tsc: Regex,
    go: Regex,
    /// A failing Go test's `t.Errorf` line: `    semver_test.go:25: Compare(a, b) = 0, want -1`.
    go_test: Regex,
    javac: Regex,
    py: Regex,
    panic: Regex,
    failed: Vec<Regex>,
    cargo_result: Regex,
    counts: Regex,
    /// node:test's TAP: `# pass 1`, a failure's `location: 'test/x.test.js:6:1'`, and stack
    /// frames `parse (file://src/q.js:24:13)`.
    tap_count: Regex,
    tap_location: Regex,
    tap_frame: Regex,
}

static PATTERNS: std::sync::LazyLock<Patterns> = std::sync::LazyLock::new(patterns);

fn patterns() -> Patterns {
    let re = |s: &str| Regex::new(s).unwrap_or_else(|e| panic!("built-in regex {s}: {e}"));
    Patterns {
        located: re(
            r"^(?P<file>[^\s:][^:]*?):(?P<line>\d+):(?:(?P<col>\d+):)?\s*(?P<sev>fatal error|error|warning)(?P<code>\[[A-Za-z]*\d+\])?:\s*(?P<msg>.+)$",
        ),
        rust_header: re(r"^(?P<sev>error|warning)(?P<code>\[E\d+\])?: (?P<msg>.+)$"),
        rust_arrow: re(r"^\s*--> (?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+)"),
        tsc: re(
            r"^(?P<file>[^\s(]+)\((?P<line>\d+),(?P<col>\d+)\): (?P<sev>error|warning) (?P<code>TS\d+): (?P<msg>.+)$",
        ),
        go: re(r"^(?P<file>\S+\.go):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+)$"),
        go_test: re(r"^\s+(?P<file>[\w./-]+_test\.go):(?P<line>\d+): (?P<msg>.+)$"),
        javac: re(r"^\[ERROR\] (?P<file>\S+\.\w+):\[(?P<line>\d+),(?P<col>\d+)\] (?P<msg>.+)$"),
        py: re(r"^(?P<file>[^\s:]+\.py):(?P<line>\d+): (?P<msg>\w*(?:Error|Exception)\b.*)$"),
        panic: re(r"panicked at (?P<file>[^:\s]+):(?P<line>\d+):(?P<col>\d+):?$"),
        failed: vec![
            re(r"^test (?P<name>\S+) \.\.\. FAILED$"),
            re(r"^\s*--- FAIL: (?P<name>\S+)"),
            re(r"^FAILED (?P<name>\S+)"),
            re(r"^\s*✕ (?P<name>.+?)(?: \(\d+ ms\))?$"),
            re(r"^\s*\d+/\d+ Test\s+#\d+: (?P<name>\S+) \.+\s*\*\*\*Failed"),
            re(r"^\s*not ok \d+ - (?P<name>.+?)(?: # .*)?$"),
        ],
        tap_count: re(r"^# (?P<what>pass|fail) (?P<n>\d+)$"),
        tap_location: re(
            r"^\s*location: '(?:file://)?(?P<file>[^']+?):(?P<line>\d+):(?P<col>\d+)'",
        ),
        tap_frame: re(
            r"\((?:file://)?(?P<file>[^():\s]+\.[cm]?[jt]sx?):(?P<line>\d+):(?P<col>\d+)\)",
        ),
        cargo_result: re(r"test result: \w+\. (?P<passed>\d+) passed; (?P<failed>\d+) failed"),
        counts: re(r"(?P<n>\d+) (?P<what>passed|failed)"),
    }
}

/// Condenses a test or build log.
pub fn summarize(log: &str) -> RunSummary {
    let p = &*PATTERNS;
    let mut s = RunSummary::default();
    let lines: Vec<&str> = log.lines().collect();
    let push = |s: &mut RunSummary, d: Diagnostic| {
        if !s.diagnostics.contains(&d) {
            s.diagnostics.push(d);
        }
    };
    let num =
        |c: &regex::Captures<'_>, k: &str| c.name(k).and_then(|m| m.as_str().parse::<u32>().ok());
    let (mut cargo_passed, mut cargo_failed, mut saw_cargo) = (0, 0, false);
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim_end();
        if let Some(c) = p.located.captures(line).or_else(|| p.tsc.captures(line)) {
            let sev = if c["sev"].contains("error") {
                "error"
            } else {
                "warning"
            };
            let code = c.name("code").map(|m| m.as_str()).unwrap_or("");
            let sep = if code.starts_with("TS") { " " } else { "" };
            push(
                &mut s,
                Diagnostic {
                    file: c["file"].to_owned(),
                    line: num(&c, "line").unwrap_or(0),
                    column: num(&c, "col"),
                    severity: sev.to_owned(),
                    message: format!("{sev}{sep}{code}: {}", &c["msg"]),
                },
            );
        } else if let Some(c) = p.rust_header.captures(line) {
            // rustc's long format: the location is on a following `-->` line.
            let at = lines
                .iter()
                .skip(i + 1)
                .take(3)
                .find_map(|l| p.rust_arrow.captures(l));
            if let Some(a) = at {
                push(
                    &mut s,
                    Diagnostic {
                        file: a["file"].to_owned(),
                        line: num(&a, "line").unwrap_or(0),
                        column: num(&a, "col"),
                        severity: c["sev"].to_owned(),
                        message: format!(
                            "{}{}: {}",
                            &c["sev"],
                            c.name("code").map(|m| m.as_str()).unwrap_or(""),
                            &c["msg"]
                        ),
                    },
                );
            }
        } else if let Some(c) = p.panic.captures(line) {
            // Rust test panics: the message is on the next lines.
            let msg: Vec<&str> = lines
                .iter()
                .skip(i + 1)
                .take(3)
                .map(|l| l.trim())
                .take_while(|l| {
                    !l.is_empty() && !l.starts_with("note:") && !l.starts_with("stack backtrace")
                })
                .collect();
            push(
                &mut s,
                Diagnostic {
                    file: c["file"].to_owned(),
                    line: num(&c, "line").unwrap_or(0),
                    column: num(&c, "col"),
                    severity: "error".to_owned(),
                    message: format!("panic: {}", msg.join("; ")),
                },
            );
        } else if let Some(c) = p
            .javac
            .captures(line)
            .or_else(|| p.go.captures(line))
            .or_else(|| p.go_test.captures(line))
            .or_else(|| p.py.captures(line))
        {
            push(
                &mut s,
                Diagnostic {
                    file: c["file"].to_owned(),
                    line: num(&c, "line").unwrap_or(0),
                    column: num(&c, "col"),
                    severity: "error".to_owned(),
                    message: format!("error: {}", &c["msg"]),
                },
            );
        }
        for f in &p.failed {
            if let Some(c) = f.captures(line) {
                let name = c["name"].to_owned();
                if !s.failed_tests.contains(&name) {
                    s.failed_tests.push(name);
                }
                break;
            }
        }
        if line.trim_start().starts_with("not ok ")
            && let Some(d) = tap_failure(&lines[i + 1..])
        {
            push(&mut s, d);
        }
        if let Some(c) = p.tap_count.captures(line) {
            if &c["what"] == "pass" {
                s.passed = num(&c, "n");
            } else {
                s.failed = num(&c, "n");
            }
        }
        if let Some(c) = p.cargo_result.captures(line) {
            saw_cargo = true;
            cargo_passed += num(&c, "passed").unwrap_or(0);
            cargo_failed += num(&c, "failed").unwrap_or(0);
        } else if line.starts_with('=') || line.trim_start().starts_with("Tests:") {
            // pytest's `==== 1 failed, 3 passed in 0.1s ====`, jest's `Tests: 1 failed, 3 passed, 4 total`.
            for c in p.counts.captures_iter(line) {
                let n = num(&c, "n");
                if &c["what"] == "passed" {
                    s.passed = n
                } else {
                    s.failed = n
                }
            }
            if s.passed.is_some() && s.failed.is_none() {
                s.failed = Some(0);
            }
        }
    }
    if saw_cargo {
        s.passed = Some(cargo_passed);
        s.failed = Some(cargo_failed);
    }
    s
}

/// The failure a node:test TAP block (the lines after `not ok N - name`, up to `...`) reports:
/// at the first stack frame in the project's code, or at the test's location, with the error
/// and the expected and actual values.
fn tap_failure(block: &[&str]) -> Option<Diagnostic> {
    let p = &*PATTERNS;
    let mut location: Option<(String, u32, Option<u32>)> = None;
    let mut frame: Option<(String, u32, Option<u32>)> = None;
    let (mut error, mut expected, mut actual) = (None, None, None);
    let value = |l: &str, key: &str| {
        l.trim_start()
            .strip_prefix(key)
            .map(|v| v.trim().trim_matches('\'').to_owned())
            .filter(|v| !v.is_empty() && !v.starts_with('|'))
    };
    for l in block.iter().take(40) {
        let t = l.trim();
        if t == "..." || t.starts_with("not ok ") || t.starts_with("ok ") {
            break;
        }
        let at = |c: &regex::Captures<'_>| {
            (
                c["file"].to_owned(),
                c["line"].parse::<u32>().unwrap_or(0),
                c["col"].parse::<u32>().ok(),
            )
        };
        if let Some(c) = p.tap_location.captures(l) {
            location.get_or_insert(at(&c));
        } else if let Some(c) = p.tap_frame.captures(l)
            && !l.contains("node:")
            && !l.contains("node_modules")
        {
            frame.get_or_insert(at(&c));
        } else if let Some(v) = value(l, "error:") {
            error.get_or_insert(v);
        } else if let Some(v) = value(l, "expected:") {
            expected.get_or_insert(v);
        } else if let Some(v) = value(l, "actual:") {
            actual.get_or_insert(v);
        }
    }
    let (file, line, column) = frame.or(location)?;
    let mut message = format!(
        "error: {}",
        error.unwrap_or_else(|| "test failed".to_owned())
    );
    if let (Some(e), Some(a)) = (expected, actual) {
        message.push_str(&format!(" (expected {e}, actual {a})"));
    }
    Some(Diagnostic {
        file,
        line,
        column,
        severity: "error".to_owned(),
        message,
    })
}

pub(crate) fn run(tb: &mut Toolbox, name: &str, args: &Args<'_>) -> Result<ToolResult> {
    let cwd = tb.ws.resolve(args.str_opt("cwd")?.unwrap_or("."))?;
    if !cwd.abs.is_dir() {
        return Err(ToolError::NotFound { path: cwd.rel });
    }
    let kind = detect(&cwd.abs).ok_or_else(|| {
        ToolError::args(
            name,
            format!("no build tool found in `{}` (looked for Cargo.toml, go.mod, package.json, pyproject.toml/setup.py, pom.xml, build.gradle, CMakeLists.txt, Makefile, and test files such as test_*.py or *.test.js); pass cwd, or use run_command", cwd.rel),
        )
    })?;
    let command = if name == "run_tests" {
        kind.test_command(&cwd.abs, args.str_opt("filter")?)
    } else {
        kind.build_command(&cwd.abs)
    };
    let timeout = args
        .u64_opt("timeout_secs")?
        .map(Duration::from_secs)
        .unwrap_or(tb.cfg.command_timeout.max(Duration::from_secs(300)))
        .min(tb.cfg.max_command_timeout);
    let (out, describe) = tb.execute(&command, &cwd, timeout)?;
    let log = format!("{}\n{}", out.stdout, out.stderr);
    let sum = summarize(&log);
    let verdict = if out.timed_out {
        format!("TIMED OUT after {}s", timeout.as_secs())
    } else if out.success() {
        "PASSED".to_owned()
    } else {
        format!(
            "FAILED (exit code {})",
            out.exit_code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "signal".to_owned())
        )
    };
    let what = if name == "run_tests" {
        "tests"
    } else {
        "build"
    };
    let mut text = format!(
        "{what} {verdict} — {}: `{command}` ({:.1}s; {describe})\n",
        kind.name(),
        out.duration_ms as f64 / 1000.0
    );
    if let (Some(p), Some(f)) = (sum.passed, sum.failed) {
        let _ = writeln!(text, "tests: {p} passed, {f} failed");
    }
    if !sum.failed_tests.is_empty() {
        let _ = writeln!(text, "failed tests ({}):", sum.failed_tests.len());
        for t in sum.failed_tests.iter().take(20) {
            let _ = writeln!(text, "  {t}");
        }
    }
    let errors: Vec<&Diagnostic> = sum
        .diagnostics
        .iter()
        .filter(|d| d.severity == "error")
        .collect();
    let warnings = sum.diagnostics.len() - errors.len();
    if !errors.is_empty() {
        let _ = writeln!(text, "errors ({}):", errors.len());
        for d in errors.iter().take(20) {
            let col = d.column.map(|c| format!(":{c}")).unwrap_or_default();
            let _ = writeln!(text, "  {}:{}{col}: {}", d.file, d.line, d.message);
        }
    }
    if warnings > 0 {
        let _ = writeln!(text, "warnings: {warnings}");
    }
    if !out.success() {
        // The end of the log is where the details are.
        let room = tb
            .cfg
            .max_output_chars
            .saturating_sub(text.len() + 100)
            .max(500);
        let tail = log.trim_end();
        let start = tail.len().saturating_sub(room);
        let start = (start..tail.len())
            .find(|&i| tail.is_char_boundary(i))
            .unwrap_or(tail.len());
        let _ = write!(text, "--- end of output ---\n{}\n", &tail[start..]);
    }
    Ok(ToolResult {
        tool: name.to_owned(),
        ok: true,
        output: text,
        diff: None,
        changed_files: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// node --test's TAP output (node 20+), as `npm test` prints it.
    #[test]
    fn node_test_tap_failures_counts_and_locations() {
        let log = "TAP version 13
# Subtest: parses simple pairs
not ok 1 - parses simple pairs
  ---
  duration_ms: 0.948155
  location: 'test/query.test.js:6:1'
  failureType: 'testCodeFailure'
  error: 'Assignment to constant variable.'
  code: 'ERR_TEST_FAILURE'
  name: 'TypeError'
  stack: |-
    parseQuery (file://src/query.js:24:13)
    TestContext.<anonymous> (file://test/query.test.js:7:20)
    Test.runInAsyncScope (node:async_hooks:206:9)
  ...
# Subtest: repeated keys
not ok 2 - repeated keys
  ---
  duration_ms: 0.2
  location: '/tmp/w/test/query.test.js:14:1'
  failureType: 'testCodeFailure'
  error: 'Expected values to be strictly deep-equal'
  code: 'ERR_ASSERTION'
  expected: 3
  actual: 2
  operator: 'deepStrictEqual'
  stack: |-
    TestContext.<anonymous> (file:///tmp/w/test/query.test.js:15:10)
    Test.runInAsyncScope (node:async_hooks:206:9)
  ...
# Subtest: stringify
ok 3 - stringify
  ---
  duration_ms: 0.1
  ...
1..3
# tests 3
# suites 0
# pass 1
# fail 2
# duration_ms 88.09806
";
        let s = summarize(log);
        assert_eq!((s.passed, s.failed), (Some(1), Some(2)));
        assert_eq!(s.failed_tests, vec!["parses simple pairs", "repeated keys"]);
        assert_eq!(s.diagnostics.len(), 2);
        let d = &s.diagnostics[0];
        assert_eq!(
            (d.file.as_str(), d.line),
            ("src/query.js", 24),
            "the code's frame"
        );
        assert_eq!(d.message, "error: Assignment to constant variable.");
        let d = &s.diagnostics[1];
        assert_eq!((d.file.as_str(), d.line), ("/tmp/w/test/query.test.js", 15));
        assert_eq!(
            d.message,
            "error: Expected values to be strictly deep-equal (expected 3, actual 2)"
        );
    }

    #[test]
    fn cargo_short_and_long_errors_and_test_failures() {
        let log = "src/lib.rs:10:5: error[E0308]: mismatched types\nsrc/lib.rs:3:1: warning: unused import\n\
error[E0425]: cannot find value `x` in this scope\n  --> src/main.rs:4:13\n   |\n\
test tests::adds ... ok\ntest tests::subtracts ... FAILED\n\
thread 'tests::subtracts' (5) panicked at src/lib.rs:20:9:\nassertion `left == right` failed\n  left: 0\n right: 4\nnote: run with `RUST_BACKTRACE=1`\n\
test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n\
test result: ok. 2 passed; 0 failed; 0 ignored\n";
        let s = summarize(log);
        assert_eq!(s.passed, Some(3));
        assert_eq!(s.failed, Some(1));
        assert_eq!(s.failed_tests, vec!["tests::subtracts"]);
        assert_eq!(s.diagnostics.len(), 4);
        assert_eq!(
            s.diagnostics[3].message,
            "panic: assertion `left == right` failed; left: 0; right: 4"
        );
        assert_eq!(s.diagnostics[3].line, 20);
        assert_eq!(s.diagnostics[0].message, "error[E0308]: mismatched types");
        assert_eq!(
            (s.diagnostics[0].line, s.diagnostics[0].column),
            (10, Some(5))
        );
        assert_eq!(s.diagnostics[1].severity, "warning");
        assert_eq!(s.diagnostics[2].file, "src/main.rs");
        assert_eq!(
            s.diagnostics[2].message,
            "error[E0425]: cannot find value `x` in this scope"
        );
    }

    #[test]
    fn pytest_go_jest_tsc_gcc() {
        let s = summarize(
            "FAILED tests/test_m.py::test_add - assert 1 == 2\ntests/test_m.py:7: AssertionError\n===== 1 failed, 4 passed in 0.05s =====\n",
        );
        assert_eq!((s.passed, s.failed), (Some(4), Some(1)));
        assert_eq!(s.failed_tests, vec!["tests/test_m.py::test_add"]);
        assert_eq!(s.diagnostics[0].file, "tests/test_m.py");
        let t = summarize(
            "--- FAIL: TestCompare (0.00s)\n    semver_test.go:25: Compare(\"1.0.0\", \"2.0.0\") = 0, want -1\nFAIL\nFAIL\texample.com/semver\t0.002s\n",
        );
        assert_eq!(t.failed_tests, vec!["TestCompare"]);
        assert_eq!(
            (t.diagnostics[0].file.as_str(), t.diagnostics[0].line),
            ("semver_test.go", 25)
        );
        assert_eq!(
            t.diagnostics[0].message,
            "error: Compare(\"1.0.0\", \"2.0.0\") = 0, want -1"
        );
        let s = summarize("--- FAIL: TestParse (0.00s)\n./parse.go:12:2: undefined: foo\nFAIL\n");
        assert_eq!(s.failed_tests, vec!["TestParse"]);
        assert_eq!(s.diagnostics[0].message, "error: undefined: foo");
        let s = summarize("  ✕ adds numbers (3 ms)\nTests:       1 failed, 2 passed, 3 total\n");
        assert_eq!(s.failed_tests, vec!["adds numbers"]);
        assert_eq!((s.passed, s.failed), (Some(2), Some(1)));
        let s = summarize(
            "src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.\nmain.c:5:3: error: expected ';' before '}' token\n",
        );
        assert_eq!(s.diagnostics.len(), 2);
        assert_eq!(
            s.diagnostics[0].message,
            "error TS2322: Type 'string' is not assignable to type 'number'."
        );
        assert_eq!(s.diagnostics[1].file, "main.c");
    }

    #[test]
    fn detection_order_and_commands() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(detect(d.path()), None);
        std::fs::write(d.path().join("Makefile"), "").unwrap();
        assert_eq!(detect(d.path()), Some(ProjectKind::Make));
        std::fs::write(d.path().join("package.json"), "{}").unwrap();
        std::fs::write(d.path().join("yarn.lock"), "").unwrap();
        assert_eq!(detect(d.path()), Some(ProjectKind::Yarn));
        std::fs::write(d.path().join("Cargo.toml"), "").unwrap();
        assert_eq!(detect(d.path()), Some(ProjectKind::Cargo));
        assert_eq!(
            ProjectKind::Python.test_command(d.path(), Some("it's")),
            "python3 -m pytest -q -p no:cacheprovider -k 'it'\\''s'"
        );
        assert_eq!(
            ProjectKind::Go.test_command(d.path(), Some("TestX")),
            "go test ./... -run 'TestX'"
        );
    }
}
