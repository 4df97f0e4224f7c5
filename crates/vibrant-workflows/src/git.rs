//! The repository's state as a commit needs it — what would be committed (files, counts, the
//! diff), whether a merge is in progress, the recent subjects — and the commit itself, through the
//! user's own `git` (their hooks, signing and identity, as `git commit` would use them).
//!
//! Reading runs git with repository-configured programs switched off (no pager, external diff or
//! textconv); committing is the user's own `git commit`, hooks included.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

use crate::error::WorkflowError;

/// git's id of the empty tree (the parent of a repository's first commit).
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// Which changes a commit takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Also tracked files changed but not staged (`git commit --all`).
    pub all: bool,
    /// Replace the last commit (`git commit --amend`): its changes are described too.
    pub amend: bool,
}

/// One file of a commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileChange {
    pub path: String,
    /// The path before a rename or copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `A`dded, `M`odified, `D`eleted, `R`enamed, `C`opied, `T`ype changed.
    pub status: char,
    /// Lines added and removed; `None` for a binary file.
    pub added: Option<u64>,
    pub removed: Option<u64>,
}

impl FileChange {
    pub fn is_binary(&self) -> bool {
        self.added.is_none()
    }

    /// `M src/lib.rs (+10 -2)`, `R old.rs -> new.rs (+0 -0)`, `A logo.png (binary)`.
    pub fn summary(&self) -> String {
        let path = match &self.from {
            Some(from) => format!("{from} -> {}", self.path),
            None => self.path.clone(),
        };
        match (self.added, self.removed) {
            (Some(a), Some(r)) => format!("{} {path} (+{a} -{r})", self.status),
            _ => format!("{} {path} (binary)", self.status),
        }
    }
}

/// What a commit would take.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    pub files: Vec<FileChange>,
    /// The unified diff of those files (text files only; git writes "Binary files differ").
    pub diff: String,
}

/// A git work tree.
#[derive(Clone, Debug)]
pub struct Repo {
    root: PathBuf,
}

impl Repo {
    /// The repository that contains `dir`.
    pub fn discover(dir: &Path) -> Result<Self, WorkflowError> {
        let out = git_in(dir, &["rev-parse", "--show-toplevel"])?;
        if !out.status.success() {
            return Err(WorkflowError::NotARepository {
                dir: dir.to_path_buf(),
            });
        }
        let root = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        Ok(Self {
            root: PathBuf::from(root),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Runs a read-only git command and returns its stdout; an error names the command and
    /// carries git's message.
    fn read(&self, args: &[&str]) -> Result<String, WorkflowError> {
        let out = git_in(&self.root, args)?;
        if !out.status.success() {
            return Err(WorkflowError::Git {
                command: format!("git {}", args.join(" ")),
                message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Whether the repository has a commit yet.
    pub fn has_head(&self) -> bool {
        git_in(&self.root, &["rev-parse", "--verify", "-q", "HEAD"])
            .is_ok_and(|o| o.status.success())
    }

    /// The operation in progress that a plain commit would conclude with git's own prepared
    /// message (merge, cherry-pick, revert), if any.
    pub fn operation_in_progress(&self) -> Option<&'static str> {
        for (file, what) in [
            ("MERGE_HEAD", "a merge"),
            ("CHERRY_PICK_HEAD", "a cherry-pick"),
            ("REVERT_HEAD", "a revert"),
        ] {
            let Ok(path) = self.read(&["rev-parse", "--git-path", file]) else {
                continue;
            };
            let path = self.root.join(path.trim());
            if path.exists() {
                return Some(what);
            }
        }
        None
    }

    /// The changes a commit in `scope` would take.
    pub fn changes(&self, scope: Scope) -> Result<Changes, WorkflowError> {
        let has_head = self.has_head();
        let base: Vec<String> = if scope.amend {
            if !has_head {
                return Err(WorkflowError::NothingToAmend);
            }
            let parent = if self.read(&["rev-parse", "--verify", "-q", "HEAD^"]).is_ok() {
                "HEAD^".to_owned()
            } else {
                EMPTY_TREE.to_owned()
            };
            if scope.all {
                vec![parent]
            } else {
                vec!["--cached".to_owned(), parent]
            }
        } else if scope.all && has_head {
            vec!["HEAD".to_owned()]
        } else {
            vec!["--cached".to_owned()]
        };
        let diff_args = |extra: &[&str]| -> Vec<String> {
            let mut a: Vec<String> = [
                "diff",
                "--no-ext-diff",
                "--no-textconv",
                "--no-color",
                "--find-renames",
            ]
            .map(String::from)
            .to_vec();
            a.extend(extra.iter().map(|s| (*s).to_owned()));
            a.extend(base.iter().cloned());
            a
        };
        let run = |extra: &[&str]| -> Result<String, WorkflowError> {
            let args = diff_args(extra);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            self.read(&refs)
        };
        let files = parse_numstat(&run(&["--numstat", "-z"])?, &run(&["--name-status", "-z"])?);
        let diff = run(&[])?;
        Ok(Changes { files, diff })
    }

    /// Changed files a plain commit would not take: tracked but unstaged, and untracked.
    pub fn unstaged(&self) -> Result<(usize, usize), WorkflowError> {
        let tracked = self.read(&["diff", "--name-only", "-z"])?;
        let untracked = self.read(&["ls-files", "--others", "--exclude-standard", "-z"])?;
        let count = |s: &str| s.split('\0').filter(|p| !p.is_empty()).count();
        Ok((count(&tracked), count(&untracked)))
    }

    /// The subjects of the last `n` commits (newest first), the repository's style.
    pub fn recent_subjects(&self, n: usize) -> Vec<String> {
        if !self.has_head() {
            return Vec::new();
        }
        self.read(&["log", "--no-color", &format!("-n{n}"), "--format=%s"])
            .map(|s| s.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// Commits with `message` through the user's `git commit` (their hooks and signing), and
    /// returns the new commit's short id and git's summary line.
    pub fn commit(&self, message: &str, scope: Scope) -> Result<Committed, WorkflowError> {
        let mut cmd = Command::new("git");
        cmd.arg("commit").arg("--file=-");
        if scope.all {
            cmd.arg("--all");
        }
        if scope.amend {
            cmd.arg("--amend");
        }
        cmd.current_dir(&self.root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let command = format!(
            "git commit --file=-{}{}",
            if scope.all { " --all" } else { "" },
            if scope.amend { " --amend" } else { "" }
        );
        let mut child = cmd.spawn().map_err(|e| WorkflowError::GitMissing {
            message: e.to_string(),
        })?;
        if let Some(mut stdin) = child.stdin.take() {
            // A hook that exits before reading is git's business; its status says what happened.
            let _ = stdin.write_all(message.as_bytes());
        }
        let out = child
            .wait_with_output()
            .map_err(|e| WorkflowError::GitMissing {
                message: e.to_string(),
            })?;
        if !out.status.success() {
            let mut message = String::from_utf8_lossy(&out.stderr).trim().to_owned();
            let stdout = String::from_utf8_lossy(&out.stdout);
            if message.is_empty() {
                message = stdout.trim().to_owned();
            }
            return Err(WorkflowError::CommitFailed { command, message });
        }
        let id = self
            .read(&["rev-parse", "--short", "HEAD"])
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        let summary = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        Ok(Committed { id, summary })
    }
}

/// A commit that was made.
#[derive(Clone, Debug, Serialize)]
pub struct Committed {
    /// Short commit id.
    pub id: String,
    /// git's first line of output (`[main 1a2b3c4] feat: …`).
    pub summary: String,
}

fn git_in(dir: &Path, args: &[&str]) -> Result<std::process::Output, WorkflowError> {
    Command::new("git")
        .args([
            "--no-pager",
            "-c",
            "core.quotepath=false",
            "-c",
            "core.fsmonitor=false",
            "-c",
            "diff.external=",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| WorkflowError::GitMissing {
            message: e.to_string(),
        })
}

/// Joins `--numstat -z` (counts; `-` for binary) and `--name-status -z` (status letters) of the
/// same diff, which list the same files in the same order.
fn parse_numstat(numstat: &str, name_status: &str) -> Vec<FileChange> {
    // name-status -z: STATUS \0 PATH \0, or for renames/copies STATUS \0 FROM \0 TO \0.
    let mut statuses: Vec<(char, Option<String>, String)> = Vec::new();
    let mut it = name_status.split('\0').filter(|s| !s.is_empty());
    while let Some(code) = it.next() {
        let letter = code.chars().next().unwrap_or('M');
        if matches!(letter, 'R' | 'C') {
            let (Some(from), Some(to)) = (it.next(), it.next()) else {
                break;
            };
            statuses.push((letter, Some(from.to_owned()), to.to_owned()));
        } else if let Some(path) = it.next() {
            statuses.push((letter, None, path.to_owned()));
        }
    }
    // numstat -z: ADDED \t REMOVED \t PATH \0, or ADDED \t REMOVED \t \0 FROM \0 TO \0.
    let mut counts: Vec<(Option<u64>, Option<u64>)> = Vec::new();
    let mut it = numstat.split('\0');
    while let Some(entry) = it.next() {
        if entry.is_empty() {
            continue;
        }
        let mut parts = entry.splitn(3, '\t');
        let added = parts.next().and_then(|s| s.parse().ok());
        let removed = parts.next().and_then(|s| s.parse().ok());
        if parts.next().unwrap_or_default().is_empty() {
            // A rename: the two paths follow as their own fields.
            it.next();
            it.next();
        }
        counts.push((added, removed));
    }
    statuses
        .into_iter()
        .enumerate()
        .map(|(i, (status, from, path))| {
            let (added, removed) = counts.get(i).copied().unwrap_or((None, None));
            FileChange {
                path,
                from,
                status,
                added,
                removed,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numstat_and_name_status_join_with_renames_and_binaries() {
        let numstat = "3\t1\tsrc/a.rs\0-\t-\tlogo.png\x000\t0\t\0old.rs\0new.rs\0";
        let names = "M\0src/a.rs\0A\0logo.png\0R100\0old.rs\0new.rs\0";
        let files = parse_numstat(numstat, names);
        assert_eq!(files.len(), 3);
        assert_eq!(files[0].summary(), "M src/a.rs (+3 -1)");
        assert!(files[1].is_binary());
        assert_eq!(files[1].summary(), "A logo.png (binary)");
        assert_eq!(files[2].summary(), "R old.rs -> new.rs (+0 -0)");
    }
}
