//! Symbol-addressed edits: the model writes whole functions (or classes, or a whole small file)
//! in fenced code blocks, and each definition in a block replaces the definition of the same
//! name in the file (re-indented to where it goes), a renamed one replaces the definition it was
//! asked to change, a new one is added, and imports the block needs are added at the top.
//!
//! Small models copy a function and change a line far more reliably than they write a search
//! text that matches the file exactly or a diff with the right line counts.

use std::fmt;

use vibrant_context::{Language, Symbol, SymbolKind};

use crate::locate::{SourceFile, is_doc_line};

/// The line of a definition's header: its first line that is not a comment or attribute
/// (tree-sitter may start a definition at its doc comment).
fn head_line(f: &SourceFile, s: &Symbol) -> u32 {
    let lines: Vec<&str> = f.text.lines().collect();
    (s.start_line..=s.end_line)
        .find(|&l| {
            lines
                .get(l as usize - 1)
                .is_some_and(|t| !t.trim().is_empty() && !is_doc_line(t, f.lang))
        })
        .unwrap_or(s.start_line)
}

/// One fenced code block of an answer, with the path written before it (or in its info string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// The path the model named for it, if any.
    pub path: Option<String>,
    /// The code.
    pub code: String,
}

/// Why a block could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditError {
    /// The block has no definition to place and nothing else usable.
    NothingToApply { path: String },
    /// The edited file no longer parses although it did before.
    Broken { path: String },
    /// Two definitions of the block would replace overlapping lines.
    Overlap { path: String, name: String },
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NothingToApply { path } => {
                write!(
                    f,
                    "the code block for {path} contains no definition to place"
                )
            }
            Self::Broken { path } => {
                write!(f, "the edited {path} has syntax errors")
            }
            Self::Overlap { path, name } => {
                write!(
                    f,
                    "`{name}` in {path} overlaps another change of the same block"
                )
            }
        }
    }
}

impl std::error::Error for EditError {}

/// The fenced code blocks of `answer`, in order. The path is taken from the info string
/// (```` ```python calc.py ````) or from the last non-empty line before the fence when that line
/// looks like a path (`calc.py`, `### src/lib.rs`, `**File: a/b.go**`).
pub fn parse_blocks(answer: &str) -> Vec<CodeBlock> {
    let mut out = Vec::new();
    let lines: Vec<&str> = answer.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        if let Some(info) = t.strip_prefix("```") {
            let fence_indent = lines[i].len() - t.len();
            let mut path = info.split_whitespace().find_map(path_like);
            if path.is_none() {
                path = lines[..i]
                    .iter()
                    .rev()
                    .map(|l| l.trim())
                    .find(|l| !l.is_empty())
                    .and_then(path_in_line);
            }
            let mut code = String::new();
            let mut j = i + 1;
            while j < lines.len() && !lines[j].trim_start().starts_with("```") {
                let l = lines[j];
                let cut = l.len() - l.trim_start().len();
                code.push_str(&l[cut.min(fence_indent)..]);
                code.push('\n');
                j += 1;
            }
            // A comment line that only names a file (`# calc.py`, `// src/lib.rs`) labels
            // the code after it: one block may hold several files.
            let before = out.len();
            let mut part = String::new();
            let mut part_path = path.clone();
            for l in code.lines() {
                let t = l.trim();
                let is_comment = t.starts_with('#') || t.starts_with("//");
                let label = t.trim_start_matches(['#', '/', '-', ' ', '*']).trim();
                // `calc.py (from line 12)`: the prompt's own header, echoed.
                let label = label
                    .split_once(" (from line ")
                    .map_or(label, |(p, _)| p.trim());
                let label_path = (is_comment && !label.contains(' ') && !t.starts_with("#include"))
                    .then(|| path_like(label))
                    .flatten();
                if let Some(p) = label_path {
                    if !part.trim().is_empty() {
                        out.push(CodeBlock {
                            path: part_path.clone(),
                            code: std::mem::take(&mut part),
                        });
                    }
                    part.clear();
                    part_path = Some(p);
                    continue;
                }
                part.push_str(l);
                part.push('\n');
            }
            if !part.trim().is_empty() || out.len() == before {
                out.push(CodeBlock {
                    path: part_path,
                    code: part,
                });
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// `word` as a source file path (`calc.py`, `src/lib.rs`), if it is one.
pub fn path_like(word: &str) -> Option<String> {
    let w = word.trim_matches(|c: char| "`*'\":,()[]".contains(c));
    let w = w.trim_end_matches('.');
    let ext = w.rsplit_once('.')?.1;
    let ok = !w.is_empty()
        && !w.contains("://")
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c))
        && !ext.is_empty()
        && ext.len() <= 5
        && ext.chars().all(|c| c.is_ascii_alphanumeric())
        && Language::from_path(std::path::Path::new(w)).is_some_and(|l| l.is_code());
    ok.then(|| w.trim_start_matches("./").to_owned())
}

fn path_in_line(line: &str) -> Option<String> {
    let l = line.trim_start_matches(['#', ' ', '*', '-', '>']);
    let l = l
        .strip_prefix("File:")
        .or_else(|| l.strip_prefix("file:"))
        .or_else(|| l.strip_prefix("Path:"))
        .unwrap_or(l);
    // The path is the last path-like word of a short line (`In calc.py:`).
    if l.split_whitespace().count() > 6 {
        return None;
    }
    l.split_whitespace().rev().find_map(path_like)
}

fn is_callable(k: SymbolKind) -> bool {
    matches!(k, SymbolKind::Function | SymbolKind::Method)
}

fn same_family(a: SymbolKind, b: SymbolKind) -> bool {
    is_callable(a) == is_callable(b)
}

/// Outermost definitions of a parsed block (not nested in another definition of the block).
fn top_level(syms: &[Symbol]) -> Vec<&Symbol> {
    syms.iter()
        .filter(|s| {
            !syms.iter().any(|o| {
                !std::ptr::eq(*s, o)
                    && o.start_line <= s.start_line
                    && s.end_line <= o.end_line
                    && (o.start_line, o.end_line) != (s.start_line, s.end_line)
            })
        })
        .collect()
}

fn indent_of(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

/// `text` moved from its own first-line indentation to `to`.
fn reindent(text: &str, to: &str) -> String {
    let from = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(indent_of)
        .unwrap_or("");
    let mut out = String::new();
    for l in text.lines() {
        if l.trim().is_empty() {
            out.push('\n');
            continue;
        }
        let body = l.strip_prefix(from).unwrap_or_else(|| l.trim_start());
        out.push_str(to);
        out.push_str(body);
        out.push('\n');
    }
    out
}

fn is_import(line: &str, lang: Language) -> bool {
    let t = line.trim_start();
    match lang {
        Language::Python => t.starts_with("import ") || t.starts_with("from "),
        Language::Rust => t.starts_with("use ") || t.starts_with("pub use "),
        Language::C | Language::Cpp => t.starts_with("#include"),
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            t.starts_with("import ") || (t.starts_with("const ") && t.contains("require("))
        }
        Language::Java => t.starts_with("import "),
        _ => false,
    }
}

/// What an import line imports from (`from X import`, `use a::b::`, the module string of a JS
/// import): two lines with the same key import from the same place.
fn import_key(line: &str, lang: Language) -> Option<String> {
    let t = line.trim();
    match lang {
        Language::Python => {
            let rest = t.strip_prefix("from ")?;
            Some(rest.split(" import").next()?.trim().to_owned())
        }
        Language::Rust => {
            let rest = t.strip_prefix("pub ").unwrap_or(t).strip_prefix("use ")?;
            let path = rest.split('{').next()?.trim_end_matches(';');
            Some(path.rsplit_once("::")?.0.to_owned())
        }
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            let q = t.find(['\'', '"'])?;
            let rest = &t[q + 1..];
            Some(rest[..rest.find(['\'', '"'])?].to_owned())
        }
        _ => None,
    }
}

/// A replacement of lines `start..=end` (1-based; `end == start - 1` inserts before `start`).
struct Splice {
    start: u32,
    end: u32,
    text: String,
    name: String,
}

/// Applies one block to `file`. `targets` are the definitions (start lines) of this file the
/// model was asked to change, in the order shown: a block definition whose name the file does
/// not have replaces the first target nothing else replaced (a rename), when there is one.
pub fn apply_block(file: &SourceFile, code: &str, targets: &[u32]) -> Result<String, EditError> {
    let path = file.path.clone();
    let Some(block) = SourceFile::new(&file.path, code.to_owned()) else {
        return Err(EditError::NothingToApply { path });
    };
    let lang = file.lang;
    let file_lines: Vec<&str> = file.text.lines().collect();
    let block_lines: Vec<&str> = block.text.lines().collect();
    let btop = top_level(&block.syntax.symbols);
    let ftop = top_level(&file.syntax.symbols);

    // A whole-file rewrite: the block defines everything the file does at the top level, or
    // is about as long as the file with as many definitions.
    if !btop.is_empty() && !ftop.is_empty() {
        let has_all = file
            .syntax
            .symbols
            .iter()
            .all(|f| block.syntax.symbols.iter().any(|b| b.name == f.name));
        // Everything but one definition (renamed) kept, about as long as the file.
        let shared = ftop
            .iter()
            .filter(|f| btop.iter().any(|b| b.name == f.name))
            .count();
        let same_shape = btop.len() == ftop.len()
            && shared + 1 >= ftop.len()
            && block_lines.len() * 10 >= file_lines.len() * 7
            && ftop.len() >= 2;
        // One definition alone is a whole file only when the block also starts like the file.
        let first = file_lines
            .iter()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim());
        let starts_alike = block_lines
            .iter()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim())
            == first;
        if (has_all && (ftop.len() >= 2 || starts_alike)) || same_shape {
            let mut text = block.text.clone();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            return check_parses(file, text);
        }
    }

    let mut splices: Vec<Splice> = Vec::new();
    let mut used_targets: Vec<u32> = Vec::new();
    let mut last_end: Option<u32> = None;
    for b in &btop {
        plan_definition(
            file,
            &block,
            b,
            targets,
            &mut used_targets,
            &mut splices,
            &mut last_end,
        );
    }
    // Imports the block brings that the file lacks.
    let first_def = btop
        .iter()
        .map(|s| block.doc_start(s.start_line))
        .min()
        .unwrap_or(block_lines.len() as u32 + 1);
    let mut new_imports: Vec<&str> = Vec::new();
    for l in block_lines
        .iter()
        .take(first_def.saturating_sub(1) as usize)
        .filter(|l| is_import(l, lang))
        .filter(|l| !file_lines.iter().any(|f| f.trim() == l.trim()))
    {
        // The same module imported differently (`from pricing import a` → `… import b`):
        // the block's line replaces the file's.
        let key = import_key(l, lang);
        let same = key.as_ref().and_then(|k| {
            file_lines
                .iter()
                .position(|f| is_import(f, lang) && import_key(f, lang).as_ref() == Some(k))
        });
        match same {
            Some(i)
                if !splices
                    .iter()
                    .any(|s| s.start <= i as u32 + 1 && (i as u32) < s.end) =>
            {
                let indent = indent_of(file_lines[i]);
                splices.push(Splice {
                    start: i as u32 + 1,
                    end: i as u32 + 1,
                    text: format!("{indent}{}\n", l.trim()),
                    name: "import".to_owned(),
                });
            }
            _ => new_imports.push(l),
        }
    }
    if !new_imports.is_empty() {
        let after = file_lines
            .iter()
            .rposition(|l| is_import(l, lang))
            .map(|i| i as u32 + 1)
            .unwrap_or(0);
        splices.push(Splice {
            start: after + 1,
            end: after,
            text: new_imports
                .iter()
                .map(|l| format!("{}\n", l.trim_start()))
                .collect(),
            name: "imports".to_owned(),
        });
    }
    // A test file: statements outside any definition (`test('…', () => …)`, `describe(…)`)
    // that the file does not have yet are new tests, added at its end.
    if file.is_test {
        let in_def = |n: u32| {
            btop.iter()
                .any(|s| block.doc_start(s.start_line) <= n && n <= s.end_line)
        };
        let rest: Vec<&str> = block_lines
            .iter()
            .enumerate()
            .filter(|(i, l)| !in_def(*i as u32 + 1) && !is_import(l, lang))
            .map(|(_, l)| *l)
            .collect();
        let mut added = String::new();
        for para in rest.join("\n").split("\n\n") {
            let p = para.trim_matches('\n');
            if p.trim().is_empty() || file.text.contains(p.trim()) {
                continue;
            }
            added.push('\n');
            added.push_str(p);
            added.push('\n');
        }
        if !added.is_empty() {
            let end = file_lines.len() as u32;
            splices.push(Splice {
                start: end + 1,
                end,
                text: added,
                name: "tests".to_owned(),
            });
        }
    }
    if splices.is_empty() {
        return Err(EditError::NothingToApply { path });
    }
    splices.sort_by_key(|s| (s.start, s.end));
    for w in splices.windows(2) {
        if w[1].start <= w[0].end {
            return Err(EditError::Overlap {
                path,
                name: w[1].name.clone(),
            });
        }
    }
    let mut out: Vec<String> = file_lines.iter().map(|l| format!("{l}\n")).collect();
    for s in splices.iter().rev() {
        let a = (s.start as usize).saturating_sub(1).min(out.len());
        let b = (s.end as usize).min(out.len()).max(a);
        out.splice(a..b, std::iter::once(s.text.clone()));
    }
    check_parses(file, out.concat())
}

fn plan_definition(
    file: &SourceFile,
    block: &SourceFile,
    b: &Symbol,
    targets: &[u32],
    used_targets: &mut Vec<u32>,
    splices: &mut Vec<Splice>,
    last_end: &mut Option<u32>,
) {
    let file_lines: Vec<&str> = file.text.lines().collect();
    let block_has_doc = block.doc_start(b.start_line) < head_line(block, b);
    let block_text = block.lines(block.doc_start(b.start_line), b.end_line);
    // The file's definitions of the same name and family, best first: a target, then any.
    let mut same: Vec<&Symbol> = file
        .syntax
        .symbols
        .iter()
        .filter(|s| s.name == b.name && same_family(s.kind, b.kind))
        .filter(|s| !used_targets.contains(&s.start_line))
        .collect();
    same.sort_by_key(|s| (!targets.contains(&s.start_line), s.start_line));
    if let Some(orig) = same.first() {
        // A container in the block that leaves out some of the file's members: place its
        // members one by one instead of replacing the whole container.
        if !is_callable(b.kind) {
            let members_of = |f: &SourceFile, s: &Symbol| -> Vec<String> {
                f.syntax
                    .symbols
                    .iter()
                    .filter(|m| {
                        m.start_line > s.start_line
                            && m.end_line <= s.end_line
                            && m.parent.as_deref() == Some(s.name.as_str())
                    })
                    .map(|m| m.name.clone())
                    .collect()
            };
            let fm = members_of(file, orig);
            let bm = members_of(block, b);
            if !bm.is_empty() && fm.iter().any(|m| !bm.contains(m)) {
                let inner: Vec<Symbol> = block
                    .syntax
                    .symbols
                    .iter()
                    .filter(|m| {
                        m.start_line > b.start_line
                            && m.end_line <= b.end_line
                            && m.parent.as_deref() == Some(b.name.as_str())
                    })
                    .cloned()
                    .collect();
                for m in top_level(&inner) {
                    plan_definition(file, block, m, targets, used_targets, splices, last_end);
                }
                return;
            }
        }
        replace_definition(
            file,
            orig,
            &block_text,
            block_has_doc,
            &b.name,
            used_targets,
            splices,
            last_end,
        );
        return;
    }
    // Renamed: the first target of the same family nothing replaced yet, whose body the block
    // mostly keeps (a new `sub` beside `add` is an addition, not `add` renamed).
    let body = |f: &SourceFile, sym: &Symbol| -> Vec<String> {
        f.lines(head_line(f, sym) + 1, sym.end_line)
            .lines()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect()
    };
    let new_body = body(block, b);
    let renamed = targets.iter().find_map(|&t| {
        if used_targets.contains(&t) {
            return None;
        }
        file.syntax
            .symbols
            .iter()
            .find(|s| s.start_line == t && same_family(s.kind, b.kind))
            .filter(|s| {
                let old_body = body(file, s);
                let kept = new_body.iter().filter(|l| old_body.contains(l)).count();
                kept * 2 >= old_body.len().max(new_body.len()).max(1)
            })
    });
    if let Some(orig) = renamed {
        replace_definition(
            file,
            orig,
            &block_text,
            block_has_doc,
            &b.name,
            used_targets,
            splices,
            last_end,
        );
        return;
    }
    // New: after the last definition placed, or before the inline tests, or at the end.
    let sep = if file.lang == Language::Python {
        "\n\n"
    } else {
        "\n"
    };
    let text = reindent(&block_text, "");
    let before_tests = file.test_lines().iter().map(|&(a, _)| a).min();
    let (at, text) = match (*last_end, before_tests) {
        (Some(end), _) => (end, format!("{sep}{text}")),
        (None, Some(t)) => (t - 1, format!("{text}{sep}")),
        (None, None) => (file_lines.len() as u32, format!("{sep}{text}")),
    };
    splices.push(Splice {
        start: at + 1,
        end: at,
        text,
        name: b.name.clone(),
    });
}

/// Plans `orig`'s replacement by `block_text`, re-indented to `orig`'s header; the file's doc
/// comment goes too when the block brings its own.
#[allow(clippy::too_many_arguments)]
fn replace_definition(
    file: &SourceFile,
    orig: &Symbol,
    block_text: &str,
    block_has_doc: bool,
    name: &str,
    used_targets: &mut Vec<u32>,
    splices: &mut Vec<Splice>,
    last_end: &mut Option<u32>,
) {
    let head = head_line(file, orig);
    let indent = file
        .text
        .lines()
        .nth(head as usize - 1)
        .map(indent_of)
        .unwrap_or("");
    let start = if block_has_doc {
        file.doc_start(orig.start_line)
    } else {
        head
    };
    used_targets.push(orig.start_line);
    *last_end = Some(orig.end_line);
    let text = reindent(block_text, indent);
    let text = if file.lang == Language::Python {
        keep_docstring(&file.lines(orig.start_line, orig.end_line), text)
    } else {
        text
    };
    splices.push(Splice {
        start,
        end: orig.end_line,
        text,
        name: name.to_owned(),
    });
}

/// A Python definition's docstring: (index of the header's last line, the docstring's lines)
/// in `lines`, when its body starts with one.
fn python_docstring<'a>(lines: &[&'a str]) -> (Option<usize>, Vec<&'a str>) {
    let Some(head_end) = lines.iter().position(|l| {
        let code = l.split(" #").next().unwrap_or(l).trim_end();
        code.ends_with(':') && !code.trim_start().starts_with('@')
    }) else {
        return (None, Vec::new());
    };
    let Some(first) = (head_end + 1..lines.len()).find(|&i| !lines[i].trim().is_empty()) else {
        return (Some(head_end), Vec::new());
    };
    let t = lines[first].trim_start();
    let t = t
        .strip_prefix(['r', 'R', 'u', 'U'])
        .filter(|r| r.starts_with("\"\"\"") || r.starts_with("'''"))
        .unwrap_or(t);
    let quote = if t.starts_with("\"\"\"") {
        "\"\"\""
    } else if t.starts_with("'''") {
        "'''"
    } else {
        return (Some(head_end), Vec::new());
    };
    if t[3..].contains(quote) {
        return (Some(head_end), lines[first..=first].to_vec());
    }
    match (first + 1..lines.len()).find(|&i| lines[i].contains(quote)) {
        Some(last) => (Some(head_end), lines[first..=last].to_vec()),
        None => (Some(head_end), Vec::new()),
    }
}

/// `new` (a Python definition replacing `old`) with `old`'s docstring when `new` has none: a
/// small model rewriting a function often leaves its docstring out, which is no reason to lose it.
fn keep_docstring(old: &str, new: String) -> String {
    let old_lines: Vec<&str> = old.lines().collect();
    let (_, doc) = python_docstring(&old_lines);
    if doc.is_empty() {
        return new;
    }
    let new_lines: Vec<&str> = new.lines().collect();
    let (Some(head_end), own) = python_docstring(&new_lines) else {
        return new;
    };
    if !own.is_empty() {
        return new;
    }
    // The docstring at the new body's indentation.
    let body_indent = new_lines[head_end + 1..]
        .iter()
        .find(|l| !l.trim().is_empty())
        .map_or("    ", |l| indent_of(l));
    let doc_indent = indent_of(doc[0]);
    let mut out: Vec<String> = new_lines[..=head_end]
        .iter()
        .map(|l| (*l).to_owned())
        .collect();
    for l in &doc {
        let rest = l.strip_prefix(doc_indent).unwrap_or(l.trim_start());
        out.push(if rest.is_empty() {
            String::new()
        } else {
            format!("{body_indent}{rest}")
        });
    }
    out.extend(new_lines[head_end + 1..].iter().map(|l| (*l).to_owned()));
    let mut text = out.join("\n");
    if new.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn check_parses(file: &SourceFile, text: String) -> Result<String, EditError> {
    if !file.syntax.has_errors
        && SourceFile::new(&file.path, text.clone()).is_some_and(|after| after.syntax.has_errors)
    {
        return Err(EditError::Broken {
            path: file.path.clone(),
        });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile::new(path, text.to_owned()).unwrap()
    }

    #[test]
    fn a_python_function_rewritten_without_its_docstring_keeps_it() {
        let f = file(
            "roman.py",
            "VALUES = {\"I\": 1}\n\n\nclass C:\n    def from_roman(self, text):\n        \"\"\"Integer value of text.\n\n        Raises ValueError.\n        \"\"\"\n        raise NotImplementedError\n\n    def other(self):\n        '''One line.'''\n        return 1\n",
        );
        let block = "def from_roman(self, text):\n    total = 0\n    for c in text:\n        total += VALUES[c]\n    return total\n";
        let out = apply_block(&f, block, &[5]).unwrap();
        assert!(
            out.contains("    def from_roman(self, text):\n        \"\"\"Integer value of text.\n\n        Raises ValueError.\n        \"\"\"\n        total = 0\n"),
            "{out}"
        );
        assert!(!out.contains("NotImplementedError"), "{out}");
        // A block with its own docstring replaces the old one.
        let own = "def other(self):\n    \"\"\"Two.\"\"\"\n    return 2\n";
        let out = apply_block(&f, own, &[12]).unwrap();
        assert!(
            out.contains("        \"\"\"Two.\"\"\"\n        return 2\n"),
            "{out}"
        );
        assert!(!out.contains("One line."), "{out}");
        // A one-line docstring is kept too.
        let bare = "def other(self):\n    return 3\n";
        let out = apply_block(&f, bare, &[12]).unwrap();
        assert!(
            out.contains("    def other(self):\n        '''One line.'''\n        return 3\n"),
            "{out}"
        );
    }

    #[test]
    fn new_test_calls_are_added_to_a_test_file() {
        let f = file(
            "test/slug.test.js",
            "import { test } from 'node:test';\nimport assert from 'node:assert';\nimport { slug } from '../slug.js';\n\ntest('basic', () => {\n  assert.equal(slug('A b'), 'a-b');\n});\n",
        );
        let block = "import { test } from 'node:test';\nimport assert from 'node:assert';\nimport { slug } from '../slug.js';\n\ntest('basic', () => {\n  assert.equal(slug('A b'), 'a-b');\n});\n\ntest('maxLength', () => {\n  assert.equal(slug('a b c', { maxLength: 3 }), 'a-b');\n});\n";
        let out = apply_block(&f, block, &[]).unwrap();
        assert_eq!(out.matches("test('basic'").count(), 1, "{out}");
        assert!(out.ends_with("test('maxLength', () => {\n  assert.equal(slug('a b c', { maxLength: 3 }), 'a-b');\n});\n"), "{out}");
    }

    #[test]
    fn blocks_with_paths() {
        let a = "Here is the fix.\n\n### calc.py\n```python\ndef add(a, b):\n    return a + b\n```\n\n```rust src/lib.rs\nfn x() {}\n```\n```\nplain\n```\n";
        let b = parse_blocks(a);
        assert_eq!(b.len(), 3, "{b:?}");
        assert_eq!(b[0].path.as_deref(), Some("calc.py"));
        assert_eq!(b[0].code, "def add(a, b):\n    return a + b\n");
        assert_eq!(b[1].path.as_deref(), Some("src/lib.rs"));
        assert_eq!(b[2].path, None);
    }

    #[test]
    fn one_block_with_file_labels_is_split() {
        let echoed =
            parse_blocks("```python\n# textkit.py (from line 954)\ndef f():\n    pass\n```\n");
        assert_eq!(echoed[0].path.as_deref(), Some("textkit.py"));
        assert!(echoed[0].code.starts_with("def f():"));
        let a = "```python\n# test_calc.py\ndef test_add():\n    assert add(2, 3) == 5\n\n# calc.py\ndef add(a, b):\n    return a + b\n```\n";
        let b = parse_blocks(a);
        assert_eq!(b.len(), 2, "{b:?}");
        assert_eq!(b[0].path.as_deref(), Some("test_calc.py"));
        assert_eq!(b[1].path.as_deref(), Some("calc.py"));
        assert_eq!(b[1].code, "def add(a, b):\n    return a + b\n");
        let c = parse_blocks("```c\n#include <stdio.h>\nint f(void);\n```\n");
        assert_eq!(c.len(), 1);
        assert!(c[0].code.starts_with("#include"));
    }

    #[test]
    fn a_changed_import_replaces_the_old_one() {
        let f = file(
            "cart.py",
            "from pricing import compute_total\nimport os\n\n\ndef cart_total(cart):\n    return compute_total(x for x in cart)\n\n\ndef other():\n    return 1\n",
        );
        let out = apply_block(&f, "from pricing import sum_prices\n\n\ndef cart_total(cart):\n    return sum_prices(x for x in cart)\n", &[]).unwrap();
        assert_eq!(
            out,
            "from pricing import sum_prices\nimport os\n\n\ndef cart_total(cart):\n    return sum_prices(x for x in cart)\n\n\ndef other():\n    return 1\n"
        );
        let g = file(
            "a.js",
            "import { fmt } from './money.js';\n\nexport function f() {\n  return fmt(1);\n}\n\nexport function g() {\n  return 2;\n}\n",
        );
        let out = apply_block(&g, "import { fmt, round } from './money.js';\n\nexport function f() {\n  return round(fmt(1));\n}\n", &[]).unwrap();
        assert!(
            out.starts_with("import { fmt, round } from './money.js';\n\nexport function f()"),
            "{out}"
        );
    }

    #[test]
    fn replaces_a_function_by_name() {
        let f = file(
            "calc.py",
            "import math\n\n\ndef add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n",
        );
        let out = apply_block(&f, "def add(a, b):\n    return a + b\n", &[]).unwrap();
        assert_eq!(
            out,
            "import math\n\n\ndef add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"
        );
    }

    #[test]
    fn reindents_a_method_and_adds_imports() {
        let f = file(
            "m.py",
            "import os\n\n\nclass A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n",
        );
        let out = apply_block(
            &f,
            "import re\n\ndef f(self):\n    return re.sub('a', 'b', 'a')\n",
            &[],
        )
        .unwrap();
        assert_eq!(
            out,
            "import os\nimport re\n\n\nclass A:\n    def f(self):\n        return re.sub('a', 'b', 'a')\n\n    def g(self):\n        return 2\n"
        );
    }

    #[test]
    fn partial_class_replaces_only_its_methods() {
        let f = file(
            "m.py",
            "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n",
        );
        let out = apply_block(&f, "class A:\n    def g(self):\n        return 3\n", &[]).unwrap();
        assert_eq!(
            out,
            "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 3\n"
        );
    }

    #[test]
    fn rename_replaces_the_target_and_new_functions_are_added() {
        let f = file(
            "p.py",
            "def compute_total(xs):\n    return sum(xs)\n\n\ndef other():\n    pass\n",
        );
        let out = apply_block(&f, "def sum_prices(xs):\n    return sum(xs)\n", &[1]).unwrap();
        assert!(out.starts_with("def sum_prices(xs):"), "{out}");
        let out = apply_block(&f, "def helper():\n    return 1\n", &[]).unwrap();
        assert!(
            out.ends_with("def other():\n    pass\n\n\ndef helper():\n    return 1\n"),
            "{out}"
        ); // A new function beside the target, with a body of its own, is an addition: the
        // target stays (the answer to "add a function sub").
        let g = file("calc.py", "def add(a, b):\n    return a + b\n");
        let out = apply_block(&g, "def sub(a, b):\n    return a - b\n", &[1]).unwrap();
        assert_eq!(
            out,
            "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
        );
    }

    #[test]
    fn rust_new_function_goes_before_inline_tests_and_broken_code_is_refused() {
        let f = file(
            "src/lib.rs",
            "pub fn a() -> u32 {\n    1\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n",
        );
        let out = apply_block(&f, "pub fn b() -> u32 {\n    2\n}\n", &[]).unwrap();
        assert!(
            out.contains("}\n\npub fn b() -> u32 {\n    2\n}\n\n#[cfg(test)]"),
            "{out}"
        );
        assert!(matches!(
            apply_block(&f, "pub fn a() -> u32 {\n    let x = ;\n}\n", &[]),
            Err(EditError::Broken { .. })
        ));
    }

    #[test]
    fn whole_file_rewrite() {
        let f = file(
            "x.js",
            "function a() { return 1; }\nfunction b() { return 2; }\nmodule.exports = { a, b };\n",
        );
        let new = "function a() { return 10; }\nfunction b() { return 20; }\nmodule.exports = { a, b };\n";
        assert_eq!(apply_block(&f, new, &[]).unwrap(), new);
    }

    #[test]
    fn doc_comments_are_replaced_with_the_definition_when_given() {
        let f = file(
            "src/lib.rs",
            "/// Old doc.\npub fn a() -> u32 {\n    1\n}\n",
        );
        let out = apply_block(&f, "/// New doc.\npub fn a() -> u32 {\n    2\n}\n", &[]).unwrap();
        assert_eq!(out, "/// New doc.\npub fn a() -> u32 {\n    2\n}\n");
        let out = apply_block(&f, "pub fn a() -> u32 {\n    3\n}\n", &[]).unwrap();
        assert_eq!(out, "/// Old doc.\npub fn a() -> u32 {\n    3\n}\n");
    }
}
