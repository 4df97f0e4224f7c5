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
    /// The root as given (absolute, not canonicalised), so absolute paths through a
    /// symlinked root are accepted too.
    given: PathBuf,
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
        let given = std::path::absolute(root).unwrap_or_else(|_| canonical.clone());
        Ok(Workspace {
            root: canonical,
            given,
        })
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
        let joined = match raw.strip_prefix(&self.given) {
            Ok(rest) if raw.is_absolute() && self.given != self.root => self.root.join(rest),
            _ if raw.is_absolute() => raw.to_path_buf(),
            _ => self.root.join(raw),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_absolute_and_normalised_paths() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("a/b")).unwrap();
        let ws = Workspace::new(d.path()).unwrap();
        assert_eq!(ws.resolve("").unwrap().rel, ".");
        assert_eq!(ws.resolve(".").unwrap().abs, ws.root());
        assert_eq!(ws.resolve("a/b/").unwrap().rel, "a/b");
        assert_eq!(
            ws.resolve("./a/./b/../b/new/file.txt").unwrap().rel,
            "a/b/new/file.txt"
        );
        let abs = ws.root().join("a/b/x.rs");
        assert_eq!(ws.resolve(abs.to_str().unwrap()).unwrap().rel, "a/b/x.rs");
        assert!(ws.resolve("a/../..").is_err());
        assert!(ws.resolve("../../../../../../../../etc/passwd").is_err());
        assert!(ws.resolve("/").is_err());
        assert!(ws.resolve("a\0b").is_err());
    }

    #[test]
    fn writes_refuse_the_root_and_git_internals() {
        let d = tempfile::tempdir().unwrap();
        let ws = Workspace::new(d.path()).unwrap();
        assert!(matches!(
            ws.resolve_for_write("."),
            Err(ToolError::OutsideWorkspace { .. })
        ));
        assert!(matches!(
            ws.resolve_for_write(".git/config"),
            Err(ToolError::GitInternals { .. })
        ));
        assert!(matches!(
            ws.resolve_for_write("sub/.git/HEAD"),
            Err(ToolError::GitInternals { .. })
        ));
        assert!(ws.resolve_for_write(".github/workflows/ci.yml").is_ok());
        assert!(ws.resolve_for_write(".gitignore").is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_root_given_through_a_symlink_is_canonical() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("real")).unwrap();
        std::os::unix::fs::symlink(d.path().join("real"), d.path().join("link")).unwrap();
        let ws = Workspace::new(d.path().join("link")).unwrap();
        assert_eq!(ws.root(), d.path().join("real").canonicalize().unwrap());
        let via_link = d.path().join("link/x.txt");
        assert_eq!(
            ws.resolve(via_link.to_str().unwrap()).unwrap().abs,
            ws.root().join("x.txt")
        );
        assert_eq!(ws.resolve("x.txt").unwrap().abs, ws.root().join("x.txt"));
    }
}
