//! The workspace root and the confinement of every path a tool touches.
//!
//! A path given by the model is resolved against the root, normalised lexically (so `a/../b`
//! works but `../x` is refused), and then the longest existing prefix is canonicalised so a
//! symlink that points outside the root is refused too.

use std::path::{Component, Path, PathBuf};

use crate::error::{Result, ToolError};

/// A canonical workspace root; every tool path is resolved through [`Workspace::resolve`].
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
}

/// A path proven to lie inside the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WsPath {
    /// The absolute path with symlinks resolved (for the existing part).
    pub abs: PathBuf,
    /// The path relative to the workspace root, with `/` separators (for messages).
    pub rel: String,
}

impl Workspace {
    /// Opens a workspace at `root`, which must be an existing directory.
    pub fn new(root: impl AsRef<Path>) -> Result<Self> {
        let root = root.as_ref();
        let canonical = root.canonicalize().map_err(|e| ToolError::io(root, e))?;
        if !canonical.is_dir() {
            return Err(ToolError::NotFound {
                path: root.display().to_string(),
            });
        }
        Ok(Workspace { root: canonical })
    }

    /// The canonical root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Resolves a model-supplied path (relative to the root, or absolute inside it) and
    /// refuses anything that escapes the root lexically or through a symlink.
    pub fn resolve(&self, input: &str) -> Result<WsPath> {
        let escape = |why: &str| ToolError::OutsideWorkspace {
            path: input.to_owned(),
            root: self.root.clone(),
            why: why.to_owned(),
        };
        let trimmed = input.trim();
        if trimmed.contains('\0') {
            return Err(escape("it contains a NUL byte"));
        }
        let raw = Path::new(if trimmed.is_empty() { "." } else { trimmed });
        let joined = if raw.is_absolute() {
            raw.to_path_buf()
        } else {
            self.root.join(raw)
        };
        // Lexical normalisation: `..` may not climb above the root.
        let mut parts: Vec<std::ffi::OsString> = Vec::new();
        let root_depth = self.root.components().count();
        let mut normal = PathBuf::new();
        for comp in joined.components() {
            match comp {
                Component::Prefix(_) | Component::RootDir => normal.push(comp.as_os_str()),
                Component::CurDir => {}
                Component::ParentDir => {
                    if parts.pop().is_none() {
                        return Err(escape("`..` climbs above the filesystem root"));
                    }
                }
                Component::Normal(p) => parts.push(p.to_os_string()),
            }
        }
        for p in &parts {
            normal.push(p);
        }
        if !normal.starts_with(&self.root) || normal.components().count() < root_depth {
            return Err(escape(if raw.is_absolute() {
                "absolute paths must lie inside the workspace"
            } else {
                "`..` leads out of the workspace"
            }));
        }
        // Canonicalise the longest existing prefix; the rest cannot contain `..` any more.
        let mut existing = normal.clone();
        let mut tail: Vec<std::ffi::OsString> = Vec::new();
        let canonical_prefix = loop {
            match existing.canonicalize() {
                Ok(c) => break c,
                Err(_) => {
                    // A dangling symlink is refused: we cannot tell where it would lead.
                    if existing.symlink_metadata().is_ok() {
                        return Err(escape("it is a dangling symbolic link"));
                    }
                    match (
                        existing.file_name().map(|n| n.to_os_string()),
                        existing.parent(),
                    ) {
                        (Some(name), Some(parent)) => {
                            tail.push(name);
                            existing = parent.to_path_buf();
                        }
                        _ => return Err(escape("no part of the path exists")),
                    }
                }
            }
        };
        if !canonical_prefix.starts_with(&self.root) {
            return Err(escape("a symbolic link in it points outside the workspace"));
        }
        let mut abs = canonical_prefix;
        for name in tail.iter().rev() {
            abs.push(name);
        }
        let rel = self.relative(&abs);
        Ok(WsPath { abs, rel })
    }

    /// Resolves a path the tools will write: like [`Workspace::resolve`], and refuses `.git/`.
    pub fn resolve_for_write(&self, input: &str) -> Result<WsPath> {
        let p = self.resolve(input)?;
        if p.rel.split('/').any(|c| c == ".git") {
            return Err(ToolError::GitInternals {
                path: input.to_owned(),
            });
        }
        if p.abs == self.root {
            return Err(ToolError::OutsideWorkspace {
                path: input.to_owned(),
                root: self.root.clone(),
                why: "it is the workspace root itself, not a file".to_owned(),
            });
        }
        Ok(p)
    }

    /// The `/`-separated path of `abs` relative to the root (`.` for the root itself).
    pub fn relative(&self, abs: &Path) -> String {
        match abs.strip_prefix(&self.root) {
            Ok(r) if r.as_os_str().is_empty() => ".".to_owned(),
            Ok(r) => r
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            Err(_) => abs.display().to_string(),
        }
    }
}
