//! Tools that change files: `edit_file`, `write_file`, `apply_patch`.

use crate::beneath::read_beneath;
use crate::error::{Result, ToolError};
use crate::fuzzy::apply_edit;
use crate::patch::{FileOp, apply_hunks, parse_patch};
use crate::text::MAX_TEXT_FILE;
use crate::text::TextFile;
use crate::toolbox::{Args, Planned, ToolResult, Toolbox};
use crate::workspace::WsPath;

fn changed(tool: &str, summary: String, diff: String, files: Vec<String>) -> ToolResult {
    let output = format!("{summary}\n{diff}");
    ToolResult {
        tool: tool.to_owned(),
        ok: true,
        output,
        diff: Some(diff),
        changed_files: files,
    }
}

/// Reads an existing text file for editing.
fn load(root: &std::path::Path, path: &WsPath) -> Result<(Vec<u8>, TextFile)> {
    crate::text::read_text_file(root, &path.rel)
}

pub(crate) fn edit_file(tb: &mut Toolbox, args: &Args<'_>) -> Result<ToolResult> {
    let path = tb.ws.resolve_for_write(args.str_req("path")?)?;
    let old = args.str_req("old_string")?.replace("\r\n", "\n");
    let new = args.str_req("new_string")?.replace("\r\n", "\n");
    let replace_all = args.bool_opt("replace_all")?.unwrap_or(false);
    let (bytes, file) = load(tb.ws.root(), &path)?;
    let outcome = apply_edit(
        &file.text,
        &old,
        &new,
        replace_all,
        tb.cfg.similarity_threshold,
    )
    .map_err(|m| ToolError::NoMatch {
        message: format!("{}: {m}", path.rel),
    })?;
    let new_bytes = file.encode(&outcome.text);
    let planned = Planned {
        path: path.clone(),
        old_bytes: Some(bytes),
        new_bytes: Some(new_bytes),
        old_text: file.text,
        new_text: outcome.text,
    };
    let (diff, files) = tb.commit("edit_file", vec![planned], false)?;
    let summary = format!(
        "edited {} ({} match at line {}{})",
        path.rel,
        outcome.tier,
        outcome.line,
        if outcome.replacements > 1 {
            format!(", {} replacements", outcome.replacements)
        } else {
            String::new()
        }
    );
    Ok(changed("edit_file", summary, diff, files))
}

pub(crate) fn write_file(tb: &mut Toolbox, args: &Args<'_>) -> Result<ToolResult> {
    let path = tb.ws.resolve_for_write(args.str_req("path")?)?;
    let mut content = args.str_req("content")?.replace("\r\n", "\n");
    // Small models paste `read_file`'s numbered output as the new content.
    let unechoed = crate::fuzzy::strip_read_file_echo(&content);
    let note = if let Some(clean) = unechoed {
        content = clean;
        " (removed the read_file header and line numbers from the content)"
    } else {
        ""
    };
    if path.abs.is_dir() {
        return Err(ToolError::args(
            "write_file",
            format!("`{}` is a directory", path.rel),
        ));
    }
    let old_bytes = read_beneath(tb.ws.root(), &path.rel, MAX_TEXT_FILE)?;
    let (old_text, style) = match &old_bytes {
        Some(b) => {
            let f = TextFile::decode(&path.rel, b)?;
            (f.text.clone(), f)
        }
        None => (String::new(), TextFile::new(String::new())),
    };
    let created = old_bytes.is_none();
    let planned = Planned {
        path: path.clone(),
        old_bytes,
        new_bytes: Some(style.encode(&content)),
        old_text,
        new_text: content,
    };
    let (diff, files) = tb.commit("write_file", vec![planned], true)?;
    let summary = format!(
        "{} {}{note}",
        if created { "created" } else { "rewrote" },
        path.rel
    );
    Ok(changed("write_file", summary, diff, files))
}

pub(crate) fn apply_patch(tb: &mut Toolbox, args: &Args<'_>) -> Result<ToolResult> {
    let text = args.str_req("patch")?;
    let ops = parse_patch(text).map_err(|message| ToolError::Patch { message })?;
    let mut planned: Vec<Planned> = Vec::new();
    let mut summary = Vec::new();
    for op in ops {
        match op {
            FileOp::Add { path, content } => {
                let p = tb.ws.resolve_for_write(&path)?;
                if p.abs.exists() {
                    return Err(ToolError::Patch {
                        message: format!(
                            "cannot add `{}`: it already exists; use an update instead",
                            p.rel
                        ),
                    });
                }
                planned.push(Planned {
                    path: p.clone(),
                    old_bytes: None,
                    new_bytes: Some(content.clone().into_bytes()),
                    old_text: String::new(),
                    new_text: content,
                });
                summary.push(format!("added {}", p.rel));
            }
            FileOp::Delete { path } => {
                let p = tb.ws.resolve_for_write(&path)?;
                let (bytes, file) = load(tb.ws.root(), &p)?;
                planned.push(Planned {
                    path: p.clone(),
                    old_bytes: Some(bytes),
                    new_bytes: None,
                    old_text: file.text,
                    new_text: String::new(),
                });
                summary.push(format!("deleted {}", p.rel));
            }
            FileOp::Update {
                path,
                move_to,
                hunks,
            } => {
                let p = tb.ws.resolve_for_write(&path)?;
                let (bytes, file) = load(tb.ws.root(), &p)?;
                let new_text = apply_hunks(&file.text, &hunks).map_err(|m| ToolError::Patch {
                    message: format!("{}: {m}", p.rel),
                })?;
                let new_bytes = file.encode(&new_text);
                match move_to {
                    Some(dest) => {
                        let d = tb.ws.resolve_for_write(&dest)?;
                        if d.abs.exists() {
                            return Err(ToolError::Patch {
                                message: format!(
                                    "cannot move {} to `{}`: it already exists",
                                    p.rel, d.rel
                                ),
                            });
                        }
                        summary.push(format!("moved {} to {}", p.rel, d.rel));
                        planned.push(Planned {
                            path: p,
                            old_bytes: Some(bytes),
                            new_bytes: None,
                            old_text: file.text,
                            new_text: String::new(),
                        });
                        planned.push(Planned {
                            path: d,
                            old_bytes: None,
                            new_bytes: Some(new_bytes),
                            old_text: String::new(),
                            new_text,
                        });
                    }
                    None => {
                        summary.push(format!("updated {}", p.rel));
                        planned.push(Planned {
                            path: p,
                            old_bytes: Some(bytes),
                            new_bytes: Some(new_bytes),
                            old_text: file.text,
                            new_text,
                        });
                    }
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for p in &planned {
        if !seen.insert(p.path.abs.clone()) {
            return Err(ToolError::Patch {
                message: format!(
                    "the patch changes `{}` twice; merge those parts",
                    p.path.rel
                ),
            });
        }
    }
    let (diff, files) = tb.commit("apply_patch", planned, false)?;
    Ok(changed(
        "apply_patch",
        format!("patch applied: {}", summary.join(", ")),
        diff,
        files,
    ))
}
