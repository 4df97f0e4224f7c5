//! Fault localisation: the workspace's source files with their definitions, the `file:line`
//! places a test run, a compiler or a pasted traceback points at, and the functions around them.
//!
//! A small model cannot search a repository well; it can fix a function it is shown. This module
//! turns "the check failed with this output" into "these functions, in this order", from what
//! the output names (traceback frames, panics, compiler spans), what the failing tests call and
//! what the task text mentions.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use vibrant_context::syntax::{ChunkOptions, analyze};
use vibrant_context::walk::{WalkOptions, walk};
use vibrant_context::{FileSyntax, Language, Symbol, SymbolKind};

/// One `file:line` place named in some output, resolved to a workspace file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Frame {
    /// Workspace-relative path, `/`-separated.
    pub path: String,
    /// 1-based line.
    pub line: u32,
}

/// A source file of the workspace with its definitions.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Workspace-relative path, `/`-separated.
    pub path: String,
    /// Its language.
    pub lang: Language,
    /// Its text.
    pub text: String,
    /// Definitions, imports and references.
    pub syntax: FileSyntax,
    /// A test file ([`is_test_path`], or a Rust file whose tests are inline are not: see
    /// [`SourceFile::test_lines`]).
    pub is_test: bool,
}

impl SourceFile {
    /// Analyses `text` as the file at `path`; `None` for languages without a grammar.
    pub fn new(path: &str, text: String) -> Option<Self> {
        let lang = Language::from_path(Path::new(path))?;
        if !lang.has_grammar() {
            return None;
        }
        let syntax = analyze(lang, &text, ChunkOptions::default());
        Some(Self {
            path: path.to_owned(),
            lang,
            is_test: is_test_path(path),
            text,
            syntax,
        })
    }

    /// The innermost function or method whose lines contain `line`.
    pub fn enclosing(&self, line: u32) -> Option<&Symbol> {
        self.syntax
            .symbols
            .iter()
            .filter(|s| is_callable(s.kind) && s.start_line <= line && line <= s.end_line)
            .min_by_key(|s| s.end_line - s.start_line)
    }

    /// The outermost definition (of any kind) whose lines contain `line`.
    pub fn outermost(&self, line: u32) -> Option<&Symbol> {
        self.syntax
            .symbols
            .iter()
            .filter(|s| s.start_line <= line && line <= s.end_line)
            .max_by_key(|s| s.end_line - s.start_line)
    }

    /// Lines `start..=end` (1-based) of the text.
    pub fn lines(&self, start: u32, end: u32) -> String {
        let mut out = String::new();
        for l in self
            .text
            .lines()
            .skip(start.saturating_sub(1) as usize)
            .take((end + 1).saturating_sub(start) as usize)
        {
            out.push_str(l);
            out.push('\n');
        }
        out
    }

    /// The text of a definition, with the comments, attributes and decorators right above it.
    pub fn symbol_text(&self, s: &Symbol) -> String {
        self.lines(self.doc_start(s.start_line), s.end_line)
    }

    /// The first line of the comment/attribute/decorator block right above `line` (or `line`).
    pub fn doc_start(&self, line: u32) -> u32 {
        let lines: Vec<&str> = self.text.lines().collect();
        let mut start = line;
        while start > 1 {
            let Some(prev) = lines.get(start as usize - 2) else {
                break;
            };
            if is_doc_line(prev, self.lang) {
                start -= 1;
            } else {
                break;
            }
        }
        start
    }

    /// Whether `line` is test code: a test file, or a Rust `#[cfg(test)]` module / `#[test]`
    /// function inside a source file.
    pub fn is_test_line(&self, line: u32) -> bool {
        self.is_test
            || self
                .test_lines()
                .iter()
                .any(|&(a, b)| a <= line && line <= b)
    }

    /// Line ranges of inline tests (Rust `#[cfg(test)] mod …` and `#[test]` functions).
    pub fn test_lines(&self) -> Vec<(u32, u32)> {
        if self.lang != Language::Rust {
            return Vec::new();
        }
        let lines: Vec<&str> = self.text.lines().collect();
        let attr_above = |s: &Symbol, attr: &str| {
            let start = self.doc_start(s.start_line);
            (start..s.start_line).any(|l| {
                lines
                    .get(l as usize - 1)
                    .is_some_and(|t| t.trim_start().starts_with(attr))
            })
        };
        self.syntax
            .symbols
            .iter()
            .filter(|s| {
                (s.kind == SymbolKind::Module && attr_above(s, "#[cfg(test)]"))
                    || (is_callable(s.kind) && attr_above(s, "#[test]"))
            })
            .map(|s| (self.doc_start(s.start_line), s.end_line))
            .collect()
    }

    /// The text of the file's test code (test files whole; inline Rust tests), for comparing
    /// before and after an edit.
    pub fn test_text(&self) -> String {
        if self.is_test {
            return self.text.clone();
        }
        self.test_lines()
            .iter()
            .map(|&(a, b)| self.lines(a, b))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A type definition: struct, class, enum, interface, trait or alias.
pub fn is_type(k: SymbolKind) -> bool {
    matches!(
        k,
        SymbolKind::Struct
            | SymbolKind::Class
            | SymbolKind::Enum
            | SymbolKind::Interface
            | SymbolKind::Trait
            | SymbolKind::Type
    )
}

fn is_callable(k: SymbolKind) -> bool {
    matches!(k, SymbolKind::Function | SymbolKind::Method)
}

/// A comment, attribute or decorator line (what belongs to the definition below it).
pub fn is_doc_line(line: &str, lang: Language) -> bool {
    let t = line.trim_start();
    if t.is_empty() {
        return false;
    }
    match lang {
        Language::Python => t.starts_with('@') || t.starts_with('#'),
        Language::Rust => t.starts_with("//") || t.starts_with("#[") || t.starts_with("#!["),
        _ => {
            t.starts_with("//")
                || t.starts_with("/*")
                || t.starts_with("* ")
                || t == "*"
                || t.starts_with("*/")
                || t.starts_with('@')
        }
    }
}

/// Whether a path names a test file by the common conventions (`test_x.py`, `x_test.py`,
/// `x_test.go`, `x.test.js`, `x.spec.ts`, files under `tests/`, `test/`, `__tests__/`).
pub fn is_test_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let in_test_dir = path
        .split('/')
        .rev()
        .skip(1)
        .any(|d| matches!(d, "tests" | "test" | "__tests__" | "spec" | "testdata"));
    let stem = name.split('.').next().unwrap_or(name);
    in_test_dir
        || (name.ends_with(".py") && (stem.starts_with("test_") || stem.ends_with("_test")))
        || name == "conftest.py"
        || name.ends_with("_test.go")
        || name.contains(".test.")
        || name.contains(".spec.")
        || (name.ends_with(".c") && (stem.starts_with("test_") || stem.ends_with("_test")))
        || (name.ends_with(".rs") && stem.ends_with("_test"))
}

/// The workspace's source files with a grammar, at most `max_files` of at most `max_bytes`
/// each (generated, vendored and ignored files left out, as the index does).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The files, sorted by path.
    pub files: Vec<SourceFile>,
}

impl Sources {
    /// Sources from `(path, text)` pairs, sorted by path (files without a grammar left out):
    /// for callers that already hold the texts, and tests.
    pub fn from_texts(files: &[(&str, &str)]) -> Self {
        let mut files: Vec<SourceFile> = files
            .iter()
            .filter_map(|(p, t)| SourceFile::new(p, (*t).to_owned()))
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Sources { files }
    }

    /// Reads and analyses the workspace's source files.
    pub fn load(root: &Path, max_files: usize, max_bytes: u64) -> Self {
        let opts = WalkOptions {
            max_file_size: max_bytes,
            ..WalkOptions::default()
        };
        let mut files = Vec::new();
        for f in walk(root, &opts) {
            if files.len() >= max_files {
                break;
            }
            if f.size > max_bytes {
                continue;
            }
            let Some(lang) = Language::from_path(Path::new(&f.path)) else {
                continue;
            };
            if !lang.has_grammar() {
                continue;
            }
            // Beneath the root: a directory swapped for a link after the walk is not followed.
            let Ok(Some(bytes)) = crate::beneath::read_beneath(root, &f.path, max_bytes) else {
                continue;
            };
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            if let Some(sf) = SourceFile::new(&f.path, text) {
                files.push(sf);
            }
        }
        Self { files }
    }

    /// The file at `path`.
    pub fn get(&self, path: &str) -> Option<&SourceFile> {
        self.files.iter().find(|f| f.path == path)
    }

    /// Resolves a path as some output printed it (absolute, `./x`, `file:///…`, relative to a
    /// sub-directory) to a workspace file, by the longest matching suffix.
    pub fn resolve(&self, root: &Path, printed: &str) -> Option<String> {
        let p = printed.trim_start_matches("file://");
        let root_s = root.to_string_lossy();
        let p = p
            .strip_prefix(root_s.as_ref())
            .map(|r| r.trim_start_matches('/'))
            .unwrap_or(p);
        let p = p.trim_start_matches("./");
        if self.get(p).is_some() {
            return Some(p.to_owned());
        }
        // A suffix on a `/` boundary, unique.
        let mut found = self
            .files
            .iter()
            .filter(|f| p.ends_with(&format!("/{}", f.path)) || f.path.ends_with(&format!("/{p}")));
        let first = found.next()?;
        if found.next().is_some() {
            return None;
        }
        Some(first.path.clone())
    }

    /// The places `text` names that resolve to workspace files, in order of appearance,
    /// without repeats.
    pub fn frames(&self, root: &Path, text: &str) -> Vec<Frame> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for c in FRAME_RE.captures_iter(text) {
            let (file, line) = match (c.name("pyfile"), c.name("pyline")) {
                (Some(f), Some(l)) => (f.as_str(), l.as_str()),
                _ => match (c.name("file"), c.name("line")) {
                    (Some(f), Some(l)) => (f.as_str(), l.as_str()),
                    _ => continue,
                },
            };
            let Ok(line) = line.parse::<u32>() else {
                continue;
            };
            let Some(path) = self.resolve(root, file) else {
                continue;
            };
            let frame = Frame { path, line };
            if seen.insert(frame.clone()) {
                out.push(frame);
            }
        }
        out
    }

    /// Every callable definition by name (for looking up what a test or a task names).
    pub fn definitions(&self) -> HashMap<&str, Vec<(&SourceFile, &Symbol)>> {
        let mut map: HashMap<&str, Vec<(&SourceFile, &Symbol)>> = HashMap::new();
        for f in &self.files {
            for s in &f.syntax.symbols {
                if is_callable(s.kind)
                    || matches!(
                        s.kind,
                        SymbolKind::Struct
                            | SymbolKind::Class
                            | SymbolKind::Enum
                            | SymbolKind::Type
                    )
                {
                    map.entry(s.name.as_str()).or_default().push((f, s));
                }
            }
        }
        map
    }
}

static FRAME_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"File "(?P<pyfile>[^"]+)", line (?P<pyline>\d+)|(?P<file>(?:file://)?[A-Za-z0-9_./\\-]*[A-Za-z0-9_-]\.(?:py|rs|go|js|mjs|cjs|jsx|ts|tsx|c|h|cc|cpp|hpp|java)):(?P<line>\d+)"#,
    )
    .unwrap_or_else(|e| panic!("built-in frame regex: {e}"))
});

/// Identifier-like words of `text` (for matching task text against definitions).
pub fn words(text: &str) -> Vec<&str> {
    static WORD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").unwrap_or_else(|e| panic!("built-in regex: {e}"))
    });
    WORD.find_iter(text).map(|m| m.as_str()).collect()
}

/// A definition chosen for the model to see or change, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct Suspect {
    /// Workspace-relative file.
    pub path: String,
    /// The definition's name.
    pub name: String,
    /// Its enclosing class/impl, if any.
    pub parent: Option<String>,
    /// First line (after its doc comments and attributes), 1-based.
    pub start_line: u32,
    /// Last line, 1-based.
    pub end_line: u32,
    /// How strongly the evidence points here.
    pub score: f64,
    /// Test code (shown, not to be changed unless the task is about tests).
    pub is_test: bool,
}

/// Ranks the definitions that `output` (a failing check, or empty) and `task` point at.
///
/// Evidence, strongest first: a frame inside a non-test function (the deepest frames of a
/// traceback weigh most); a function the task names; a function a failing test function calls;
/// any function of a file the task names (small files only). Test functions that frames point
/// into are returned too, marked `is_test`.
pub fn suspects(sources: &Sources, root: &Path, output: &str, task: &str) -> Vec<Suspect> {
    let mut scores: HashMap<(String, u32), (f64, Suspect)> = HashMap::new();
    let mut add = |f: &SourceFile, s: &Symbol, score: f64| {
        let is_test = f.is_test_line(s.start_line);
        let key = (f.path.clone(), s.start_line);
        let e = scores.entry(key).or_insert_with(|| {
            (
                0.0,
                Suspect {
                    path: f.path.clone(),
                    name: s.name.clone(),
                    parent: s.parent.clone(),
                    start_line: s.start_line,
                    end_line: s.end_line,
                    score: 0.0,
                    is_test,
                },
            )
        });
        e.0 += score;
    };
    let defs = sources.definitions();
    let mut test_fns: Vec<(&SourceFile, &Symbol)> = Vec::new();
    let frames = sources.frames(root, &format!("{output}\n{task}"));
    let n = frames.len().max(1) as f64;
    for (i, fr) in frames.iter().enumerate() {
        let Some(f) = sources.get(&fr.path) else {
            continue;
        };
        let depth_bonus = 1.0 + i as f64 / n; // later frames of a traceback are deeper
        match f.enclosing(fr.line) {
            Some(s) if f.is_test_line(fr.line) => {
                add(f, s, 2.0);
                test_fns.push((f, s));
            }
            Some(s) => add(f, s, 10.0 * depth_bonus),
            None => {
                // A frame outside any function (a compile error at the top level, a struct):
                // the outermost definition there, if any.
                if let Some(s) = f.outermost(fr.line) {
                    add(f, s, 6.0);
                }
            }
        }
    }
    // Test functions the output names (`FAILED test_x.py::test_add`, `--- FAIL: TestAdd`).
    let mut named = HashSet::new();
    for w in words(output) {
        if !named.insert(w) {
            continue;
        }
        if let Some(list) = defs.get(w) {
            for (f, s) in list {
                if f.is_test_line(s.start_line) && is_callable(s.kind) {
                    add(f, s, 1.0);
                    if !test_fns
                        .iter()
                        .any(|(tf, ts)| tf.path == f.path && ts.start_line == s.start_line)
                    {
                        test_fns.push((f, s));
                    }
                }
            }
        }
    }
    // What the failing tests call.
    for (f, s) in &test_fns {
        let body = f.lines(s.start_line, s.end_line);
        let mut seen = HashSet::new();
        for w in words(&body) {
            if w == s.name || !seen.insert(w) {
                continue;
            }
            if let Some(list) = defs.get(w) {
                for (df, ds) in list {
                    if !df.is_test_line(ds.start_line) {
                        add(df, ds, 4.0 / list.len() as f64);
                    }
                }
            }
        }
    }
    // What the task names.
    let mut seen = HashSet::new();
    for w in words(task) {
        if w.len() < 3 || !seen.insert(w) {
            continue;
        }
        if let Some(list) = defs.get(w) {
            for (df, ds) in list {
                add(df, ds, 6.0 / list.len() as f64);
            }
        }
    }
    // Where the definitions the task names are used (a rename or a new parameter touches
    // every caller).
    let named_defs: Vec<&str> = {
        let mut seen = HashSet::new();
        words(task)
            .into_iter()
            .filter(|w| w.len() >= 3 && defs.contains_key(w) && seen.insert(*w))
            .collect()
    };
    for f in &sources.files {
        for (i, line) in f.text.lines().enumerate() {
            let ln = i as u32 + 1;
            if !named_defs.iter().any(|n| words(line).contains(n)) {
                continue;
            }
            if let Some(s) = f.enclosing(ln) {
                add(f, s, 3.0);
            }
        }
    }
    for f in &sources.files {
        let name = f.path.rsplit('/').next().unwrap_or(&f.path);
        let named = task.contains(&f.path) || (name.contains('.') && task.contains(name));
        if named && f.text.lines().count() <= 400 {
            for s in &f.syntax.symbols {
                if is_callable(s.kind) && !f.is_test_line(s.start_line) {
                    add(f, s, 1.0);
                }
            }
        }
    }
    let mut out: Vec<Suspect> = scores
        .into_values()
        .map(|(score, mut s)| {
            s.score = score;
            s
        })
        .collect();
    out.sort_by(|a, b| {
        a.is_test
            .cmp(&b.is_test)
            .then_with(|| b.score.total_cmp(&a.score))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.start_line.cmp(&b.start_line))
    });
    // A method inside a suspect class is already shown with it: drop nested duplicates.
    let mut kept: Vec<Suspect> = Vec::new();
    for s in out {
        if kept
            .iter()
            .any(|k| k.path == s.path && k.start_line <= s.start_line && s.end_line <= k.end_line)
        {
            continue;
        }
        kept.push(s);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> Sources {
        Sources::from_texts(files)
    }

    #[test]
    fn test_paths() {
        for p in [
            "test_calc.py",
            "pkg/calc_test.py",
            "tests/x.rs",
            "a/b_test.go",
            "src/x.test.js",
            "x.spec.ts",
            "test/helpers.js",
        ] {
            assert!(is_test_path(p), "{p}");
        }
        for p in [
            "calc.py",
            "src/lib.rs",
            "testing.go",
            "latest.js",
            "contest.py",
        ] {
            assert!(!is_test_path(p), "{p}");
        }
    }

    #[test]
    fn pytest_failure_points_at_the_called_function() {
        let src = sources(&[
            (
                "calc.py",
                "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n",
            ),
            (
                "test_calc.py",
                "from calc import add, mul\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n",
            ),
        ]);
        let out = "F.\n=== FAILURES ===\n___ test_add ___\n\n    def test_add():\n>       assert add(2, 3) == 5\nE       assert -1 == 5\n\ntest_calc.py:5: AssertionError\nFAILED test_calc.py::test_add - assert -1 == 5\n1 failed, 1 passed";
        let s = suspects(&src, Path::new("/nowhere"), out, "fix the failing test");
        assert_eq!(s[0].name, "add", "{s:?}");
        assert!(!s[0].is_test);
        assert!(s.iter().any(|x| x.name == "test_add" && x.is_test));
        assert!(!s.iter().any(|x| x.name == "test_mul"));
    }

    #[test]
    fn traceback_frames_resolve_absolute_paths_and_go_deepest() {
        let src = sources(&[
            (
                "app/main.py",
                "from app.util import parse\n\ndef run(s):\n    return parse(s)\n",
            ),
            ("app/util.py", "def parse(s):\n    return int(s[1:])\n"),
        ]);
        let tb = "Traceback (most recent call last):\n  File \"/home/u/proj/app/main.py\", line 4, in run\n    return parse(s)\n  File \"/home/u/proj/app/util.py\", line 2, in parse\n    return int(s[1:])\nValueError: invalid literal";
        let s = suspects(&src, Path::new("/home/u/proj"), "", tb);
        assert_eq!(s[0].name, "parse", "{s:?}");
        assert_eq!(s[1].name, "run");
    }

    #[test]
    fn rust_inline_tests_are_test_lines() {
        let text = "pub fn mean(v: &[f64]) -> f64 {\n    v.iter().sum::<f64>() / 2.0\n}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn mean_of_three() {\n        assert_eq!(mean(&[1.0, 2.0, 3.0]), 2.0);\n    }\n}\n";
        let src = sources(&[("src/lib.rs", text)]);
        let f = src.get("src/lib.rs").unwrap();
        assert!(!f.is_test_line(2));
        assert!(f.is_test_line(11));
        assert!(f.test_text().contains("mean_of_three"));
        let out = "thread 'tests::mean_of_three' panicked at src/lib.rs:11:9:\nassertion `left == right` failed\ntest tests::mean_of_three ... FAILED";
        let s = suspects(&src, Path::new("/x"), out, "cargo test fails");
        assert_eq!(s[0].name, "mean", "{s:?}");
    }

    #[test]
    fn node_stack_frames_with_file_urls() {
        let src = sources(&[(
            "lib/money.js",
            "export function fmt(c) {\n  return (c / 10).toFixed(2);\n}\n",
        )]);
        let f = src.frames(Path::new("/w"), "    at fmt (file:///w/lib/money.js:2:11)\n    at TestContext.<anonymous> (file:///w/test/money.test.js:5:3)");
        assert_eq!(
            f,
            vec![Frame {
                path: "lib/money.js".into(),
                line: 2
            }]
        );
    }
}
