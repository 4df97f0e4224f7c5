//! The local model store: models Vibrant downloaded (under `paths.models_dir`), models the user
//! imported (recorded, not copied), and read-only discovery of Ollama's store, the Hugging Face
//! cache and configured search paths. Also resolves what a user typed into local files or a
//! download plan.
//!
//! Layout:
//! ```text
//! MODELS_DIR/
//!   manifest.json                          what was downloaded or imported, and the default
//!   .manifest.lock                         serialises manifest updates between processes
//!   hf/OWNER/REPO/FILE.gguf                downloaded files (+ FILE.gguf.partial / .partial.meta /
//!                                          .lock while downloading)
//! ```

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, CatalogPick};
use crate::discover::{
    self, LocalModel, Location, default_hf_cache, default_ollama_dir, quant_from_name,
};
use crate::download::{DownloadEvent, Downloader, FileSpec, sibling};
use crate::error::{ModelError, Result, human_bytes};
use crate::hub::{check_file_name, check_repo_id, pick_files, split_part};

/// Whether `path` starts with the GGUF magic.
pub fn is_gguf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == b"GGUF"
}

/// A model ready to load: its GGUF file(s) on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedModel {
    /// The name it is known by (catalog id, `hf.co/…`, `ollama/…`, or the path).
    pub name: String,
    /// The GGUF files; a split model lists every part in order. The engine opens `paths[0]`
    /// and the rest as its continuation.
    pub paths: Vec<PathBuf>,
    /// Where it lives.
    pub location: Location,
    /// The catalog id, if the model is a catalog entry.
    pub catalog_id: Option<String>,
    /// The trained context length from the catalog, if known (the GGUF header is authoritative).
    pub context_length: Option<u32>,
    /// Total size in bytes.
    pub size: u64,
}

impl ResolvedModel {
    /// The first (or only) GGUF file.
    pub fn path(&self) -> &Path {
        &self.paths[0]
    }

    fn from_local(m: LocalModel, catalog_id: Option<String>, context_length: Option<u32>) -> Self {
        Self {
            name: m.name,
            paths: m.paths,
            location: m.location,
            catalog_id,
            context_length,
            size: m.size,
        }
    }
}

/// One file of a download plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    /// File name in the repository.
    pub name: String,
    /// Exact size, when a listing said.
    pub size: Option<u64>,
    /// Expected sha256, when known.
    pub sha256: Option<String>,
}

/// A model that must be downloaded first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteModel {
    /// The id it will be stored under.
    pub id: String,
    /// `OWNER/REPO`.
    pub repo: String,
    /// Branch, tag or commit.
    pub revision: String,
    /// The quantization, when known.
    pub quant: Option<String>,
    /// The files, in order.
    pub files: Vec<RemoteFile>,
    /// Approximate total size (exact when all file sizes are known).
    pub size: u64,
    /// The catalog id, if this is a catalog model.
    pub catalog_id: Option<String>,
    /// The trained context length, if the catalog says.
    pub context_length: Option<u32>,
    /// Where expected hashes came from (`catalog` or `Hub listing`).
    sha_origin: &'static str,
}

/// What a reference resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Files on this machine.
    Local(ResolvedModel),
    /// Needs a download ([`Store::pull`]).
    Remote(RemoteModel),
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    version: u32,
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    models: Vec<ManifestEntry>,
    /// Bytes per second of the last download that took at least a second (for the time
    /// estimate of the next one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    download_bytes_per_sec: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ManifestEntry {
    id: String,
    kind: EntryKind,
    #[serde(default)]
    repo: Option<String>,
    #[serde(default)]
    revision: Option<String>,
    #[serde(default)]
    quant: Option<String>,
    /// Relative to the store for downloads, absolute for imports.
    files: Vec<PathBuf>,
    size: u64,
    #[serde(default)]
    sha256: Vec<Option<String>>,
    #[serde(default)]
    added_unix: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum EntryKind {
    Download,
    Import,
}

/// What `rm` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// The model's id.
    pub name: String,
    /// Files deleted (downloads).
    pub deleted: Vec<PathBuf>,
    /// Files left in place (imports).
    pub kept: Vec<PathBuf>,
    /// Bytes freed.
    pub freed: u64,
    /// Whether it was the default.
    pub was_default: bool,
}

/// The model store. See the module documentation for the layout.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    catalog: Catalog,
    search_paths: Vec<PathBuf>,
    ollama_dir: Option<PathBuf>,
    hf_cache: Option<PathBuf>,
}

impl Store {
    /// The store at `root` (created on first write), with the built-in catalog and Ollama/HF
    /// cache discovery at their default places.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            catalog: Catalog::builtin(),
            search_paths: Vec::new(),
            ollama_dir: default_ollama_dir(),
            hf_cache: default_hf_cache(),
        }
    }

    /// Uses `catalog` instead of the built-in one.
    pub fn with_catalog(mut self, catalog: Catalog) -> Self {
        self.catalog = catalog;
        self
    }

    /// Extra read-only folders to find GGUF files in (config `model.search_paths`).
    pub fn with_search_paths(mut self, paths: Vec<PathBuf>) -> Self {
        self.search_paths = paths;
        self
    }

    /// Ollama's models directory (`None` disables Ollama discovery).
    pub fn with_ollama_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.ollama_dir = dir;
        self
    }

    /// The Hugging Face hub cache (`None` disables it).
    pub fn with_hf_cache(mut self, dir: Option<PathBuf>) -> Self {
        self.hf_cache = dir;
        self
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The catalog in use.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    fn manifest_path(&self) -> PathBuf {
        self.root.join("manifest.json")
    }

    fn read_manifest(&self) -> Result<Manifest> {
        let path = self.manifest_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| ModelError::Json {
                what: format!(
                    "{} (move it away to start an empty store; downloaded files stay usable by path)",
                    path.display()
                ),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest {
                version: 1,
                ..Manifest::default()
            }),
            Err(e) => Err(ModelError::io("cannot read", path, e)),
        }
    }

    /// Bytes per second of the last download that took at least a second, if any.
    pub fn download_speed(&self) -> Option<f64> {
        self.read_manifest().ok()?.download_bytes_per_sec
    }

    /// Read-modify-write of the manifest under the store's lock, replaced atomically.
    fn update_manifest<T>(&self, f: impl FnOnce(&mut Manifest) -> Result<T>) -> Result<T> {
        std::fs::create_dir_all(&self.root)
            .map_err(|e| ModelError::io("cannot create", &self.root, e))?;
        let lock_path = self.root.join(".manifest.lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| ModelError::io("cannot create", &lock_path, e))?;
        lock.lock()
            .map_err(|e| ModelError::io("cannot lock", &lock_path, e))?;
        let mut manifest = self.read_manifest()?;
        manifest.version = 1;
        let out = f(&mut manifest)?;
        let path = self.manifest_path();
        let tmp = self.root.join(".manifest.json.tmp");
        let text = serde_json::to_string_pretty(&manifest).map_err(|e| ModelError::Json {
            what: path.display().to_string(),
            message: e.to_string(),
        })?;
        // Written, flushed to disk, then renamed over the old one and the directory flushed:
        // a crash or power loss leaves the old manifest or the new one, never a torn file.
        {
            let mut f =
                std::fs::File::create(&tmp).map_err(|e| ModelError::io("cannot write", &tmp, e))?;
            std::io::Write::write_all(&mut f, text.as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| ModelError::io("cannot write", &tmp, e))?;
        }
        std::fs::rename(&tmp, &path).map_err(|e| ModelError::io("cannot replace", &path, e))?;
        if let Ok(dir) = std::fs::File::open(&self.root) {
            let _ = dir.sync_all();
        }
        Ok(out)
    }

    fn entry_model(&self, e: &ManifestEntry) -> LocalModel {
        let paths: Vec<PathBuf> = e
            .files
            .iter()
            .map(|f| {
                if f.is_absolute() {
                    f.clone()
                } else {
                    self.root.join(f)
                }
            })
            .collect();
        LocalModel {
            name: e.id.clone(),
            quant: e.quant.clone(),
            size: e.size,
            paths,
            location: match e.kind {
                EntryKind::Download => Location::Store,
                EntryKind::Import => Location::Imported,
            },
            repo: e.repo.clone(),
        }
    }

    /// Every model on this machine: the store's own (downloaded, imported) first, then Ollama's,
    /// the Hugging Face cache's and the search paths'. Store entries whose files vanished are
    /// left out (with a warning). A model whose quantization neither the manifest nor its name
    /// gives has it read from its GGUF header.
    pub fn list(&self) -> Result<Vec<LocalModel>> {
        let manifest = self.read_manifest()?;
        let mut out: Vec<LocalModel> = Vec::new();
        for e in &manifest.models {
            let m = self.entry_model(e);
            if m.paths.iter().all(|p| p.is_file()) {
                out.push(m);
            } else {
                tracing::warn!(model = %e.id, "a file of this model is missing; `vibrant model rm {}` forgets it", e.id);
            }
        }
        if let Some(dir) = &self.ollama_dir {
            out.extend(discover::scan_ollama(dir));
        }
        if let Some(dir) = &self.hf_cache {
            out.extend(discover::scan_hf_cache(dir));
        }
        for dir in &self.search_paths {
            out.extend(discover::scan_search_path(dir));
        }
        for m in out.iter_mut().filter(|m| m.quant.is_none()) {
            m.quant = discover::quant_from_header(m);
        }
        Ok(out)
    }

    /// The store's default model id (set by `vibrant model default` or a first-run download).
    pub fn default_model(&self) -> Result<Option<String>> {
        Ok(self.read_manifest()?.default)
    }

    /// Makes `reference` the default after checking that it resolves (locally, to the catalog or
    /// to a Hub reference; no network is used). Returns the id stored.
    pub fn set_default(&self, reference: &str) -> Result<String> {
        let id = match self.resolve_offline(reference)? {
            Some(Resolution::Local(m)) => m.catalog_id.unwrap_or(m.name),
            Some(Resolution::Remote(r)) => r.id,
            None => hub_id(reference).ok_or_else(|| self.unknown(reference))?,
        };
        self.update_manifest(|m| {
            m.default = Some(id.clone());
            Ok(())
        })?;
        Ok(id)
    }

    fn unknown(&self, reference: &str) -> ModelError {
        let s = self.catalog.suggest(reference);
        ModelError::UnknownModel {
            reference: reference.to_owned(),
            suggestion: if s.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", s.join(", "))
            },
        }
    }

    /// Resolves what the user typed. Local files win (a path, a store/Ollama/HF-cache/search-path
    /// model, a catalog model already downloaded or present in the HF cache); otherwise the
    /// result is a download plan. Only `hf.co/OWNER/REPO[:QUANT]` references use the network
    /// (to list the repository), through `downloader`.
    pub fn resolve(&self, reference: &str, downloader: &Downloader) -> Result<Resolution> {
        if let Some(r) = self.resolve_offline(reference)? {
            return Ok(r);
        }
        let Some((repo, quant)) = parse_hub_repo(reference) else {
            return Err(self.unknown(reference));
        };
        check_repo_id(&repo)?;
        let listing = downloader.list_repo(&repo, "main")?;
        let files = pick_files(&repo, &listing, quant.as_deref())?;
        for f in &files {
            check_file_name(&f.path)?;
        }
        let quant = quant
            .map(|q| q.to_ascii_uppercase())
            .or_else(|| quant_from_name(&files[0].path));
        let id = match &quant {
            Some(q) => format!("hf.co/{repo}:{q}"),
            None => format!("hf.co/{repo}"),
        };
        Ok(Resolution::Remote(RemoteModel {
            id,
            repo,
            revision: "main".to_owned(),
            quant,
            size: files.iter().map(|f| f.size).sum(),
            files: files
                .into_iter()
                .map(|f| RemoteFile {
                    name: f.path,
                    size: Some(f.size),
                    sha256: f.sha256,
                })
                .collect(),
            catalog_id: None,
            context_length: None,
            sha_origin: "Hub listing",
        }))
    }

    /// [`Store::resolve`] without the network: `Ok(None)` for a Hub repository reference that is
    /// not on this machine.
    pub fn resolve_offline(&self, reference: &str) -> Result<Option<Resolution>> {
        let reference = reference.trim();
        // 1. A path to a GGUF file.
        let expanded = expand_home(reference);
        if expanded.is_file() {
            return self
                .resolve_path(&expanded)
                .map(|m| Some(Resolution::Local(m)));
        }
        let local = self.list()?;
        // 2. A local model by name.
        if let Some(m) = local.iter().find(|m| names_match(&m.name, reference)) {
            return Ok(Some(Resolution::Local(ResolvedModel::from_local(
                m.clone(),
                None,
                None,
            ))));
        }
        // 3. A catalog model: installed, in the HF cache, in a search path, or to download.
        if let Some(pick) = self.catalog.lookup(reference)? {
            let id = pick.id();
            let found = local.iter().find(|m| {
                m.name == id
                    || (m.location != Location::Ollama
                        && m.paths.len() == pick.quant.files.len()
                        && m.paths.iter().zip(&pick.quant.files).all(|(p, f)| {
                            p.file_name()
                                .is_some_and(|n| n.to_string_lossy() == f.as_str())
                        }))
            });
            if let Some(m) = found {
                return Ok(Some(Resolution::Local(ResolvedModel::from_local(
                    m.clone(),
                    Some(id),
                    Some(pick.model.context_length),
                ))));
            }
            return Ok(Some(Resolution::Remote(remote_from_pick(&pick))));
        }
        // 4. `OWNER/REPO/FILE.gguf` needs no listing.
        if let Some((repo, file)) = parse_hub_file(reference) {
            check_repo_id(&repo)?;
            check_file_name(&file)?;
            let id = format!("hf.co/{repo}/{file}");
            if let Some(m) = local.iter().find(|m| {
                m.name == id
                    || (m.repo.as_deref() == Some(repo.as_str())
                        && m.paths[0]
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy() == file.as_str()))
            }) {
                return Ok(Some(Resolution::Local(ResolvedModel::from_local(
                    m.clone(),
                    None,
                    None,
                ))));
            }
            return Ok(Some(Resolution::Remote(RemoteModel {
                id,
                repo,
                revision: "main".to_owned(),
                quant: quant_from_name(&file),
                files: vec![RemoteFile {
                    name: file,
                    size: None,
                    sha256: None,
                }],
                size: 0,
                catalog_id: None,
                context_length: None,
                sha_origin: "Hub listing",
            })));
        }
        // 5. `hf.co/OWNER/REPO[:QUANT]` already here (store or HF cache)?
        if let Some((repo, quant)) = parse_hub_repo(reference) {
            check_repo_id(&repo)?;
            let found = local.iter().find(|m| {
                m.repo
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(&repo))
                    && match &quant {
                        Some(q) => m
                            .quant
                            .as_deref()
                            .is_some_and(|mq| mq.eq_ignore_ascii_case(q)),
                        None => true,
                    }
            });
            if let Some(m) = found {
                return Ok(Some(Resolution::Local(ResolvedModel::from_local(
                    m.clone(),
                    None,
                    None,
                ))));
            }
            return Ok(None);
        }
        if reference.ends_with(".gguf") {
            return Err(ModelError::io(
                "cannot find the model file",
                expanded,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        Err(self.unknown(reference))
    }

    fn resolve_path(&self, path: &Path) -> Result<ResolvedModel> {
        let path =
            std::fs::canonicalize(path).map_err(|e| ModelError::io("cannot open", path, e))?;
        if !is_gguf(&path) {
            return Err(ModelError::NotGguf { path });
        }
        let paths = split_siblings(&path)?;
        let size = paths
            .iter()
            .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
            .sum();
        Ok(ResolvedModel {
            name: path.display().to_string(),
            paths,
            location: Location::Imported,
            catalog_id: None,
            context_length: None,
            size,
        })
    }

    /// Downloads a [`RemoteModel`] into the store and records it. Files already complete are
    /// kept; partial files resume. See [`Downloader::download_file`] for events and cancellation.
    pub fn pull(
        &self,
        remote: &RemoteModel,
        downloader: &Downloader,
        on_event: &mut dyn FnMut(DownloadEvent),
        cancel: &AtomicBool,
    ) -> Result<ResolvedModel> {
        // The plan may come from a hostile listing or catalog: nothing may land outside `hf/`.
        check_repo_id(&remote.repo)?;
        for f in &remote.files {
            check_file_name(&f.name)?;
        }
        let dir = self.root.join("hf").join(&remote.repo);
        let mut rel = Vec::new();
        let mut shas = Vec::new();
        let mut total = 0;
        let mut fetched: (u64, std::time::Duration) = (0, std::time::Duration::ZERO);
        let hint_each = (remote.size / remote.files.len().max(1) as u64).max(1);
        for f in &remote.files {
            let dest = dir.join(&f.name);
            let spec = FileSpec {
                url: downloader
                    .hub()
                    .file_url(&remote.repo, &remote.revision, &f.name),
                dest: dest.clone(),
                exact_size: f.size,
                size_hint: f.size.or((remote.size > 0).then_some(hint_each)),
                sha256: f.sha256.clone(),
                sha256_origin: remote.sha_origin,
            };
            let started = std::time::Instant::now();
            let outcome = downloader.download_file(&spec, on_event, cancel)?;
            if !outcome.already_present {
                fetched.0 += outcome.bytes;
                fetched.1 += started.elapsed();
            }
            if !is_gguf(&outcome.path) {
                return Err(ModelError::NotGguf { path: outcome.path });
            }
            total += outcome.bytes;
            shas.push(outcome.sha256.or_else(|| f.sha256.clone()));
            rel.push(
                dest.strip_prefix(&self.root)
                    .map(Path::to_path_buf)
                    .unwrap_or(dest),
            );
        }
        let entry = ManifestEntry {
            id: remote.id.clone(),
            kind: EntryKind::Download,
            repo: Some(remote.repo.clone()),
            revision: Some(remote.revision.clone()),
            quant: remote.quant.clone(),
            files: rel,
            size: total,
            sha256: shas,
            added_unix: now_unix(),
        };
        let model = self.entry_model(&entry);
        // A resumed file counts whole: the speed errs high, never absurdly low.
        let speed = (fetched.1.as_secs_f64() >= 1.0 && fetched.0 >= 1 << 20)
            .then(|| fetched.0 as f64 / fetched.1.as_secs_f64());
        self.update_manifest(|m| {
            m.models.retain(|e| e.id != entry.id);
            m.models.push(entry);
            if speed.is_some() {
                m.download_bytes_per_sec = speed;
            }
            Ok(())
        })?;
        Ok(ResolvedModel::from_local(
            model,
            remote.catalog_id.clone(),
            remote.context_length,
        ))
    }

    /// Records a GGUF file (or the first part of a split model) in the store without copying it.
    /// `name` defaults to the file stem.
    pub fn import(&self, path: &Path, name: Option<&str>) -> Result<LocalModel> {
        let resolved = self.resolve_path(path)?;
        let first = resolved.path().to_path_buf();
        let stem = first
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = split_part(&stem)
            .map(|(b, _, _)| b.to_owned())
            .unwrap_or_else(|| stem.trim_end_matches(".gguf").to_owned());
        let id = name.map_or(stem, str::to_owned);
        let entry = ManifestEntry {
            id: id.clone(),
            kind: EntryKind::Import,
            repo: None,
            revision: None,
            quant: quant_from_name(&first.to_string_lossy()),
            files: resolved.paths.clone(),
            size: resolved.size,
            sha256: Vec::new(),
            added_unix: now_unix(),
        };
        let model = self.entry_model(&entry);
        self.update_manifest(|m| {
            if m.models
                .iter()
                .any(|e| e.id == id && e.kind == EntryKind::Download)
            {
                return Err(ModelError::NameTaken { name: id.clone() });
            }
            m.models.retain(|e| e.id != id);
            m.models.push(entry);
            Ok(())
        })?;
        Ok(model)
    }

    /// Removes a model from the store: a download's files are deleted (with any partial and lock
    /// files); an import is forgotten and its file kept. Models in Ollama's store, the HF cache or
    /// a search path are refused ([`ModelError::ReadOnly`]).
    pub fn remove(&self, reference: &str) -> Result<Removed> {
        let manifest = self.read_manifest()?;
        let wanted = match self.catalog.lookup(reference) {
            Ok(Some(pick)) => pick.id(),
            _ => reference.trim().to_owned(),
        };
        let Some(entry) = manifest
            .models
            .iter()
            .find(|e| names_match(&e.id, &wanted) || names_match(&e.id, reference))
            .cloned()
        else {
            if let Some(m) = self
                .list()?
                .into_iter()
                .find(|m| names_match(&m.name, reference))
            {
                return Err(ModelError::ReadOnly {
                    name: m.name.clone(),
                    owner: match &m.location {
                        Location::Ollama => "Ollama's store".to_owned(),
                        Location::HfCache => "the Hugging Face cache".to_owned(),
                        other => format!("the search path {other}"),
                    },
                    path: m.paths[0].clone(),
                });
            }
            return Err(ModelError::NotInstalled {
                name: reference.to_owned(),
            });
        };
        let model = self.entry_model(&entry);
        let mut removed = Removed {
            name: entry.id.clone(),
            deleted: Vec::new(),
            kept: Vec::new(),
            freed: 0,
            was_default: manifest.default.as_deref() == Some(entry.id.as_str()),
        };
        self.update_manifest(|m| {
            m.models.retain(|e| e.id != entry.id);
            if m.default.as_deref() == Some(entry.id.as_str()) {
                m.default = None;
            }
            Ok(())
        })?;
        for p in &model.paths {
            if entry.kind == EntryKind::Import {
                removed.kept.push(p.clone());
                continue;
            }
            let len = std::fs::metadata(p).map_or(0, |m| m.len());
            match std::fs::remove_file(p) {
                Ok(()) => {
                    removed.freed += len;
                    removed.deleted.push(p.clone());
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(ModelError::io("cannot delete", p, e)),
            }
            for suffix in [".partial", ".partial.meta", ".lock"] {
                let _ = std::fs::remove_file(sibling(p, suffix));
            }
            // Remove now-empty repository folders up to `hf/`.
            let mut dir = p.parent();
            while let Some(d) = dir {
                if d == self.root || std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
        }
        Ok(removed)
    }

    /// The size a catalog pick takes and whether it is already on this machine.
    pub fn is_installed(&self, pick: &CatalogPick<'_>) -> Result<bool> {
        Ok(matches!(
            self.resolve_offline(&pick.id())?,
            Some(Resolution::Local(_))
        ))
    }
}

fn remote_from_pick(pick: &CatalogPick<'_>) -> RemoteModel {
    let single = pick.quant.files.len() == 1;
    RemoteModel {
        id: pick.id(),
        repo: pick.model.repo.clone(),
        revision: pick.model.revision.clone(),
        quant: Some(pick.quant.quant.clone()),
        files: pick
            .quant
            .files
            .iter()
            .map(|f| RemoteFile {
                name: f.clone(),
                size: None,
                sha256: if single {
                    pick.quant.sha256.clone()
                } else {
                    None
                },
            })
            .collect(),
        size: pick.quant.size,
        catalog_id: Some(pick.id()),
        context_length: Some(pick.model.context_length),
        sha_origin: "catalog",
    }
}

/// All parts of a split model given any part (`…-00002-of-00003.gguf`), in order; a plain file alone.
fn split_siblings(path: &Path) -> Result<Vec<PathBuf>> {
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let Some((base, _, total)) = split_part(&name) else {
        return Ok(vec![path.to_path_buf()]);
    };
    (1..=total)
        .map(|i| {
            let p = path.with_file_name(format!("{base}-{i:05}-of-{total:05}.gguf"));
            if p.is_file() {
                Ok(p)
            } else {
                Err(ModelError::io(
                    "a part of this split model is missing:",
                    p,
                    std::io::Error::from(std::io::ErrorKind::NotFound),
                ))
            }
        })
        .collect()
}

fn names_match(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b.trim())
        || a.strip_prefix("hf.co/").is_some_and(|rest| {
            b.trim()
                .strip_prefix("huggingface.co/")
                .is_some_and(|r| rest.eq_ignore_ascii_case(r))
        })
}

/// `hf.co/OWNER/REPO[:QUANT]`, `huggingface.co/OWNER/REPO[:QUANT]` or `OWNER/REPO:QUANT`.
fn parse_hub_repo(reference: &str) -> Option<(String, Option<String>)> {
    let r = reference.trim();
    let (explicit, rest) = match r
        .strip_prefix("hf.co/")
        .or_else(|| r.strip_prefix("huggingface.co/"))
        .or_else(|| r.strip_prefix("https://huggingface.co/"))
    {
        Some(rest) => (true, rest),
        None => (false, r),
    };
    let (repo, quant) = match rest.rsplit_once(':') {
        Some((repo, q)) if !q.is_empty() && !q.contains('/') => (repo, Some(q.to_owned())),
        _ => (rest, None),
    };
    let mut parts = repo.split('/');
    let (Some(owner), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    if !valid(owner) || !valid(name) || (!explicit && quant.is_none()) {
        return None;
    }
    Some((format!("{owner}/{name}"), quant))
}

/// `OWNER/REPO/PATH/FILE.gguf` (optionally prefixed by `hf.co/`).
fn parse_hub_file(reference: &str) -> Option<(String, String)> {
    let r = reference.trim();
    let r = r
        .strip_prefix("hf.co/")
        .or_else(|| r.strip_prefix("huggingface.co/"))
        .unwrap_or(r);
    if !r.ends_with(".gguf") || r.starts_with('/') || r.starts_with('.') || r.starts_with('~') {
        return None;
    }
    let mut parts = r.splitn(3, '/');
    let (Some(owner), Some(name), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    if owner.is_empty() || name.is_empty() || file.is_empty() {
        return None;
    }
    Some((format!("{owner}/{name}"), file.to_owned()))
}

fn hub_id(reference: &str) -> Option<String> {
    parse_hub_repo(reference).map(|(repo, q)| match q {
        Some(q) => format!("hf.co/{repo}:{}", q.to_ascii_uppercase()),
        None => format!("hf.co/{repo}"),
    })
}

fn expand_home(reference: &str) -> PathBuf {
    match reference.strip_prefix("~/") {
        Some(rest) => discover::home().map_or_else(|| PathBuf::from(reference), |h| h.join(rest)),
        None => PathBuf::from(reference),
    }
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Human-readable size of a remote model for prompts (`4.68 GB`, or `unknown size`).
/// How long `bytes` take to download: at the speed the last download measured (bytes per
/// second) when there is one, else at two typical speeds.
pub fn download_time_estimate(bytes: u64, measured: Option<f64>) -> Option<String> {
    if bytes == 0 {
        return None;
    }
    let at = |rate: f64| human_duration(bytes as f64 / rate);
    Some(match measured.filter(|r| r.is_finite() && *r > 0.0) {
        Some(r) => format!(
            "about {} at {}/s, the speed of the last download",
            at(r),
            human_bytes(r as u64)
        ),
        None => format!("about {} at 10 MB/s, {} at 100 MB/s", at(10e6), at(100e6)),
    })
}

fn human_duration(secs: f64) -> String {
    let s = secs.ceil().max(1.0) as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s.div_ceil(60)),
        _ => format!("{} h {} min", s / 3600, (s % 3600).div_ceil(60)),
    }
}

pub fn remote_size(remote: &RemoteModel) -> String {
    if remote.size > 0 {
        human_bytes(remote.size)
    } else {
        "unknown size".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_time_is_estimated_from_the_last_speed_or_typical_ones() {
        assert_eq!(
            download_time_estimate(1_000_000_000, None).as_deref(),
            Some("about 2 min at 10 MB/s, 10 s at 100 MB/s")
        );
        let e = download_time_estimate(986_000_000, Some(4_200_000.0)).unwrap();
        assert_eq!(
            e,
            "about 4 min at 4.20 MB/s, the speed of the last download"
        );
        assert_eq!(download_time_estimate(0, None), None, "unknown size");
        assert!(
            download_time_estimate(9_000_000_000, Some(1e6))
                .unwrap()
                .starts_with("about 2 h 30 min")
        );
        assert!(
            download_time_estimate(1e6 as u64, Some(f64::NAN))
                .unwrap()
                .contains("10 MB/s")
        );
    }

    #[test]
    fn hub_references_parse() {
        assert_eq!(
            parse_hub_repo("hf.co/bartowski/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M"),
            Some((
                "bartowski/Qwen2.5-Coder-7B-Instruct-GGUF".into(),
                Some("Q4_K_M".into())
            ))
        );
        assert_eq!(parse_hub_repo("hf.co/o/r"), Some(("o/r".into(), None)));
        assert_eq!(
            parse_hub_repo("o/r:q8_0"),
            Some(("o/r".into(), Some("q8_0".into())))
        );
        assert_eq!(
            parse_hub_repo("o/r"),
            None,
            "a bare OWNER/REPO could be a relative path"
        );
        assert_eq!(parse_hub_repo("qwen2.5-coder:7b"), None);
        assert_eq!(
            parse_hub_file("o/r/sub/m-Q4_K_M.gguf"),
            Some(("o/r".into(), "sub/m-Q4_K_M.gguf".into()))
        );
        assert_eq!(parse_hub_file("./m.gguf"), None);
        assert_eq!(parse_hub_file("/abs/m.gguf"), None);
    }
}
