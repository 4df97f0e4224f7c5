//! Getting a model to run: the reference the user gave, else the configured default, else the
//! store's default, else a recommendation for this machine, downloaded with the user's consent.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use crate::download::{DownloadEvent, DownloadOptions, Downloader};
use crate::error::{ModelError, Result};
use crate::hub::HubConfig;
use crate::select::{MachineFacts, recommend};
use crate::store::{Resolution, ResolvedModel, Store, remote_size};

/// Everything model management needs from the configuration. The CLI fills it from
/// `vibrant-config` (keys in parentheses).
#[derive(Debug, Clone)]
pub struct ModelSettings {
    /// The configured default model (`model.default`); wins over the store's default.
    pub default: Option<String>,
    /// The context length to size the KV cache for (`model.context_length`).
    pub context_length: u32,
    /// The store directory (`paths.models_dir`).
    pub models_dir: PathBuf,
    /// Extra read-only folders with GGUF files (`model.search_paths`).
    pub search_paths: Vec<PathBuf>,
    /// Hub endpoint and token (`HF_ENDPOINT` / `HF_TOKEN`).
    pub hub: HubConfig,
    /// Downloader tuning.
    pub download: DownloadOptions,
    /// Where the machine's measured speed is cached (`<state>/machine-speed.json`); `None`
    /// measures it each time it is needed.
    pub speed_cache: Option<PathBuf>,
}

impl ModelSettings {
    /// The store these settings describe (built-in catalog, default Ollama/HF cache discovery).
    pub fn store(&self) -> Store {
        Store::new(&self.models_dir).with_search_paths(self.search_paths.clone())
    }

    /// A downloader for these settings.
    pub fn downloader(&self) -> Result<Downloader> {
        Downloader::new(self.hub.clone(), self.download.clone())
    }
}

/// What [`ensure_model`] asks the user; the answer is the prompt callback's `bool`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadQuestion {
    /// The model to download.
    pub model: String,
    /// Its size, human readable.
    pub size: String,
    /// Where from (host).
    pub host: String,
    /// Why this model (the recommendation's reason), when it was chosen automatically.
    pub why: Option<String>,
    /// How long the download may take ([`crate::store::download_time_estimate`]).
    pub estimate: Option<String>,
}

impl std::fmt::Display for DownloadQuestion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.estimate {
            Some(e) => write!(
                f,
                "Download {} ({}; {e}) from {}?",
                self.model, self.size, self.host
            ),
            None => write!(
                f,
                "Download {} ({}) from {}?",
                self.model, self.size, self.host
            ),
        }
    }
}

/// How a model was found, for the caller's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The reference passed in (`--model`).
    Explicit,
    /// `model.default` from the configuration.
    Configured,
    /// The store's default (`vibrant model default`, or an earlier first run).
    StoreDefault,
    /// Chosen for this machine now.
    Selected,
}

/// Returns a local model to run, downloading it first when needed.
///
/// Order: `reference` (explicit `--model`), else `settings.default` (config), else the store's
/// default, else [`recommend`] for this machine (using a local copy when there is one). An
/// explicit or configured model is downloaded without asking (the user named it); an automatically
/// selected one is downloaded only when `confirm` returns `true` — the CLI answers `true` for
/// `--yes`, asks on a TTY, and answers `false` otherwise, which yields
/// [`ModelError::ConsentRequired`]. A model selected and downloaded this way becomes the store's
/// default so the next run does not select again.
pub fn ensure_model(
    reference: Option<&str>,
    settings: &ModelSettings,
    confirm: &mut dyn FnMut(&DownloadQuestion) -> bool,
    on_event: &mut dyn FnMut(DownloadEvent),
    cancel: &AtomicBool,
) -> Result<(ResolvedModel, Origin)> {
    let store = settings.store();
    // Automatic selection ahead: measure the machine's speed too (about a second).
    let selecting =
        reference.is_none() && settings.default.is_none() && store.default_model()?.is_none();
    let facts = if selecting {
        MachineFacts::detect_with_speed(settings.speed_cache.as_deref(), false)
    } else {
        MachineFacts::detect()
    };
    ensure_model_in(
        &store,
        &settings.downloader()?,
        reference,
        settings.default.as_deref(),
        &facts,
        settings.context_length,
        confirm,
        on_event,
        cancel,
    )
}

/// [`ensure_model`] with every input explicit: the store (and its catalog), the downloader, the
/// configured default, the machine figures and the context length. Tests use it with injected
/// figures; `ensure_model` passes the detected ones.
#[allow(clippy::too_many_arguments)]
pub fn ensure_model_in(
    store: &Store,
    downloader: &Downloader,
    reference: Option<&str>,
    configured_default: Option<&str>,
    facts: &MachineFacts,
    context_length: u32,
    confirm: &mut dyn FnMut(&DownloadQuestion) -> bool,
    on_event: &mut dyn FnMut(DownloadEvent),
    cancel: &AtomicBool,
) -> Result<(ResolvedModel, Origin)> {
    let (name, origin) = match (reference, configured_default) {
        (Some(r), _) => (Some(r.to_owned()), Origin::Explicit),
        (None, Some(d)) => (Some(d.to_owned()), Origin::Configured),
        (None, None) => match store.default_model()? {
            Some(d) => (Some(d), Origin::StoreDefault),
            None => (None, Origin::Selected),
        },
    };
    if let Some(name) = name {
        let model = match store.resolve(&name, downloader)? {
            Resolution::Local(m) => m,
            Resolution::Remote(r) => store.pull(&r, downloader, on_event, cancel)?,
        };
        return Ok((model, origin));
    }

    let rec = recommend(store.catalog(), facts, context_length);
    let choice = rec
        .choice
        .as_ref()
        .ok_or_else(|| ModelError::UnknownModel {
            reference: "(automatic selection)".to_owned(),
            suggestion: format!(": {}", rec.reason),
        })?;
    tracing::info!(model = %choice.id, "selected for this machine: {}", rec.reason);
    let model = match store.resolve(&choice.id, downloader)? {
        Resolution::Local(m) => m,
        Resolution::Remote(remote) => {
            let question = DownloadQuestion {
                model: remote.id.clone(),
                size: remote_size(&remote),
                host: downloader.hub().host().to_owned(),
                why: Some(rec.reason.clone()),
                estimate: crate::store::download_time_estimate(remote.size, store.download_speed()),
            };
            if !confirm(&question) {
                return Err(ModelError::ConsentRequired {
                    model: remote.id.clone(),
                    size: question.size,
                });
            }
            store.pull(&remote, downloader, on_event, cancel)?
        }
    };
    let id = model
        .catalog_id
        .clone()
        .unwrap_or_else(|| model.name.clone());
    if let Err(e) = store.set_default(&id) {
        tracing::warn!("could not remember {id} as the default model: {e}");
    }
    Ok((model, origin))
}
