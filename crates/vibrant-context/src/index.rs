//! The persistent, incremental index and its BM25 search.
//!
//! Layout (see specs/context-system.md): `<cache>/index/<repo-name>-<hash of its path>/` holds a
//! `CURRENT` file naming the live generation directory, which holds `files.bin` (one record per
//! file: path, size, mtime, content hash, language, status, where its data is), `blobs.bin` (per
//! file: symbols, imports, references, chunks and their terms) and `search.bin` (chunk table and
//! inverted index). A new generation is written beside the old one and `CURRENT` is replaced
//! atomically, so readers never see a half-written index and the repository can be edited (and
//! re-indexed) while the index is used. Everything is a cache: deleting the directory is safe.
//!
//! Several processes (terminals running `vibrant ask` in one repository) may update and use one
//! index at once: an update holds an exclusive advisory lock (`flock`) on the directory's `LOCK`
//! file, so updates run one at a time (the second usually finds the index up to date); an opened
//! [`Index`] holds a shared lock on its generation's `in-use` file for its lifetime, and an update
//! removes an old generation only when it can lock that file exclusively (moving it to a
//! `trash-…` name first, so no reader can open it half removed). A generation still in use is
//! removed by a later update.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::Result;
use crate::blob;
use crate::codec::{DResult, DecodeError, Reader, Writer};
use crate::error::ContextError;
use crate::lang::Language;
use crate::postings::{SearchBuilder, add_blob};
use crate::syntax::{self, ChunkOptions, ChunkSpan, FileSyntax, Symbol, SymbolKind};
use crate::terms;
use crate::walk::{self, SkipReason, WalkOptions, WalkedFile};

/// Bumped whenever the on-disk format or what is extracted changes; an index with another
/// version is rebuilt from scratch.
pub const FORMAT_VERSION: u32 = 5;

const FILES_MAGIC: &[u8; 8] = b"VBCTXF\0\0";
pub(crate) const SEARCH_MAGIC: &[u8; 8] = b"VBCTXS\0\0";

/// In the index directory: locked exclusively by an update for its whole run.
const WRITER_LOCK: &str = "LOCK";
/// In a generation directory: locked shared by every [`Index`] using the generation.
const IN_USE: &str = "in-use";
/// Prefix of a generation being removed.
const TRASH: &str = "trash-";

/// Opens (creating it) `gen_dir/in-use` and takes a shared lock on it: while the file is held, no
/// update removes the generation. Blocks while an update is removing it; the caller then finds
/// its files gone.
fn hold_generation(gen_dir: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(gen_dir.join(IN_USE))?;
    file.lock_shared()?;
    Ok(file)
}

/// BM25 parameters.
const BM25_K1: f32 = 1.2;
const BM25_B: f32 = 0.75;

/// Where the index lives and how files are read.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// The index directory itself; overrides `cache_dir`.
    pub index_dir: Option<PathBuf>,
    /// Base cache directory (default: `$VIBRANT_CACHE_DIR`, else the user cache dir + `vibrant`);
    /// the index goes to `<cache_dir>/index/<repo-name>-<hash>`.
    pub cache_dir: Option<PathBuf>,
    /// Walking rules.
    pub walk: WalkOptions,
    /// Chunk sizes.
    pub chunk: ChunkOptions,
    /// Worker threads for reading and parsing (default 2).
    pub threads: usize,
    /// Files larger than this are searchable but not parsed (line-window chunks, no symbols):
    /// parsing cost grows with size and files this large are almost always generated (bindings,
    /// tables). Default 256 KiB.
    pub max_parse_size: u64,
    /// Bytes of new file data an update lets pile up before writing them into the new
    /// generation (default 4 MiB): bounds memory; writing in batches costs less CPU than file
    /// by file.
    pub write_batch_bytes: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        Self {
            index_dir: None,
            cache_dir: None,
            walk: WalkOptions::default(),
            chunk: ChunkOptions::default(),
            threads: 2,
            max_parse_size: 256 << 10,
            write_batch_bytes: WRITE_BATCH_BYTES,
        }
    }
}

impl IndexOptions {
    /// The index directory for the repository at `root` (already canonical).
    pub fn dir_for(&self, root: &Path) -> Result<PathBuf> {
        if let Some(d) = &self.index_dir {
            return Ok(d.clone());
        }
        let base = match &self.cache_dir {
            Some(c) => c.clone(),
            None => default_cache_dir().ok_or(ContextError::NoCacheDir)?,
        };
        let name: String = root
            .file_name()
            .map(|n| {
                n.to_string_lossy()
                    .chars()
                    .map(|c| {
                        if c.is_alphanumeric() || c == '-' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect()
            })
            .unwrap_or_else(|| "root".to_owned());
        let hash = xxhash_rust::xxh3::xxh3_64(root.to_string_lossy().as_bytes());
        Ok(base.join("index").join(format!("{name}-{hash:016x}")))
    }
}

/// `$VIBRANT_CACHE_DIR`, else the platform cache dir + `vibrant` (`~/.cache/vibrant` on Linux).
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("VIBRANT_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    directories::BaseDirs::new().map(|b| b.cache_dir().join("vibrant"))
}

/// Whether a file's content is in the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileStatus {
    /// Read, analysed and searchable.
    Indexed,
    /// Left out; remembered so it is not read again until it changes.
    Skipped(SkipReason),
}

/// One file as the index knows it.
#[derive(Clone, Debug)]
pub struct FileRecord {
    /// Path relative to the repository root, `/`-separated.
    pub path: String,
    /// Size in bytes when indexed.
    pub size: u64,
    /// Modification time when indexed (ns since the epoch).
    pub mtime_ns: i64,
    /// xxh3-128 of the content (0 for files not read).
    pub hash: u128,
    /// Detected language.
    pub language: Language,
    /// Indexed or skipped.
    pub status: FileStatus,
    /// Line count.
    pub lines: u32,
    /// Number of definitions.
    pub symbols: u32,
    /// The parser recovered from syntax errors or the file was not valid UTF-8.
    pub has_errors: bool,
    blob_off: u64,
    blob_len: u64,
}

/// Progress of [`Index::update`], reported from worker threads.
#[derive(Clone, Copy, Debug)]
pub enum Progress {
    /// The walk found this many files.
    Walked {
        /// Files found.
        files: usize,
    },
    /// Files read and parsed so far out of those that changed.
    Parsed {
        /// Done so far.
        done: usize,
        /// Total to read.
        total: usize,
    },
    /// Writing the index.
    Writing,
}

/// What an update did.
#[derive(Clone, Debug, Default)]
pub struct UpdateStats {
    /// Files the walk found.
    pub files: usize,
    /// Files with searchable content.
    pub indexed: usize,
    /// Files skipped (binary, generated, too large, unreadable).
    pub skipped: usize,
    /// New files read.
    pub added: usize,
    /// Changed files read again.
    pub changed: usize,
    /// Files gone since the last update.
    pub removed: usize,
    /// Files whose size+mtime (or hash) showed no change.
    pub unchanged: usize,
    /// Bytes of source read and parsed in this update.
    pub bytes_read: u64,
    /// Bytes of source in the index.
    pub bytes_indexed: u64,
    /// Definitions in the index.
    pub symbols: usize,
    /// Chunks in the index.
    pub chunks: usize,
    /// Size of the index on disk.
    pub index_bytes: u64,
    /// Whether a new index generation was written.
    pub wrote: bool,
    /// Wall time of the update.
    pub elapsed: std::time::Duration,
    /// Wall time per phase (`walk`, `parse`, `search`, `write`), for `-v` output and benchmarks.
    pub phases: Vec<(&'static str, std::time::Duration)>,
}

/// A search result: one chunk.
#[derive(Clone, Debug)]
pub struct SearchHit {
    /// Index of the file in [`Index::files`].
    pub file: usize,
    /// The file's path.
    pub path: String,
    /// First line (1-based).
    pub start_line: u32,
    /// Last line (1-based, inclusive).
    pub end_line: u32,
    /// BM25 score.
    pub score: f32,
    /// The definition the chunk belongs to, if any (`Index::search`).
    pub label: String,
}

/// An opened index of one repository.
pub struct Index {
    root: PathBuf,
    gen_dir: PathBuf,
    started_ns: i64,
    files: Vec<FileRecord>,
    blobs: OnceLock<Vec<u8>>,
    search: OnceLock<SearchData>,
    /// The shared lock on the generation's `in-use` file (`None` when it could not be taken, e.g.
    /// a read-only cache): keeps updates by other processes from removing the generation.
    _in_use: Option<File>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("root", &self.root)
            .field("files", &self.files.len())
            .finish()
    }
}

fn canonical_root(root: &Path) -> Result<PathBuf> {
    let c = root
        .canonicalize()
        .map_err(|e| ContextError::io("cannot open repository root", root, e))?;
    if !c.is_dir() {
        return Err(ContextError::NotADirectory { path: c });
    }
    Ok(c)
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn corrupt(path: &Path, e: DecodeError) -> ContextError {
    ContextError::Corrupt {
        path: path.to_path_buf(),
        offset: e.offset,
        reason: e.reason.to_owned(),
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| ContextError::io("cannot read", path, e))
}

impl Index {
    /// Opens the existing index of `root`; `Ok(None)` when there is none or its format version
    /// differs (run [`Index::update`] to build it).
    pub fn open(root: &Path, opts: &IndexOptions) -> Result<Option<Index>> {
        let root = canonical_root(root)?;
        let dir = opts.dir_for(&root)?;
        Self::open_dir(root, &dir)
    }

    fn open_dir(root: PathBuf, dir: &Path) -> Result<Option<Index>> {
        // A concurrent writer may remove a generation between reading CURRENT and opening it:
        // read CURRENT again once.
        for attempt in 0..2 {
            let current = match std::fs::read_to_string(dir.join("CURRENT")) {
                Ok(s) => s.trim().to_owned(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(ContextError::io("cannot read", dir.join("CURRENT"), e)),
            };
            if current.is_empty() || current.contains('/') || current.contains("..") {
                return Ok(None);
            }
            let gen_dir = dir.join(&current);
            // Held before anything of the generation is read (see the module docs).
            let in_use = match hold_generation(&gen_dir) {
                Ok(f) => Some(f),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempt == 0 => continue,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => {
                    tracing::debug!(path = %gen_dir.display(), %e, "cannot mark the index generation as in use");
                    None
                }
            };
            let files_path = gen_dir.join("files.bin");
            let data = match std::fs::read(&files_path) {
                Ok(d) => d,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempt == 0 => continue,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(ContextError::io("cannot read", files_path, e)),
            };
            let Some((started_ns, files)) =
                decode_files(&data).map_err(|e| corrupt(&files_path, e))?
            else {
                tracing::info!(path = %files_path.display(), "index format changed; it will be rebuilt");
                return Ok(None);
            };
            return Ok(Some(Index {
                root,
                gen_dir,
                started_ns,
                files,
                blobs: OnceLock::new(),
                search: OnceLock::new(),
                _in_use: in_use,
            }));
        }
        Ok(None)
    }

    /// Brings the index of `root` up to date (building it when missing or outdated) and returns it.
    ///
    /// Only files whose size or mtime changed are read; of those, only files whose content hash
    /// changed are parsed again. When nothing changed nothing is written.
    pub fn update(
        root: &Path,
        opts: &IndexOptions,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<(Index, UpdateStats)> {
        // One update at a time per index, across processes (see the module docs).
        let canonical = canonical_root(root)?;
        let dir = opts.dir_for(&canonical)?;
        std::fs::create_dir_all(&dir).map_err(|e| ContextError::io("cannot create", &dir, e))?;
        let lock_path = dir.join(WRITER_LOCK);
        let writer = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| ContextError::io("cannot open", &lock_path, e))?;
        writer
            .lock()
            .map_err(|e| ContextError::io("cannot lock", &lock_path, e))?;
        let result = Self::update_impl(root, opts, progress, true);
        drop(writer);
        result
    }

    /// [`Index::update`]; with `use_old == false` the existing index is ignored (full rebuild).
    fn update_impl(
        root_arg: &Path,
        opts: &IndexOptions,
        progress: &(dyn Fn(Progress) + Sync),
        use_old: bool,
    ) -> Result<(Index, UpdateStats)> {
        let t0 = Instant::now();
        let started_ns = now_ns();
        let root = canonical_root(root_arg)?;
        let dir = opts.dir_for(&root)?;
        let old = match Self::open_dir(root.clone(), &dir) {
            Ok(o) if use_old => o,
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(%e, "existing index unusable; rebuilding");
                None
            }
        };
        let mut old_by_path: HashMap<&str, &FileRecord> = HashMap::new();
        if let Some(o) = &old {
            for f in &o.files {
                old_by_path.insert(f.path.as_str(), f);
            }
        }
        let racy_before = old
            .as_ref()
            .map_or(i64::MIN, |o| o.started_ns.saturating_sub(2_000_000_000));

        let walked = walk::walk(&root, &opts.walk);
        progress(Progress::Walked {
            files: walked.len(),
        });
        let mut phase_start = Instant::now();
        let mut phases: Vec<(&'static str, std::time::Duration)> = vec![("walk", t0.elapsed())];

        let mut stats = UpdateStats {
            files: walked.len(),
            ..UpdateStats::default()
        };
        // Decide per file: reuse as is (same size and mtime, outside the racy window), or read.
        let decide = |old_by_path: &HashMap<&str, &'_ FileRecord>| {
            let mut to_read: Vec<usize> = Vec::new();
            let mut reuse = vec![false; walked.len()];
            for (i, w) in walked.iter().enumerate() {
                match old_by_path.get(w.path.as_str()) {
                    Some(rec)
                        if rec.size == w.size
                            && rec.mtime_ns == w.mtime_ns
                            && w.mtime_ns < racy_before =>
                    {
                        reuse[i] = true;
                    }
                    _ => to_read.push(i),
                }
            }
            (to_read, reuse)
        };
        let (to_read, reuse) = decide(&old_by_path);
        let kept = walked
            .iter()
            .filter(|w| old_by_path.contains_key(w.path.as_str()))
            .count();
        if to_read.is_empty()
            && kept == old_by_path.len()
            && let Some(old) = old
        {
            // Nothing changed: the index is used as it is, without reading its data.
            stats.unchanged = walked.len();
            fill_totals(&mut stats, &old.files);
            stats.chunks = old.search_data().map(|s| s.chunks.len()).unwrap_or(0);
            stats.index_bytes = old.disk_size();
            stats.elapsed = t0.elapsed();
            return Ok((old, stats));
        }
        let total = to_read.len();
        let removed = old_by_path.len() - kept;
        // From scratch, or when many files changed, the results go straight into the new
        // generation as they arrive (in file order), so no file's data waits in memory for the
        // others. With few changes they are collected first: if every file read again kept its
        // content, only files.bin is replaced.
        let stream = old.is_none() || total > STREAM_MIN_FILES;
        let done = AtomicUsize::new(0);
        let next = AtomicUsize::new(0);
        let threads = opts.threads.max(1).min(total.max(1));
        let gen_name = format!("g{}-{}", now_ns(), std::process::id());
        let gen_dir = dir.join(&gen_name);
        let outcome = std::thread::scope(|scope| -> Result<Outcome> {
            let (tx, rx) = std::sync::mpsc::channel::<(usize, Processed)>();
            for n in 0..threads {
                let tx = tx.clone();
                let (next, done, walked, to_read, old_by_path) =
                    (&next, &done, &walked, &to_read, &old_by_path);
                // Files in index order, each worker taking the next one when it is done: the
                // writer below consumes them in that order.
                std::thread::Builder::new()
                    .name(format!("vibrant-index-{n}"))
                    .spawn_scoped(scope, move || {
                        loop {
                            let k = next.fetch_add(1, Ordering::Relaxed);
                            let Some(&i) = to_read.get(k) else { break };
                            let w = &walked[i];
                            let prev = old_by_path.get(w.path.as_str()).copied();
                            let p = process_file(w, prev, opts);
                            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                            if d.is_multiple_of(64) || d == total {
                                progress(Progress::Parsed { done: d, total });
                            }
                            if tx.send((k, p)).is_err() {
                                break;
                            }
                        }
                    })
                    .map_err(|e| ContextError::io("cannot start worker threads", &root, e))?;
            }
            drop(tx);
            let mut pending: Vec<Option<Processed>> = (0..total).map(|_| None).collect();
            if !stream {
                for (k, p) in rx.iter() {
                    pending[k] = Some(p);
                }
                let any_new = pending
                    .iter()
                    .flatten()
                    .any(|p| matches!(p, Processed::New(..)));
                if !any_new && removed == 0 && old.is_some() {
                    return Ok(Outcome::MetaOnly);
                }
            }
            // The writer works in batches: once it has to wait, it lets results pile up to
            // `write_batch_bytes` of blobs (or the end) before it goes on. Woken for every file,
            // it took 3-7% more CPU on the registry corpus (a context switch per file, and its
            // search build and the parsers evicting each other's cache lines more often).
            let batch = opts.write_batch_bytes;
            let mut pending_bytes: usize = pending.iter().flatten().map(Processed::blob_len).sum();
            let mut closed = false;
            let next_result = |k: usize| -> Option<Processed> {
                let take = |pending: &mut Vec<Option<Processed>>, pending_bytes: &mut usize| {
                    let p = pending.get_mut(k)?.take()?;
                    *pending_bytes -= p.blob_len();
                    Some(p)
                };
                if let Some(p) = take(&mut pending, &mut pending_bytes) {
                    return Some(p);
                }
                while !closed {
                    match rx.recv() {
                        Ok((j, p)) => {
                            if let Some(slot) = pending.get_mut(j) {
                                pending_bytes += p.blob_len();
                                *slot = Some(p);
                            }
                        }
                        Err(_) => closed = true,
                    }
                    let ready = pending.get(k).is_some_and(Option::is_some);
                    if ready && pending_bytes >= batch {
                        break;
                    }
                }
                take(&mut pending, &mut pending_bytes)
            };
            write_generation(
                &gen_dir,
                &walked,
                &to_read,
                &reuse,
                &old_by_path,
                old.as_ref(),
                next_result,
                &mut stats,
            )
        })?;
        let written = match outcome {
            Outcome::Written(w) => w,
            Outcome::OldDataUnusable => {
                if let Err(err) = std::fs::remove_dir_all(&gen_dir) {
                    tracing::debug!(path = %gen_dir.display(), %err, "could not remove a partial index generation");
                }
                return Self::update_impl(root_arg, opts, progress, false);
            }
            Outcome::MetaOnly => {
                // Every file read again had the same content (touched, or re-hashed because its
                // mtime was in the racy window): the blobs and search data stay; the same files
                // in the same order keep their blob offsets. Only files.bin is replaced
                // (atomically, by rename), with this run's start time so settled files leave
                // the racy window.
                let records: Vec<FileRecord> = walked
                    .iter()
                    .filter_map(|w| {
                        let mut r = (*old_by_path.get(w.path.as_str())?).clone();
                        r.size = w.size;
                        r.mtime_ns = w.mtime_ns;
                        Some(r)
                    })
                    .collect();
                drop(old_by_path);
                let Some(mut old) = old else {
                    return Self::update_impl(root_arg, opts, progress, false);
                };
                let files_path = old.gen_dir.join("files.bin");
                let tmp = old
                    .gen_dir
                    .join(format!("files.bin.{}.tmp", std::process::id()));
                std::fs::write(&tmp, encode_files(started_ns, &records))
                    .map_err(|e| ContextError::io("cannot write", &tmp, e))?;
                std::fs::rename(&tmp, &files_path)
                    .map_err(|e| ContextError::io("cannot replace", &files_path, e))?;
                old.files = records;
                old.started_ns = started_ns;
                stats.unchanged = walked.len();
                stats.wrote = true;
                fill_totals(&mut stats, &old.files);
                stats.chunks = old.search_data().map(|s| s.chunks.len()).unwrap_or(0);
                stats.index_bytes = old.disk_size();
                stats.elapsed = t0.elapsed();
                return Ok((old, stats));
            }
        };
        stats.removed = removed;
        fill_totals(&mut stats, &written.records);
        stats.chunks = written.chunks;
        phases.push(("parse", written.parsed_at.duration_since(phase_start)));
        phases.push((
            "search",
            written.searched_at.duration_since(written.parsed_at),
        ));
        phase_start = written.searched_at;
        progress(Progress::Writing);
        drop(old_by_path);
        drop(old);
        let files_bytes = encode_files(started_ns, &written.records);
        let files_path = gen_dir.join("files.bin");
        std::fs::write(&files_path, &files_bytes)
            .map_err(|e| ContextError::io("cannot write", &files_path, e))?;
        stats.index_bytes = written.blob_bytes + written.search_bytes + files_bytes.len() as u64;
        let tmp = dir.join(format!("CURRENT.{}.tmp", std::process::id()));
        std::fs::write(&tmp, &gen_name).map_err(|e| ContextError::io("cannot write", &tmp, e))?;
        // Marked in use (by this process's index) before it becomes visible.
        let in_use = match hold_generation(&gen_dir) {
            Ok(f) => Some(f),
            Err(e) => {
                tracing::debug!(path = %gen_dir.display(), %e, "cannot mark the index generation as in use");
                None
            }
        };
        std::fs::rename(&tmp, dir.join("CURRENT"))
            .map_err(|e| ContextError::io("cannot replace", dir.join("CURRENT"), e))?;
        remove_old_generations(&dir, &gen_dir);
        phases.push(("write", phase_start.elapsed()));
        stats.phases = phases;
        stats.wrote = true;
        // The data is read back from disk when it is first needed (often never, or by another
        // process): keeping it would double the update's peak memory.
        let index = Index {
            root,
            gen_dir,
            started_ns,
            files: written.records,
            blobs: OnceLock::new(),
            search: OnceLock::new(),
            _in_use: in_use,
        };
        stats.elapsed = t0.elapsed();
        Ok((index, stats))
    }

    /// The repository root (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The index generation directory in use.
    pub fn dir(&self) -> &Path {
        &self.gen_dir
    }

    /// All files the walk found, sorted by path, with their status.
    pub fn files(&self) -> &[FileRecord] {
        &self.files
    }

    /// Position of `path` (relative, `/`-separated) in [`Index::files`].
    pub fn file_index(&self, path: &str) -> Option<usize> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
    }

    fn total_blob_len(&self) -> u64 {
        self.files.iter().map(|f| f.blob_len).sum()
    }

    fn disk_size(&self) -> u64 {
        ["files.bin", "blobs.bin", "search.bin"]
            .iter()
            .filter_map(|n| std::fs::metadata(self.gen_dir.join(n)).ok())
            .map(|m| m.len())
            .sum()
    }

    fn blobs(&self) -> Result<&[u8]> {
        if let Some(b) = self.blobs.get() {
            return Ok(b);
        }
        let data = read_file(&self.gen_dir.join("blobs.bin"))?;
        if (data.len() as u64) < self.total_blob_len() {
            return Err(ContextError::Corrupt {
                path: self.gen_dir.join("blobs.bin"),
                offset: data.len(),
                reason: "shorter than files.bin says".to_owned(),
            });
        }
        Ok(self.blobs.get_or_init(|| data))
    }

    fn search_data(&self) -> Result<&SearchData> {
        if let Some(s) = self.search.get() {
            return Ok(s);
        }
        let path = self.gen_dir.join("search.bin");
        let data = read_file(&path)?;
        let s = SearchData::decode(data).map_err(|e| corrupt(&path, e))?;
        Ok(self.search.get_or_init(|| s))
    }

    /// Symbols, imports, references and chunks of file `idx` (empty for skipped files).
    pub fn syntax(&self, idx: usize) -> Result<FileSyntax> {
        let Some(rec) = self.files.get(idx) else {
            return Ok(FileSyntax::default());
        };
        if rec.status != FileStatus::Indexed {
            return Ok(FileSyntax::default());
        }
        let blobs = self.blobs()?;
        let blob = slice_blob(blobs, rec);
        decode_syntax(blob).map_err(|e| {
            corrupt(
                &self.gen_dir.join("blobs.bin"),
                DecodeError {
                    offset: e.offset + rec.blob_off as usize,
                    ..e
                },
            )
        })
    }

    /// [`Index::syntax`] of every indexed file, decoded in parallel; pairs of (file index, syntax).
    pub fn all_syntax(&self) -> Result<Vec<(usize, FileSyntax)>> {
        self.blobs()?;
        (0..self.files.len())
            .into_par_iter()
            .filter(|&i| self.files[i].status == FileStatus::Indexed)
            .map(|i| self.syntax(i).map(|s| (i, s)))
            .collect()
    }

    /// Reads lines `start..=end` (1-based) of `path` from the working tree as it is now.
    pub fn read_lines(&self, path: &str, start: u32, end: u32) -> Option<String> {
        let text = self.read_text(path)?;
        Some(slice_lines(&text, start, end))
    }

    /// The current text of `path` (lossy UTF-8).
    pub fn read_text(&self, path: &str) -> Option<String> {
        let bytes = std::fs::read(self.root.join(path)).ok()?;
        Some(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// BM25 search over chunks: up to `n` hits, at most `per_file` from one file (0 = no limit).
    pub fn search(&self, query: &str, n: usize, per_file: usize) -> Result<Vec<SearchHit>> {
        let s = self.search_data()?;
        let qterms = terms::query_terms(query);
        let scored = s.score(&qterms);
        let mut per: FxHashMap<u32, usize> = FxHashMap::default();
        let mut out = Vec::new();
        for (chunk, score) in scored {
            if out.len() >= n {
                break;
            }
            let c = &s.chunks[chunk as usize];
            if per_file > 0 {
                let k = per.entry(c.file).or_insert(0);
                if *k >= per_file {
                    continue;
                }
                *k += 1;
            }
            let Some(rec) = self.files.get(c.file as usize) else {
                continue;
            };
            out.push(SearchHit {
                file: c.file as usize,
                path: rec.path.clone(),
                start_line: c.start,
                end_line: c.end,
                score,
                label: c.label.clone(),
            });
        }
        Ok(out)
    }

    /// Number of searchable chunks.
    pub fn chunk_count(&self) -> Result<usize> {
        Ok(self.search_data()?.chunks.len())
    }
}

/// Lines `start..=end` (1-based, clamped) of `text`.
pub fn slice_lines(text: &str, start: u32, end: u32) -> String {
    let start = start.max(1) as usize;
    let mut out = String::new();
    for (i, line) in text.lines().enumerate().skip(start - 1) {
        if i + 1 > end as usize {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn fill_totals(stats: &mut UpdateStats, records: &[FileRecord]) {
    for r in records {
        match r.status {
            FileStatus::Indexed => {
                stats.indexed += 1;
                stats.bytes_indexed += r.size;
                stats.symbols += r.symbols as usize;
            }
            FileStatus::Skipped(_) => stats.skipped += 1,
        }
    }
}

fn slice_blob<'a>(blobs: &'a [u8], rec: &FileRecord) -> &'a [u8] {
    let s = usize::try_from(rec.blob_off).unwrap_or(usize::MAX);
    let e = s.saturating_add(usize::try_from(rec.blob_len).unwrap_or(usize::MAX));
    blobs.get(s..e).unwrap_or_default()
}

/// Removes the generations other than `keep` that no [`Index`] uses (and leftovers of earlier
/// removals). Called with the update lock held, so no other generation is being written.
fn remove_old_generations(dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let remove = |p: &Path| {
        if let Err(err) = std::fs::remove_dir_all(p) {
            tracing::debug!(path = %p.display(), %err, "could not remove an old index generation");
        }
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p == keep || !p.is_dir() {
            continue;
        }
        if name.starts_with(TRASH) {
            remove(&p);
            continue;
        }
        if !name.starts_with('g') {
            continue;
        }
        // Exclusive only if no index holds it; held while the generation is moved away, so a
        // reader that opened `in-use` meanwhile waits and then finds the files gone.
        let Ok(marker) = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(p.join(IN_USE))
        else {
            continue;
        };
        if marker.try_lock().is_err() {
            continue; // in use: a later update removes it
        }
        let trash = dir.join(format!("{TRASH}{name}"));
        match std::fs::rename(&p, &trash) {
            Ok(()) => {
                drop(marker);
                remove(&trash);
            }
            Err(err) => {
                tracing::debug!(path = %p.display(), %err, "could not remove an old index generation");
            }
        }
    }
}

/// Above this many files to read, an update streams them into the new generation instead of
/// collecting them first (see [`Index::update`]).
const STREAM_MIN_FILES: usize = 256;

/// How an update's new data was (or was not) written.
enum Outcome {
    /// Every file read again kept its content: only files.bin needs replacing.
    MetaOnly,
    /// The old generation's blobs.bin could not be read: rebuild from scratch.
    OldDataUnusable,
    /// blobs.bin and search.bin of the new generation are written.
    Written(Written),
}

struct Written {
    records: Vec<FileRecord>,
    blob_bytes: u64,
    search_bytes: u64,
    chunks: usize,
    /// When the last file was in blobs.bin, and when search.bin was written.
    parsed_at: Instant,
    searched_at: Instant,
}

/// The old generation's blobs.bin, read one file's data at a time (in file order, so mostly
/// sequentially) instead of whole.
struct OldBlobs {
    path: PathBuf,
    file: std::io::BufReader<std::fs::File>,
    pos: u64,
    buf: Vec<u8>,
}

impl OldBlobs {
    fn open(old: &Index) -> std::io::Result<OldBlobs> {
        let path = old.gen_dir.join("blobs.bin");
        let file = std::fs::File::open(&path)?;
        let len = file.metadata()?.len();
        if len < old.total_blob_len() {
            return Err(std::io::Error::other(format!(
                "{len} bytes, shorter than files.bin says"
            )));
        }
        Ok(OldBlobs {
            path,
            file: std::io::BufReader::with_capacity(1 << 18, file),
            pos: 0,
            buf: Vec::new(),
        })
    }

    fn read(&mut self, rec: &FileRecord) -> std::io::Result<&[u8]> {
        use std::io::Read;
        if rec.blob_off != self.pos {
            let delta = i64::try_from(i128::from(rec.blob_off) - i128::from(self.pos))
                .map_err(std::io::Error::other)?;
            self.file.seek_relative(delta)?;
        }
        let len = usize::try_from(rec.blob_len).map_err(std::io::Error::other)?;
        self.buf.clear();
        self.buf.resize(len, 0);
        self.file.read_exact(&mut self.buf)?;
        self.pos = rec.blob_off + rec.blob_len;
        Ok(&self.buf)
    }
}

/// Writes blobs.bin and search.bin of a new generation in `gen_dir`: every walked file in
/// order, its data taken from the worker results (`next_result(k)` for the `k`-th file of
/// `to_read`) or copied from the old generation, and fed to the search build as it is written.
#[allow(clippy::too_many_arguments)]
fn write_generation(
    gen_dir: &Path,
    walked: &[WalkedFile],
    to_read: &[usize],
    reuse: &[bool],
    old_by_path: &HashMap<&str, &FileRecord>,
    old: Option<&Index>,
    mut next_result: impl FnMut(usize) -> Option<Processed>,
    stats: &mut UpdateStats,
) -> Result<Outcome> {
    std::fs::create_dir_all(gen_dir)
        .map_err(|e| ContextError::io("cannot create index directory", gen_dir, e))?;
    let mut old_blobs = match old.map(OldBlobs::open).transpose() {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(%e, "existing index data unusable; rebuilding");
            return Ok(Outcome::OldDataUnusable);
        }
    };
    let blobs_path = gen_dir.join("blobs.bin");
    let wr_err = |e| ContextError::io("cannot write", &blobs_path, e);
    let mut out = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(&blobs_path).map_err(wr_err)?,
    );
    let mut search = SearchBuilder::new();
    let mut records: Vec<FileRecord> = Vec::with_capacity(walked.len());
    let mut written: u64 = 0;
    let mut k = 0usize;
    for (i, w) in walked.iter().enumerate() {
        let prev = old_by_path.get(w.path.as_str()).copied();
        let fresh: Option<Processed> = if to_read.get(k) == Some(&i) {
            k += 1;
            match next_result(k - 1) {
                Some(p) => Some(p),
                // A worker stopped early (it panicked; the panic is raised when the scope ends).
                None => break,
            }
        } else {
            None
        };
        let (mut rec, new_blob) = match fresh {
            Some(Processed::New(rec, bytes)) => {
                if prev.is_some() {
                    stats.changed += 1;
                } else {
                    stats.added += 1;
                }
                if rec.status == FileStatus::Indexed {
                    stats.bytes_read += rec.size;
                }
                (rec, Some(bytes))
            }
            // Content unchanged, only metadata: keep the old data.
            Some(Processed::SameContent) => {
                let Some(prev) = prev else { continue };
                let mut r = prev.clone();
                r.size = w.size;
                r.mtime_ns = w.mtime_ns;
                stats.unchanged += 1;
                (r, None)
            }
            None => {
                let Some(prev) = prev.filter(|_| reuse[i]) else {
                    continue;
                };
                stats.unchanged += 1;
                (prev.clone(), None)
            }
        };
        let blob: &[u8] = match (&new_blob, &mut old_blobs) {
            (Some(b), _) => b,
            (None, Some(ob)) => match ob.read(&rec) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(path = %ob.path.display(), %e, "existing index data unusable; rebuilding");
                    return Ok(Outcome::OldDataUnusable);
                }
            },
            (None, None) => &[],
        };
        rec.blob_off = written;
        rec.blob_len = blob.len() as u64;
        std::io::Write::write_all(&mut out, blob).map_err(wr_err)?;
        written += blob.len() as u64;
        if rec.status == FileStatus::Indexed {
            add_blob(&mut search, records.len(), &rec.path, blob);
        }
        records.push(rec);
    }
    std::io::Write::flush(&mut out).map_err(wr_err)?;
    drop(out);
    drop(old_blobs);
    let parsed_at = Instant::now();
    let chunks = search.chunk_count();
    let search_path = gen_dir.join("search.bin");
    let search_bytes = (|| {
        let mut out =
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&search_path)?);
        let n = search.finish(&mut out)?;
        std::io::Write::flush(&mut out)?;
        Ok(n)
    })()
    .map_err(|e| ContextError::io("cannot write", &search_path, e))?;
    Ok(Outcome::Written(Written {
        records,
        blob_bytes: written,
        search_bytes,
        chunks,
        parsed_at,
        searched_at: Instant::now(),
    }))
}

/// Default [`IndexOptions::write_batch_bytes`].
const WRITE_BATCH_BYTES: usize = 4 << 20;

enum Processed {
    /// Same hash as before: reuse the old data.
    SameContent,
    /// A new record with its blob.
    New(FileRecord, Vec<u8>),
}

impl Processed {
    fn blob_len(&self) -> usize {
        match self {
            Processed::New(_, b) => b.len(),
            Processed::SameContent => 0,
        }
    }
}

fn process_file(w: &WalkedFile, prev: Option<&FileRecord>, opts: &IndexOptions) -> Processed {
    let path = Path::new(&w.path);
    let mut rec = FileRecord {
        path: w.path.clone(),
        size: w.size,
        mtime_ns: w.mtime_ns,
        hash: 0,
        language: Language::from_path(path).unwrap_or(Language::Text),
        status: FileStatus::Indexed,
        lines: 0,
        symbols: 0,
        has_errors: false,
        blob_off: 0,
        blob_len: 0,
    };
    if let Some(reason) = walk::skip_by_name(&w.path, w.size, &opts.walk) {
        rec.status = FileStatus::Skipped(reason);
        return Processed::New(rec, Vec::new());
    }
    // Read into this worker's buffer: no fresh (page-faulted) allocation per file.
    READ_BUF.with(|cell| {
        let mut buf = cell.borrow_mut();
        buf.clear();
        if let Err(err) = std::fs::File::open(&w.abs).and_then(|mut f| {
            use std::io::Read;
            buf.reserve(usize::try_from(w.size).unwrap_or(0).saturating_add(1));
            f.read_to_end(&mut buf)
        }) {
            tracing::debug!(path = w.path, %err, "unreadable; skipped");
            rec.status = FileStatus::Skipped(SkipReason::Unreadable);
            return Processed::New(rec, Vec::new());
        }
        let processed = process_bytes(rec, &buf, w, prev, opts);
        if buf.capacity() > READ_BUF_KEEP {
            *buf = Vec::new();
        }
        processed
    })
}

/// Largest read buffer a worker keeps between files.
const READ_BUF_KEEP: usize = 1 << 20;

thread_local! {
    static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn process_bytes(
    mut rec: FileRecord,
    bytes: &[u8],
    w: &WalkedFile,
    prev: Option<&FileRecord>,
    opts: &IndexOptions,
) -> Processed {
    let path = Path::new(&w.path);
    rec.size = bytes.len() as u64;
    rec.hash = xxhash_rust::xxh3::xxh3_128(bytes);
    if let Some(p) = prev
        && p.hash == rec.hash
        && p.hash != 0
    {
        return Processed::SameContent;
    }
    if rec.size > opts.walk.max_file_size {
        rec.status = FileStatus::Skipped(SkipReason::TooLarge);
        return Processed::New(rec, Vec::new());
    }
    if let Some(reason) = walk::skip_by_content(bytes) {
        rec.status = FileStatus::Skipped(reason);
        return Processed::New(rec, Vec::new());
    }
    rec.language = Language::detect(path, &bytes[..bytes.len().min(256)]);
    let (text, lossy) = match std::str::from_utf8(bytes) {
        Ok(s) => (std::borrow::Cow::Borrowed(s), false),
        Err(_) => (String::from_utf8_lossy(bytes), true),
    };
    let text: &str = &text;
    let parse_as = if text.len() as u64 > opts.max_parse_size {
        Language::Text
    } else {
        rec.language
    };
    // References are counted while the blob is encoded (one pass over the words).
    let (syn, tree) = syntax::analyze_with(parse_as, text, opts.chunk, false);
    rec.lines = line_count(text);
    rec.symbols = u32::try_from(syn.symbols.len()).unwrap_or(u32::MAX);
    rec.has_errors = syn.has_errors || lossy;
    let blob = blob::encode(&w.path, text, &syn, tree.is_some());
    drop(syn);
    drop(tree);
    Processed::New(rec, blob)
}

/// Lines of `text` as `str::lines` counts them.
fn line_count(text: &str) -> u32 {
    let n = text.bytes().filter(|&b| b == b'\n').count()
        + usize::from(!text.is_empty() && !text.ends_with('\n'));
    u32::try_from(n).unwrap_or(u32::MAX)
}

// ---------------------------------------------------------------------------------------------
// files.bin

fn encode_files(started_ns: i64, records: &[FileRecord]) -> Vec<u8> {
    let mut w = Writer::new();
    w.buf.extend_from_slice(FILES_MAGIC);
    w.var(u64::from(FORMAT_VERSION));
    w.ivar(started_ns);
    w.var(records.len() as u64);
    for r in records {
        w.str(&r.path);
        w.var(r.size);
        w.ivar(r.mtime_ns);
        w.u64(r.hash as u64);
        w.u64((r.hash >> 64) as u64);
        w.u8(r.language.code());
        w.u8(match r.status {
            FileStatus::Indexed => 0,
            FileStatus::Skipped(s) => s.code(),
        });
        w.var(u64::from(r.lines));
        w.var(u64::from(r.symbols));
        w.u8(u8::from(r.has_errors));
        w.var(r.blob_off);
        w.var(r.blob_len);
    }
    w.buf
}

/// `Ok(None)` when the format version differs.
fn decode_files(data: &[u8]) -> DResult<Option<(i64, Vec<FileRecord>)>> {
    let mut r = Reader::new(data);
    if r.bytes(8)? != FILES_MAGIC {
        return Ok(None);
    }
    if r.var()? != u64::from(FORMAT_VERSION) {
        return Ok(None);
    }
    let started = r.ivar()?;
    let n = r.len()?;
    let mut files = Vec::with_capacity(n);
    for _ in 0..n {
        let path = r.str()?.to_owned();
        let size = r.var()?;
        let mtime_ns = r.ivar()?;
        let lo = r.u64()?;
        let hi = r.u64()?;
        let language = Language::from_code(r.u8()?);
        let status = match r.u8()? {
            0 => FileStatus::Indexed,
            c => FileStatus::Skipped(SkipReason::from_code(c).unwrap_or(SkipReason::Unreadable)),
        };
        let lines = r.var32()?;
        let symbols = r.var32()?;
        let has_errors = r.u8()? != 0;
        let blob_off = r.var()?;
        let blob_len = r.var()?;
        files.push(FileRecord {
            path,
            size,
            mtime_ns,
            hash: u128::from(lo) | (u128::from(hi) << 64),
            language,
            status,
            lines,
            symbols,
            has_errors,
            blob_off,
            blob_len,
        });
    }
    Ok(Some((started, files)))
}

// ---------------------------------------------------------------------------------------------
// blobs.bin: per file, a syntax section then a chunk section.

fn decode_syntax(blob: &[u8]) -> DResult<FileSyntax> {
    let mut r = Reader::new(blob);
    let mut syn = FileSyntax::default();
    r.len()?; // the section's byte length
    let n = r.len()?;
    syn.symbols.reserve(n);
    for _ in 0..n {
        let name = r.str()?.to_owned();
        let kind = SymbolKind::from_code(r.u8()?);
        let start_line = r.var32()?;
        let end_line = r.var32()?;
        let signature = r.str()?.to_owned();
        let parent = if r.u8()? == 1 {
            Some(r.str()?.to_owned())
        } else {
            None
        };
        syn.symbols.push(Symbol {
            name,
            kind,
            start_line,
            end_line,
            signature,
            parent,
        });
    }
    let n = r.len()?;
    for _ in 0..n {
        syn.imports.push(r.str()?.to_owned());
    }
    let n = r.len()?;
    syn.references.reserve(n);
    for _ in 0..n {
        let name = r.str()?.to_owned();
        syn.references.push((name, r.var32()?));
    }
    syn.has_errors = r.u8()? != 0;
    let n = r.len()?;
    for _ in 0..n {
        r.str()?;
    }
    let n = r.len()?;
    for _ in 0..n {
        let start_line = r.var32()?;
        let end_line = r.var32()?;
        r.str()?;
        let k = r.len()?;
        for _ in 0..k {
            r.var()?;
            r.var()?;
        }
        syn.chunks.push(ChunkSpan {
            start_line,
            end_line,
        });
    }
    Ok(syn)
}

// ---------------------------------------------------------------------------------------------
// search.bin: chunk table and inverted index.

struct ChunkInfo {
    file: u32,
    start: u32,
    end: u32,
    len: u32,
    label: String,
}

struct TermEntry {
    str_off: u32,
    str_len: u32,
    df: u32,
    post_off: u32,
    post_len: u32,
}

struct SearchData {
    data: Vec<u8>,
    chunks: Vec<ChunkInfo>,
    avg_len: f32,
    terms: Vec<TermEntry>,
}

impl SearchData {
    fn decode(data: Vec<u8>) -> DResult<SearchData> {
        let mut r = Reader::new(&data);
        if r.bytes(8)? != SEARCH_MAGIC || r.var()? != u64::from(FORMAT_VERSION) {
            return Err(DecodeError {
                offset: 0,
                reason: "not a search index of this version",
            });
        }
        let n = r.len()?;
        let avg_len = r.f32()?;
        let mut chunks = Vec::with_capacity(n);
        for _ in 0..n {
            chunks.push(ChunkInfo {
                file: r.var32()?,
                start: r.var32()?,
                end: r.var32()?,
                len: r.var32()?,
                label: r.str()?.to_owned(),
            });
        }
        let n = r.len()?;
        let mut terms = Vec::with_capacity(n);
        let off32 = |v: usize| {
            u32::try_from(v).map_err(|_| DecodeError {
                offset: v,
                reason: "index over 4 GiB",
            })
        };
        for _ in 0..n {
            let slen = r.len()?;
            let str_off = off32(r.pos)?;
            r.bytes(slen)?;
            let df = r.var32()?;
            let plen = r.len()?;
            let post_off = off32(r.pos)?;
            r.bytes(plen)?;
            terms.push(TermEntry {
                str_off,
                str_len: off32(slen)?,
                df,
                post_off,
                post_len: off32(plen)?,
            });
        }
        Ok(SearchData {
            data,
            chunks,
            avg_len: avg_len.max(1.0),
            terms,
        })
    }

    fn term(&self, t: &str) -> Option<&TermEntry> {
        let key = t.as_bytes();
        self.terms
            .binary_search_by(|e| {
                let s = e.str_off as usize;
                self.data[s..s + e.str_len as usize].cmp(key)
            })
            .ok()
            .map(|i| &self.terms[i])
    }

    /// Chunks with a positive BM25 score for the query terms, best first.
    fn score(&self, qterms: &[String]) -> Vec<(u32, f32)> {
        let n = self.chunks.len() as f32;
        let mut scores: FxHashMap<u32, f32> = FxHashMap::default();
        for t in qterms {
            let Some(e) = self.term(t) else { continue };
            let df = e.df as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            let s = e.post_off as usize;
            let mut r = Reader::new(&self.data[s..s + e.post_len as usize]);
            let mut chunk = 0u32;
            while !r.at_end() {
                let (Ok(delta), Ok(tf)) = (r.var32(), r.var32()) else {
                    break;
                };
                chunk += delta;
                let Some(c) = self.chunks.get(chunk as usize) else {
                    break;
                };
                let tf = tf as f32;
                let norm = BM25_K1 * (1.0 - BM25_B + BM25_B * c.len as f32 / self.avg_len);
                *scores.entry(chunk).or_insert(0.0) += idf * tf * (BM25_K1 + 1.0) / (tf + norm);
            }
        }
        let mut out: Vec<(u32, f32)> = scores.into_iter().collect();
        out.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_from_the_word_pass_match_the_syntax_pass() {
        // Words with non-ASCII letters (split into ASCII pieces for references, kept whole for
        // terms), pieces that repeat across words, keywords, digits, defined names.
        let src = "/// Docs: naïve_count calls fooébar and foo, 2x, x1.\n\
                   fn defined_here(naïve_count: u32) -> u32 {\n    \
                   let fooébar = foo(naïve_count) + foo(1) + helper_fn();\n    \
                   défini + self.résumé_len + a_b + r#type\n}\n\
                   struct Другой { поле: u32, tail_field: Vec<u8> }\n";
        let opts = ChunkOptions::default();
        let full = syntax::analyze(Language::Rust, src, opts);
        let names: Vec<&str> = full.references.iter().map(|r| r.0.as_str()).collect();
        for want in [
            "na",
            "ve_count",
            "foo",
            "helper_fn",
            "tail_field",
            "fini",
            "_len",
        ] {
            assert!(names.contains(&want), "{want}: {names:?}");
        }
        for not in [
            "naïve_count",
            "defined_here",
            "fn",
            "x",
            "2x",
            "u32",
            "self",
        ] {
            assert!(!names.contains(&not), "{not}: {names:?}");
        }
        let (bare, tree) = syntax::analyze_with(Language::Rust, src, opts, false);
        let parsed = tree.is_some();
        assert!(parsed && bare.references.is_empty());
        let blob = blob::encode("src/x.rs", src, &bare, parsed);
        let decoded = decode_syntax(&blob).unwrap();
        assert_eq!(decoded.references, full.references);
        assert_eq!(decoded.symbols, full.symbols);
        assert!(blob == blob::encode("src/x.rs", src, &full, false));
    }

    #[test]
    fn ordered_symbol_lookup_matches_the_plain_scan() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<PathBuf> = Vec::new();
        for sub in ["src", "tests/fixtures/symbols"] {
            for e in std::fs::read_dir(dir.join(sub)).unwrap() {
                files.push(e.unwrap().path());
            }
        }
        let mut labelled = 0;
        for p in &files {
            let text = std::fs::read_to_string(p).unwrap();
            let lang = Language::from_path(p).unwrap_or(Language::Text);
            // Small chunks: many chunks inside and between definitions.
            let opts = ChunkOptions {
                max_lines: 12,
                merge_lines: 6,
            };
            let syn = syntax::analyze(lang, &text, opts);
            let name = p.to_string_lossy();
            let fast = blob::encode_with(&name, &text, &syn, false, true);
            let plain = blob::encode_with(&name, &text, &syn, false, false);
            assert!(fast == plain, "{name}: blobs differ");
            // References counted from the words of the text equal the syntax pass's.
            let (bare, tree) = syntax::analyze_with(lang, &text, opts, false);
            let parsed = tree.is_some();
            assert!(bare.references.is_empty());
            let indexed = blob::encode(&name, &text, &bare, parsed);
            assert!(indexed == fast, "{name}: references differ");
            labelled += syn.symbols.len();
        }
        assert!(
            files.len() > 15 && labelled > 200,
            "{} files, {labelled} symbols",
            files.len()
        );
    }
}
