//! Per-turn checkpoints and undo.
//!
//! Layout under `<state dir>/checkpoints/`: `objects/<sha256>` holds file contents (content
//! addressed, written once), and `<id>.json` (eight digits) is one checkpoint's manifest: the
//! files a turn changed, each with its state before the turn's first change to it and after
//! its last. The user's `.git` is never touched. Undoing a checkpoint moves its manifest to
//! `undone/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::beneath::{read_beneath, remove_beneath, write_beneath};
use crate::error::{Result, ToolError};
use crate::text::{hash_bytes, write_atomic};
use crate::workspace::Workspace;

/// A file's state at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FileState {
    /// The file did not exist.
    Absent,
    /// The file existed with this content (a blob in `objects/`) and Unix mode.
    File { blob: String, mode: u32 },
}

/// One file changed in a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    /// Path relative to the workspace root, `/`-separated.
    pub path: String,
    /// Before the turn's first change to it.
    pub before: FileState,
    /// After the turn's last change to it.
    pub after: FileState,
}

/// One turn's manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Increasing number.
    pub id: u64,
    /// What the turn was (the user's request, shortened).
    pub label: String,
    /// Seconds since the Unix epoch when the turn first changed a file.
    pub created_unix: u64,
    /// The files it changed.
    pub files: Vec<FileChange>,
}

/// What [`CheckpointStore::undo`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoReport {
    /// The checkpoints undone, newest first.
    pub checkpoints: Vec<u64>,
    /// Files written back to their earlier content.
    pub restored: Vec<String>,
    /// Files the turns had created, now removed.
    pub removed: Vec<String>,
}

/// The checkpoint store of one workspace.
#[derive(Debug)]
pub struct CheckpointStore {
    dir: PathBuf,
    label: String,
    current: Option<Checkpoint>,
}

impl CheckpointStore {
    /// Opens (creating) the store under `state_dir/checkpoints`.
    pub fn open(state_dir: &Path) -> Result<Self> {
        let dir = state_dir.join("checkpoints");
        std::fs::create_dir_all(dir.join("objects")).map_err(|e| ToolError::io(&dir, e))?;
        Ok(CheckpointStore {
            dir,
            label: String::new(),
            current: None,
        })
    }

    /// Starts a new turn: its first change opens a new checkpoint.
    pub fn begin_turn(&mut self, label: &str) {
        self.label = label.chars().take(200).collect();
        self.current = None;
    }

    /// Records `rel`'s state before a change, once per turn (call before writing), and the state
    /// the change is about to leave (`intended`: the new bytes, `None` for a deletion), saved
    /// ahead of the write: a crash (kill -9, power loss) between the write and
    /// [`Self::after_change`] still leaves a checkpoint that undoes the change.
    pub(crate) fn before_change(
        &mut self,
        root: &Path,
        rel: &str,
        intended: Option<&[u8]>,
    ) -> Result<()> {
        if self.current.is_none() {
            let id = self.reserve_id()?;
            let created_unix = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            self.current = Some(Checkpoint {
                id,
                label: self.label.clone(),
                created_unix,
                files: Vec::new(),
            });
        }
        let seen = self
            .current
            .as_ref()
            .is_some_and(|c| c.files.iter().any(|f| f.path == rel));
        if !seen {
            let state = self.capture(root, rel)?;
            if let Some(c) = self.current.as_mut() {
                c.files.push(FileChange {
                    path: rel.to_owned(),
                    before: state.clone(),
                    after: state,
                });
            }
        }
        let after = match intended {
            Some(bytes) => {
                let mode = mode_of(&root.join(rel));
                self.store_blob(bytes, mode)?
            }
            None => FileState::Absent,
        };
        if let Some(c) = self.current.as_mut() {
            if let Some(f) = c.files.iter_mut().find(|f| f.path == rel) {
                f.after = after;
            }
            let c = c.clone();
            self.save(&c)?;
        }
        Ok(())
    }

    /// Records `rel`'s state after a change and saves the manifest.
    pub(crate) fn after_change(&mut self, root: &Path, rel: &str) -> Result<()> {
        let state = self.capture(root, rel)?;
        if let Some(c) = self.current.as_mut() {
            if let Some(f) = c.files.iter_mut().find(|f| f.path == rel) {
                f.after = state;
            }
            let c = c.clone();
            self.save(&c)?;
        }
        Ok(())
    }

    /// The checkpoint of the current turn, once the turn changed a file.
    pub fn current(&self) -> Option<&Checkpoint> {
        self.current.as_ref()
    }

    /// The content a state refers to (`None` for [`FileState::Absent`]).
    pub fn content(&self, state: &FileState) -> Result<Option<Vec<u8>>> {
        match state {
            FileState::Absent => Ok(None),
            FileState::File { blob, .. } => self.read_blob(blob).map(Some),
        }
    }

    /// The live checkpoints, oldest first.
    pub fn list(&self) -> Result<Vec<Checkpoint>> {
        let mut out = Vec::new();
        let entries = std::fs::read_dir(&self.dir).map_err(|e| ToolError::io(&self.dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| ToolError::io(&self.dir, e))?;
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                let bytes = std::fs::read(&path).map_err(|e| ToolError::io(&path, e))?;
                let c: Checkpoint =
                    serde_json::from_slice(&bytes).map_err(|e| ToolError::Undo {
                        message: format!(
                            "checkpoint manifest {} is corrupt ({e}); move it away to continue",
                            path.display()
                        ),
                    })?;
                out.push(c);
            }
        }
        out.sort_by_key(|c| c.id);
        Ok(out)
    }

    /// Restores the files of the last `n` checkpoints: created files removed, changed and
    /// deleted files written back. Refuses, changing nothing, when a file is no longer as the
    /// agent left it (the user edited it since), naming those files.
    pub fn undo(&mut self, workspace: &Workspace, n: usize) -> Result<UndoReport> {
        let all = self.list()?;
        if all.is_empty() {
            return Err(ToolError::Undo {
                message: "there is nothing to undo: no checkpoints".to_owned(),
            });
        }
        let n = n.max(1);
        if n > all.len() {
            return Err(ToolError::Undo {
                message: format!("only {} checkpoint(s) exist; cannot undo {n}", all.len()),
            });
        }
        let undo: Vec<&Checkpoint> = all.iter().rev().take(n).collect(); // newest first
        // path -> (expected current state = newest `after`, target = oldest `before`)
        let mut plan: BTreeMap<String, (FileState, FileState)> = BTreeMap::new();
        for c in &undo {
            for f in &c.files {
                plan.entry(f.path.clone())
                    .and_modify(|e| e.1 = f.before.clone())
                    .or_insert((f.after.clone(), f.before.clone()));
            }
        }
        let mut conflicts = Vec::new();
        // Between two undone turns that touched the same file, someone else may have changed
        // it (the later turn's `before` is not the earlier turn's `after`): restoring the
        // earlier state would lose that change.
        let mut last_after: BTreeMap<&str, (u64, &FileState)> = BTreeMap::new();
        for c in undo.iter().rev() {
            for f in &c.files {
                if let Some((prev_id, prev)) = last_after.insert(&f.path, (c.id, &f.after))
                    && !same_content(prev, &f.before)
                {
                    conflicts.push(format!(
                        "{} (changed between checkpoints {prev_id} and {})",
                        f.path, c.id
                    ));
                }
            }
        }
        let mut targets = Vec::new();
        for (rel, (expected, target)) in &plan {
            let p = workspace.resolve_for_write(rel)?;
            let now = self.state_of(workspace.root(), &p.rel)?;
            if same_content(&now, target) {
                // Already as undo would leave it (a crash came between the checkpoint and the
                // write): nothing to restore, nothing to overwrite.
                continue;
            }
            if !same_content(&now, expected) {
                conflicts.push(format!(
                    "{rel} ({})",
                    match (&now, expected) {
                        (FileState::Absent, _) => "deleted since",
                        (_, FileState::Absent) => "recreated since",
                        _ => "modified since",
                    }
                ));
            }
            targets.push((p.rel, p.abs, target.clone()));
        }
        if !conflicts.is_empty() {
            return Err(ToolError::Undo {
                message: format!(
                    "undo refused: these files changed after the agent's last edit, and undoing would overwrite those changes: {}. \
                     Commit or move your changes, or restore the files yourself.",
                    conflicts.join(", ")
                ),
            });
        }
        let mut report = UndoReport {
            checkpoints: undo.iter().map(|c| c.id).collect(),
            restored: Vec::new(),
            removed: Vec::new(),
        };
        for (rel, abs, target) in targets {
            match target {
                FileState::Absent => {
                    if std::fs::symlink_metadata(&abs).is_ok() {
                        remove_beneath(workspace.root(), &rel)?;
                        report.removed.push(rel);
                    }
                }
                FileState::File { blob, mode } => {
                    let bytes = self.read_blob(&blob)?;
                    write_beneath(workspace.root(), &rel, &bytes, Some(mode))?;
                    report.restored.push(rel);
                }
            }
        }
        let undone = self.dir.join("undone");
        std::fs::create_dir_all(&undone).map_err(|e| ToolError::io(&undone, e))?;
        for c in &undo {
            let from = self.manifest_path(c.id);
            let to = undone.join(format!("{:08}.json", c.id));
            std::fs::rename(&from, &to).map_err(|e| ToolError::io(&from, e))?;
        }
        self.current = None;
        Ok(report)
    }

    /// Keeps the newest `keep` checkpoints: older and undone manifests are deleted, then every
    /// object no remaining manifest refers to. Returns (manifests, objects) removed.
    pub fn prune(&mut self, keep: usize) -> Result<(usize, usize)> {
        let all = self.list()?;
        let mut manifests = 0;
        let drop_n = all.len().saturating_sub(keep);
        for c in &all[..drop_n] {
            let p = self.manifest_path(c.id);
            std::fs::remove_file(&p).map_err(|e| ToolError::io(&p, e))?;
            manifests += 1;
        }
        let undone = self.dir.join("undone");
        if let Ok(entries) = std::fs::read_dir(&undone) {
            for e in entries.flatten() {
                std::fs::remove_file(e.path()).map_err(|err| ToolError::io(e.path(), err))?;
                manifests += 1;
            }
        }
        let mut live = std::collections::HashSet::new();
        for c in &all[drop_n..] {
            for f in &c.files {
                for st in [&f.before, &f.after] {
                    if let FileState::File { blob, .. } = st {
                        live.insert(blob.clone());
                    }
                }
            }
        }
        let objects_dir = self.dir.join("objects");
        let mut objects = 0;
        let entries =
            std::fs::read_dir(&objects_dir).map_err(|e| ToolError::io(&objects_dir, e))?;
        for e in entries.flatten() {
            if !live.contains(&*e.file_name().to_string_lossy()) {
                std::fs::remove_file(e.path()).map_err(|err| ToolError::io(e.path(), err))?;
                objects += 1;
            }
        }
        if drop_n > 0
            && self
                .current
                .as_ref()
                .is_some_and(|c| all[..drop_n].iter().any(|d| d.id == c.id))
        {
            self.current = None;
        }
        Ok((manifests, objects))
    }

    fn manifest_path(&self, id: u64) -> PathBuf {
        self.dir.join(format!("{id:08}.json"))
    }

    fn save(&self, c: &Checkpoint) -> Result<()> {
        let json = serde_json::to_vec_pretty(c).map_err(|e| ToolError::Undo {
            message: format!("cannot encode checkpoint: {e}"),
        })?;
        write_atomic(&self.manifest_path(c.id), &json)?;
        let _ = std::fs::remove_file(self.dir.join(format!("{:08}.reserved", c.id)));
        Ok(())
    }

    /// The next checkpoint id, claimed with an exclusive create (`NNNNNNNN.reserved`) so that
    /// two agents working in the same repository never get the same one.
    fn reserve_id(&self) -> Result<u64> {
        loop {
            let mut max = 0u64;
            let entries = std::fs::read_dir(&self.dir).map_err(|e| ToolError::io(&self.dir, e))?;
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if let Some(n) = name
                    .strip_suffix(".json")
                    .or_else(|| name.strip_suffix(".reserved"))
                    .and_then(|n| n.parse::<u64>().ok())
                {
                    max = max.max(n);
                }
            }
            let id = max + 1;
            let claim = self.dir.join(format!("{id:08}.reserved"));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&claim)
            {
                Ok(_) => return Ok(id),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(ToolError::io(&claim, e)),
            }
        }
    }

    /// The bytes of the workspace file `rel`, read beneath `root` (a link on the way is refused:
    /// a directory swapped for a link to the outside cannot put a file from outside into the
    /// store, from where undo would write it into the workspace).
    fn read_file(root: &Path, rel: &str) -> Result<Option<Vec<u8>>> {
        read_beneath(root, rel, u64::MAX)
    }

    fn state_of(&self, root: &Path, rel: &str) -> Result<FileState> {
        Ok(match Self::read_file(root, rel)? {
            Some(bytes) => FileState::File {
                blob: hash_bytes(&bytes),
                mode: mode_of(&root.join(rel)),
            },
            None => FileState::Absent,
        })
    }

    /// Like [`Self::state_of`], and stores the content as a blob.
    fn capture(&self, root: &Path, rel: &str) -> Result<FileState> {
        match Self::read_file(root, rel)? {
            Some(bytes) => self.store_blob(&bytes, mode_of(&root.join(rel))),
            None => Ok(FileState::Absent),
        }
    }

    /// Stores `bytes` as a blob (once): their state.
    fn store_blob(&self, bytes: &[u8], mode: u32) -> Result<FileState> {
        let blob = hash_bytes(bytes);
        let obj = self.dir.join("objects").join(&blob);
        if !obj.exists() {
            write_atomic(&obj, bytes)?;
        }
        Ok(FileState::File { blob, mode })
    }

    fn read_blob(&self, blob: &str) -> Result<Vec<u8>> {
        let obj = self.dir.join("objects").join(blob);
        let bytes = std::fs::read(&obj).map_err(|e| ToolError::io(&obj, e))?;
        if hash_bytes(&bytes) != blob {
            return Err(ToolError::Undo {
                message: format!(
                    "checkpoint object {} is corrupt; cannot restore from it",
                    obj.display()
                ),
            });
        }
        Ok(bytes)
    }
}

fn same_content(a: &FileState, b: &FileState) -> bool {
    match (a, b) {
        (FileState::Absent, FileState::Absent) => true,
        (FileState::File { blob: a, .. }, FileState::File { blob: b, .. }) => a == b,
        _ => false,
    }
}

#[cfg(unix)]
fn mode_of(abs: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(abs)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o644)
}

#[cfg(not(unix))]
fn mode_of(_abs: &Path) -> u32 {
    0o644
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The fault: the process dies (kill -9, power loss) after writing an edit and before
    /// recording it. The old code saved the manifest only after the write, so the turn's
    /// checkpoint did not exist (or lacked the file) and the edit could not be undone.
    #[test]
    fn a_crash_between_the_write_and_its_record_can_still_be_undone() {
        let ws = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        let workspace = Workspace::new(ws.path()).unwrap();
        std::fs::write(ws.path().join("a.txt"), "original\n").unwrap();
        {
            let mut store = CheckpointStore::open(state.path()).unwrap();
            store.begin_turn("edit a");
            store
                .before_change(ws.path(), "a.txt", Some(b"edited\n"))
                .unwrap();
            std::fs::write(ws.path().join("a.txt"), "edited\n").unwrap();
            store
                .before_change(ws.path(), "b.txt", Some(b"created\n"))
                .unwrap();
            std::fs::write(ws.path().join("b.txt"), "created\n").unwrap();
            // killed here: no after_change, nothing dropped cleanly
            drop(store);
        }
        let mut store = CheckpointStore::open(state.path()).unwrap();
        let report = store.undo(&workspace, 1).unwrap();
        assert_eq!(report.restored, vec!["a.txt"]);
        assert_eq!(report.removed, vec!["b.txt"]);
        assert_eq!(
            std::fs::read_to_string(ws.path().join("a.txt")).unwrap(),
            "original\n"
        );
        assert!(!ws.path().join("b.txt").exists());

        // Killed before the write: undo restores nothing and refuses nothing.
        let mut store = CheckpointStore::open(state.path()).unwrap();
        store.begin_turn("edit again");
        store
            .before_change(ws.path(), "a.txt", Some(b"never written\n"))
            .unwrap();
        drop(store);
        let mut store = CheckpointStore::open(state.path()).unwrap();
        let report = store.undo(&workspace, 1).unwrap();
        assert!(report.restored.is_empty() && report.removed.is_empty());
        assert_eq!(
            std::fs::read_to_string(ws.path().join("a.txt")).unwrap(),
            "original\n"
        );
    }

    /// The fault: the process dies in the middle of an undo (some files written back, the
    /// manifests not yet moved to `undone/`). Running undo again finishes it: the files already
    /// restored are as undo would leave them and are left alone, the rest are restored. (Before,
    /// the restored files counted as "modified since" and the second undo was refused.)
    #[test]
    fn an_undo_interrupted_halfway_finishes_when_run_again() {
        let ws = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        let workspace = Workspace::new(ws.path()).unwrap();
        for name in ["a.txt", "b.txt"] {
            std::fs::write(ws.path().join(name), format!("{name} original\n")).unwrap();
        }
        let mut store = CheckpointStore::open(state.path()).unwrap();
        store.begin_turn("edit both");
        for name in ["a.txt", "b.txt", "c.txt"] {
            let new = format!("{name} by the agent\n");
            store
                .before_change(ws.path(), name, Some(new.as_bytes()))
                .unwrap();
            std::fs::write(ws.path().join(name), &new).unwrap();
            store.after_change(ws.path(), name).unwrap();
        }
        drop(store);
        // The interrupted undo wrote a.txt back and removed c.txt, then died.
        std::fs::write(ws.path().join("a.txt"), "a.txt original\n").unwrap();
        std::fs::remove_file(ws.path().join("c.txt")).unwrap();
        let mut store = CheckpointStore::open(state.path()).unwrap();
        let report = store.undo(&workspace, 1).unwrap();
        assert_eq!(report.restored, vec!["b.txt"]);
        for name in ["a.txt", "b.txt"] {
            assert_eq!(
                std::fs::read_to_string(ws.path().join(name)).unwrap(),
                format!("{name} original\n")
            );
        }
        assert!(!ws.path().join("c.txt").exists());
        assert!(store.list().unwrap().is_empty(), "the checkpoint is undone");
    }

    /// The attack: a directory of the workspace replaced by a link to the outside just before an
    /// edit. Its capture for undo must refuse the link instead of saving the file outside (undo
    /// would then write that file into the workspace, where the model reads it).
    #[test]
    fn a_capture_through_a_link_to_the_outside_is_refused_and_saves_nothing() {
        let ws = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("x.txt"), "TOPSECRET\n").unwrap();
        std::os::unix::fs::symlink(outside.path(), ws.path().join("d")).unwrap();
        let mut store = CheckpointStore::open(state.path()).unwrap();
        store.begin_turn("edit");
        assert!(
            store
                .before_change(ws.path(), "d/x.txt", Some(b"new\n"))
                .is_err()
        );
        assert!(store.after_change(ws.path(), "d/x.txt").is_err());
        let objects: Vec<_> = std::fs::read_dir(state.path().join("checkpoints/objects"))
            .unwrap()
            .flatten()
            .collect();
        assert!(objects.is_empty(), "{objects:?}");

        // A real directory is captured as before.
        std::fs::remove_file(ws.path().join("d")).unwrap();
        std::fs::create_dir(ws.path().join("d")).unwrap();
        std::fs::write(ws.path().join("d/x.txt"), "inside\n").unwrap();
        store
            .before_change(ws.path(), "d/x.txt", Some(b"new\n"))
            .unwrap();
        store
            .before_change(ws.path(), "d/new.txt", Some(b"new\n"))
            .unwrap();
        let c = store.current.as_ref().unwrap();
        assert!(matches!(c.files[0].before, FileState::File { .. }));
        assert!(matches!(c.files[1].before, FileState::Absent));
    }
}
