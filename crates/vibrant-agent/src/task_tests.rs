//! Tests of the task, written by the model before the fix, to judge the fix candidates.
//!
//! When the project's tests already pass (a crash from a pasted traceback, a new parameter, a
//! feature), they cannot tell a right change from any change that compiles. Then the agent first
//! asks the model for a small test file of what the task asks for, in the project's own test
//! framework, keeps the ones that *fail* on the code as it is (they show the problem or the
//! missing feature), and counts how many of them each fix candidate makes pass — a vote among
//! several imperfect judges, as in reproduction-test selection (Agentless). The judges live only
//! in the scratch copy: they never reach the user's files.

use std::fmt::Write as _;

use vibrant_tools::locate::{SourceFile, Sources, Suspect, is_test_path};

/// Lines up to which the example test file is shown whole (else its head).
const EXAMPLE_LINES: usize = 120;

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

fn ext_of(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').map_or("", |(_, e)| e)
}

/// Where the task's tests go, and an existing test file to show as the example of the project's
/// style and imports: `(path, example)`. `None` where a new test file would not be run by the
/// project's check (C with make: the Makefile names its tests).
pub(crate) fn task_test_path<'a>(
    sources: &'a Sources,
    ranked: &[Suspect],
) -> Option<(String, Option<&'a SourceFile>)> {
    // The code under test: the best suspect that is not a program's entry point (a test
    // beside `main` cannot reach it in Go, Rust or Python).
    let top = ranked
        .iter()
        .filter(|s| !s.is_test)
        .find(|s| s.name != "main")
        .or_else(|| ranked.iter().find(|s| !s.is_test))?;
    let ext = ext_of(&top.path);
    fn group(e: &str) -> &str {
        match e {
            "js" | "mjs" | "cjs" | "ts" | "mts" | "jsx" | "tsx" => "js",
            other => other,
        }
    }
    let same_lang = |f: &&SourceFile| group(ext_of(&f.path)) == group(ext);
    let tests: Vec<&SourceFile> = sources
        .files
        .iter()
        .filter(|f| f.is_test || (ext == "rs" && f.text.contains("#[test]")))
        .filter(same_lang)
        .collect();
    let name_used = |f: &&&SourceFile| f.text.contains(top.name.as_str());
    let same_dir = |f: &&&SourceFile| dir_of(&f.path) == dir_of(&top.path);
    let example = tests
        .iter()
        .find(|f| name_used(f) && same_dir(f))
        .or_else(|| tests.iter().find(name_used))
        .or_else(|| tests.iter().find(same_dir))
        .or_else(|| tests.first())
        .copied();
    let path = match group(ext) {
        "go" => join(dir_of(&top.path), "vibrant_task_test.go"),
        "py" => join(
            example.map_or("", |e| dir_of(&e.path)),
            "test_vibrant_task.py",
        ),
        "rs" => {
            // An integration test of the crate the code is in (`…/src/x.rs` → `…/tests/`).
            let crate_dir = match top.path.rfind("src/") {
                Some(0) => "",
                Some(i) => &top.path[..i - 1],
                None => "",
            };
            join(crate_dir, "tests/vibrant_task.rs")
        }
        "js" => {
            let e = example?;
            let name = e.path.rsplit('/').next().unwrap_or(&e.path);
            let file = if let Some(i) = name.find(".test.") {
                format!("vibrant-task{}", &name[i..])
            } else if let Some(i) = name.find(".spec.") {
                format!("vibrant-task{}", &name[i..])
            } else {
                format!("vibrant-task.test.{}", ext_of(name))
            };
            join(dir_of(&e.path), &file)
        }
        _ => return None,
    };
    if sources.get(&path).is_some() || !is_test_path(&path) && !path.ends_with(".rs") {
        return None;
    }
    Some((path, example))
}

/// The prompt asking for the task's tests: the task, the code as it is (read-only), an example
/// test file.
pub(crate) fn prompt(
    task_text: &str,
    code: &str,
    example: Option<&SourceFile>,
    path: &str,
    crash: Option<&str>,
) -> String {
    let mut p = format!(
        "Task: {}\n\nThe code as it is now:\n\n{code}",
        task_text.trim()
    );
    if let Some(e) = example {
        let lines: Vec<&str> = e.text.lines().collect();
        let shown = if lines.len() <= EXAMPLE_LINES {
            e.text.clone()
        } else {
            format!("{}\n…\n", lines[..60].join("\n"))
        };
        let _ = write!(
            p,
            "An existing test file (for the imports and the style):\n\n{}\n```{}\n{}```\n\n",
            e.path,
            e.lang.fence(),
            shown
        );
    }
    let _ = write!(
        p,
        "Do not do the task yet. Write a new test file {path} with one to three short tests of what \
the task asks for: they must fail on the code as it is now and pass once the task is done \
correctly. Use the exact names, arguments and expected values the task gives. \
Answer with the path on one line, then the whole file in one fenced code block."
    );
    if let Some(c) = crash {
        let _ = write!(
            p,
            " The task is a crash: call the function where the crash happens with input like the \
one that crashed, so that the test fails now with the same error ({c}), and assert the result \
it should give instead. Do not expect the error."
        );
    }
    p
}

/// The test file an answer writes: the first code block labelled with `path`, or the only block.
pub(crate) fn test_file_of(answer: &str, path: &str) -> Option<String> {
    let blocks = vibrant_tools::symbol_edit::parse_blocks(answer);
    let name = path.rsplit('/').next().unwrap_or(path);
    let labelled = blocks.iter().find(|b| {
        b.path
            .as_deref()
            .is_some_and(|p| p == path || p.ends_with(&format!("/{name}")) || p == name)
    });
    let block = match labelled {
        Some(b) => b,
        None if blocks.len() == 1 => &blocks[0],
        None => return None,
    };
    let code = crate::solve::strip_failure_marks(&block.code);
    // The path written inside the block, as a line of its own, is no code.
    let code: Vec<&str> = code
        .lines()
        .filter(|l| {
            let t = l.trim().trim_start_matches(['#', '/']).trim();
            t != path && t != name
        })
        .collect();
    let code = code.join("\n");
    let code = code.trim();
    if code.is_empty() || !has_test_case(code, path) {
        return None;
    }
    Some(format!("{code}\n"))
}

/// Whether `code` defines at least one test the project's runner would run.
fn has_test_case(code: &str, path: &str) -> bool {
    match ext_of(path) {
        "py" => code.contains("def test") || code.contains("(unittest.TestCase)"),
        "rs" => code.contains("#[test]"),
        "go" => code.contains("func Test"),
        "js" | "mjs" | "cjs" | "ts" | "mts" | "jsx" | "tsx" => {
            code.contains("test(") || code.contains("it(")
        }
        "c" | "h" => code.contains("main(") || code.contains("assert"),
        _ => true,
    }
}

/// The imports of the example test file that a test of the task left out: small models often
/// write the tests without the `use`/`import` lines, which makes a test that can never pass.
/// Added only where the language allows it safely: Python (a repeated import is harmless), and
/// Rust and JavaScript when the test file has no imports of its own (a second import of one
/// name is an error there).
pub(crate) fn borrow_imports(test: &str, example: Option<&SourceFile>, path: &str) -> String {
    let Some(example) = example else {
        return test.to_owned();
    };
    let is_import = |l: &str| match ext_of(path) {
        "py" => l.starts_with("import ") || l.starts_with("from "),
        "rs" => l.starts_with("use ") || l.starts_with("extern crate "),
        "js" | "mjs" | "cjs" | "ts" | "mts" | "jsx" | "tsx" => {
            l.starts_with("import ")
                || (l.starts_with("const ") || l.starts_with("let ")) && l.contains("require(")
        }
        _ => false,
    };
    // Only whole one-line imports: a multi-line `use a::{` or `from m import (` is left alone.
    let one_line = |l: &str| {
        !l.trim_end().ends_with('{') && !l.trim_end().ends_with('(') && !l.contains("import {\n")
    };
    let wanted: Vec<&str> = example
        .text
        .lines()
        .filter(|l| is_import(l) && one_line(l))
        .filter(|l| !test.lines().any(|t| t.trim() == l.trim()))
        .collect();
    if wanted.is_empty() {
        return test.to_owned();
    }
    let has_own = test.lines().any(is_import);
    if has_own && ext_of(path) != "py" {
        return test.to_owned();
    }
    format!("{}\n{test}", wanted.join("\n"))
}

/// Names of the project's own definitions that the check says a test file cannot find
/// (`cannot find function `f``, `NameError: name 'f' is not defined`, `ReferenceError: f is not
/// defined`): the test forgot an import, and can never pass.
fn unresolved_project_names(output: &str, sources: &Sources) -> Vec<String> {
    let patterns: [(&str, &str); 7] = [
        ("cannot find function `", "`"),
        ("cannot find value `", "`"),
        ("cannot find type `", "`"),
        ("cannot find struct, variant or union type `", "`"),
        ("use of undeclared type `", "`"),
        ("NameError: name '", "'"),
        ("ReferenceError: ", " is not defined"),
    ];
    let mut names = Vec::new();
    for (start, end) in patterns {
        let mut rest = output;
        while let Some(i) = rest.find(start) {
            rest = &rest[i + start.len()..];
            let Some(j) = rest.find(end) else { break };
            let name = &rest[..j];
            if !name.is_empty()
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_owned());
            }
        }
    }
    names.retain(|n| {
        sources
            .files
            .iter()
            .filter(|f| !f.is_test)
            .any(|f| f.syntax.symbols.iter().any(|s| &s.name == n))
    });
    names
}

/// Whether a failing run of the task's test file failed because the file itself does not parse,
/// or cannot find a name the project defines (a judge that no fix can satisfy).
pub(crate) fn broken_test_file(output: &str, path: &str, sources: &Sources) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if output.contains(name) && !unresolved_project_names(output, sources).is_empty() {
        return true;
    }
    // pytest could not even import it, and not for a name the task is to add.
    if output.contains(&format!("ERROR collecting {path}"))
        && !output.contains("ImportError")
        && !output.contains("ModuleNotFoundError")
    {
        return true;
    }
    output.contains(name)
        && [
            "SyntaxError",
            "IndentationError",
            "syntax error",
            "expected one of",
            "found packages",
        ]
        .iter()
        .any(|m| output.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> Sources {
        Sources::from_texts(files)
    }

    fn suspect(path: &str, name: &str) -> Suspect {
        Suspect {
            path: path.to_owned(),
            name: name.to_owned(),
            parent: None,
            start_line: 1,
            end_line: 2,
            score: 1.0,
            is_test: false,
        }
    }

    #[test]
    fn the_task_test_goes_where_the_project_runs_tests() {
        let s = sources(&[
            ("blog/frontmatter.py", "def parse(text):\n    return text\n"),
            (
                "tests/test_post.py",
                "from blog.frontmatter import parse\n\ndef test_p():\n    assert parse('a')\n",
            ),
        ]);
        let (p, ex) = task_test_path(&s, &[suspect("blog/frontmatter.py", "parse")]).unwrap();
        assert_eq!(p, "tests/test_vibrant_task.py");
        assert_eq!(ex.unwrap().path, "tests/test_post.py");

        let s = sources(&[
            ("kv/kv.go", "package kv\n\nfunc Get() int { return 1 }\n"),
            (
                "kv/kv_test.go",
                "package kv\n\nimport \"testing\"\n\nfunc TestGet(t *testing.T) { Get() }\n",
            ),
        ]);
        let (p, _) = task_test_path(&s, &[suspect("kv/kv.go", "Get")]).unwrap();
        assert_eq!(p, "kv/vibrant_task_test.go");

        // A test goes beside the code under test, not beside `main`.
        let s = sources(&[
            (
                "cmd/table/main.go",
                "package main\n\nfunc main() { texttable.Render(nil) }\n",
            ),
            (
                "texttable/texttable.go",
                "package texttable\n\nfunc Render() string { return \"\" }\n",
            ),
        ]);
        let (p, _) = task_test_path(
            &s,
            &[
                suspect("cmd/table/main.go", "main"),
                suspect("texttable/texttable.go", "Render"),
            ],
        )
        .unwrap();
        assert_eq!(p, "texttable/vibrant_task_test.go");

        let s = sources(&[("src/lib.rs", "pub fn f() -> u32 { 1 }\n")]);
        let (p, ex) = task_test_path(&s, &[suspect("src/lib.rs", "f")]).unwrap();
        assert_eq!(p, "tests/vibrant_task.rs");
        assert!(ex.is_none());

        let s = sources(&[
            ("src/slug.js", "export function slug(s) { return s; }\n"),
            (
                "test/slug.test.js",
                "import { slug } from '../src/slug.js';\ntest('x', () => slug('a'));\n",
            ),
        ]);
        let (p, _) = task_test_path(&s, &[suspect("src/slug.js", "slug")]).unwrap();
        assert_eq!(p, "test/vibrant-task.test.js");

        let s = sources(&[("lines.c", "int f(void) { return 1; }\n")]);
        assert!(task_test_path(&s, &[suspect("lines.c", "f")]).is_none());
    }

    #[test]
    fn the_answer_gives_the_test_file() {
        let a = "Here:\n\ntests/test_vibrant_task.py\n```python\nfrom m import f\n\ndef test_f():\n    assert f(2) == 4\n```\nDone.";
        let t = test_file_of(a, "tests/test_vibrant_task.py").unwrap();
        assert!(t.starts_with("from m import f\n"));
        assert!(t.ends_with("== 4\n"));
        assert!(test_file_of("no code here", "x.py").is_none());
    }

    #[test]
    fn a_block_without_a_test_or_with_only_its_path_is_no_test_file() {
        let a =
            "```python\nimport pytest\nfrom envfile import parse_env\ntest_vibrant_task.py\n```";
        assert!(
            test_file_of(a, "test_vibrant_task.py").is_none(),
            "no test in it"
        );
        let b = "```python\n# test_vibrant_task.py\nfrom envfile import parse_env\ntest_vibrant_task.py\n\ndef test_comment():\n    assert parse_env('# x') == {}\n```";
        let t = test_file_of(b, "test_vibrant_task.py").unwrap();
        assert!(t.starts_with("from envfile import parse_env\n"), "{t}");
        assert!(!t.contains("\ntest_vibrant_task.py"), "{t}");
        assert!(test_file_of("```js\nconst x = 1;\n```", "test/task.test.js").is_none());
    }

    #[test]
    fn a_test_file_pytest_cannot_collect_is_no_judge_unless_a_name_is_missing() {
        let s = sources(&[("envfile.py", "def parse_env(t):\n    return {}\n")]);
        let nonsense = "ERROR collecting test_vibrant_task.py\nE   NameError: name 'test_vibrant_task' is not defined\n";
        assert!(broken_test_file(nonsense, "test_vibrant_task.py", &s));
        let new_name = "ERROR collecting test_vibrant_task.py\nE   ImportError: cannot import name 'strip_comment' from 'envfile'\n";
        assert!(
            !broken_test_file(new_name, "test_vibrant_task.py", &s),
            "the task may add it"
        );
    }

    #[test]
    fn a_test_file_that_does_not_parse_is_no_judge() {
        let s = sources(&[("m.py", "def f(x):\n    return x\n")]);
        assert!(broken_test_file(
            "E     File \"/tmp/x/test_vibrant_task.py\", line 3\nE SyntaxError: invalid syntax",
            "test_vibrant_task.py",
            &s,
        ));
        assert!(!broken_test_file(
            "test_vibrant_task.py:4: AssertionError",
            "test_vibrant_task.py",
            &s,
        ));
    }

    #[test]
    fn a_test_that_cannot_find_a_project_name_is_no_judge() {
        let s = sources(&[
            (
                "src/grouping.rs",
                "pub fn format_thousands(n: u64) -> String { n.to_string() }\n",
            ),
            ("m.py", "def slug(text):\n    return text\n"),
        ]);
        // A forgotten import: the name exists in the project.
        assert!(broken_test_file(
            "tests/vibrant_task.rs:3:16: error[E0425]: cannot find function `format_thousands` in this scope",
            "tests/vibrant_task.rs",
            &s,
        ));
        assert!(broken_test_file(
            "test_vibrant_task.py:3: in test_x\nE   NameError: name 'slug' is not defined",
            "test_vibrant_task.py",
            &s,
        ));
        // A function the task adds does not exist yet: a fair failure.
        assert!(!broken_test_file(
            "tests/vibrant_task.rs:3:16: error[E0425]: cannot find function `format_fixed` in this scope",
            "tests/vibrant_task.rs",
            &s,
        ));
        // A new argument is a fair failure too.
        assert!(!broken_test_file(
            "tests/vibrant_task.rs:3:16: error[E0061]: this function takes 1 argument but 2 arguments were supplied",
            "tests/vibrant_task.rs",
            &s,
        ));
    }

    #[test]
    fn a_test_without_imports_borrows_the_example_s() {
        let example = sources(&[(
            "tests/format.rs",
            "use numfmt::{format_thousands, summary_line};\nuse numfmt::table::render_counts;\n\n#[test]\nfn t() {}\n",
        )]);
        let ex = example.get("tests/format.rs");
        let bare = "#[test]\nfn t2() { format_thousands(1, '.'); }\n";
        let fixed = borrow_imports(bare, ex, "tests/vibrant_task.rs");
        assert!(fixed.starts_with(
            "use numfmt::{format_thousands, summary_line};\nuse numfmt::table::render_counts;\n#[test]"
        ));
        // Rust: a test with its own imports is left alone (a second import of a name is an error).
        let own = "use numfmt::format_thousands;\n#[test]\nfn t2() {}\n";
        assert_eq!(borrow_imports(own, ex, "tests/vibrant_task.rs"), own);
        // Python: missing imports are added even beside the test's own.
        let py = sources(&[(
            "test_m.py",
            "import pytest\nfrom m import slug\n\ndef test_a():\n    assert slug('a')\n",
        )]);
        let t = borrow_imports(
            "import pytest\n\ndef test_b():\n    assert slug('b')\n",
            py.get("test_m.py"),
            "test_vibrant_task.py",
        );
        assert_eq!(
            t,
            "from m import slug\nimport pytest\n\ndef test_b():\n    assert slug('b')\n"
        );
        assert_eq!(borrow_imports("x", None, "a.py"), "x");
    }
}
