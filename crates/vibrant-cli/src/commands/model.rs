//! `vibrant model …`: list, pull, rm, default, info, import and recommend models, on top of
//! `vibrant-models`. Also the pieces `vibrant run`/`ask`/`chat` use for the first run:
//! [`settings`] (configuration → [`ModelSettings`]), [`ensure`] (pick, ask, download, with
//! progress and Ctrl-C) and [`Progress`] (the download progress renderer).
// A command's messages and prompts go to the terminal; that is this module's job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use vibrant_models::{
    Catalog, DownloadEvent, DownloadOptions, DownloadQuestion, HubConfig, MachineFacts,
    ModelSettings, Origin, Resolution, ResolvedModel, Store, Workload, ensure_model, human_bytes,
    recommend_for,
};

use crate::commands::Context;
use crate::output::{Style, paint};

#[derive(Debug, clap::Subcommand)]
pub enum ModelCommand {
    /// List the models on this machine (Vibrant's store, imports, Ollama, the Hugging Face cache,
    /// search paths); --catalog lists the models Vibrant can download by name.
    List(ListArgs),
    /// Download a model: a catalog name (qwen2.5-coder:7b), hf.co/OWNER/REPO:QUANT or OWNER/REPO/FILE.gguf.
    Pull(PullArgs),
    /// Remove a downloaded model (an imported one is forgotten, its file kept).
    Rm(NameArg),
    /// Show the default model, or make NAME the default.
    Default(DefaultArgs),
    /// Show a model's metadata from its GGUF header (or its catalog entry when not installed).
    Info(InfoArgs),
    /// Use a .gguf file in place (no copy) under a name.
    Import(ImportArgs),
    /// Recommend a model for this machine and explain the choice.
    Recommend(RecommendArgs),
    /// Load a GGUF file with the engine and show its architecture, sizes, quantizations, context,
    /// tokenizer and chat template.
    Inspect(super::inspect::InspectArgs),
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// List the catalog instead of the installed models.
    #[arg(long)]
    pub catalog: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// The model to download.
    pub name: String,
}

#[derive(Debug, clap::Args)]
pub struct NameArg {
    /// The model's name as `vibrant model list` shows it (or its catalog name).
    pub name: String,
}

#[derive(Debug, clap::Args)]
pub struct DefaultArgs {
    /// The model to make the default; without it, show the current default.
    pub name: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// A model name or a path to a .gguf file.
    pub name: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The .gguf file (the first part of a split model).
    pub path: PathBuf,
    /// The name to use it by (default: the file name without .gguf).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct RecommendArgs {
    /// Size the KV cache for this many tokens (default: model.context_length).
    #[arg(long, value_name = "TOKENS")]
    pub context: Option<u32>,
    /// What the model is for: its typical request and time target (ask: ~1.5k tokens in, ~200
    /// out, 20 s; agent: 2.5k/600, 60 s; complete: 500/30, 2 s).
    #[arg(long = "for", value_name = "USE", default_value = "ask", value_parser = clap::builder::PossibleValuesParser::new(["ask", "chat", "agent", "complete"]))]
    pub workload: String,
    /// Measure the memory bandwidth again instead of using the cached figure.
    #[arg(long)]
    pub remeasure: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The model settings from the configuration: `model.default`, `model.context_length`,
/// `model.search_paths`, `model.hf_endpoint` (else `HF_ENDPOINT`), `paths.models_dir`, `HF_TOKEN`.
pub fn settings(ctx: &Context) -> Result<ModelSettings> {
    let config = ctx.config()?;
    let models_dir = config.paths.models_dir.clone().context(
        "no models directory: set paths.models_dir (or VIBRANT_MODELS_DIR); the platform data directory could not be found",
    )?;
    Ok(ModelSettings {
        default: config
            .model
            .default
            .clone()
            .filter(|d| !d.trim().is_empty()),
        context_length: config.model.context_length,
        models_dir,
        search_paths: config.model.search_paths.clone(),
        hub: HubConfig::from_env(config.model.hf_endpoint.as_deref()),
        download: DownloadOptions::default(),
        speed_cache: config
            .paths
            .state_dir
            .as_ref()
            .map(|d| d.join("machine-speed.json")),
    })
}

/// The flag Ctrl-C sets during a download. The first Ctrl-C stops the download between chunks,
/// keeping the partial file; a second one exits at once.
pub fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        if let Err(e) = ctrlc::set_handler(move || {
            if f.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        }) {
            tracing::warn!("could not install the Ctrl-C handler: {e}");
        }
        flag
    })
    .clone()
}

/// Gets the model to run for `vibrant run`/`ask`/`chat`: `reference` (`--model`), else the
/// configured or stored default, else one selected for this machine — downloaded after asking on
/// a terminal, without asking with `yes`, and refused (with the command to run) when there is no
/// terminal to ask on. `cancel` is the command's Ctrl-C flag (e.g. from [`interrupt_flag`]): when
/// set during a download, the download stops and keeps its resumable partial file.
pub fn ensure(
    ctx: &Context,
    reference: Option<&str>,
    yes: bool,
    cancel: &AtomicBool,
) -> Result<ResolvedModel> {
    let settings = settings(ctx)?;
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let mut confirm = |q: &DownloadQuestion| -> bool {
        if let Some(why) = &q.why {
            eprintln!("No model is configured. {why}");
        }
        if yes {
            eprintln!("{q} yes (--yes)");
            return true;
        }
        if !interactive {
            return false;
        }
        eprint!("{q} [Y/n] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        if std::io::stdin().read_line(&mut answer).is_err() {
            return false;
        }
        matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "" | "y" | "yes"
        )
    };
    let mut progress = Progress::new(ctx.global.quiet > 0);
    let (model, origin) = match ensure_model(
        reference,
        &settings,
        &mut confirm,
        &mut |e| progress.on_event(e),
        cancel,
    ) {
        Ok(r) => r,
        Err(
            e @ (vibrant_models::ModelError::Network { .. }
            | vibrant_models::ModelError::Http { .. }),
        ) => {
            return Err(anyhow::Error::new(e).context(offline_hint(&settings)));
        }
        Err(e) => return Err(e.into()),
    };
    if origin == Origin::Selected {
        eprintln!(
            "Using {} (now the default; change it with `vibrant model default NAME`).",
            model.catalog_id.as_deref().unwrap_or(&model.name)
        );
    }
    Ok(model)
}

pub fn run(ctx: &Context, cmd: ModelCommand) -> Result<()> {
    match cmd {
        ModelCommand::List(a) => list(ctx, &a),
        ModelCommand::Pull(a) => pull(ctx, &a),
        ModelCommand::Rm(a) => rm(ctx, &a),
        ModelCommand::Default(a) => default(ctx, &a),
        ModelCommand::Info(a) => info(ctx, &a),
        ModelCommand::Import(a) => import(ctx, &a),
        ModelCommand::Recommend(a) => recommend_cmd(ctx, &a),
        ModelCommand::Inspect(a) => super::inspect::run(a),
    }
}

fn store(ctx: &Context) -> Result<(ModelSettings, Store)> {
    let s = settings(ctx)?;
    let store = s.store();
    Ok((s, store))
}

/// The effective default: `model.default` from the configuration, else the store's.
fn effective_default(settings: &ModelSettings, store: &Store) -> Result<Option<String>> {
    Ok(match &settings.default {
        Some(d) => Some(d.clone()),
        None => store.default_model()?,
    })
}

#[derive(Serialize)]
struct ListRow {
    name: String,
    quant: Option<String>,
    size: u64,
    location: String,
    paths: Vec<PathBuf>,
    default: bool,
}

fn list(ctx: &Context, args: &ListArgs) -> Result<()> {
    let (settings, store) = store(ctx)?;
    if args.catalog {
        return list_catalog(ctx, &store, args.json);
    }
    let default = effective_default(&settings, &store)?;
    let is_default = |name: &str| {
        default.as_deref().is_some_and(|d| {
            d.eq_ignore_ascii_case(name)
                || store
                    .catalog()
                    .lookup(d)
                    .ok()
                    .flatten()
                    .is_some_and(|p| p.id() == name)
        })
    };
    let rows: Vec<ListRow> = store
        .list()?
        .into_iter()
        .map(|m| ListRow {
            default: is_default(&m.name),
            name: m.name,
            quant: m.quant,
            size: m.size,
            location: m.location.to_string(),
            paths: m.paths,
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    if rows.is_empty() {
        writeln!(
            out,
            "No models yet. `vibrant model recommend` suggests one for this machine; `vibrant model pull NAME` downloads it."
        )?;
        return Ok(());
    }
    let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4) + 2;
    let color = ctx.color.stdout;
    writeln!(
        out,
        "{}",
        paint(
            color,
            Style::Bold,
            &format!("  {:<w$}{:<9}{:>10}  WHERE", "NAME", "QUANT", "SIZE")
        )
    )?;
    for r in &rows {
        let mark = if r.default { "*" } else { " " };
        writeln!(
            out,
            "{mark} {:<w$}{:<9}{:>10}  {}",
            r.name,
            r.quant.as_deref().unwrap_or("-"),
            human_bytes(r.size),
            r.location
        )?;
    }
    if rows.iter().any(|r| r.default) {
        writeln!(out, "{}", paint(color, Style::Dim, "* default"))?;
    }
    Ok(())
}

#[derive(Serialize)]
struct CatalogRow {
    id: String,
    alias: String,
    repo: String,
    files: Vec<String>,
    size: u64,
    context_length: u32,
    verified: bool,
    installed: bool,
}

fn list_catalog(ctx: &Context, store: &Store, json: bool) -> Result<()> {
    let mut rows = Vec::new();
    for p in store.catalog().picks() {
        rows.push(CatalogRow {
            id: p.id(),
            alias: p.model.aliases.first().cloned().unwrap_or_default(),
            repo: p.model.repo.clone(),
            files: p.quant.files.clone(),
            size: p.quant.size,
            context_length: p.model.context_length,
            verified: p.quant.verified,
            installed: store.is_installed(&p)?,
        });
    }
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    let w = rows.iter().map(|r| r.id.len()).max().unwrap_or(4) + 2;
    writeln!(
        out,
        "{}",
        paint(
            ctx.color.stdout,
            Style::Bold,
            &format!(
                "  {:<w$}{:<22}{:>10}  {:>6}  VERIFIED",
                "NAME", "ALIAS", "SIZE", "CTX"
            )
        )
    )?;
    for r in &rows {
        writeln!(
            out,
            "{} {:<w$}{:<22}{:>10}  {:>6}  {}",
            if r.installed { "✓" } else { " " },
            r.id,
            r.alias,
            format!("~{}", human_bytes(r.size)),
            r.context_length,
            if r.verified { "yes" } else { "no" }
        )?;
    }
    Ok(())
}

fn pull(ctx: &Context, args: &PullArgs) -> Result<()> {
    let (settings, store) = store(ctx)?;
    let downloader = settings.downloader()?;
    let remote = match store.resolve(&args.name, &downloader)? {
        Resolution::Local(m) => {
            eprintln!(
                "{} is already on this machine: {}",
                m.catalog_id.as_deref().unwrap_or(&m.name),
                m.path().display()
            );
            return Ok(());
        }
        Resolution::Remote(r) => r,
    };
    let quiet = ctx.global.quiet > 0;
    if !quiet {
        eprintln!(
            "Pulling {} from {}/{} ({} file{}, {})",
            remote.id,
            downloader.hub().host(),
            remote.repo,
            remote.files.len(),
            if remote.files.len() == 1 { "" } else { "s" },
            vibrant_models::remote_size(&remote)
        );
    }
    let cancel = interrupt_flag();
    let mut progress = Progress::new(quiet);
    let model = store.pull(&remote, &downloader, &mut |e| progress.on_event(e), &cancel)?;
    if quiet {
        return Ok(());
    }
    eprintln!(
        "Pulled {} ({}) into {}",
        remote.id,
        human_bytes(model.size),
        model.path().parent().unwrap_or(model.path()).display()
    );
    Ok(())
}

fn rm(ctx: &Context, args: &NameArg) -> Result<()> {
    let (_, store) = store(ctx)?;
    let removed = store.remove(&args.name)?;
    if removed.kept.is_empty() {
        println!(
            "Removed {} (freed {}).",
            removed.name,
            human_bytes(removed.freed)
        );
    } else {
        println!(
            "Forgot {}; its file stays at {}.",
            removed.name,
            removed.kept[0].display()
        );
    }
    if removed.was_default {
        println!("It was the default; the next `vibrant run` selects a model again.");
    }
    Ok(())
}

fn default(ctx: &Context, args: &DefaultArgs) -> Result<()> {
    let (settings, store) = store(ctx)?;
    let configured = || -> Result<Option<String>> {
        Ok(match &settings.default {
            Some(d) => Some(format!(
                "model.default = {d} is set by the {}",
                ctx.config()?.explain("model.default")?.origin
            )),
            None => None,
        })
    };
    match &args.name {
        None => {
            match effective_default(&settings, &store)? {
                Some(d) => println!("{d}"),
                None => println!(
                    "(none: the next `vibrant run` picks one for this machine; see `vibrant model recommend`)"
                ),
            }
            if let Some(note) = configured()? {
                eprintln!("{note}");
            }
        }
        Some(name) => {
            let id = store.set_default(name)?;
            println!("Default model: {id}");
            if let Some(note) = configured()? {
                eprintln!(
                    "note: {note}, which takes precedence; `vibrant config unset model.default` lets this default apply"
                );
            }
        }
    }
    Ok(())
}

#[derive(Serialize, Default)]
struct Info {
    name: String,
    paths: Vec<PathBuf>,
    location: String,
    size: u64,
    gguf_version: Option<u32>,
    architecture: Option<String>,
    model_name: Option<String>,
    file_type: Option<u32>,
    context_length: Option<u32>,
    layers: Option<u32>,
    embedding_length: Option<u32>,
    heads: Option<u32>,
    kv_heads: Option<u32>,
    vocab_size: Option<usize>,
    tensors: usize,
    tensor_types: Vec<(String, usize)>,
    chat_template: bool,
    catalog_id: Option<String>,
}

fn info(ctx: &Context, args: &InfoArgs) -> Result<()> {
    let (_, store) = store(ctx)?;
    let model = match store.resolve_offline(&args.name)? {
        Some(Resolution::Local(m)) => m,
        Some(Resolution::Remote(r)) => {
            // Not installed: what the catalog (or reference) says.
            let mut out = std::io::stdout().lock();
            if args.json {
                serde_json::to_writer_pretty(
                    &mut out,
                    &serde_json::json!({
                        "name": r.id, "installed": false, "repo": r.repo,
                        "files": r.files.iter().map(|f| &f.name).collect::<Vec<_>>(),
                        "size": r.size, "context_length": r.context_length,
                    }),
                )?;
                writeln!(out)?;
            } else {
                writeln!(out, "{} (not installed)", r.id)?;
                writeln!(out, "  repo            {}", r.repo)?;
                for f in &r.files {
                    writeln!(out, "  file            {}", f.name)?;
                }
                writeln!(
                    out,
                    "  size            ~{}",
                    vibrant_models::remote_size(&r)
                )?;
                if let Some(c) = r.context_length {
                    writeln!(out, "  context length  {c}")?;
                }
                writeln!(out, "download it with `vibrant model pull {}`", args.name)?;
            }
            return Ok(());
        }
        None => bail!(
            "{} is not on this machine; `vibrant model pull {}` downloads it",
            args.name,
            args.name
        ),
    };
    let parts = vibrant_gguf::GgufFile::open_split(model.path())
        .with_context(|| format!("reading {}", model.path().display()))?;
    let first = &parts[0];
    let arch = first.architecture().ok().map(str::to_owned);
    let key = |k: &str| arch.as_ref().map(|a| format!("{a}.{k}"));
    let u32_of = |k: Option<String>| k.and_then(|k| first.get_u32(&k).ok().flatten());
    let mut types: Vec<(String, usize)> = Vec::new();
    let mut tensors = 0;
    for p in &parts {
        for t in p.tensors() {
            tensors += 1;
            let name = t.ggml_type.to_string();
            match types.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => *c += 1,
                None => types.push((name, 1)),
            }
        }
    }
    types.sort_by_key(|t| std::cmp::Reverse(t.1));
    let info = Info {
        name: model.name.clone(),
        paths: model.paths.clone(),
        location: model.location.to_string(),
        size: model.size,
        gguf_version: Some(first.version()),
        model_name: first
            .get_str("general.name")
            .ok()
            .flatten()
            .map(str::to_owned),
        file_type: first.get_u32("general.file_type").ok().flatten(),
        context_length: u32_of(key("context_length")),
        layers: u32_of(key("block_count")),
        embedding_length: u32_of(key("embedding_length")),
        heads: u32_of(key("attention.head_count")),
        kv_heads: u32_of(key("attention.head_count_kv")),
        vocab_size: first
            .get_array("tokenizer.ggml.tokens")
            .ok()
            .flatten()
            .map(<[_]>::len),
        tensors,
        tensor_types: types,
        chat_template: first.get("tokenizer.chat_template").is_some(),
        catalog_id: model.catalog_id.clone(),
        architecture: arch,
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &info)?;
        writeln!(out)?;
        return Ok(());
    }
    let color = ctx.color.stdout;
    let row = |out: &mut dyn Write, label: &str, value: String| -> std::io::Result<()> {
        writeln!(
            out,
            "  {} {value}",
            paint(color, Style::Bold, &format!("{label:<16}"))
        )
    };
    let opt = |v: Option<u32>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    writeln!(out, "{}", paint(color, Style::Bold, &info.name))?;
    for (i, p) in info.paths.iter().enumerate() {
        let label = if info.paths.len() > 1 {
            format!("part {}", i + 1)
        } else {
            "path".to_owned()
        };
        row(&mut out, &label, p.display().to_string())?;
    }
    row(&mut out, "where", info.location.clone())?;
    row(&mut out, "size", human_bytes(info.size))?;
    row(
        &mut out,
        "name",
        info.model_name.clone().unwrap_or_else(|| "-".to_owned()),
    )?;
    row(
        &mut out,
        "architecture",
        info.architecture.clone().unwrap_or_else(|| "-".to_owned()),
    )?;
    row(&mut out, "context length", opt(info.context_length))?;
    row(&mut out, "layers", opt(info.layers))?;
    row(&mut out, "embedding", opt(info.embedding_length))?;
    row(
        &mut out,
        "heads",
        format!("{} (kv {})", opt(info.heads), opt(info.kv_heads)),
    )?;
    row(
        &mut out,
        "vocabulary",
        info.vocab_size
            .map_or_else(|| "-".to_owned(), |v| v.to_string()),
    )?;
    let types: Vec<String> = info
        .tensor_types
        .iter()
        .map(|(t, n)| format!("{t}×{n}"))
        .collect();
    row(
        &mut out,
        "tensors",
        format!("{} ({})", info.tensors, types.join(", ")),
    )?;
    row(&mut out, "gguf version", opt(info.gguf_version))?;
    row(
        &mut out,
        "chat template",
        if info.chat_template { "yes" } else { "no" }.to_owned(),
    )?;
    Ok(())
}

fn import(ctx: &Context, args: &ImportArgs) -> Result<()> {
    let (_, store) = store(ctx)?;
    let m = store.import(&args.path, args.name.as_deref())?;
    println!(
        "Imported {} ({}, {} file{}) in place: {}",
        m.name,
        human_bytes(m.size),
        m.paths.len(),
        if m.paths.len() == 1 { "" } else { "s" },
        m.paths[0].display()
    );
    Ok(())
}

fn recommend_cmd(ctx: &Context, args: &RecommendArgs) -> Result<()> {
    let (settings, store) = store(ctx)?;
    let ctx_len = args.context.unwrap_or(settings.context_length);
    let work = Workload::named(&args.workload).unwrap_or(Workload::ASK);
    let facts = MachineFacts::detect_with_speed(settings.speed_cache.as_deref(), args.remeasure);
    let rec = recommend_for(&Catalog::builtin(), &facts, ctx_len, &work);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &rec)?;
        writeln!(out)?;
        return Ok(());
    }
    let color = ctx.color.stdout;
    let f = &rec.facts;
    writeln!(
        out,
        "machine   {} total, {} available, {} cores; context {} tokens",
        human_bytes(f.total_memory),
        human_bytes(f.available_memory),
        f.cores,
        rec.context_length
    )?;
    writeln!(
        out,
        "budget    {} (available minus {} headroom)",
        human_bytes(rec.budget),
        human_bytes(rec.headroom)
    )?;
    writeln!(out, "table     {}", rec.tier)?;
    if let Some(s) = &f.speed {
        writeln!(
            out,
            "speed     {:.1} GB/s memory read bandwidth ({} threads), {:.0} G int8 ops/s per core",
            s.bandwidth / 1e9,
            s.cores,
            s.int8_ops_per_core / 1e9
        )?;
    }
    let w = &rec.workload;
    writeln!(
        out,
        "for       {}: {:.0} tokens in, {:.0} out, within {:.0} s",
        w.name, w.prompt_tokens, w.answer_tokens, w.target_secs
    )?;
    let line = |c: &vibrant_models::Candidate| {
        let speed = c.speed.map_or(String::new(), |e| {
            format!(
                "  ~{:.0} pp / {:.1} tg tok/s, {:.0} s{}",
                e.prompt_tps,
                e.decode_tps,
                e.request_secs,
                if c.fast_enough { "" } else { " (too slow)" }
            )
        });
        format!(
            "{:<20}{:<8}weights {:>9} + KV {:>9} + scratch {:>8} = {:>9}  {}{speed}",
            c.alias,
            c.quant,
            human_bytes(c.weights),
            human_bytes(c.kv_cache),
            human_bytes(c.scratch),
            human_bytes(c.need),
            if c.fits { "fits" } else { "does not fit" }
        )
    };
    match &rec.choice {
        Some(c) => {
            writeln!(
                out,
                "\n{} {}",
                paint(color, Style::Bold, "choice   "),
                line(c)
            )?;
            for r in &rec.runners_up {
                writeln!(out, "runner-up {}", line(r))?;
            }
            writeln!(out, "\n{}", rec.reason)?;
            let installed = matches!(store.resolve_offline(&c.id)?, Some(Resolution::Local(_)));
            if installed {
                writeln!(out, "{} is installed.", c.id)?;
            } else {
                writeln!(out, "Download it with `vibrant model pull {}`.", c.alias)?;
            }
        }
        None => writeln!(out, "\n{}", rec.reason)?,
    }
    if let Some(d) = &settings.default {
        writeln!(
            out,
            "Your configured model.default ({d}) wins over this recommendation."
        )?;
    } else if let Some(d) = store.default_model()? {
        writeln!(
            out,
            "Your default model ({d}) wins over this recommendation."
        )?;
    }
    Ok(())
}

/// Renders download events on stderr: an indicatif bar on a terminal, a plain line every 10% (or
/// every 10 seconds) otherwise. Silent when `quiet`.
pub struct Progress {
    quiet: bool,
    tty: bool,
    bar: Option<ProgressBar>,
    started: Instant,
    start_bytes: u64,
    last_line: Instant,
    last_pct: u64,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        Self {
            quiet,
            tty: std::io::stderr().is_terminal(),
            bar: None,
            started: Instant::now(),
            start_bytes: 0,
            last_line: Instant::now(),
            last_pct: 0,
        }
    }

    fn say(&self, line: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    pub fn on_event(&mut self, event: DownloadEvent) {
        match event {
            DownloadEvent::WaitingForLock { file } => {
                self.say(&format!(
                    "{file}: another vibrant process is downloading it; waiting"
                ));
            }
            DownloadEvent::Started {
                file,
                total,
                resumed_from,
            } => {
                self.started = Instant::now();
                self.start_bytes = resumed_from;
                self.last_line = Instant::now();
                self.last_pct = pct(resumed_from, total);
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                if self.quiet {
                    return;
                }
                if self.tty {
                    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
                    let style = ProgressStyle::with_template(
                        "{msg} [{bar:30}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} ETA {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
                    bar.set_style(style);
                    bar.set_message(file);
                    bar.set_position(resumed_from);
                    bar.reset_eta();
                    self.bar = Some(bar);
                } else {
                    let resume = if resumed_from > 0 {
                        format!(", resuming at {}", human_bytes(resumed_from))
                    } else {
                        String::new()
                    };
                    eprintln!(
                        "downloading {file} ({}{resume})",
                        total.map_or_else(|| "size unknown".to_owned(), human_bytes)
                    );
                }
            }
            DownloadEvent::Progress { file, done, total } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(done);
                    return;
                }
                if self.quiet {
                    return;
                }
                let p = pct(done, total);
                if p >= self.last_pct + 10 || self.last_line.elapsed() >= Duration::from_secs(10) {
                    self.last_pct = p - p % 10;
                    self.last_line = Instant::now();
                    let secs = self.started.elapsed().as_secs_f64().max(1e-3);
                    let rate = (done - self.start_bytes) as f64 / secs;
                    eprintln!(
                        "  {file}: {p}% ({} of {}, {}/s)",
                        human_bytes(done),
                        total.map_or_else(|| "?".to_owned(), human_bytes),
                        human_bytes(rate as u64)
                    );
                }
            }
            DownloadEvent::Retrying {
                file,
                attempt,
                max_attempts,
                wait,
                reason,
            } => {
                self.say(&format!(
                    "{file}: {reason}; retrying in {:.1}s (attempt {}/{max_attempts})",
                    wait.as_secs_f64(),
                    attempt + 1
                ));
            }
            DownloadEvent::RangeIgnored { file, discarded } => {
                self.say(&format!(
                    "{file}: the server cannot resume; starting over (discarding {})",
                    human_bytes(discarded)
                ));
            }
            DownloadEvent::Verifying { file } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                self.say(&format!("{file}: verifying sha256"));
            }
            DownloadEvent::Finished {
                file,
                bytes,
                already_present,
            } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                if already_present {
                    self.say(&format!(
                        "{file}: already downloaded ({})",
                        human_bytes(bytes)
                    ));
                } else {
                    self.say(&format!("{file}: done ({})", human_bytes(bytes)));
                }
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // Interrupted or failed: the error message that follows says where it stopped.
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

fn pct(done: u64, total: Option<u64>) -> u64 {
    match total {
        Some(t) if t > 0 => done.saturating_mul(100) / t,
        _ => 0,
    }
}

/// What to do when the Hub cannot be reached: the models already on this machine (the store,
/// Ollama, the Hugging Face cache, the search paths) and `vibrant model import`.
fn offline_hint(settings: &ModelSettings) -> String {
    let found: Vec<String> = settings
        .store()
        .list()
        .unwrap_or_default()
        .into_iter()
        .take(8)
        .map(|m| match m.paths.first() {
            Some(p) => format!("  {} ({})", m.name, p.display()),
            None => format!("  {}", m.name),
        })
        .collect();
    let mut s = "the model could not be downloaded (is the Hugging Face Hub reachable from this machine? HF_ENDPOINT can point at a mirror)".to_owned();
    if found.is_empty() {
        s.push_str(
            "; no model was found on this machine either (Ollama, the Hugging Face cache, LM Studio and llama.cpp's cache folders, model.search_paths) — copy a GGUF file here and run `vibrant model import PATH`",
        );
    } else {
        s.push_str(&format!(
            "; models already on this machine, usable with -m NAME (or `vibrant model default NAME`):\n{}",
            found.join("\n")
        ));
    }
    s
}
