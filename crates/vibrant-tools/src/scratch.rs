//! Scratch copies of the workspace: where candidate edits are tried and checked before one of
//! them may reach the user's files.
//!
//! A [`Scratch`] is a copy of the workspace in a temporary directory under the toolbox's state
//! dir (removed when dropped, so Ctrl-C unwinding leaves none behind). Version-control data is
//! left out, dependency trees (`node_modules`, virtual environments) are linked rather than
//! copied, and build output (`target/`, `build/`, caches) is left out so each copy builds its
//! own. [`Scratch::set_files`] resets the files the previous candidate changed and writes the
//! next candidate's; [`crate::Toolbox::run_check_in`] runs the project's check there inside a
//! sandbox whose writable root is the copy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Result, ToolError};

/// Directories that are never copied: version control and rebuildable output.
const SKIP_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "target",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".tox",
    ".gradle",
    ".vibrant",
];

/// Directories linked read-only-by-convention instead of copied: installed dependencies.
const LINK_DIRS: &[&str] = &["node_modules", ".venv", "venv", "vendor"];

/// Limits of a copy: larger workspaces are not copied (the agent then works without
/// candidates).
#[derive(Debug, Clone, Copy)]
pub struct ScratchLimits {
    /// Most files copied.
    pub max_files: usize,
    /// Most bytes copied.
    pub max_bytes: u64,
}

impl Default for ScratchLimits {
    fn default() -> Self {
        Self {
            max_files: 20_000,
            max_bytes: 256 << 20,
        }
    }
}

/// A copy of the workspace in a temporary directory; removed on drop.
/// Scratch directories are `candidates-<pid>-<random>`: the pid says whose they are.
const PREFIX: &str = "candidates-";

/// Removes the scratch copies of Vibrant processes that are gone: a second Ctrl-C (which exits
/// at once), `kill -9` or a crash leaves its copy behind, and the next run cleans it up. A copy
/// whose process is alive is left alone; without `/proc`, only copies older than a day go.
fn sweep_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let me = std::process::id();
    let proc_fs = Path::new("/proc/self").exists();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let gone = match pid {
            Some(p) if p == me => false,
            Some(p) if proc_fs => !Path::new(&format!("/proc/{p}")).exists(),
            _ => e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(24 * 3600)),
        };
        // Only directories, never through a link.
        if gone && e.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

#[derive(Debug)]
pub struct Scratch {
    dir: tempfile::TempDir,
    root: PathBuf,
    source: PathBuf,
    /// Files the last [`Scratch::set_files`] wrote (workspace-relative).
    changed: Vec<String>,
}

impl Scratch {
    /// Copies `source` (the workspace root) into a new temporary directory under `parent`.
    pub fn create(source: &Path, parent: &Path, limits: ScratchLimits) -> Result<Self> {
        std::fs::create_dir_all(parent).map_err(|e| ToolError::io(parent, e))?;
        sweep_stale(parent);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{}-", std::process::id()))
            .tempdir_in(parent)
            .map_err(|e| ToolError::io(parent, e))?;
        let name = source
            .file_name()
            .map(|n| n.to_owned())
            .unwrap_or_else(|| "workspace".into());
        let root = dir.path().join(name);
        let mut budget = (limits.max_files, limits.max_bytes);
        copy_tree(source, &root, &mut budget, true)?;
        Ok(Self {
            dir,
            root,
            source: source.to_path_buf(),
            changed: Vec::new(),
        })
    }

    /// The copy's root (the workspace root's counterpart).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The temporary directory holding the copy (also the check's temp dir).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Restores the files the previous call changed to the workspace's versions, then writes
    /// `files` (workspace-relative path → new content).
    pub fn set_files(&mut self, files: &BTreeMap<String, String>) -> Result<()> {
        for rel in std::mem::take(&mut self.changed) {
            let from = self.source.join(&rel);
            let to = self.root.join(&rel);
            if from.is_file() {
                std::fs::copy(&from, &to).map_err(|e| ToolError::io(&to, e))?;
            } else if to.exists() {
                std::fs::remove_file(&to).map_err(|e| ToolError::io(&to, e))?;
            }
        }
        for (rel, text) in files {
            if rel.split('/').any(|c| c == ".." || c.is_empty()) || rel.starts_with('/') {
                return Err(ToolError::args(
                    "candidate",
                    format!("path `{rel}` is not a plain workspace-relative path"),
                ));
            }
            let to = self.root.join(rel);
            // Never write through a link (a linked `node_modules` is the user's own).
            let mut at = self.root.clone();
            for c in rel.split('/') {
                at.push(c);
                if at.is_symlink() {
                    return Err(ToolError::args(
                        "candidate",
                        format!("path `{rel}` goes through a link in the scratch copy"),
                    ));
                }
            }
            if let Some(p) = to.parent() {
                std::fs::create_dir_all(p).map_err(|e| ToolError::io(p, e))?;
            }
            std::fs::write(&to, text).map_err(|e| ToolError::io(&to, e))?;
            self.changed.push(rel.clone());
        }
        Ok(())
    }
}

fn copy_tree(from: &Path, to: &Path, budget: &mut (usize, u64), top: bool) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| ToolError::io(to, e))?;
    let entries = std::fs::read_dir(from).map_err(|e| ToolError::io(from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| ToolError::io(from, e))?;
        let name = entry.file_name();
        let name_s = name.to_string_lossy();
        let src = entry.path();
        let dst = to.join(&name);
        let ft = entry.file_type().map_err(|e| ToolError::io(&src, e))?;
        if ft.is_dir() {
            if SKIP_DIRS.contains(&name_s.as_ref()) || src.join("CACHEDIR.TAG").is_file() {
                continue;
            }
            if LINK_DIRS.contains(&name_s.as_ref()) || (top && name_s == "build") {
                if name_s == "build" {
                    continue;
                }
                #[cfg(unix)]
                std::os::unix::fs::symlink(&src, &dst).map_err(|e| ToolError::io(&dst, e))?;
                continue;
            }
            copy_tree(&src, &dst, budget, false)?;
        } else if ft.is_file() {
            let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
            if budget.0 == 0 || budget.1 < len {
                return Err(ToolError::args(
                    "candidate",
                    "the workspace is too large to copy for trying candidate edits".to_owned(),
                ));
            }
            budget.0 -= 1;
            budget.1 -= len;
            std::fs::copy(&src, &dst).map_err(|e| ToolError::io(&dst, e))?;
        } else if ft.is_symlink() {
            #[cfg(unix)]
            if let Ok(target) = std::fs::read_link(&src) {
                // Links are copied as links; the sandbox still confines what a check writes.
                let _ = std::os::unix::fs::symlink(target, &dst);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_left_by_a_process_that_is_gone_are_swept() {
        let ws = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        std::fs::write(ws.path().join("a.py"), "x = 1\n").unwrap();
        // A copy of a killed run (no such pid), one of a live process (this one), an old-style
        // name without a pid that is recent, and something else.
        let dead = state.path().join("candidates-4000000000-abc");
        let live = state
            .path()
            .join(format!("candidates-{}-def", std::process::id()));
        let unnamed = state.path().join("candidates-xyz");
        let other = state.path().join("keep-me");
        for d in [&dead, &live, &unnamed, &other] {
            std::fs::create_dir_all(d.join("w")).unwrap();
        }
        let s = Scratch::create(ws.path(), state.path(), ScratchLimits::default()).unwrap();
        assert!(!dead.exists(), "the dead process's copy is removed");
        assert!(live.exists() && unnamed.exists() && other.exists());
        let name = s
            .dir
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            name.starts_with(&format!("candidates-{}-", std::process::id())),
            "{name}"
        );
    }

    #[test]
    fn copies_resets_and_cleans_up() {
        let ws = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        std::fs::write(ws.path().join("a.py"), "x = 1\n").unwrap();
        std::fs::create_dir_all(ws.path().join(".git")).unwrap();
        std::fs::write(ws.path().join(".git/HEAD"), "ref").unwrap();
        std::fs::create_dir_all(ws.path().join("target/debug")).unwrap();
        std::fs::create_dir_all(ws.path().join("node_modules/m")).unwrap();
        let mut s = Scratch::create(ws.path(), state.path(), ScratchLimits::default()).unwrap();
        let root = s.root().to_path_buf();
        assert_eq!(
            std::fs::read_to_string(root.join("a.py")).unwrap(),
            "x = 1\n"
        );
        assert!(!root.join(".git").exists());
        assert!(!root.join("target").exists());
        assert!(root.join("node_modules").is_symlink());
        let mut files = BTreeMap::new();
        files.insert("a.py".to_owned(), "x = 2\n".to_owned());
        files.insert("new.py".to_owned(), "y = 1\n".to_owned());
        s.set_files(&files).unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("a.py")).unwrap(),
            "x = 2\n"
        );
        s.set_files(&BTreeMap::new()).unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("a.py")).unwrap(),
            "x = 1\n"
        );
        assert!(!root.join("new.py").exists());
        // The user's files were never touched.
        assert_eq!(
            std::fs::read_to_string(ws.path().join("a.py")).unwrap(),
            "x = 1\n"
        );
        let dir = s.dir().to_path_buf();
        drop(s);
        assert!(!dir.exists());
        let mut s = Scratch::create(ws.path(), state.path(), ScratchLimits::default()).unwrap();
        for bad in ["../escape.py", "node_modules/m/x.js", "/abs.py"] {
            let mut files = BTreeMap::new();
            files.insert(bad.to_owned(), String::new());
            assert!(s.set_files(&files).is_err(), "{bad}");
        }
        assert!(!ws.path().join("node_modules/m/x.js").exists());
    }

    #[test]
    fn too_large_is_refused() {
        let ws = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        for i in 0..5 {
            std::fs::write(ws.path().join(format!("f{i}")), "x").unwrap();
        }
        let limits = ScratchLimits {
            max_files: 3,
            max_bytes: 1 << 20,
        };
        assert!(Scratch::create(ws.path(), state.path(), limits).is_err());
    }
}
