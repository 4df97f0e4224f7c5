//! Patches the model may send to `apply_patch`: a unified diff (`--- a/x` / `+++ b/x` /
//! `@@ -l,n +l,n @@`) or the Codex-style envelope (`*** Begin Patch`, `*** Add File:`,
//! `*** Update File:`, `*** Delete File:`, `*** Move to:`, `@@ context`, `*** End Patch`).
//! Hunks are located by their context and removed lines (exact, then ignoring whitespace),
//! nearest to the line number the diff gives, so slightly stale line numbers still apply.

/// One file's change in a patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOp {
    /// Create a file with this content.
    Add { path: String, content: String },
    /// Delete a file.
    Delete { path: String },
    /// Change a file (and maybe rename it).
    Update {
        path: String,
        move_to: Option<String>,
        hunks: Vec<Hunk>,
    },
}

impl FileOp {
    /// The path the operation starts from.
    pub fn path(&self) -> &str {
        match self {
            FileOp::Add { path, .. } | FileOp::Delete { path } | FileOp::Update { path, .. } => {
                path
            }
        }
    }
}

/// One hunk: the lines to find (context and removed) and what replaces them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hunk {
    /// A line to find first (Codex `@@ fn foo`): the hunk applies after it.
    pub anchor: Option<String>,
    /// 1-based line number the diff claims for the old lines.
    pub line_hint: Option<usize>,
    /// Context and removed lines, in order.
    pub old: Vec<String>,
    /// Context and added lines, in order.
    pub new: Vec<String>,
    /// The hunk must match at the end of the file.
    pub end_of_file: bool,
}

/// Parses either patch format.
pub fn parse_patch(input: &str) -> Result<Vec<FileOp>, String> {
    let input = input.replace("\r\n", "\n");
    let trimmed = input.trim_start();
    let ops = if trimmed.starts_with("*** Begin Patch") {
        parse_codex(trimmed)?
    } else {
        parse_unified(&input)?
    };
    if ops.is_empty() {
        return Err("the patch contains no file changes; send a unified diff (--- a/path, +++ b/path, @@ hunks) or a *** Begin Patch envelope".to_owned());
    }
    Ok(ops)
}

fn parse_codex(input: &str) -> Result<Vec<FileOp>, String> {
    let mut ops = Vec::new();
    let mut lines = input.lines().peekable();
    lines.next(); // *** Begin Patch
    while let Some(line) = lines.next() {
        if line.trim() == "*** End Patch" {
            return Ok(ops);
        }
        if let Some(path) = line.strip_prefix("*** Add File: ") {
            let mut content = String::new();
            while let Some(l) = lines.next_if(|l| !l.starts_with("*** ")) {
                let body = l.strip_prefix('+').ok_or_else(|| {
                    format!("in *** Add File: {path}, every line must start with '+', got `{l}`")
                })?;
                content.push_str(body);
                content.push('\n');
            }
            ops.push(FileOp::Add {
                path: path.trim().to_owned(),
                content,
            });
        } else if let Some(path) = line.strip_prefix("*** Delete File: ") {
            ops.push(FileOp::Delete {
                path: path.trim().to_owned(),
            });
        } else if let Some(path) = line.strip_prefix("*** Update File: ") {
            let move_to = lines
                .next_if(|l| l.starts_with("*** Move to: "))
                .map(|l| l["*** Move to: ".len()..].trim().to_owned());
            let mut hunks: Vec<Hunk> = Vec::new();
            let mut cur: Option<Hunk> = None;
            while let Some(l) =
                lines.next_if(|l| !l.starts_with("*** ") || l.trim() == "*** End of File")
            {
                if l.trim() == "*** End of File" {
                    if let Some(h) = cur.as_mut() {
                        h.end_of_file = true;
                    }
                    continue;
                }
                if let Some(anchor) = l.strip_prefix("@@") {
                    if let Some(h) = cur.take() {
                        hunks.push(h);
                    }
                    let a = anchor.trim();
                    cur = Some(Hunk {
                        anchor: (!a.is_empty()).then(|| a.to_owned()),
                        ..Hunk::default()
                    });
                    continue;
                }
                let h = cur.get_or_insert_with(Hunk::default);
                push_body_line(h, l).map_err(|e| format!("in *** Update File: {path}: {e}"))?;
            }
            if let Some(h) = cur.take() {
                hunks.push(h);
            }
            if hunks.is_empty() && move_to.is_none() {
                return Err(format!("*** Update File: {path} has no hunks"));
            }
            ops.push(FileOp::Update {
                path: path.trim().to_owned(),
                move_to,
                hunks,
            });
        } else if !line.trim().is_empty() {
            return Err(format!(
                "unexpected line `{line}`; expected *** Add File:, *** Update File:, *** Delete File: or *** End Patch"
            ));
        }
    }
    Err("the patch has no *** End Patch line".to_owned())
}

fn push_body_line(h: &mut Hunk, l: &str) -> Result<(), String> {
    match l.chars().next() {
        Some(' ') => {
            h.old.push(l[1..].to_owned());
            h.new.push(l[1..].to_owned());
        }
        Some('-') => h.old.push(l[1..].to_owned()),
        Some('+') => h.new.push(l[1..].to_owned()),
        Some('\\') => {} // "\ No newline at end of file"
        None => {
            // An empty line inside a hunk is an empty context line (editors strip the space).
            h.old.push(String::new());
            h.new.push(String::new());
        }
        Some(_) => return Err(format!("hunk line `{l}` must start with ' ', '-' or '+'")),
    }
    Ok(())
}

fn strip_diff_path(s: &str) -> Option<String> {
    let s = s.split('\t').next().unwrap_or(s).trim();
    if s == "/dev/null" {
        return None;
    }
    let s = s
        .strip_prefix("a/")
        .or_else(|| s.strip_prefix("b/"))
        .unwrap_or(s);
    Some(s.to_owned())
}

fn parse_unified(input: &str) -> Result<Vec<FileOp>, String> {
    let mut ops = Vec::new();
    let lines: Vec<&str> = input.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let Some(old_path) = lines[i].strip_prefix("--- ") else {
            i += 1;
            continue;
        };
        let new_path = lines
            .get(i + 1)
            .and_then(|l| l.strip_prefix("+++ "))
            .ok_or_else(|| format!("line {}: `---` must be followed by a `+++` line", i + 1))?;
        let (old_path, new_path) = (strip_diff_path(old_path), strip_diff_path(new_path));
        i += 2;
        let mut hunks = Vec::new();
        while i < lines.len() && lines[i].starts_with("@@") {
            let header = lines[i];
            let line_hint = header
                .trim_start_matches('@')
                .trim()
                .strip_prefix('-')
                .and_then(|r| r.split([',', ' ']).next())
                .and_then(|n| n.parse::<usize>().ok());
            let mut h = Hunk {
                line_hint,
                ..Hunk::default()
            };
            i += 1;
            while i < lines.len()
                && !lines[i].starts_with("@@")
                && !lines[i].starts_with("--- ")
                && !lines[i].starts_with("diff ")
            {
                push_body_line(&mut h, lines[i]).map_err(|e| format!("line {}: {e}", i + 1))?;
                i += 1;
            }
            // Trailing empty lines after the last hunk are not context.
            while h.old.last().is_some_and(|l| l.is_empty())
                && h.new.last().is_some_and(|l| l.is_empty())
                && i >= lines.len()
            {
                h.old.pop();
                h.new.pop();
            }
            hunks.push(h);
        }
        match (old_path, new_path) {
            (None, Some(path)) => {
                let content: String = hunks
                    .iter()
                    .flat_map(|h| h.new.iter())
                    .map(|l| format!("{l}\n"))
                    .collect();
                ops.push(FileOp::Add { path, content });
            }
            (Some(path), None) => ops.push(FileOp::Delete { path }),
            (Some(path), Some(np)) => {
                if hunks.is_empty() {
                    return Err(format!("the diff for `{path}` has no @@ hunks"));
                }
                let move_to = (np != path).then_some(np);
                ops.push(FileOp::Update {
                    path,
                    move_to,
                    hunks,
                });
            }
            (None, None) => return Err("a diff goes from /dev/null to /dev/null".to_owned()),
        }
    }
    Ok(ops)
}

/// Applies hunks in order to `text` (LF line endings). The error names the hunk that did not
/// apply and shows what it looked for.
pub fn apply_hunks(text: &str, hunks: &[Hunk]) -> Result<String, String> {
    let trailing_nl = text.ends_with('\n') || text.is_empty();
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    if text.ends_with('\n') || text.is_empty() {
        lines.pop();
    }
    let mut cursor = 0usize;
    for (n, h) in hunks.iter().enumerate() {
        let mut from = cursor;
        if let Some(anchor) = &h.anchor {
            let a = squash(anchor);
            match (cursor..lines.len())
                .find(|&i| squash(&lines[i]) == a)
                .or_else(|| (0..lines.len()).find(|&i| squash(&lines[i]) == a))
            {
                Some(i) => from = i + 1,
                None => {
                    return Err(format!(
                        "hunk {}: the anchor line `@@ {anchor}` is not in the file",
                        n + 1
                    ));
                }
            }
        }
        let at = if h.old.is_empty() {
            if h.end_of_file || (h.line_hint.is_none() && h.anchor.is_none()) {
                lines.len()
            } else if h.anchor.is_some() {
                from
            } else {
                h.line_hint
                    .map(|l| l.min(lines.len()))
                    .unwrap_or(lines.len())
            }
        } else {
            find_block(&lines, &h.old, from, h.line_hint, h.end_of_file).ok_or_else(|| {
                format!(
                    "hunk {} does not apply: these lines are not in the file{}:\n{}\nread the file again and regenerate the patch",
                    n + 1,
                    h.line_hint.map(|l| format!(" near line {l}")).unwrap_or_default(),
                    h.old.iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
                )
            })?
        };
        lines.splice(at..at + h.old.len(), h.new.iter().cloned());
        cursor = at + h.new.len();
    }
    let mut out = lines.join("\n");
    if trailing_nl && !lines.is_empty() {
        out.push('\n');
    }
    Ok(out)
}

fn find_block(
    lines: &[String],
    old: &[String],
    from: usize,
    hint: Option<usize>,
    eof: bool,
) -> Option<usize> {
    let k = old.len();
    if k > lines.len() {
        return None;
    }
    let eqs: [fn(&str, &str) -> bool; 2] = [
        |a, b| a.trim_end() == b.trim_end(),
        |a, b| squash(a) == squash(b),
    ];
    for eq in eqs {
        let candidates: Vec<usize> = (0..=lines.len() - k)
            .filter(|&i| !eof || i + k == lines.len())
            .filter(|&i| (0..k).all(|j| eq(&lines[i + j], &old[j])))
            .collect();
        let after: Vec<usize> = candidates.iter().copied().filter(|&i| i >= from).collect();
        let pool = if after.is_empty() {
            &candidates
        } else {
            &after
        };
        let target = hint.map(|h| h.saturating_sub(1)).unwrap_or(from);
        if let Some(&best) = pool.iter().min_by_key(|&&i| i.abs_diff(target)) {
            return Some(best);
        }
    }
    None
}

fn squash(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_update_with_offset_line_numbers() {
        let diff = "--- a/src/x.rs\n+++ b/src/x.rs\n@@ -10,3 +10,3 @@\n a\n-b\n+B\n c\n";
        let ops = parse_patch(diff).unwrap();
        let FileOp::Update {
            path,
            hunks,
            move_to,
        } = &ops[0]
        else {
            panic!("{ops:?}")
        };
        assert_eq!(path, "src/x.rs");
        assert_eq!(move_to, &None);
        assert_eq!(apply_hunks("z\na\nb\nc\n", hunks).unwrap(), "z\na\nB\nc\n");
    }

    #[test]
    fn unified_add_and_delete() {
        let diff = "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,2 @@\n+one\n+two\n--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n";
        let ops = parse_patch(diff).unwrap();
        assert_eq!(
            ops[0],
            FileOp::Add {
                path: "new.txt".into(),
                content: "one\ntwo\n".into()
            }
        );
        assert_eq!(
            ops[1],
            FileOp::Delete {
                path: "old.txt".into()
            }
        );
    }

    #[test]
    fn codex_envelope() {
        let p = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** Update File: b.py\n*** Move to: c.py\n@@ def f():\n-    return 1\n+    return 2\n*** Delete File: d.txt\n*** End Patch\n";
        let ops = parse_patch(p).unwrap();
        assert_eq!(ops.len(), 3);
        let FileOp::Update { hunks, move_to, .. } = &ops[1] else {
            panic!()
        };
        assert_eq!(move_to.as_deref(), Some("c.py"));
        let src = "def g():\n    return 1\ndef f():\n    return 1\n";
        assert_eq!(
            apply_hunks(src, hunks).unwrap(),
            "def g():\n    return 1\ndef f():\n    return 2\n"
        );
    }

    #[test]
    fn hunk_that_does_not_apply_is_reported() {
        let h = Hunk {
            old: vec!["nope".into()],
            new: vec!["x".into()],
            ..Hunk::default()
        };
        let e = apply_hunks("a\nb\n", &[h]).unwrap_err();
        assert!(
            e.contains("hunk 1 does not apply") && e.contains("nope"),
            "{e}"
        );
    }

    #[test]
    fn garbage_is_rejected() {
        assert!(parse_patch("hello").is_err());
        assert!(parse_patch("*** Begin Patch\n*** Update File: a\n-x\n").is_err());
    }
}
