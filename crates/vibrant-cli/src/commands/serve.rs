//! `vibrant serve`: the embedded engine behind an OpenAI-compatible HTTP API
//! (`vibrant-server`). Prints the base URL on stdout once listening; Ctrl-C stops it.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command: output is its job

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use vibrant_config::BackendKind;
use vibrant_server::{ServerOptions, check_bind, router, serve};

use crate::commands::Context;
use crate::commands::run::RunDefaults;

/// Arguments of `vibrant serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The model to serve (as for `vibrant run`; default: the configured or recommended one).
    #[arg(short = 'm', long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Download the chosen model without asking.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Address to listen on; anything but loopback needs an API key.
    #[arg(long, default_value = "127.0.0.1", value_name = "IP")]
    pub host: IpAddr,
    /// Port (0 picks a free one; the URL is printed).
    #[arg(long, default_value_t = 8080, value_name = "PORT")]
    pub port: u16,
    /// The NAME of the environment variable holding the API key clients must send (as
    /// `Authorization: Bearer KEY`).
    #[arg(long, value_name = "NAME")]
    pub api_key_env: Option<String>,
    /// Context window in tokens (default: config `model.context_length`).
    #[arg(long = "ctx", value_name = "N")]
    pub ctx: Option<usize>,
    /// Worker threads (default: config `engine.threads`, else physical cores).
    #[arg(short = 't', long, value_name = "N")]
    pub threads: Option<usize>,
    /// Requests that may wait while one is answered; more get 429.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub queue: usize,
    /// Most tokens one answer may have (default: config `generation.max_tokens`).
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<usize>,
}

pub fn run(ctx: &Context, args: ServeArgs) -> Result<()> {
    let config = ctx.config()?;
    if config.backend.kind != BackendKind::Embedded {
        bail!(
            "vibrant serve runs the embedded engine, but backend.kind is {}\nhint: --set backend.kind=embedded",
            config.backend.kind.as_str()
        );
    }
    let api_key = match &args.api_key_env {
        Some(name) => Some(
            std::env::var(name)
                .ok()
                .filter(|k| !k.trim().is_empty())
                .ok_or_else(|| {
                    anyhow!("--api-key-env names {name}, but that variable is not set\nhint: export {name}=… first")
                })?,
        ),
        None => None,
    };
    let defaults = RunDefaults::from_context(ctx)?;
    let options = ServerOptions {
        api_key,
        queue: args.queue,
        max_tokens: args.max_tokens.unwrap_or(defaults.max_tokens).max(1),
        ..ServerOptions::default()
    };
    let addr = SocketAddr::new(args.host, args.port);
    check_bind(addr, &options).map_err(|e| anyhow!("{e}\nhint: {}", e.hint()))?;

    let threads = args.threads.unwrap_or(defaults.threads);
    let n_ctx = args.ctx.unwrap_or(defaults.ctx);
    let (backend, _counter, _kind, name) =
        super::backend::make_backend(ctx, args.model.as_deref(), args.yes, n_ctx, threads)?;
    // A model given as a path is served under its file name ("qwen2.5-coder-1.5b-…-q4_k_m").
    let name = match std::path::Path::new(&name).file_stem() {
        Some(stem) if name.ends_with(".gguf") => stem.to_string_lossy().into_owned(),
        _ => name,
    };
    let options = ServerOptions {
        model: name.clone(),
        ..options
    };
    let read_timeout = options.read_timeout;
    let app = router(backend, options);

    // The engine has its own threads; the runtime only moves bytes.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(addr))
        .map_err(|e| {
            let err = vibrant_server::ServeError::Bind { addr, source: e };
            anyhow!("{err}\nhint: {}", err.hint())
        })?;
    let bound = listener.local_addr()?;
    println!("http://{bound}");
    eprintln!(
        "serving {name} on http://{bound}/v1 (OpenAI-compatible: /v1/chat/completions, /v1/models, /health); Ctrl-C stops"
    );
    let stop = super::model::interrupt_flag();
    let shutdown = async move {
        while !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    rt.block_on(serve(listener, app, read_timeout, shutdown))
        .context("serving")?;
    eprintln!("stopped");
    Ok(())
}
