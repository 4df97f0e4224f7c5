//! Read-only tools: `list_dir`, `glob`, `grep`, `search`, `symbols`.

use std::fmt::Write as _;

use crate::beneath::{ItemKind, walk_beneath};
use crate::error::{Result, ToolError};
use crate::text::TextFile;
use crate::toolbox::{Args, ToolResult, Toolbox};

const MAX_LIST: usize = 300;
const MAX_GLOB: usize = 200;
const MAX_GREP_FILE_BYTES: u64 = 2 << 20;

pub(crate) fn list_dir(tb: &mut Toolbox, args: &Args<'_>) -> Result<ToolResult> {
    let p = tb.ws.resolve(args.str_opt("path")?.unwrap_or("."))?;
    let depth = args.u64_opt("depth")?.unwrap_or(1).clamp(1, 4) as usize;
    let mut lines = Vec::new();
    let mut total = 0usize;
    // Listed from open directories, never through a link: a directory swapped for a link to
    // the outside mid-walk shows nothing from outside.
    walk_beneath(tb.ws.root(), &p.rel, Some(depth), &mut |e| {
        total += 1;
        if lines.len() < MAX_LIST {
            let indent = "  ".repeat(e.depth - 1);
            let name = e.rel.rsplit('/').next().unwrap_or(&e.rel);
            if e.kind == ItemKind::Dir {
                lines.push(format!("{indent}{name}/"));
            } else {
                lines.push(format!("{indent}{name} ({})", human_size(e.size)));
            }
        }
        true
    })?;
    let mut out = format!(
        "{}/ ({} entries{}):\n",
        p.rel,
        total,
        if depth > 1 {
            format!(", depth {depth}")
        } else {
            String::new()
        }
    );
    out.push_str(&lines.join("\n"));
    if total > lines.len() {
        let _ = write!(
            out,
            "\n[{} more entries not shown; list a subdirectory or use glob]",
            total - lines.len()
        );
    }
    if total == 0 {
        out.push_str("(empty)");
    }
    Ok(ToolResult::ok("list_dir", out))
}

fn human_size(n: u64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    }
}

pub(crate) fn glob(tb: &mut Toolbox, args: &Args<'_>) -> Result<ToolResult> {
    let pattern = args.str_req("pattern")?;
    let base = tb.ws.resolve(args.str_opt("path")?.unwrap_or("."))?;
    let matcher = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| ToolError::args("glob", format!("bad glob pattern `{pattern}`: {e}")))?
        .compile_matcher();
    let mut hits = Vec::new();
    let mut total = 0;
    let base_rel = base.rel.trim_matches('/');
    let base_prefix = if base_rel.is_empty() || base_rel == "." {
        String::new()
    } else {
        format!("{base_rel}/")
    };
    walk_beneath(tb.ws.root(), &base.rel, None, &mut |e| {
        if e.kind != ItemKind::File {
            return true;
        }
        let rel = e.rel.as_str();
        let rel_to_base = rel.strip_prefix(&base_prefix).unwrap_or(rel);
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let matched = matcher.is_match(rel)
            || matcher.is_match(rel_to_base)
            || (!pattern.contains('/') && matcher.is_match(name));
        if matched {
            total += 1;
            if hits.len() < MAX_GLOB {
                hits.push(rel.to_owned());
            }
        }
        true
    })?;
    let mut out = if total == 0 {
        format!("no files match `{pattern}`")
    } else {
        format!("{total} file(s) match `{pattern}`:\n{}", hits.join("\n"))
    };
    if total > hits.len() {
        let _ = write!(
            out,
            "\n[{} more not shown; narrow the pattern]",
            total - hits.len()
        );
    }
    Ok(ToolResult::ok("glob", out))
}

pub(crate) fn grep(tb: &mut Toolbox, args: &Args<'_>) -> Result<ToolResult> {
    let pattern = args.str_req("pattern")?;
    let base = tb.ws.resolve(args.str_opt("path")?.unwrap_or("."))?;
    let ci = args.bool_opt("case_insensitive")?.unwrap_or(false);
    let max = args.u64_opt("max_results")?.unwrap_or(100).clamp(1, 500) as usize;
    let re = regex::RegexBuilder::new(pattern)
        .case_insensitive(ci)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| ToolError::args("grep", format!("bad regular expression `{pattern}`: {e}")))?;
    let filter = match args.str_opt("glob")? {
        Some(g) => Some(
            globset::GlobBuilder::new(g)
                .build()
                .map_err(|e| ToolError::args("grep", format!("bad glob `{g}`: {e}")))?
                .compile_matcher(),
        ),
        None => None,
    };
    let mut out = String::new();
    let mut shown = 0usize;
    let mut total = 0usize;
    let mut files = 0usize;
    let mut rels: Vec<String> = Vec::new();
    if base.abs.is_file() {
        rels.push(tb.ws.relative(&base.abs));
    } else {
        walk_beneath(tb.ws.root(), &base.rel, None, &mut |e| {
            if e.kind == ItemKind::File {
                rels.push(e.rel.clone());
            }
            true
        })?;
    }
    for rel in rels {
        if let Some(f) = &filter {
            let name = rel.rsplit('/').next().unwrap_or(&rel);
            if !f.is_match(&rel) && !f.is_match(name) {
                continue;
            }
        }
        // Read beneath the root, refusing links on the way: a directory swapped for a link
        // after the walk saw it cannot lead the read outside.
        let Ok(Some(bytes)) = crate::beneath::read_beneath(tb.ws.root(), &rel, MAX_GREP_FILE_BYTES)
        else {
            continue;
        };
        let Ok(file) = TextFile::decode(&rel, &bytes) else {
            continue;
        };
        let mut in_file = 0;
        for (i, line) in file.text.lines().enumerate() {
            if re.is_match(line) {
                total += 1;
                in_file += 1;
                if shown < max {
                    let line: String = if line.chars().count() > 300 {
                        format!("{}…", line.chars().take(300).collect::<String>())
                    } else {
                        line.to_owned()
                    };
                    let _ = writeln!(out, "{rel}:{}: {}", i + 1, line.trim_end());
                    shown += 1;
                }
            }
        }
        if in_file > 0 {
            files += 1;
        }
    }
    if total == 0 {
        return Ok(ToolResult::ok(
            "grep",
            format!("no matches for `{pattern}`"),
        ));
    }
    let mut header = format!("{total} match(es) in {files} file(s)");
    if total > shown {
        let _ = write!(header, " (first {shown} shown; narrow with path or glob)");
    }
    Ok(ToolResult::ok("grep", format!("{header}:\n{out}")))
}

pub(crate) fn symbols(tb: &mut Toolbox, args: &Args<'_>) -> Result<ToolResult> {
    use vibrant_context::Language;
    use vibrant_context::syntax::{ChunkOptions, analyze};
    let p = tb.ws.resolve(args.str_req("path")?)?;
    let (bytes, file) = crate::text::read_text_file(tb.ws.root(), &p.rel)?;
    let lang = Language::detect(&p.abs, &bytes[..bytes.len().min(256)]);
    if !lang.has_grammar() {
        return Ok(ToolResult::ok(
            "symbols",
            format!(
                "{}: no parser for {} files; use grep or read_file",
                p.rel,
                lang.name()
            ),
        ));
    }
    let syntax = analyze(lang, &file.text, ChunkOptions::default());
    if syntax.symbols.is_empty() {
        return Ok(ToolResult::ok(
            "symbols",
            format!("{}: no definitions found", p.rel),
        ));
    }
    let mut out = format!("{} ({} definitions):\n", p.rel, syntax.symbols.len());
    for s in &syntax.symbols {
        let parent = s
            .parent
            .as_deref()
            .map(|p| format!("{p}::"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:>5}-{:<5} {} {parent}{}: {}",
            s.start_line,
            s.end_line,
            s.kind.label(),
            s.name,
            s.signature
        );
    }
    Ok(ToolResult::ok("symbols", out))
}

pub(crate) fn search(tb: &mut Toolbox, args: &Args<'_>) -> Result<ToolResult> {
    use vibrant_context::{Index, IndexOptions};
    let query = args.str_req("query")?;
    let limit = args.u64_opt("limit")?.unwrap_or(5).clamp(1, 20) as usize;
    let opts = IndexOptions {
        index_dir: Some(tb.cfg.state_dir.join("index")),
        ..IndexOptions::default()
    };
    let (index, _) =
        Index::update(tb.ws.root(), &opts, &|_| {}).map_err(|e| ToolError::Command {
            command: "search (index update)".to_owned(),
            message: e.to_string(),
        })?;
    let hits = index
        .search(query, limit, 2)
        .map_err(|e| ToolError::Command {
            command: "search".to_owned(),
            message: e.to_string(),
        })?;
    if hits.is_empty() {
        return Ok(ToolResult::ok(
            "search",
            format!("nothing found for `{query}`; try grep with an identifier"),
        ));
    }
    let per_hit = tb.cfg.max_output_chars / (hits.len() + 1);
    let mut out = format!("{} result(s) for `{query}`:\n", hits.len());
    for h in &hits {
        let body = index
            .read_lines(&h.path, h.start_line, h.end_line.min(h.start_line + 40))
            .unwrap_or_default();
        let label = if h.label.is_empty() {
            String::new()
        } else {
            format!(" ({})", h.label)
        };
        let snippet = crate::output::cap_head_tail(&body, per_hit.max(200));
        let _ = writeln!(
            out,
            "== {}:{}-{}{label}\n{}",
            h.path,
            h.start_line,
            h.end_line,
            snippet.trim_end()
        );
    }
    Ok(ToolResult::ok("search", out))
}
