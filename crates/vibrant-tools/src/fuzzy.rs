//! The forgiving match cascade behind `edit_file`: exact, then whitespace-insensitive, then
//! indentation-flexible, then line similarity above a threshold; on failure a "did you mean"
//! excerpt of the closest region.

/// How the search text was found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MatchTier {
    /// Byte-for-byte.
    Exact,
    /// Same lines once trailing whitespace and runs of inner whitespace are ignored.
    Whitespace,
    /// Same lines once indentation is ignored too; the replacement is re-indented.
    Indentation,
    /// Lines similar enough (the score, 0..=1); the replacement is re-indented.
    Similar(f64),
}

impl std::fmt::Display for MatchTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MatchTier::Exact => f.write_str("exact"),
            MatchTier::Whitespace => f.write_str("whitespace-insensitive"),
            MatchTier::Indentation => f.write_str("indentation-flexible"),
            MatchTier::Similar(s) => write!(f, "similarity {:.0}%", s * 100.0),
        }
    }
}

/// A successful edit.
#[derive(Debug, Clone, PartialEq)]
pub struct EditOutcome {
    /// The whole text after the edit.
    pub text: String,
    /// How the search text was matched.
    pub tier: MatchTier,
    /// 1-based first line of the (first) replaced region.
    pub line: usize,
    /// How many regions were replaced.
    pub replacements: usize,
}

/// Replaces `old` by `new` in `text` using the cascade. `threshold` is the minimum similarity
/// (0..=1) for the last tier. The error is a message for the model (no match, with the
/// closest region, or an ambiguous match).
pub fn apply_edit(
    text: &str,
    old: &str,
    new: &str,
    replace_all: bool,
    threshold: f64,
) -> Result<EditOutcome, String> {
    let first = cascade(text, old, new, replace_all, threshold);
    if first.is_ok() {
        return first;
    }
    // Two mistakes small models make: pasting `read_file`'s line-number gutter into the
    // search text, and escaping newlines twice (`\\n` in the JSON, a literal `\n` here).
    if let Some(stripped) = strip_line_numbers(old) {
        let new = strip_line_numbers(new).unwrap_or_else(|| new.to_owned());
        if let Ok(r) = cascade(text, &stripped, &new, replace_all, threshold) {
            return Ok(r);
        }
    }
    if !old.contains('\n') && old.contains("\\n") && !text.contains(old) {
        let unescape = |s: &str| {
            s.replace("\\n", "\n")
                .replace("\\t", "\t")
                .replace("\\\"", "\"")
        };
        if let Ok(r) = cascade(text, &unescape(old), &unescape(new), replace_all, threshold) {
            return Ok(r);
        }
    }
    first
}

/// `content` as written when a model pastes `read_file`'s output into `write_file`: the
/// `path (lines a-b of N):` header, the line-number gutter and the `[… more lines …]` footer
/// removed. `None` when it does not look like that output.
pub(crate) fn strip_read_file_echo(content: &str) -> Option<String> {
    let mut lines: Vec<&str> = content.split('\n').collect();
    let header = lines
        .first()
        .is_some_and(|l| l.contains(" (lines ") && l.trim_end().ends_with("):"));
    if header {
        lines.remove(0);
    }
    while lines
        .last()
        .is_some_and(|l| l.is_empty() || (l.starts_with('[') && l.contains("read_file")))
    {
        lines.pop();
    }
    let body = lines.join("\n");
    let stripped = strip_line_numbers(&body)?;
    // A bare gutter is convincing only over a few lines; the header alone settles it.
    (header || lines.len() >= 3).then(|| format!("{stripped}\n"))
}

/// `old` without a `read_file` gutter (`   12\t` before every non-empty line), if it has one.
fn strip_line_numbers(s: &str) -> Option<String> {
    let gutter = |l: &str| {
        let t = l.trim_start_matches(' ');
        let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        (digits > 0 && t[digits..].starts_with(['\t', '│', '|'])).then(|| {
            let rest = &t[digits..];
            let sep = rest.chars().next().map(char::len_utf8).unwrap_or(0);
            rest[sep..].to_owned()
        })
    };
    let lines: Vec<&str> = s.split('\n').collect();
    let nonempty = lines.iter().filter(|l| !l.is_empty()).count();
    if nonempty == 0 || lines.iter().any(|l| !l.is_empty() && gutter(l).is_none()) {
        return None;
    }
    Some(
        lines
            .iter()
            .map(|l| gutter(l).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

fn cascade(
    text: &str,
    old: &str,
    new: &str,
    replace_all: bool,
    threshold: f64,
) -> Result<EditOutcome, String> {
    if old.is_empty() {
        return Err(
            "old_string is empty; to create or replace a whole file use write_file".to_owned(),
        );
    }
    if old == new {
        return Err("old_string and new_string are identical; nothing to change".to_owned());
    }
    // Tier 1: exact.
    let hits: Vec<usize> = text.match_indices(old).map(|(i, _)| i).collect();
    if hits.len() == 1 || (replace_all && !hits.is_empty()) {
        let line = line_of(text, hits[0]);
        let h = hits[0];
        let line_start = text[..h].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let prefix = &text[line_start..h];
        let out = if replace_all {
            text.replace(old, new)
        } else if !prefix.is_empty()
            && prefix.trim().is_empty()
            && !old.starts_with(char::is_whitespace)
            && new.starts_with(prefix)
        {
            // The search text left out the line's indentation but the replacement repeats it:
            // replace from the start of the line so it is not doubled.
            format!("{}{new}{}", &text[..line_start], &text[h + old.len()..])
        } else {
            text.replacen(old, new, 1)
        };
        return Ok(EditOutcome {
            text: out,
            tier: MatchTier::Exact,
            line,
            replacements: hits.len(),
        });
    }
    if hits.len() > 1 {
        let lines: Vec<String> = hits
            .iter()
            .take(8)
            .map(|&h| line_of(text, h).to_string())
            .collect();
        return Err(format!(
            "old_string occurs {} times (lines {}); add surrounding lines to make it unique, or set replace_all to true",
            hits.len(),
            lines.join(", ")
        ));
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let old_lines = trim_blank_edges(old);
    if old_lines.is_empty() {
        return Err(
            "old_string contains only whitespace; give the exact lines to replace".to_owned(),
        );
    }
    let new_lines: Vec<&str> = if new.is_empty() {
        Vec::new()
    } else {
        new.strip_suffix('\n').unwrap_or(new).split('\n').collect()
    };
    let k = old_lines.len();
    // Tiers 2 and 3: whitespace-insensitive, then indentation-flexible.
    for tier in [MatchTier::Whitespace, MatchTier::Indentation] {
        let eq = |a: &str, b: &str| match tier {
            MatchTier::Whitespace => indent(a) == indent(b) && squash(a) == squash(b),
            _ => squash(a) == squash(b),
        };
        let mut found = Vec::new();
        let mut i = 0;
        while i + k <= lines.len() {
            if (0..k).all(|j| eq(lines[i + j], old_lines[j])) {
                found.push(i);
                i += k;
            } else {
                i += 1;
            }
        }
        if found.len() > 1 && !replace_all {
            let at: Vec<String> = found.iter().take(8).map(|i| (i + 1).to_string()).collect();
            return Err(format!(
                "old_string matches {} regions ({} match, lines {}); add surrounding lines to make it unique, or set replace_all to true",
                found.len(),
                tier,
                at.join(", ")
            ));
        }
        if !found.is_empty() {
            let reindent = tier != MatchTier::Whitespace;
            let out = splice(&lines, &found, k, &old_lines, &new_lines, reindent);
            return Ok(EditOutcome {
                text: out,
                tier,
                line: found[0] + 1,
                replacements: found.len(),
            });
        }
    }
    // Tier 4: similarity over windows of the same number of lines.
    let scored = best_windows(&lines, &old_lines);
    let Some(&(best_i, best)) = scored.first() else {
        return Err(format!(
            "old_string was not found, and no region of the file resembles it{}; read the file again with read_file and copy the exact lines",
            if lines.len() < k {
                " (the file is shorter than old_string)"
            } else {
                ""
            }
        ));
    };
    if best >= threshold {
        let rival = scored
            .iter()
            .find(|(i, s)| i.abs_diff(best_i) >= k && *s >= threshold && best - *s < 0.05);
        if let Some((ri, _)) = rival {
            return Err(format!(
                "old_string is not in the file exactly and resembles two regions equally (lines {} and {}); copy the exact lines from read_file",
                best_i + 1,
                ri + 1
            ));
        }
        let out = splice(&lines, &[best_i], k, &old_lines, &new_lines, true);
        return Ok(EditOutcome {
            text: out,
            tier: MatchTier::Similar(best),
            line: best_i + 1,
            replacements: 1,
        });
    }
    if best < 0.3 {
        return Err(format!(
            "old_string was not found, and no region of the file resembles it (the closest, lines {}-{}, is only {:.0}% similar); \
             read the file again with read_file and copy the exact lines",
            best_i + 1,
            best_i + k,
            best * 100.0
        ));
    }
    let from = best_i.saturating_sub(1);
    let to = (best_i + k + 1).min(lines.len());
    let excerpt: String = (from..to)
        .map(|i| format!("{:>5}\t{}\n", i + 1, lines[i]))
        .collect();
    Err(format!(
        "old_string was not found (tried exact, whitespace-insensitive, indentation-flexible and ≥{:.0}% similar matching). \
         Did you mean lines {}-{} ({:.0}% similar)?\n{}Copy the exact current lines into old_string (read_file shows them).",
        threshold * 100.0,
        best_i + 1,
        best_i + k,
        best * 100.0,
        excerpt
    ))
}

/// Line comparisons the similarity tier may make before it only scores anchored windows.
const SIMILARITY_BUDGET: usize = 200_000;

/// Windows of `old.len()` lines scored by length-weighted line similarity, best first.
fn best_windows(lines: &[&str], old: &[&str]) -> Vec<(usize, f64)> {
    let k = old.len();
    if lines.len() < k || k == 0 {
        return Vec::new();
    }
    let norm_text: Vec<String> = lines.iter().map(|l| squash(l)).collect();
    let norm_old: Vec<String> = old.iter().map(|l| squash(l)).collect();
    let windows = lines.len() - k + 1;
    // Scoring every window costs windows × k line comparisons. Past a budget, only windows
    // anchored by at least one identical (non-blank) line are scored.
    let candidates: Vec<usize> = if windows.saturating_mul(k) <= SIMILARITY_BUDGET {
        (0..windows).collect()
    } else {
        let mut at: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
        for (j, l) in norm_old.iter().enumerate() {
            if !l.is_empty() {
                at.entry(l.as_str()).or_default().push(j);
            }
        }
        let mut c: Vec<usize> = norm_text
            .iter()
            .enumerate()
            .flat_map(|(t, l)| {
                at.get(l.as_str())
                    .into_iter()
                    .flatten()
                    .filter_map(move |&j| t.checked_sub(j))
            })
            .filter(|&i| i < windows)
            .collect();
        c.sort_unstable();
        c.dedup();
        c.truncate(SIMILARITY_BUDGET / k.max(1));
        c
    };
    let mut scored: Vec<(usize, f64)> = candidates
        .into_iter()
        .map(|i| {
            let mut num = 0.0;
            let mut den = 0.0;
            for j in 0..k {
                let (a, b) = (&norm_text[i + j], &norm_old[j]);
                let w = a.chars().count().max(b.chars().count()).max(1) as f64;
                let sim = if a == b {
                    1.0
                } else {
                    strsim::normalized_levenshtein(a, b)
                };
                num += sim * w;
                den += w;
            }
            (i, num / den)
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored
}

/// Replaces the `k`-line regions starting at `starts` (ascending) by `new`.
fn splice(
    lines: &[&str],
    starts: &[usize],
    k: usize,
    old: &[&str],
    new: &[&str],
    reindent: bool,
) -> String {
    let mut out: Vec<String> = Vec::with_capacity(lines.len() + new.len());
    let mut i = 0;
    for &s in starts {
        out.extend(lines[i..s].iter().map(|l| (*l).to_owned()));
        if reindent {
            out.extend(reindent_block(new, old, &lines[s..s + k]));
        } else {
            out.extend(new.iter().map(|l| (*l).to_owned()));
        }
        i = s + k;
    }
    out.extend(lines[i..].iter().map(|l| (*l).to_owned()));
    out.join("\n")
}

fn reindent_line(line: &str, from: &str, to: &str) -> String {
    if line.trim().is_empty() {
        String::new()
    } else if let Some(rest) = line.strip_prefix(from) {
        format!("{to}{rest}")
    } else {
        format!("{to}{}", line.trim_start())
    }
}

/// Re-indents `new` to fit `file` (the matched lines, one per line of `old`). The new lines
/// are aligned with the old ones by a line diff (ignoring whitespace): an unchanged line is
/// anchored to its old line, a replacing line to the old line it replaces (the last one when
/// there are more new lines), an inserted line to the old line before it. Each line takes the
/// indentation its anchor has in the file, keeping any indentation beyond the anchor's in `old`
/// (unless `old` is flat while the file is not: then `old`'s indentation means nothing).
fn reindent_block(new: &[&str], old: &[&str], file: &[&str]) -> Vec<String> {
    if old.is_empty() {
        return new.iter().map(|l| l.trim().to_owned()).collect();
    }
    let old_sq: Vec<String> = old.iter().map(|l| squash(l)).collect();
    let new_sq: Vec<String> = new.iter().map(|l| squash(l)).collect();
    let mut anchor = vec![0usize; new.len()];
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old_sq, &new_sq) {
        match op {
            similar::DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for t in 0..len {
                    anchor[new_index + t] = old_index + t;
                }
            }
            similar::DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                for t in 0..new_len {
                    anchor[new_index + t] = old_index + t.min(old_len - 1);
                }
            }
            similar::DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => {
                for t in 0..new_len {
                    anchor[new_index + t] = old_index.saturating_sub(1).min(old.len() - 1);
                }
            }
            similar::DiffOp::Delete { .. } => {}
        }
    }
    // When the search text is flat (one indentation level) but the file is not, its
    // indentation carries no information: each line takes its anchor's indentation.
    let flat = |ls: &[&str]| {
        let mut levels = ls
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| indent(l));
        let first = levels.next();
        levels.all(|i| Some(i) == first)
    };
    let absolute = flat(old) && !flat(file);
    new.iter()
        .zip(anchor)
        .map(|(l, j)| {
            // A blank anchor says nothing about indentation: use the nearest non-blank one before it.
            let j = (0..=j)
                .rev()
                .find(|&j| !old[j].trim().is_empty())
                .unwrap_or(j);
            let (from, to) = (indent(old[j]), indent(file[j]));
            if l.trim().is_empty() {
                String::new()
            } else if absolute {
                format!("{to}{}", l.trim_start())
            } else if from.is_empty() && !to.is_empty() && indent(l).starts_with(to) {
                // The model indented the replacement but not the search text.
                (*l).to_owned()
            } else {
                reindent_line(l, from, to)
            }
        })
        .collect()
}

fn indent(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

/// A line with indentation and trailing whitespace removed and inner runs squashed to one space.
fn squash(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn trim_blank_edges(s: &str) -> Vec<&str> {
    let v: Vec<&str> = s.split('\n').collect();
    let start = v
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map(|e| e + 1)
        .unwrap_or(start);
    v[start..end.max(start)].to_vec()
}

fn line_of(text: &str, byte: usize) -> usize {
    text[..byte].matches('\n').count() + 1
}

#[cfg(test)]
mod echo_tests {
    use super::strip_read_file_echo;

    #[test]
    fn pasted_read_file_output_is_recognised() {
        let pasted =
            "calc.py (lines 1-3 of 3):\n    1\tdef add(a, b):\n    2\t    return a + b\n    3\t\n";
        assert_eq!(
            strip_read_file_echo(pasted).as_deref(),
            Some("def add(a, b):\n    return a + b\n\n")
        );
        let more = "a.py (lines 1-2 of 900):\n    1\tx = 1\n    2\ty = 2\n[898 more lines; call read_file with start_line=3 to continue]\n";
        assert_eq!(
            strip_read_file_echo(more).as_deref(),
            Some("x = 1\ny = 2\n")
        );
        // Ordinary content is left alone.
        assert_eq!(strip_read_file_echo("x = 1\n2\tthree\n"), None);
        assert_eq!(strip_read_file_echo("fn main() {}\n"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_unique() {
        let r = apply_edit("a\nb\nc\n", "b\n", "B\n", false, 0.85).unwrap();
        assert_eq!(r.text, "a\nB\nc\n");
        assert_eq!(r.tier, MatchTier::Exact);
        assert_eq!(r.line, 2);
    }

    #[test]
    fn exact_ambiguous_and_replace_all() {
        let e = apply_edit("x = 1\nx = 1\n", "x = 1", "x = 2", false, 0.85).unwrap_err();
        assert!(e.contains("occurs 2 times (lines 1, 2)"), "{e}");
        let r = apply_edit("x = 1\nx = 1\n", "x = 1", "x = 2", true, 0.85).unwrap();
        assert_eq!(r.text, "x = 2\nx = 2\n");
        assert_eq!(r.replacements, 2);
    }

    #[test]
    fn whitespace_insensitive() {
        let text = "fn main() {\n    let  x =   1;   \n}\n";
        let r = apply_edit(text, "    let x = 1;", "    let x = 2;", false, 0.85).unwrap();
        assert_eq!(r.tier, MatchTier::Whitespace);
        assert_eq!(r.text, "fn main() {\n    let x = 2;\n}\n");
    }

    #[test]
    fn indentation_flexible_reindents() {
        let text = "impl A {\n        fn f() {\n            g();\n        }\n}\n";
        let old = "fn f() {\n    g();\n}";
        let new = "fn f() {\n    h();\n    g();\n}";
        let r = apply_edit(text, old, new, false, 0.85).unwrap();
        assert_eq!(r.tier, MatchTier::Indentation);
        assert_eq!(
            r.text,
            "impl A {\n        fn f() {\n            h();\n            g();\n        }\n}\n"
        );
    }

    #[test]
    fn indentation_is_fitted_line_by_line() {
        let text = "pub fn mul(a: i32, b: i32) -> i32 {\n    a + b\n}\n";
        let r = apply_edit(
            text,
            "pub fn mul(a: i32, b: i32) -> i32 {\na + b\n}",
            "pub fn mul(a: i32, b: i32) -> i32 {\nlet p = a * b;\np\n}",
            false,
            0.85,
        )
        .unwrap();
        assert_eq!(r.tier, MatchTier::Indentation);
        assert_eq!(
            r.text,
            "pub fn mul(a: i32, b: i32) -> i32 {\n    let p = a * b;\n    p\n}\n"
        );
        // Nested closing braces anchor to the nearest one.
        let text = "fn f() {\n\tif x {\n\t\ty();\n\t}\n}\n";
        let old = "fn f() {\n  if x {\n    y();\n  }\n}";
        let new = "fn f() {\n  if x {\n    y();\n    z();\n  }\n}";
        let r = apply_edit(text, old, new, false, 0.85).unwrap();
        assert_eq!(r.text, "fn f() {\n\tif x {\n\t\ty();\n\t\tz();\n\t}\n}\n");
    }

    #[test]
    fn indented_replacement_for_an_unindented_search_line() {
        let text = "def f():\n    return 2\n";
        let r = apply_edit(text, "return 2", "    return 3", false, 0.85).unwrap();
        // An exact match; the replacement's indentation is not doubled.
        assert_eq!(r.tier, MatchTier::Exact);
        assert_eq!(r.text, "def f():\n    return 3\n");
        let r = apply_edit(text, "return 2", "return 3", false, 0.85).unwrap();
        assert_eq!(r.text, "def f():\n    return 3\n");
        let r = apply_edit("x = f(a, b)\n", "a, b", " a,  b", false, 0.85).unwrap();
        assert_eq!(r.text, "x = f( a,  b)\n", "mid-line matches are literal");
        let r = apply_edit("if x:\n    y = 2\n", "y  =  2", "    y = 3", false, 0.85).unwrap();
        assert_eq!(r.tier, MatchTier::Indentation);
        assert_eq!(r.text, "if x:\n    y = 3\n");
    }

    #[test]
    fn pasted_line_numbers_and_double_escaped_newlines() {
        let text = "fn a() {\n    b();\n}\n";
        let r = apply_edit(
            text,
            "    1\tfn a() {\n    2\t    b();",
            "    1\tfn a() {\n    2\t    c();",
            false,
            0.85,
        )
        .unwrap();
        assert_eq!(r.text, "fn a() {\n    c();\n}\n");
        let r = apply_edit(
            text,
            "fn a() {\\n    b();",
            "fn a() {\\n    d();",
            false,
            0.85,
        )
        .unwrap();
        assert_eq!(r.text, "fn a() {\n    d();\n}\n");
        // Digits followed by a tab that are really in the file are matched as they are.
        let r = apply_edit("1\tone\n2\ttwo\n", "2\ttwo", "2\tTWO", false, 0.85).unwrap();
        assert_eq!(r.text, "1\tone\n2\tTWO\n");
    }

    #[test]
    fn near_miss_by_similarity() {
        let text = "def total(items):\n    result = 0\n    for item in items:\n        result += item.price\n    return result\n";
        let old = "    result = 0\n    for item in items:\n        result += item.prices\n    return result";
        let new = "    return sum(i.price for i in items)";
        let r = apply_edit(text, old, new, false, 0.85).unwrap();
        assert!(
            matches!(r.tier, MatchTier::Similar(s) if s > 0.9 && s < 1.0),
            "{:?}",
            r.tier
        );
        assert_eq!(
            r.text,
            "def total(items):\n    return sum(i.price for i in items)\n"
        );
    }

    #[test]
    fn unrelated_text_gets_no_did_you_mean() {
        let e = apply_edit("alpha\nbeta\n", "zzzz qqqq\nxxxx", "x", false, 0.85).unwrap_err();
        assert!(
            e.contains("no region of the file resembles it") && !e.contains("Did you mean"),
            "{e}"
        );
    }

    #[test]
    fn no_match_gives_did_you_mean() {
        let text = "alpha\nbeta\ngamma\ndelta\n";
        let e = apply_edit(text, "gamma ray\ndelta force", "x", false, 0.85).unwrap_err();
        assert!(e.contains("Did you mean lines 3-4"), "{e}");
        assert!(e.contains("    3\tgamma"), "{e}");
    }

    #[test]
    fn large_files_use_anchored_windows() {
        let mut text: String = (0..60_000).map(|i| format!("let v{i} = {i};\n")).collect();
        text.push_str("fn target() {\n    let total = compute(1, 2);\n    total\n}\n");
        let old = "fn target() {\n    let total = compute(1, 3);\n    total\n}";
        let r = apply_edit(&text, old, "fn target() {\n    0\n}", false, 0.85).unwrap();
        assert!(matches!(r.tier, MatchTier::Similar(_)), "{:?}", r.tier);
        assert_eq!(r.line, 60_001);
        assert!(
            r.text
                .ends_with("let v59999 = 59999;\nfn target() {\n    0\n}\n")
        );
        let e = apply_edit(&text, "nothing\nlike\nthis\nat\nall", "x", false, 0.85).unwrap_err();
        assert!(e.contains("no region of the file resembles it"), "{e}");
    }

    #[test]
    fn deleting_lines_with_empty_new() {
        let r = apply_edit("a\n  b  \nc\n", "b", "", false, 0.85).unwrap();
        assert_eq!(r.text, "a\n    \nc\n");
        let r = apply_edit("a\nb  \nc\n", "b\n", "", false, 0.85).unwrap();
        assert_eq!(r.tier, MatchTier::Whitespace);
        assert_eq!(r.text, "a\nc\n");
    }
}
