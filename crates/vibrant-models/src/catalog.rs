//! The model catalog: code models Vibrant knows by name, with where to download them and the
//! figures the memory estimate needs. The built-in catalog is `catalog.toml`, compiled into the
//! binary; [`Catalog::from_toml`] parses another one (tests, a team's own list).

use serde::Deserialize;

use crate::error::{ModelError, Result};

const BUILTIN: &str = include_str!("../catalog.toml");

/// Architecture figures used by the memory estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchFacts {
    /// Transformer blocks.
    pub layers: u32,
    /// Key/value heads (grouped-query attention shares them between query heads).
    pub kv_heads: u32,
    /// Dimension of one attention head.
    pub head_dim: u32,
    /// Hidden (embedding) size.
    pub embedding: u32,
    /// Vocabulary size.
    pub vocab: u32,
}

/// One quantization of a catalog model: the file(s) to download.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantEntry {
    /// `Q4_K_M`, `Q5_K_M`, `Q8_0`, ...
    pub quant: String,
    /// File names in the repository; split models list every part in order.
    pub files: Vec<String>,
    /// Total size of all files in bytes (approximate, see the catalog header).
    pub size: u64,
    /// The sha256 of a single-file model, where known exactly.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Whether name and size were checked against the repository listing.
    #[serde(default)]
    pub verified: bool,
}

/// One model of the catalog (a family at one parameter count).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogModel {
    /// Canonical name, e.g. `qwen2.5-coder-7b-instruct`.
    pub name: String,
    /// Short names, e.g. `qwen2.5-coder:7b`.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Family, e.g. `qwen2.5-coder`.
    pub family: String,
    /// Parameter count for display, e.g. `7B`.
    pub params: String,
    /// Hugging Face repository, `OWNER/REPO`.
    pub repo: String,
    /// Branch, tag or commit (default `main`).
    #[serde(default = "default_revision")]
    pub revision: String,
    /// Trained context length in tokens.
    pub context_length: u32,
    /// Code quality, higher is better.
    pub quality_rank: u32,
    /// Whether automatic selection may pick this model.
    #[serde(default)]
    pub auto: bool,
    /// Licence identifier.
    #[serde(default)]
    pub license: Option<String>,
    /// Figures for the memory estimate.
    pub arch: ArchFacts,
    /// Quantizations; the first is the default.
    #[serde(rename = "quant")]
    pub quants: Vec<QuantEntry>,
}

fn default_revision() -> String {
    "main".to_owned()
}

impl CatalogModel {
    /// The quantization named `quant` (case-insensitive).
    pub fn quant(&self, quant: &str) -> Option<&QuantEntry> {
        self.quants
            .iter()
            .find(|q| q.quant.eq_ignore_ascii_case(quant))
    }

    /// The default quantization (`Q4_K_M` if listed, else the first).
    pub fn default_quant(&self) -> &QuantEntry {
        self.quant("Q4_K_M").unwrap_or(&self.quants[0])
    }

    /// The id of one file set: `name:quant` in lower case, e.g. `qwen2.5-coder-7b-instruct:q4_k_m`.
    pub fn id(&self, quant: &QuantEntry) -> String {
        format!("{}:{}", self.name, quant.quant.to_ascii_lowercase())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    schema: u32,
    #[serde(rename = "model")]
    models: Vec<CatalogModel>,
}

/// A model and one of its quantizations: what a catalog reference names.
#[derive(Debug, Clone, Copy)]
pub struct CatalogPick<'a> {
    /// The model.
    pub model: &'a CatalogModel,
    /// The quantization.
    pub quant: &'a QuantEntry,
}

impl CatalogPick<'_> {
    /// `name:quant`, e.g. `qwen2.5-coder-7b-instruct:q4_k_m`.
    pub fn id(&self) -> String {
        self.model.id(self.quant)
    }
}

/// The list of known models.
#[derive(Debug, Clone)]
pub struct Catalog {
    models: Vec<CatalogModel>,
}

impl Catalog {
    /// The catalog compiled into Vibrant (`crates/vibrant-models/catalog.toml`).
    pub fn builtin() -> Self {
        // The built-in file is checked by this crate's tests; should it ever be broken, an empty
        // catalog still lets local files and Hub references work.
        Self::from_toml(BUILTIN, "built-in catalog.toml").unwrap_or_else(|e| {
            tracing::error!("{e}");
            Self { models: Vec::new() }
        })
    }

    /// Parses a catalog in the format of `catalog.toml`; `source_name` names it in errors.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Self> {
        let err = |message: String| ModelError::Catalog {
            source_name: source_name.to_owned(),
            message,
        };
        let file: CatalogFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        if file.schema != 1 {
            return Err(err(format!(
                "schema {} is not supported (this Vibrant reads schema 1)",
                file.schema
            )));
        }
        let mut seen = std::collections::HashSet::new();
        for m in &file.models {
            if m.quants.is_empty() {
                return Err(err(format!("model `{}` lists no [[model.quant]]", m.name)));
            }
            for key in std::iter::once(&m.name).chain(&m.aliases) {
                if !seen.insert(key.to_ascii_lowercase()) {
                    return Err(err(format!("name or alias `{key}` is used twice")));
                }
            }
            for q in &m.quants {
                if q.files.is_empty() {
                    return Err(err(format!(
                        "model `{}` quant {} lists no files",
                        m.name, q.quant
                    )));
                }
                if let Some(sha) = &q.sha256
                    && !is_sha256(sha)
                {
                    return Err(err(format!(
                        "model `{}` quant {}: sha256 `{sha}` is not 64 hex digits",
                        m.name, q.quant
                    )));
                }
                if q.sha256.is_some() && q.files.len() > 1 {
                    return Err(err(format!(
                        "model `{}` quant {}: sha256 is only supported for single-file models",
                        m.name, q.quant
                    )));
                }
            }
        }
        Ok(Self {
            models: file.models,
        })
    }

    /// All models, in catalog order.
    pub fn models(&self) -> &[CatalogModel] {
        &self.models
    }

    /// Every (model, quantization) pair.
    pub fn picks(&self) -> impl Iterator<Item = CatalogPick<'_>> {
        self.models.iter().flat_map(|model| {
            model
                .quants
                .iter()
                .map(move |quant| CatalogPick { model, quant })
        })
    }

    /// Looks up a catalog reference (case-insensitive):
    /// `NAME`, `NAME:QUANT`, `ALIAS` (e.g. `qwen2.5-coder:7b`), `ALIAS-QUANT` (`qwen2.5-coder:7b-q8_0`).
    /// `Ok(None)` when the reference names no catalog model; an error when it names a model but a
    /// quantization the catalog does not list.
    pub fn lookup(&self, reference: &str) -> Result<Option<CatalogPick<'_>>> {
        let r = reference.trim().to_ascii_lowercase();
        for model in &self.models {
            for alias in &model.aliases {
                let alias = alias.to_ascii_lowercase();
                if r == alias {
                    return pick_quant(model, None).map(Some);
                }
                if let Some(q) = r
                    .strip_prefix(&alias)
                    .and_then(|rest| rest.strip_prefix('-'))
                {
                    return pick_quant(model, Some(q)).map(Some);
                }
            }
        }
        let (base, quant) = match r.rsplit_once(':') {
            Some((b, q)) => (b, Some(q)),
            None => (r.as_str(), None),
        };
        match self
            .models
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(base))
        {
            Some(model) => pick_quant(model, quant).map(Some),
            None => Ok(None),
        }
    }

    /// The catalog names closest to `reference`, for "did you mean" hints.
    pub fn suggest(&self, reference: &str) -> Vec<String> {
        let r = reference.to_ascii_lowercase();
        let head: String = r.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let mut out: Vec<String> = self
            .models
            .iter()
            .filter(|m| {
                !head.is_empty() && (m.name.starts_with(&head) || m.family.starts_with(&head))
            })
            .flat_map(|m| m.aliases.first().cloned())
            .collect();
        out.truncate(6);
        out
    }
}

fn pick_quant<'a>(model: &'a CatalogModel, quant: Option<&str>) -> Result<CatalogPick<'a>> {
    let q = match quant {
        None | Some("") | Some("latest") => model.default_quant(),
        Some(q) => model.quant(q).ok_or_else(|| ModelError::UnknownQuant {
            model: model.name.clone(),
            quant: q.to_owned(),
            available: model
                .quants
                .iter()
                .map(|q| q.quant.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })?,
    };
    Ok(CatalogPick { model, quant: q })
}

/// Whether `s` is 64 hexadecimal digits.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}
