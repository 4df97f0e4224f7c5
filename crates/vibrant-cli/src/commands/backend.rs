//! Choosing and opening the backend that `ask` and `chat` talk to.

use anyhow::{Context as _, Result, bail};
use vibrant_config::BackendKind;
use vibrant_context::{CharEstimate, TokenCounter};
use vibrant_core::{
    Backend, BackendError, EmbeddedBackend, ModelTokenCounter, OllamaBackend, OpenAiBackend,
    RemoteConfig,
};
use vibrant_engine::Model;

use super::Context;

/// A spinner on stderr while a model loads (mapping, and repacking its weights for this CPU
/// can take seconds): only on a terminal, never with `-q`.
pub fn load_spinner(ctx: &Context, name: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal as _;
    if ctx.global.quiet > 0 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_message(format!("loading {name}"));
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}

/// A token counter that can move to the worker thread.
pub type Counter = Box<dyn TokenCounter + Send>;

/// The backend `ask` and `chat` talk to, a token counter for the context budget, the backend kind
/// (`embedded`, `openai`, `ollama`) and the model name — from config `backend.*`, `-m` and
/// `--yes` (the embedded model goes through the first-run flow of [`super::model::ensure`]; an
/// OpenAI-compatible server given no model name, by `-m` or `model.default`, is asked for its
/// only one).
pub fn make_backend(
    ctx: &Context,
    model: Option<&str>,
    yes: bool,
    n_ctx: usize,
    threads: usize,
) -> Result<(Box<dyn Backend + Send>, Counter, &'static str, String)> {
    let config = ctx.config()?;
    let cancel = super::model::interrupt_flag();
    Ok(match config.backend.kind {
        BackendKind::Embedded => {
            let resolved = super::model::ensure(ctx, model, yes, &cancel)?;
            let path = resolved.path().to_path_buf();
            let spinner = load_spinner(ctx, &resolved.name);
            let model = Model::load(&path, &ctx.load_options(threads)?)
                .with_context(|| format!("loading model {}", path.display()));
            if let Some(s) = spinner {
                s.finish_and_clear();
            }
            let model = model?;
            let counter = ModelTokenCounter(model.tokenizer().clone());
            let backend = EmbeddedBackend::new(model, n_ctx, resolved.name.clone())
                .with_lookup_draft(config.engine.lookup_draft as usize);
            (
                Box::new(backend),
                Box::new(counter),
                "embedded",
                resolved.name,
            )
        }
        kind @ (BackendKind::Openai | BackendKind::Ollama) => {
            let ollama = kind == BackendKind::Ollama;
            let url = match (&config.backend.url, ollama) {
                (Some(u), _) => u.clone(),
                (None, true) => "http://localhost:11434".to_owned(),
                (None, false) => bail!(
                    "the openai backend needs backend.url\nhint: vibrant config set backend.url http://localhost:8080"
                ),
            };
            let api_key = match &config.backend.api_key_env {
                Some(var) => Some(std::env::var(var).map_err(|_| {
                    anyhow::anyhow!(
                        "the API key variable {var} (named by backend.api_key_env) is not set"
                    )
                })?),
                None => None,
            };
            let idle = std::time::Duration::from_secs(u64::from(config.backend.idle_timeout));
            let model = match model
                .map(str::to_owned)
                .or_else(|| config.model.default.clone())
            {
                Some(model) => model,
                None if ollama => bail!(
                    "a remote backend needs a model name\nhint: pass -m NAME or set model.default"
                ),
                // No name given: an OpenAI-compatible server serving one model (llama-server,
                // LM Studio with one loaded) says which.
                None => server_model(&url, api_key.as_deref(), idle)?,
            };
            let remote = RemoteConfig {
                url,
                model: model.clone(),
                api_key,
                context_window: n_ctx,
            };
            let backend: Box<dyn Backend + Send> = if ollama {
                Box::new(OllamaBackend::new(remote)?.with_idle_timeout(idle)?)
            } else {
                Box::new(OpenAiBackend::new(remote)?.with_idle_timeout(idle)?)
            };
            let name = if ollama { "ollama" } else { "openai" };
            (backend, Box::new(CharEstimate::default()), name, model)
        }
    })
}

/// The only model the OpenAI-compatible server at `url` serves (`GET /v1/models`), for when
/// neither `-m` nor `model.default` names one.
fn server_model(url: &str, api_key: Option<&str>, idle: std::time::Duration) -> Result<String> {
    match OpenAiBackend::only_served_model(url, api_key, idle) {
        Ok(model) => {
            tracing::info!("using {model}, the only model the server at {url} serves");
            Ok(model)
        }
        Err(
            e @ (BackendError::SeveralServedModels { .. } | BackendError::NoServedModel { .. }),
        ) => {
            bail!("{e}\nhint: pass -m NAME or set model.default")
        }
        Err(e) => Err(anyhow::Error::new(e).context(
            "no model named (-m or model.default), and asking the server which it serves failed",
        )),
    }
}
