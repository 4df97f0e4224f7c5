//! Mechanical import repair for candidate edits: what `goimports` does for the standard library,
//! and the missing `import re` of a Python file. Small models often use `strings.HasPrefix`
//! without importing `strings`, or leave an import their new code no longer uses — both fail to
//! compile in Go, and the first is a `NameError` in Python.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

fn re(s: &str) -> Regex {
    Regex::new(s).unwrap_or_else(|e| panic!("built-in regex {s}: {e}"))
}

/// Go standard-library packages by the name code uses them under.
const GO_STD: [(&str, &str); 24] = [
    ("bufio", "bufio"),
    ("bytes", "bytes"),
    ("csv", "encoding/csv"),
    ("errors", "errors"),
    ("filepath", "path/filepath"),
    ("fmt", "fmt"),
    ("io", "io"),
    ("json", "encoding/json"),
    ("maps", "maps"),
    ("math", "math"),
    ("os", "os"),
    ("regexp", "regexp"),
    ("slices", "slices"),
    ("sort", "sort"),
    ("strconv", "strconv"),
    ("strings", "strings"),
    ("sync", "sync"),
    ("time", "time"),
    ("unicode", "unicode"),
    ("utf8", "unicode/utf8"),
    ("atomic", "sync/atomic"),
    ("rand", "math/rand"),
    ("bits", "math/bits"),
    ("context", "context"),
];

static GO_USE: LazyLock<Regex> = LazyLock::new(|| re(r"\b([a-z][a-z0-9]*)\.[A-Za-z_]"));
static GO_IMPORT_LINE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^\s*(?:([A-Za-z_.][A-Za-z0-9_]*)\s+)?"([^"]+)"\s*$"#));

/// The Go file with standard-library imports added where the code uses them and removed where
/// it no longer does. Aliased, dot and blank imports and non-standard packages are left alone;
/// text that does not look like a Go file with a `package` clause is returned unchanged.
pub fn tidy_go_imports(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(pkg) = lines.iter().position(|l| l.starts_with("package ")) else {
        return text.to_owned();
    };
    // The import section: `import "x"` lines and `import ( … )` blocks right after the package.
    let mut imports: Vec<(Option<String>, String)> = Vec::new();
    let mut section: Option<(usize, usize)> = None;
    let mut i = pkg + 1;
    while i < lines.len() {
        let t = lines[i].trim();
        if t.is_empty() || t.starts_with("//") {
            i += 1;
            continue;
        }
        if t == "import (" {
            let start = i;
            i += 1;
            while i < lines.len() && lines[i].trim() != ")" {
                let l = lines[i].trim();
                if !l.is_empty() && !l.starts_with("//") {
                    match GO_IMPORT_LINE.captures(l) {
                        Some(c) => {
                            imports.push((c.get(1).map(|m| m.as_str().to_owned()), c[2].to_owned()))
                        }
                        None => return text.to_owned(),
                    }
                }
                i += 1;
            }
            section = Some((section.map_or(start, |s| s.0), i));
            i += 1;
        } else if let Some(rest) = t.strip_prefix("import ") {
            match GO_IMPORT_LINE.captures(rest) {
                Some(c) => imports.push((c.get(1).map(|m| m.as_str().to_owned()), c[2].to_owned())),
                None => return text.to_owned(),
            }
            section = Some((section.map_or(i, |s| s.0), i));
            i += 1;
        } else {
            break;
        }
    }
    let body_start = section.map_or(pkg + 1, |(_, end)| end + 1);
    let body: String = lines[body_start.min(lines.len())..].join("\n");
    let used: BTreeSet<&str> = GO_USE
        .captures_iter(&strip_go_strings(&body))
        .filter_map(|c| c.get(1))
        .map(|m| {
            GO_STD
                .iter()
                .find(|(n, _)| *n == m.as_str())
                .map_or("", |(n, _)| *n)
        })
        .filter(|n| !n.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let name_of = |path: &str| path.rsplit('/').next().unwrap_or(path).to_owned();
    let mut changed = false;
    let mut kept: Vec<(Option<String>, String)> = Vec::new();
    for (alias, path) in &imports {
        let std = GO_STD.iter().any(|(_, p)| p == path);
        if alias.is_none() && std && !used.contains(name_of(path).as_str()) {
            changed = true;
            continue;
        }
        kept.push((alias.clone(), path.clone()));
    }
    for name in &used {
        let Some((_, path)) = GO_STD.iter().find(|(n, _)| n == name) else {
            continue;
        };
        let declared = Regex::new(&format!(
            r"\b{name}\s*:?=|\bvar\s+{name}\b|\bfunc\s+{name}\b|[(,]\s*{name}\s+[\[\]*A-Za-z]"
        ))
        .is_ok_and(|r| r.is_match(&body));
        if !declared
            && !kept
                .iter()
                .any(|(a, p)| p == path || a.as_deref() == Some(name))
        {
            kept.push((None, (*path).to_owned()));
            changed = true;
        }
    }
    if !changed {
        return text.to_owned();
    }
    kept.sort_by(|a, b| a.1.cmp(&b.1));
    let block = match kept.len() {
        0 => String::new(),
        _ => {
            let mut b = String::from("import (\n");
            for (alias, path) in &kept {
                match alias {
                    Some(a) => b.push_str(&format!("\t{a} \"{path}\"\n")),
                    None => b.push_str(&format!("\t\"{path}\"\n")),
                }
            }
            b.push_str(")\n");
            b
        }
    };
    let mut out = String::new();
    for l in &lines[..=pkg] {
        out.push_str(l);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&block);
    let rest: Vec<&str> = lines[body_start.min(lines.len())..]
        .iter()
        .copied()
        .skip_while(|l| l.trim().is_empty())
        .collect();
    if !rest.is_empty() {
        if !block.is_empty() {
            out.push('\n');
        }
        out.push_str(&rest.join("\n"));
        out.push('\n');
    }
    out
}

/// Go source with string and rune literals and comments blanked (so `"a.b"` is no package use).
fn strip_go_strings(s: &str) -> String {
    static LIT: LazyLock<Regex> = LazyLock::new(|| {
        re(r#"(?s)"(?:\\.|[^"\\])*"|`[^`]*`|'(?:\\.|[^'\\])*'|//[^\n]*|/\*.*?\*/"#)
    });
    LIT.replace_all(s, "\"\"").into_owned()
}

/// Python standard-library modules a candidate may use without importing.
const PY_STD: [&str; 14] = [
    "re",
    "math",
    "os",
    "sys",
    "json",
    "collections",
    "itertools",
    "functools",
    "string",
    "operator",
    "textwrap",
    "heapq",
    "bisect",
    "statistics",
];

static PY_USE: LazyLock<Regex> = LazyLock::new(|| re(r"(?m)(?:^|[^\w.])([a-z]+)\.[A-Za-z_]"));

/// The Python file with `import X` added for the standard modules its code uses as `X.name` but
/// never imports or defines. Added after the last top-level import; a file without imports is
/// returned unchanged.
pub fn add_python_std_imports(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(last_import) = lines
        .iter()
        .rposition(|l| l.starts_with("import ") || l.starts_with("from "))
    else {
        return text.to_owned();
    };
    let mut missing: Vec<&str> = Vec::new();
    for c in PY_USE.captures_iter(text) {
        let Some(m) = c.get(1) else { continue };
        let name = m.as_str();
        if !PY_STD.contains(&name) || missing.contains(&name) {
            continue;
        }
        let imported = Regex::new(&format!(
            r"(?m)^\s*(?:import\s+(?:[\w.]+\s*,\s*)*{name}\b|from\s+\S+\s+import\s+.*\b{name}\b)|\b{name}\s*=[^=]|\bdef\s+{name}\b|\bas\s+{name}\b|\bfor\s+{name}\b"
        ))
        .is_ok_and(|r| r.is_match(text));
        if !imported {
            missing.push(name);
        }
    }
    if missing.is_empty() {
        return text.to_owned();
    }
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    let add: Vec<String> = missing.iter().map(|m| format!("import {m}")).collect();
    out.splice(last_import + 1..last_import + 1, add);
    let mut s = out.join("\n");
    if text.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_imports_follow_the_code() {
        let src = "package kv\n\nimport (\n\t\"fmt\"\n\t\"sync\"\n)\n\nfunc (s *Store) Keys(p string) []string {\n\tvar out []string\n\tfor k := range s.m {\n\t\tif strings.HasPrefix(k, p) {\n\t\t\tout = append(out, k)\n\t\t}\n\t}\n\tsort.Strings(out)\n\ts.mu.Lock()\n\treturn out\n}\n\nvar mu sync.Mutex\n";
        let out = tidy_go_imports(src);
        assert!(
            out.contains("import (\n\t\"sort\"\n\t\"strings\"\n\t\"sync\"\n)\n"),
            "{out}"
        );
        assert!(!out.contains("\"fmt\""), "{out}");
        assert!(out.ends_with("var mu sync.Mutex\n"), "{out}");
        // Already right: unchanged.
        assert_eq!(tidy_go_imports(&out), out);
        // A package name inside a string is no use of it.
        let s = "package a\n\nimport \"fmt\"\n\nfunc F() string { return \"strings.Join\" + fmt.Sprint(1) }\n";
        assert_eq!(tidy_go_imports(s), s);
        // A local variable named like a package is no use of it.
        let s = "package a\n\nfunc F(sort []int) int { return len(sort) }\n";
        assert_eq!(tidy_go_imports(s), s);
    }

    #[test]
    fn python_std_imports_are_added_when_missing() {
        let src = "\"\"\"Env files.\"\"\"\nimport os\n\n\ndef parse(line):\n    return re.split(r\"\\s+#\", line)[0]\n";
        let out = add_python_std_imports(src);
        assert_eq!(
            out,
            "\"\"\"Env files.\"\"\"\nimport os\nimport re\n\n\ndef parse(line):\n    return re.split(r\"\\s+#\", line)[0]\n"
        );
        assert_eq!(add_python_std_imports(&out), out);
        // Imported with another module, or no imports at all: unchanged.
        let from = "import os, re\n\nx = re.compile('a')\n";
        assert_eq!(add_python_std_imports(from), from);
        let bare = "def f():\n    return math.pi\n";
        assert_eq!(add_python_std_imports(bare), bare);
    }
}
