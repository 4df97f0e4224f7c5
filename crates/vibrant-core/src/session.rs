//! Sessions: every conversation saved as an append-only JSONL file, one directory per
//! repository under the state dir: `<state_dir>/sessions/<repo-name>-<hash>/<id>.jsonl`.
//!
//! The first line is a [`SessionRecord::Meta`], each further line a [`SessionRecord::Message`].
//! Every record is written as one `write` of a whole line followed by `fsync`, so a crash can
//! only leave a torn *last* line; loading removes it (truncating the file to the last complete
//! line) and reports it. Writers hold an exclusive advisory lock (`flock`) on the file while they
//! append a line, and a load holds it while it reads and repairs, so several processes may
//! append to and load one session at once: a load never mistakes a line still being written for
//! a torn one (and never cuts it off), and lines never interleave. A damaged line elsewhere is skipped and reported; nothing else is lost.
//! Session ids are `YYYYMMDD-HHMMSS-xxxx` (UTC; `xxxx` is the millisecond × 16 plus a collision
//! counter, in hex), so they sort by creation time. On unix the files are mode 600 and their
//! directories mode 700: they hold prompts, code and tool output.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::message::{Message, Role, ToolCall};
use crate::time;

/// Session files and their directories are private to the user (unix modes): they hold prompts,
/// code and tool output.
#[cfg(unix)]
const PRIVATE_FILE: u32 = 0o600;
#[cfg(unix)]
const PRIVATE_DIR: u32 = 0o700;

/// Creates `dir` and its missing parents as private directories, and tightens `dir` and its
/// parent (`<state_dir>/sessions`) if an older version left them readable by others.
fn create_private_dir(dir: &Path) -> Result<(), SessionError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, PRIVATE_DIR);
    builder.create(dir).map_err(io("create", dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for d in [Some(dir), dir.parent()].into_iter().flatten() {
            let loose = std::fs::metadata(d)
                .map(|m| m.permissions().mode() & 0o777 != PRIVATE_DIR)
                .unwrap_or(false);
            if loose
                && let Err(e) =
                    std::fs::set_permissions(d, std::fs::Permissions::from_mode(PRIVATE_DIR))
            {
                tracing::warn!("cannot make {} private (mode 700): {e}", d.display());
            }
        }
    }
    Ok(())
}

/// Tightens an existing session file to mode 600 (unix).
fn make_private(file: &File, path: &Path) -> Result<(), SessionError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file
            .metadata()
            .map_err(io("read the mode of", path))?
            .permissions()
            .mode();
        if mode & 0o777 != PRIVATE_FILE {
            file.set_permissions(std::fs::Permissions::from_mode(PRIVATE_FILE))
                .map_err(io("make private (mode 600)", path))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}

/// Format version written in the meta record.
pub const FORMAT_VERSION: u32 = 1;

/// One line of a session file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SessionRecord {
    /// The first line.
    Meta {
        version: u32,
        id: String,
        /// RFC 3339 UTC.
        created: String,
        /// The repository's root directory.
        repo: String,
        /// The backend (`embedded`, `openai`, `ollama`).
        backend: String,
        /// The model's name or path.
        model: String,
    },
    /// A message of the conversation.
    Message {
        /// RFC 3339 UTC.
        time: String,
        role: Role,
        content: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        context: Option<String>,
        /// Why an assistant answer ended (`stop`, `length`, `cancelled`, `failed`, …).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        finish: Option<String>,
        /// Token counts and timings of an assistant answer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        usage: Option<serde_json::Value>,
        /// Tools an assistant message called (agent sessions).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<ToolCall>,
        /// For a tool result: the call it answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tool_call_id: Option<String>,
        /// For a tool result: the tool's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
}

impl SessionRecord {
    /// A message record stamped now.
    pub fn message(message: &Message) -> Self {
        Self::Message {
            time: time::rfc3339(time::unix_now()),
            role: message.role,
            content: message.content.clone(),
            context: message.context.clone(),
            finish: None,
            usage: None,
            tool_calls: message.tool_calls.clone(),
            tool_call_id: message.tool_call_id.clone(),
            name: message.name.clone(),
        }
    }

    /// An assistant answer stamped now, with why it ended and its usage.
    pub fn answer(text: &str, finish: &str, usage: Option<serde_json::Value>) -> Self {
        Self::Message {
            time: time::rfc3339(time::unix_now()),
            role: Role::Assistant,
            content: text.to_owned(),
            context: None,
            finish: Some(finish.to_owned()),
            usage,
            tool_calls: Vec::new(),
            tool_call_id: None,
            name: None,
        }
    }
}

/// Why a session operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("cannot {what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no session {id:?} for this repository\nhint: vibrant sessions list")]
    NotFound { id: String },
    #[error("{prefix:?} matches several sessions ({matches})\nhint: give more of the id")]
    Ambiguous { prefix: String, matches: String },
    #[error("{path} is not a session file: its first line is not a meta record")]
    NoMeta { path: PathBuf },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> SessionError {
    let path = path.to_path_buf();
    move |source| SessionError::Io { what, path, source }
}

/// A summary of a saved session.
#[derive(Clone, Debug, Serialize)]
pub struct SessionInfo {
    pub id: String,
    pub path: PathBuf,
    pub created: String,
    pub backend: String,
    pub model: String,
    /// Messages after the meta line (system prompt included).
    pub messages: usize,
    /// The first question, shortened.
    pub title: String,
}

/// A loaded session.
#[derive(Clone, Debug)]
pub struct LoadedSession {
    pub info: SessionInfo,
    pub records: Vec<SessionRecord>,
    /// Set when a torn last line was removed: what was removed.
    pub repaired: Option<String>,
    /// Damaged lines that were skipped (1-based line number and the parse error).
    pub skipped: Vec<(usize, String)>,
}

impl LoadedSession {
    /// The conversation's messages, in order.
    pub fn messages(&self) -> Vec<Message> {
        self.records
            .iter()
            .filter_map(|r| match r {
                SessionRecord::Message {
                    role,
                    content,
                    context,
                    tool_calls,
                    tool_call_id,
                    name,
                    ..
                } => Some(Message {
                    role: *role,
                    content: content.clone(),
                    context: context.clone(),
                    tool_calls: tool_calls.clone(),
                    tool_call_id: tool_call_id.clone(),
                    name: name.clone(),
                }),
                SessionRecord::Meta { .. } => None,
            })
            .collect()
    }
}

/// The sessions of one repository.
#[derive(Clone, Debug)]
pub struct SessionStore {
    dir: PathBuf,
    repo: PathBuf,
}

impl SessionStore {
    /// The store for `repo_root` under `state_dir`.
    pub fn for_repo(state_dir: &Path, repo_root: &Path) -> Self {
        Self {
            dir: state_dir.join("sessions").join(repo_key(repo_root)),
            repo: repo_root.to_path_buf(),
        }
    }

    /// The directory holding this repository's sessions.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.jsonl"))
    }

    /// Starts a new session file and writes its meta line.
    pub fn create(&self, backend: &str, model: &str) -> Result<SessionWriter, SessionError> {
        create_private_dir(&self.dir)?;
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let now = since_epoch.as_secs();
        let millis = since_epoch.subsec_millis();
        // The suffix is the millisecond times 16 plus an attempt counter, so ids sort by creation
        // time even within one second, and two processes in the same millisecond still differ.
        for attempt in 0u32..16 {
            let id = format!("{}-{:04x}", time::compact(now), millis * 16 + attempt);
            let path = self.path_of(&id);
            let mut options = OpenOptions::new();
            options.append(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_FILE);
            let file = match options.open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io("create", &path)(e)),
            };
            let mut writer = SessionWriter {
                file,
                path,
                id: id.clone(),
            };
            writer.append(&SessionRecord::Meta {
                version: FORMAT_VERSION,
                id,
                created: time::rfc3339(now),
                repo: self.repo.to_string_lossy().into_owned(),
                backend: backend.to_owned(),
                model: model.to_owned(),
            })?;
            return Ok(writer);
        }
        Err(io("create a session in", &self.dir)(std::io::Error::other(
            "no free session id",
        )))
    }

    /// Opens an existing session for appending (load it first, which repairs a torn line).
    pub fn append_to(&self, id: &str) -> Result<SessionWriter, SessionError> {
        let path = self.path_of(id);
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io("open", &path))?;
        make_private(&file, &path)?;
        Ok(SessionWriter {
            file,
            path,
            id: id.to_owned(),
        })
    }

    /// The ids of all sessions, oldest first.
    pub fn ids(&self) -> Result<Vec<String>, SessionError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io("read", &self.dir)(e)),
        };
        let mut ids: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".jsonl").map(str::to_owned)
            })
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// All sessions, newest first.
    pub fn list(&self) -> Result<Vec<LoadedSession>, SessionError> {
        let mut out = Vec::new();
        for id in self.ids()?.into_iter().rev() {
            match self.load(&id) {
                Ok(s) => out.push(s),
                Err(e) => tracing::warn!("skipping session {id}: {e}"),
            }
        }
        Ok(out)
    }

    /// The newest session's id.
    pub fn latest(&self) -> Result<Option<String>, SessionError> {
        Ok(self.ids()?.pop())
    }

    /// The id `prefix` names: an exact id, or the one id starting with it.
    pub fn resolve(&self, prefix: &str) -> Result<String, SessionError> {
        let ids = self.ids()?;
        if ids.iter().any(|i| i == prefix) {
            return Ok(prefix.to_owned());
        }
        let matches: Vec<&String> = ids.iter().filter(|i| i.starts_with(prefix)).collect();
        match matches[..] {
            [one] => Ok(one.clone()),
            [] => Err(SessionError::NotFound {
                id: prefix.to_owned(),
            }),
            _ => Err(SessionError::Ambiguous {
                prefix: prefix.to_owned(),
                matches: matches
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Loads a session, repairing a torn last line (see the module docs).
    pub fn load(&self, id: &str) -> Result<LoadedSession, SessionError> {
        let path = self.path_of(id);
        let mut locked = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(SessionError::NotFound { id: id.to_owned() });
            }
            Err(e) => return Err(io("open", &path)(e)),
        };
        // Held (until `locked` is dropped) while reading and repairing: a writer appends a line
        // under the same lock, so an incomplete last line seen here is a crash's, not a live
        // writer's.
        locked.lock().map_err(io("lock", &path))?;
        let mut bytes = Vec::new();
        locked.read_to_end(&mut bytes).map_err(io("read", &path))?;
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let mut repaired = None;
        if complete < bytes.len() {
            let torn = bytes.len() - complete;
            let file = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(io("repair", &path))?;
            file.set_len(complete as u64)
                .and_then(|()| file.sync_all())
                .map_err(io("repair", &path))?;
            let what = format!(
                "removed a torn last line ({torn} bytes) from {}",
                path.display()
            );
            tracing::warn!("{what}");
            repaired = Some(what);
        }
        drop(locked);
        let mut records = Vec::new();
        let mut skipped = Vec::new();
        for (n, line) in bytes[..complete].split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<SessionRecord>(line) {
                Ok(r) => records.push(r),
                Err(e) => {
                    tracing::warn!("{}:{}: skipping a damaged line: {e}", path.display(), n + 1);
                    skipped.push((n + 1, e.to_string()));
                }
            }
        }
        let Some(SessionRecord::Meta {
            id: meta_id,
            created,
            backend,
            model,
            ..
        }) = records.first().cloned()
        else {
            return Err(SessionError::NoMeta { path });
        };
        let messages = records.len() - 1;
        let title = records
            .iter()
            .find_map(|r| match r {
                SessionRecord::Message {
                    role: Role::User,
                    content,
                    ..
                } => Some(shorten(content, 60)),
                _ => None,
            })
            .unwrap_or_default();
        Ok(LoadedSession {
            info: SessionInfo {
                id: meta_id,
                path,
                created,
                backend,
                model,
                messages,
                title,
            },
            records,
            repaired,
            skipped,
        })
    }

    /// Deletes a session.
    pub fn remove(&self, id: &str) -> Result<(), SessionError> {
        let path = self.path_of(id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(SessionError::NotFound { id: id.to_owned() })
            }
            Err(e) => Err(io("remove", &path)(e)),
        }
    }
}

/// Appends records to one session file.
#[derive(Debug)]
pub struct SessionWriter {
    file: File,
    path: PathBuf,
    id: String,
}

impl SessionWriter {
    /// The session's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The session file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as one line and syncs it to disk.
    pub fn append(&mut self, record: &SessionRecord) -> Result<(), SessionError> {
        let mut line = serde_json::to_string(record).map_err(|e| SessionError::Io {
            what: "encode a record for",
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        line.push('\n');
        // Exclusive while the line is written: other writers and loads (which repair torn last
        // lines) wait, so a half-written line is never seen by them.
        self.file.lock().map_err(io("lock", &self.path))?;
        let written = self
            .file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data());
        let unlocked = self.file.unlock();
        written.and(unlocked).map_err(io("write", &self.path))
    }

    /// Appends a message.
    pub fn append_message(&mut self, message: &Message) -> Result<(), SessionError> {
        self.append(&SessionRecord::message(message))
    }
}

/// `<dir name>-<12 hex digits of the path's hash>`: readable and unique per repository.
/// The directory name of a repository's per-repository state: its name and a hash of its path.
pub fn repo_key(root: &Path) -> String {
    let name: String = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".to_owned())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let hash = xxhash_rust::xxh3::xxh3_64(root.to_string_lossy().as_bytes());
    format!("{name}-{:012x}", hash & 0xffff_ffff_ffff)
}

fn shorten(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    if line.chars().count() <= max {
        line.to_owned()
    } else {
        let mut out: String = line.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, SessionStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::for_repo(&dir.path().join("state"), Path::new("/src/my repo"));
        (dir, store)
    }

    /// Sessions hold prompts, code and tool output: other users on the machine must not read
    /// them, whatever the umask.
    #[cfg(unix)]
    #[test]
    fn session_files_are_private_to_the_user() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let (_d, store) = store();
        // A directory left by an older version with the default umask is tightened too.
        std::fs::create_dir_all(store.dir()).unwrap();
        std::fs::set_permissions(store.dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let w = store.create("embedded", "qwen").unwrap();
        assert_eq!(mode(w.path()), 0o600, "{}", w.path().display());
        assert_eq!(mode(store.dir()), 0o700, "{}", store.dir().display());
        let sessions = store.dir().parent().unwrap();
        assert_eq!(mode(sessions), 0o700, "{}", sessions.display());
        // An existing file with loose permissions is tightened when appended to.
        let id = w.id().to_owned();
        drop(w);
        std::fs::set_permissions(store.path_of(&id), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let w = store.append_to(&id).unwrap();
        assert_eq!(mode(w.path()), 0o600);
    }

    #[test]
    fn round_trip_and_list() {
        let (_d, store) = store();
        assert!(store.list().unwrap().is_empty());
        assert_eq!(store.latest().unwrap(), None);
        let mut w = store.create("embedded", "qwen").unwrap();
        assert!(
            w.path()
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("my_repo-")
        );
        w.append_message(&Message::system("sys")).unwrap();
        w.append_message(&Message::user_with_context("why?", Some("ctx".into())))
            .unwrap();
        w.append(&SessionRecord::Message {
            time: "t".into(),
            role: Role::Assistant,
            content: "because".into(),
            context: None,
            finish: Some("stop".into()),
            usage: Some(serde_json::json!({"completion_tokens": 2})),
            tool_calls: Vec::new(),
            tool_call_id: None,
            name: None,
        })
        .unwrap();
        let id = w.id().to_owned();
        let s = store.load(&id).unwrap();
        assert_eq!(s.repaired, None);
        assert!(s.skipped.is_empty());
        assert_eq!(s.info.messages, 3);
        assert_eq!(s.info.title, "why?");
        assert_eq!(s.info.model, "qwen");
        let m = s.messages();
        assert_eq!(m[1], Message::user_with_context("why?", Some("ctx".into())));
        assert_eq!(m[2], Message::assistant("because"));
        assert_eq!(store.latest().unwrap(), Some(id.clone()));
        assert_eq!(store.resolve(&id[..10]).unwrap(), id);

        // Appending later continues the same file.
        let mut w = store.append_to(&id).unwrap();
        w.append_message(&Message::user("more")).unwrap();
        assert_eq!(store.load(&id).unwrap().info.messages, 4);

        store.remove(&id).unwrap();
        assert!(matches!(
            store.load(&id),
            Err(SessionError::NotFound { .. })
        ));
        assert!(matches!(
            store.remove(&id),
            Err(SessionError::NotFound { .. })
        ));
    }

    #[test]
    fn torn_last_line_is_repaired_and_reported() {
        let (_d, store) = store();
        let mut w = store.create("openai", "m").unwrap();
        w.append_message(&Message::user("first")).unwrap();
        let path = w.path().to_path_buf();
        let id = w.id().to_owned();
        drop(w);
        let good_len = std::fs::metadata(&path).unwrap().len();
        // A crash in the middle of writing the next record.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"type":"message","role":"assis"#).unwrap();
        drop(f);
        let s = store.load(&id).unwrap();
        assert!(
            s.repaired
                .as_deref()
                .unwrap()
                .contains("torn last line (31 bytes)")
        );
        assert_eq!(s.messages(), vec![Message::user("first")]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), good_len);
        // Repaired once: the next load is clean, and appending works.
        assert_eq!(store.load(&id).unwrap().repaired, None);
        store
            .append_to(&id)
            .unwrap()
            .append_message(&Message::assistant("ok"))
            .unwrap();
        assert_eq!(store.load(&id).unwrap().messages().len(), 2);
    }

    #[test]
    fn damaged_middle_line_is_skipped_not_fatal() {
        let (_d, store) = store();
        let mut w = store.create("embedded", "m").unwrap();
        w.append_message(&Message::user("one")).unwrap();
        let path = w.path().to_path_buf();
        let id = w.id().to_owned();
        drop(w);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"not json\n").unwrap();
        drop(f);
        store
            .append_to(&id)
            .unwrap()
            .append_message(&Message::user("two"))
            .unwrap();
        let s = store.load(&id).unwrap();
        assert_eq!(s.skipped.len(), 1);
        assert_eq!(s.skipped[0].0, 3);
        assert_eq!(
            s.messages(),
            vec![Message::user("one"), Message::user("two")]
        );
    }

    #[test]
    fn ids_sort_by_time_and_prefixes_resolve() {
        let (_d, store) = store();
        // Created in quick succession (often within one millisecond), they still sort in order.
        let created: Vec<String> = (0..5)
            .map(|_| store.create("embedded", "m").unwrap().id().to_owned())
            .collect();
        assert_eq!(store.ids().unwrap(), created);
        assert_eq!(store.latest().unwrap().as_ref(), created.last());
        for id in &created[2..] {
            store.remove(id).unwrap();
        }
        assert!(matches!(
            store.resolve("20"),
            Err(SessionError::Ambiguous { .. })
        ));
        assert!(matches!(
            store.resolve("nope"),
            Err(SessionError::NotFound { .. })
        ));
        // A file without a meta line is refused with its path.
        std::fs::write(
            store.dir().join("bad.jsonl"),
            "{\"type\":\"message\",\"time\":\"t\",\"role\":\"user\",\"content\":\"x\"}\n",
        )
        .unwrap();
        assert!(matches!(
            store.load("bad"),
            Err(SessionError::NoMeta { .. })
        ));
        assert_eq!(store.list().unwrap().len(), 2);
    }

    /// Two terminals on one session (`vibrant chat --resume` twice, or a resume while the other
    /// still writes): writers append large records while readers load the file. A load must never
    /// take a record still being written for a torn line (and cut it off), and nothing written
    /// may be lost or damaged.
    #[test]
    fn concurrent_writers_and_readers_of_one_session_lose_nothing() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        const WRITERS: usize = 3;
        const EACH: usize = 6;
        let (_d, store) = store();
        let id = store.create("embedded", "qwen").unwrap().id().to_owned();
        // Large records (tool output, whole files) take long enough to write to be seen half done.
        let big = "x".repeat(4 << 20);
        let finished = AtomicUsize::new(0);
        let problems = std::sync::Mutex::new(Vec::<String>::new());
        std::thread::scope(|s| {
            for w in 0..WRITERS {
                let (store, id, big, finished) = (&store, &id, &big, &finished);
                s.spawn(move || {
                    let mut writer = store.append_to(id).unwrap();
                    for i in 0..EACH {
                        writer
                            .append_message(&Message::user(format!("{w}-{i} {big}")))
                            .unwrap();
                    }
                    finished.fetch_add(1, Ordering::SeqCst);
                });
            }
            for _ in 0..2 {
                let (store, id, finished, problems) = (&store, &id, &finished, &problems);
                s.spawn(move || {
                    while finished.load(Ordering::SeqCst) < WRITERS {
                        match store.load(id) {
                            Ok(l) => {
                                if let Some(r) = l.repaired {
                                    problems.lock().unwrap().push(r);
                                }
                                for (n, e) in l.skipped {
                                    problems.lock().unwrap().push(format!("line {n}: {e}"));
                                }
                            }
                            Err(e) => problems.lock().unwrap().push(e.to_string()),
                        }
                    }
                });
            }
        });
        let problems = problems.into_inner().unwrap();
        let loaded = store.load(&id).unwrap();
        let mut got: Vec<String> = loaded
            .messages()
            .iter()
            .map(|m| m.content.split(' ').next().unwrap_or_default().to_owned())
            .collect();
        got.sort();
        let mut want: Vec<String> = (0..WRITERS)
            .flat_map(|w| (0..EACH).map(move |i| format!("{w}-{i}")))
            .collect();
        want.sort();
        assert_eq!(got, want, "records lost; the readers saw: {problems:?}");
        assert!(loaded.skipped.is_empty(), "{:?}", loaded.skipped);
        assert!(problems.is_empty(), "the readers saw: {problems:?}");
    }

    #[test]
    fn different_repositories_get_different_directories() {
        let a = SessionStore::for_repo(Path::new("/s"), Path::new("/a/proj"));
        let b = SessionStore::for_repo(Path::new("/s"), Path::new("/b/proj"));
        assert_ne!(a.dir(), b.dir());
        assert!(a.dir().starts_with("/s/sessions"));
    }
}
