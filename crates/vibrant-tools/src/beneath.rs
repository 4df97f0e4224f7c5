//! Reads, writes and removals of workspace files that never follow a symbolic link on the way.
//!
//! [`crate::workspace::Workspace::resolve`] proves a path lies inside the workspace when it is
//! checked; a process in the workspace (a command the model started in the background) can
//! swap a directory on that path for a link to the outside before the tool writes. So the
//! tools do not write by path: they open the workspace root, then each directory of the path
//! below it with `O_NOFOLLOW`, and create, rename, read or remove the last component relative
//! to that open directory (`openat`, `renameat`, `unlinkat`). The path was resolved with its
//! links already followed, so a link met on the way can only be one that appeared since: it
//! is refused as [`ToolError::OutsideWorkspace`].
//!
//! Elsewhere than on Unix the functions fall back to path-based file operations.

use std::path::Path;

use crate::error::{Result, ToolError};

/// The components of a resolved workspace-relative path; `..`, `.` and empty ones are refused.
fn components<'a>(root: &Path, rel: &'a str) -> Result<Vec<&'a str>> {
    let parts: Vec<&str> = rel.split('/').collect();
    if parts
        .iter()
        .any(|c| c.is_empty() || *c == "." || *c == "..")
    {
        return Err(ToolError::OutsideWorkspace {
            path: rel.to_owned(),
            root: root.to_path_buf(),
            why: "it is not a plain path below the workspace root".to_owned(),
        });
    }
    Ok(parts)
}

#[cfg(unix)]
mod imp {
    use std::fs::File;
    use std::io::{Read, Write};
    use std::os::fd::OwnedFd;
    use std::path::Path;

    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use rustix::io::Errno;

    use super::components;
    use crate::error::{Result, ToolError};

    fn swapped(root: &Path, rel: &str) -> ToolError {
        ToolError::OutsideWorkspace {
            path: rel.to_owned(),
            root: root.to_path_buf(),
            why: "a symbolic link appeared on the path while it was being used".to_owned(),
        }
    }

    fn io(root: &Path, rel: &str, e: Errno) -> ToolError {
        ToolError::io(root.join(rel), std::io::Error::from(e))
    }

    /// Opens the directory that holds `rel`'s last component, walking down from `root`
    /// without following links; with `create`, missing directories are made.
    /// `Ok(None)`: a directory on the way does not exist (and `create` is off).
    pub(super) fn parent<'a>(
        root: &Path,
        rel: &'a str,
        create: bool,
    ) -> Result<Option<(OwnedFd, &'a str)>> {
        let parts = components(root, rel)?;
        let Some((name, dirs)) = parts.split_last() else {
            return Err(swapped(root, rel));
        };
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let mut dir = rustix::fs::open(root, flags, Mode::empty())
            .map_err(|e| ToolError::io(root, std::io::Error::from(e)))?;
        for comp in dirs {
            let step = rustix::fs::openat(&dir, *comp, flags | OFlags::NOFOLLOW, Mode::empty());
            dir = match step {
                Ok(fd) => fd,
                Err(Errno::NOENT) if create => {
                    match rustix::fs::mkdirat(&dir, *comp, Mode::from_raw_mode(0o777)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(io(root, rel, e)),
                    }
                    rustix::fs::openat(&dir, *comp, flags | OFlags::NOFOLLOW, Mode::empty())
                        .map_err(|e| refusal(root, rel, &dir, comp, e))?
                }
                Err(Errno::NOENT) => return Ok(None),
                Err(e) => return Err(refusal(root, rel, &dir, comp, e)),
            };
        }
        Ok(Some((dir, name)))
    }

    /// Why opening `comp` in `dir` failed: a link (refused as an escape) or another error.
    fn refusal(root: &Path, rel: &str, dir: &OwnedFd, comp: &str, e: Errno) -> ToolError {
        let is_link = rustix::fs::statat(dir, comp, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Symlink);
        if e == Errno::LOOP || is_link {
            swapped(root, rel)
        } else {
            io(root, rel, e)
        }
    }

    pub(super) fn read(root: &Path, rel: &str, max: u64) -> Result<Option<Vec<u8>>> {
        let Some((dir, name)) = parent(root, rel, false)? else {
            return Ok(None);
        };
        // Non-blocking, so that a FIFO put there does not hang the tool.
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        let fd = match rustix::fs::openat(&dir, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(refusal(root, rel, &dir, name, e)),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| io(root, rel, e))?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Err(ToolError::NotFound {
                path: rel.to_owned(),
            });
        }
        let size = u64::try_from(st.st_size).unwrap_or(0);
        if size > max {
            return Err(ToolError::TooLarge {
                path: rel.to_owned(),
                size,
                limit: max,
            });
        }
        let mut bytes = Vec::new();
        File::from(fd)
            .read_to_end(&mut bytes)
            .map_err(|e| ToolError::io(root.join(rel), e))?;
        Ok(Some(bytes))
    }

    pub(super) fn write(root: &Path, rel: &str, bytes: &[u8], mode: Option<u32>) -> Result<()> {
        let Some((dir, name)) = parent(root, rel, true)? else {
            return Err(swapped(root, rel));
        };
        // Keep an existing file's permissions (never a link's: it is replaced, not followed).
        let mode = mode.unwrap_or_else(|| {
            rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW)
                .ok()
                .filter(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile)
                .map_or(0o644, |st| st.st_mode & 0o7777)
        });
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let (tmp_name, fd) = {
            let mut attempt = 0u32;
            loop {
                let tmp_name = format!(".vibrant-write-{}-{attempt}", unique());
                match rustix::fs::openat(&dir, tmp_name.as_str(), flags, Mode::from_raw_mode(0o600))
                {
                    Ok(fd) => break (tmp_name, fd),
                    Err(Errno::EXIST) if attempt < 16 => attempt += 1,
                    Err(e) => return Err(io(root, rel, e)),
                }
            }
        };
        let cleanup = |e: ToolError| {
            let _ = rustix::fs::unlinkat(&dir, tmp_name.as_str(), AtFlags::empty());
            e
        };
        let mut file = File::from(fd);
        file.write_all(bytes)
            .map_err(|e| cleanup(ToolError::io(root.join(rel), e)))?;
        rustix::fs::fchmod(&file, Mode::from_raw_mode(mode))
            .map_err(|e| cleanup(io(root, rel, e)))?;
        file.sync_all()
            .map_err(|e| cleanup(ToolError::io(root.join(rel), e)))?;
        rustix::fs::renameat(&dir, tmp_name.as_str(), &dir, name)
            .map_err(|e| cleanup(io(root, rel, e)))?;
        Ok(())
    }

    pub(super) fn remove(root: &Path, rel: &str) -> Result<()> {
        let Some((dir, name)) = parent(root, rel, false)? else {
            return Ok(());
        };
        match rustix::fs::unlinkat(&dir, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(io(root, rel, e)),
        }
    }

    /// Opens the workspace directory `rel` ("" for the root) without following a link on the
    /// way or at its end. `Ok(None)`: it does not exist or is not a directory.
    pub(super) fn open_dir(root: &Path, rel: &str) -> Result<Option<OwnedFd>> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        if rel.is_empty() {
            return rustix::fs::open(root, flags, Mode::empty())
                .map(Some)
                .map_err(|e| ToolError::io(root, std::io::Error::from(e)));
        }
        let Some((dir, name)) = parent(root, rel, false)? else {
            return Ok(None);
        };
        match rustix::fs::openat(&dir, name, flags | OFlags::NOFOLLOW, Mode::empty()) {
            Ok(fd) => Ok(Some(fd)),
            Err(Errno::NOENT | Errno::NOTDIR) => Ok(None),
            Err(e) => Err(refusal(root, rel, &dir, name, e)),
        }
    }

    /// The subdirectory `name` of an open directory, never through a link (`None` otherwise).
    pub(super) fn open_subdir(dir: &OwnedFd, name: &str) -> Option<OwnedFd> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        rustix::fs::openat(dir, name, flags, Mode::empty()).ok()
    }

    /// The entries of an open directory (not `.` and `..`), sorted by name; names that are not
    /// UTF-8 are left out.
    pub(super) fn entries(dir: &OwnedFd) -> Vec<super::DirItem> {
        let Ok(mut d) = rustix::fs::Dir::read_from(dir) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        while let Some(Ok(e)) = d.read() {
            let Ok(name) = e.file_name().to_str() else {
                continue;
            };
            if name == "." || name == ".." {
                continue;
            }
            let Ok(st) = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) else {
                continue;
            };
            let kind = match FileType::from_raw_mode(st.st_mode) {
                FileType::Directory => super::ItemKind::Dir,
                FileType::RegularFile => super::ItemKind::File,
                _ => super::ItemKind::Other,
            };
            out.push(super::DirItem {
                name: name.to_owned(),
                kind,
                size: u64::try_from(st.st_size).unwrap_or(0),
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// A name part no other writer picks at the same moment: the process id, a counter and
    /// the clock.
    fn unique() -> String {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        format!("{}-{n}-{nanos:x}", std::process::id())
    }
}

/// What a directory entry is (a link is `Other`: listed, never followed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Dir,
    File,
    Other,
}

/// One entry of a workspace directory listed by [`walk_beneath`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirItem {
    pub name: String,
    pub kind: ItemKind,
    /// Its size (of the link itself for a link).
    pub size: u64,
}

/// An entry met by [`walk_beneath`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkItem {
    /// Workspace-relative, `/`-separated.
    pub rel: String,
    /// 1 for the entries of the walked directory itself.
    pub depth: usize,
    pub kind: ItemKind,
    pub size: u64,
}

/// The deepest a walk goes (a hostile tree of thousands of nested directories holds an open
/// descriptor per level).
const MAX_WALK_DEPTH: usize = 64;

/// Walks the workspace directory `rel` ("" for the root) depth first, entries sorted by name,
/// down to `max_depth` levels: every directory is opened from its parent's open descriptor
/// without following links, so a directory swapped for a link to the outside during the walk
/// is never read (the walk lists names and sizes only from inside the workspace). `.git` is
/// left out, and so is what the workspace's `.gitignore` files (from the root down) and
/// `.git/info/exclude` ignore. `visit` returns `false` to stop.
pub fn walk_beneath(
    root: &Path,
    rel: &str,
    max_depth: Option<usize>,
    visit: &mut dyn FnMut(&WalkItem) -> bool,
) -> Result<()> {
    let rel = rel.trim_matches('/');
    let rel = if rel == "." { "" } else { rel };
    let max_depth = max_depth.unwrap_or(MAX_WALK_DEPTH).min(MAX_WALK_DEPTH);
    let mut ignores = Vec::new();
    // The ignore files of the walked directory's ancestors, from the root down.
    let mut prefix = String::new();
    let parts: Vec<&str> = if rel.is_empty() {
        Vec::new()
    } else {
        rel.split('/').collect()
    };
    ignores.push(ignore_of(root, "", true));
    for p in &parts {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(p);
        ignores.push(ignore_of(root, &prefix, false));
    }
    #[cfg(unix)]
    {
        let Some(dir) = imp::open_dir(root, rel)? else {
            return Err(ToolError::NotFound {
                path: format!("{} (directory)", if rel.is_empty() { "." } else { rel }),
            });
        };
        walk(root, &dir, rel, 1, max_depth, &mut ignores, visit);
        Ok(())
    }
    #[cfg(not(unix))]
    {
        components(root, rel).or_else(|e| {
            if rel.is_empty() {
                Ok(Vec::new())
            } else {
                Err(e)
            }
        })?;
        walk(
            root,
            &root.join(rel),
            rel,
            1,
            max_depth,
            &mut ignores,
            visit,
        );
        Ok(())
    }
}

/// The `.gitignore` of the workspace directory `rel` (with `.git/info/exclude` at the root), read
/// beneath the root.
fn ignore_of(root: &Path, rel: &str, at_root: bool) -> Option<ignore::gitignore::Gitignore> {
    let join = |name: &str| {
        if rel.is_empty() {
            name.to_owned()
        } else {
            format!("{rel}/{name}")
        }
    };
    let mut sources = vec![join(".gitignore")];
    if at_root {
        sources.push(".git/info/exclude".to_owned());
    }
    let texts = sources
        .into_iter()
        .filter_map(|src| match read_beneath(root, &src, 1 << 20) {
            Ok(Some(bytes)) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            _ => None,
        });
    gitignore(root.join(rel), texts)
}

/// The ignore rules of the directory `dir` from the texts of its ignore files (`None`: no rule).
fn gitignore(
    dir: std::path::PathBuf,
    texts: impl IntoIterator<Item = String>,
) -> Option<ignore::gitignore::Gitignore> {
    let mut b = ignore::gitignore::GitignoreBuilder::new(dir);
    let mut any = false;
    for text in texts {
        for line in text.lines() {
            any |= b.add_line(None, line).is_ok();
        }
    }
    if !any {
        return None;
    }
    b.build().ok()
}

/// Whether the ignore files (deepest first decides) ignore `rel`.
fn ignored(
    root: &Path,
    ignores: &[Option<ignore::gitignore::Gitignore>],
    rel: &str,
    is_dir: bool,
) -> bool {
    let abs = root.join(rel);
    for gi in ignores.iter().rev().flatten() {
        let m = gi.matched(&abs, is_dir);
        if m.is_ignore() {
            return true;
        }
        if m.is_whitelist() {
            return false;
        }
    }
    false
}

/// A directory being walked: an open descriptor on Unix, a path elsewhere.
trait WalkDir: Sized {
    /// Its entries, sorted by name.
    fn items(&self) -> Vec<DirItem>;
    /// Its subdirectory `name`, never through a link.
    fn sub(&self, name: &str) -> Option<Self>;
    /// The text of its own `.gitignore`.
    fn ignore_text(&self) -> Option<String>;
}

#[cfg(unix)]
impl WalkDir for std::os::fd::OwnedFd {
    fn items(&self) -> Vec<DirItem> {
        imp::entries(self)
    }

    fn sub(&self, name: &str) -> Option<Self> {
        imp::open_subdir(self, name)
    }

    fn ignore_text(&self) -> Option<String> {
        use std::io::Read;
        let flags = rustix::fs::OFlags::RDONLY
            | rustix::fs::OFlags::NOFOLLOW
            | rustix::fs::OFlags::CLOEXEC
            | rustix::fs::OFlags::NONBLOCK;
        let fd = rustix::fs::openat(self, ".gitignore", flags, rustix::fs::Mode::empty()).ok()?;
        let st = rustix::fs::fstat(&fd).ok()?;
        if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile {
            return None;
        }
        let mut text = String::new();
        std::fs::File::from(fd)
            .take(1 << 20)
            .read_to_string(&mut text)
            .ok()?;
        Some(text)
    }
}

#[cfg(not(unix))]
impl WalkDir for std::path::PathBuf {
    fn items(&self) -> Vec<DirItem> {
        let Ok(read) = std::fs::read_dir(self) else {
            return Vec::new();
        };
        let mut items: Vec<DirItem> = read
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let m = std::fs::symlink_metadata(e.path()).ok()?;
                let kind = if m.is_dir() {
                    ItemKind::Dir
                } else if m.is_file() {
                    ItemKind::File
                } else {
                    ItemKind::Other
                };
                Some(DirItem {
                    name,
                    kind,
                    size: m.len(),
                })
            })
            .collect();
        items.sort_by(|a, b| a.name.cmp(&b.name));
        items
    }

    fn sub(&self, name: &str) -> Option<Self> {
        let p = self.join(name);
        std::fs::symlink_metadata(&p)
            .is_ok_and(|m| m.is_dir())
            .then_some(p)
    }

    fn ignore_text(&self) -> Option<String> {
        std::fs::read_to_string(self.join(".gitignore")).ok()
    }
}

/// Visits `dir`'s entries (the workspace directory `rel`) and, below `max_depth`, their
/// subdirectories; `false` when `visit` stopped the walk.
fn walk<D: WalkDir>(
    root: &Path,
    dir: &D,
    rel: &str,
    depth: usize,
    max_depth: usize,
    ignores: &mut Vec<Option<ignore::gitignore::Gitignore>>,
    visit: &mut dyn FnMut(&WalkItem) -> bool,
) -> bool {
    for item in dir.items() {
        if item.name == ".git" {
            continue;
        }
        let child = if rel.is_empty() {
            item.name.clone()
        } else {
            format!("{rel}/{}", item.name)
        };
        if ignored(root, ignores, &child, item.kind == ItemKind::Dir) {
            continue;
        }
        let w = WalkItem {
            rel: child.clone(),
            depth,
            kind: item.kind,
            size: item.size,
        };
        if !visit(&w) {
            return false;
        }
        if item.kind == ItemKind::Dir
            && depth < max_depth
            && let Some(sub) = dir.sub(&item.name)
        {
            ignores.push(gitignore(root.join(&child), sub.ignore_text()));
            let go_on = walk(root, &sub, &child, depth + 1, max_depth, ignores, visit);
            ignores.pop();
            if !go_on {
                return false;
            }
        }
    }
    true
}

/// The bytes of the workspace file `rel` (resolved, `/`-separated), or `None` when it does not
/// exist; a link on the way is refused, something other than a regular file is
/// [`ToolError::NotFound`], a file over `max` bytes [`ToolError::TooLarge`].
pub fn read_beneath(root: &Path, rel: &str, max: u64) -> Result<Option<Vec<u8>>> {
    #[cfg(unix)]
    {
        imp::read(root, rel, max)
    }
    #[cfg(not(unix))]
    {
        components(root, rel)?;
        let abs = root.join(rel);
        match std::fs::metadata(&abs) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(ToolError::io(&abs, e)),
            Ok(m) if !m.is_file() => {
                return Err(ToolError::NotFound {
                    path: rel.to_owned(),
                });
            }
            Ok(m) if m.len() > max => {
                return Err(ToolError::TooLarge {
                    path: rel.to_owned(),
                    size: m.len(),
                    limit: max,
                });
            }
            Ok(_) => {}
        }
        std::fs::read(&abs)
            .map(Some)
            .map_err(|e| ToolError::io(&abs, e))
    }
}

/// Writes the workspace file `rel` atomically (a synced temporary file renamed over it),
/// creating missing directories, keeping an existing file's permissions unless `mode` is
/// given; a link on the way is refused, and a link at `rel` itself is replaced, not followed.
pub fn write_beneath(root: &Path, rel: &str, bytes: &[u8], mode: Option<u32>) -> Result<()> {
    #[cfg(unix)]
    {
        imp::write(root, rel, bytes, mode)
    }
    #[cfg(not(unix))]
    {
        let _ = mode;
        components(root, rel)?;
        crate::text::write_atomic(&root.join(rel), bytes)
    }
}

/// Removes the workspace file `rel` (a link there is removed itself); a link on the way is
/// refused; a file that is gone already is fine.
pub fn remove_beneath(root: &Path, rel: &str) -> Result<()> {
    #[cfg(unix)]
    {
        imp::remove(root, rel)
    }
    #[cfg(not(unix))]
    {
        components(root, rel)?;
        match std::fs::remove_file(root.join(rel)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(ToolError::io(root.join(rel), e)),
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn writes_reads_and_removes_below_the_root() {
        let ws = tempfile::tempdir().unwrap();
        let root = ws.path().canonicalize().unwrap();
        write_beneath(&root, "a/b/c.txt", b"hello\n", None).unwrap();
        assert_eq!(std::fs::read(root.join("a/b/c.txt")).unwrap(), b"hello\n");
        assert_eq!(
            read_beneath(&root, "a/b/c.txt", 1 << 20)
                .unwrap()
                .as_deref(),
            Some(&b"hello\n"[..])
        );
        assert_eq!(read_beneath(&root, "a/b/missing", 1 << 20).unwrap(), None);
        assert_eq!(read_beneath(&root, "nodir/x", 1 << 20).unwrap(), None);
        assert!(matches!(
            read_beneath(&root, "a/b/c.txt", 3),
            Err(ToolError::TooLarge { .. })
        ));
        assert!(matches!(
            read_beneath(&root, "a/b", 1 << 20),
            Err(ToolError::NotFound { .. })
        ));
        // Permissions of an existing file are kept; a given mode wins.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            root.join("a/b/c.txt"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        write_beneath(&root, "a/b/c.txt", b"again\n", None).unwrap();
        let mode = std::fs::metadata(root.join("a/b/c.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
        write_beneath(&root, "a/b/c.txt", b"again\n", Some(0o600)).unwrap();
        let mode = std::fs::metadata(root.join("a/b/c.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        remove_beneath(&root, "a/b/c.txt").unwrap();
        assert!(!root.join("a/b/c.txt").exists());
        remove_beneath(&root, "a/b/c.txt").unwrap();
        // No temporary files are left behind.
        assert_eq!(std::fs::read_dir(root.join("a/b")).unwrap().count(), 0);
        assert!(write_beneath(&root, "../x", b"", None).is_err());
        assert!(write_beneath(&root, "a//x", b"", None).is_err());
    }

    #[test]
    fn a_link_on_the_way_is_refused_and_a_link_at_the_end_is_replaced() {
        let ws = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = ws.path().canonicalize().unwrap();
        std::fs::write(outside.path().join("secret"), "key\n").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("d")).unwrap();
        let e = write_beneath(&root, "d/x.txt", b"pwned", None).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(read_beneath(&root, "d/secret", 1 << 20).is_err());
        assert!(remove_beneath(&root, "d/secret").is_err());
        assert!(outside.path().join("secret").exists());
        assert!(!outside.path().join("x.txt").exists());
        // A link as the file itself: read refuses, write replaces the link, not its target.
        std::os::unix::fs::symlink(outside.path().join("secret"), root.join("f")).unwrap();
        assert!(read_beneath(&root, "f", 1 << 20).is_err());
        write_beneath(&root, "f", b"mine\n", None).unwrap();
        assert_eq!(
            std::fs::read_to_string(outside.path().join("secret")).unwrap(),
            "key\n"
        );
        assert!(
            !std::fs::symlink_metadata(root.join("f"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
}
