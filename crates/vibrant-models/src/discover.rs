//! Read-only discovery of GGUF models other tools already downloaded, used in place (never
//! copied): Ollama's store (manifests pointing at blobs), the Hugging Face hub cache
//! (`models--OWNER--REPO/snapshots/REV/*.gguf`) and extra search paths from the configuration.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::hub::{has_token, split_part};

/// Where a local model lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Downloaded into Vibrant's own store.
    Store,
    /// Imported into the store's manifest; the file stays where it was.
    Imported,
    /// In Ollama's store (read-only).
    Ollama,
    /// In the Hugging Face hub cache (read-only).
    HfCache,
    /// In a configured search path (read-only).
    SearchPath(PathBuf),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Store => f.write_str("vibrant"),
            Self::Imported => f.write_str("imported"),
            Self::Ollama => f.write_str("ollama"),
            Self::HfCache => f.write_str("hf-cache"),
            Self::SearchPath(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A model on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalModel {
    /// The name to use it by (`qwen2.5-coder-7b-instruct:q4_k_m`, `ollama/qwen2.5-coder:7b`,
    /// `hf.co/OWNER/REPO:Q4_K_M`, a file stem).
    pub name: String,
    /// The quantization, when known.
    pub quant: Option<String>,
    /// Total size in bytes.
    pub size: u64,
    /// The GGUF file(s), first part first.
    pub paths: Vec<PathBuf>,
    /// Where it lives.
    pub location: Location,
    /// Hugging Face repository, when known.
    pub repo: Option<String>,
}

/// Quantization names recognised in file names, longest first within a family.
const QUANTS: [&str; 24] = [
    "Q4_K_M", "Q4_K_S", "Q5_K_M", "Q5_K_S", "Q6_K", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
    "Q3_K_L", "Q3_K_M", "Q3_K_S", "Q2_K", "IQ4_XS", "IQ4_NL", "IQ3_M", "IQ3_XS", "IQ2_M", "F16",
    "BF16", "F32", "Q4_K_L", "Q5_K_L",
];

/// The quantization named in a file name, if any (`Qwen2.5-Coder-7B-Instruct-Q4_K_M.gguf` → `Q4_K_M`).
pub fn quant_from_name(name: &str) -> Option<String> {
    let stem = name.strip_suffix(".gguf").unwrap_or(name);
    QUANTS
        .iter()
        .find(|q| has_token(stem, q))
        .map(|q| (*q).to_owned())
}

/// The quantization a model's GGUF header gives (its first file's `general.file_type`, else
/// the type of most of its weights; see [`vibrant_gguf::GgufFile::quantization`]), or `None`
/// when the header is unreadable (logged) or says nothing.
pub fn quant_from_header(model: &LocalModel) -> Option<String> {
    let first = model.paths.first()?;
    match vibrant_gguf::GgufFile::open(first) {
        Ok(file) => file.quantization(),
        Err(e) => {
            tracing::debug!(model = %model.name, "cannot read the quantization from the header: {e}");
            None
        }
    }
}

/// Ollama's models directory: `$OLLAMA_MODELS`, else `~/.ollama/models`.
pub fn default_ollama_dir() -> Option<PathBuf> {
    std::env::var_os("OLLAMA_MODELS")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".ollama").join("models")))
}

/// The Hugging Face hub cache: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`.
pub fn default_hf_cache() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HF_HUB_CACHE") {
        return Some(PathBuf::from(p));
    }
    if let Some(p) = std::env::var_os("HF_HOME") {
        return Some(PathBuf::from(p).join("hub"));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".cache")))?;
    Some(cache.join("huggingface").join("hub"))
}

pub(crate) fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
}

#[derive(Deserialize)]
struct OllamaManifest {
    #[serde(default)]
    layers: Vec<OllamaLayer>,
}

#[derive(Deserialize)]
struct OllamaLayer {
    #[serde(rename = "mediaType")]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: u64,
}

/// The models in an Ollama store (`manifests/HOST/NAMESPACE/MODEL/TAG` → `blobs/sha256-…`).
/// Models from the default registry and namespace are named `ollama/MODEL:TAG`, others
/// `ollama/HOST/NAMESPACE/MODEL:TAG`. Unreadable manifests are skipped with a debug log.
pub fn scan_ollama(root: &Path) -> Vec<LocalModel> {
    let manifests = root.join("manifests");
    let mut files = Vec::new();
    walk(&manifests, 4, &mut |p| files.push(p.to_path_buf()));
    let mut out = Vec::new();
    for file in files {
        let Ok(rel) = file.strip_prefix(&manifests) else {
            continue;
        };
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let [host, namespace, model, tag] = parts.as_slice() else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let manifest: OllamaManifest = match serde_json::from_str(&text) {
            Ok(m) => m,
            Err(e) => {
                tracing::debug!(file = %file.display(), "skipping Ollama manifest: {e}");
                continue;
            }
        };
        let Some(layer) = manifest
            .layers
            .iter()
            .find(|l| l.media_type == "application/vnd.ollama.image.model")
        else {
            continue;
        };
        let blob = root.join("blobs").join(layer.digest.replace(':', "-"));
        let Ok(meta) = std::fs::metadata(&blob) else {
            tracing::debug!(blob = %blob.display(), "Ollama manifest points at a missing blob");
            continue;
        };
        if !crate::store::is_gguf(&blob) {
            continue;
        }
        let name = if host == "registry.ollama.ai" && namespace == "library" {
            format!("ollama/{model}:{tag}")
        } else {
            format!("ollama/{host}/{namespace}/{model}:{tag}")
        };
        let quant = quant_from_name(tag);
        out.push(LocalModel {
            name,
            quant,
            size: if layer.size > 0 {
                layer.size
            } else {
                meta.len()
            },
            paths: vec![blob],
            location: Location::Ollama,
            repo: None,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The GGUF models in a Hugging Face hub cache, named `hf.co/OWNER/REPO:QUANT` (or
/// `hf.co/OWNER/REPO/FILE` when the file name carries no quantization). Files are the snapshot
/// paths (symlinks into `blobs/`), used in place.
pub fn scan_hf_cache(root: &Path) -> Vec<LocalModel> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return out;
    };
    let mut repos: Vec<_> = entries.flatten().collect();
    repos.sort_by_key(|e| e.file_name());
    for entry in repos {
        let dir_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = dir_name.strip_prefix("models--") else {
            continue;
        };
        let repo = rest.replacen("--", "/", 1);
        let snapshots = entry.path().join("snapshots");
        let Ok(revs) = std::fs::read_dir(&snapshots) else {
            continue;
        };
        for rev in revs.flatten() {
            let mut files = Vec::new();
            walk(&rev.path(), 3, &mut |p| {
                if p.extension().is_some_and(|e| e == "gguf") {
                    files.push(p.to_path_buf());
                }
            });
            for (key, paths) in group_parts(files) {
                let rel = paths[0]
                    .strip_prefix(rev.path())
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or(key.clone());
                let name = match quant_from_name(&key) {
                    Some(q) => format!("hf.co/{repo}:{q}"),
                    None => format!("hf.co/{repo}/{rel}"),
                };
                if out.iter().any(|m: &LocalModel| m.name == name) {
                    continue;
                }
                out.push(LocalModel {
                    name,
                    quant: quant_from_name(&key),
                    size: paths.iter().map(|p| file_size(p)).sum(),
                    paths,
                    location: Location::HfCache,
                    repo: Some(repo.clone()),
                });
            }
        }
    }
    out
}

/// The GGUF files under a search path (up to three levels deep), named by file stem (a split
/// model by its stem without the part suffix).
pub fn scan_search_path(root: &Path) -> Vec<LocalModel> {
    let mut files = Vec::new();
    walk(root, 3, &mut |p| {
        if p.extension().is_some_and(|e| e == "gguf") {
            files.push(p.to_path_buf());
        }
    });
    let mut out: Vec<LocalModel> = group_parts(files)
        .into_iter()
        .map(|(key, paths)| LocalModel {
            name: key.strip_suffix(".gguf").unwrap_or(&key).to_owned(),
            quant: quant_from_name(&key),
            size: paths.iter().map(|p| file_size(p)).sum(),
            paths,
            location: Location::SearchPath(root.to_path_buf()),
            repo: None,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Groups files into models: split parts (`NAME-0000K-of-0000N.gguf`, all present) become one
/// model keyed `NAME.gguf` with its parts in order; other files stand alone, keyed by file name.
/// Incomplete split sets are skipped.
pub fn group_parts(mut files: Vec<PathBuf>) -> Vec<(String, Vec<PathBuf>)> {
    files.sort();
    let mut out: Vec<(String, Vec<PathBuf>)> = Vec::new();
    // (key, total parts, [(part index, path)])
    type SplitSet = (String, u32, Vec<(u32, PathBuf)>);
    let mut splits: Vec<SplitSet> = Vec::new();
    for f in files {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        match split_part(&name) {
            Some((base, index, total)) => {
                let key = format!("{}#{}", f.with_file_name(base).display(), total);
                match splits.iter_mut().find(|(k, _, _)| *k == key) {
                    Some((_, _, parts)) => parts.push((index, f.clone())),
                    None => splits.push((key, total, vec![(index, f.clone())])),
                }
            }
            None => out.push((name, vec![f])),
        }
    }
    for (key, total, mut parts) in splits {
        parts.sort_by_key(|(i, _)| *i);
        let complete = parts.len() as u32 == total
            && parts
                .iter()
                .enumerate()
                .all(|(n, (i, _))| *i == n as u32 + 1);
        if !complete {
            tracing::debug!(model = %key, "skipping an incomplete split model");
            continue;
        }
        let first = &parts[0].1;
        let base = split_part(&first.file_name().unwrap_or_default().to_string_lossy())
            .map(|(b, _, _)| format!("{b}.gguf"))
            .unwrap_or_default();
        out.push((base, parts.into_iter().map(|(_, p)| p).collect()));
    }
    out
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

/// Calls `f` on every file under `dir` down to `depth` levels (following symlinked files, not
/// symlinked directories).
fn walk(dir: &Path, depth: usize, f: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            if depth > 1 {
                walk(&path, depth - 1, f);
            }
        } else if ft.is_file() || (ft.is_symlink() && path.is_file()) {
            f(&path);
        }
    }
}
