//! `vibrant run`: generate text with the embedded engine, streaming to stdout, stats to stderr.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a command: output is its job

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use anyhow::{Context, Result, bail};

use vibrant_engine::{ChatMessage, GenerateParams, Model, SamplerParams, StopReason, generate};

/// Arguments of `vibrant run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The model: a .gguf file, a catalog name (qwen2.5-coder:1.5b), hf.co/OWNER/REPO:QUANT, or an
    /// installed model's name. Default: config `model.default`, else the store's default, else one
    /// chosen for this machine (downloaded after asking).
    #[arg(short = 'm', long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Download the chosen model without asking.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// The prompt text.
    #[arg(short = 'p', long, value_name = "TEXT", conflicts_with = "file")]
    pub prompt: Option<String>,
    /// Read the prompt from a file (`-` for stdin).
    #[arg(short = 'f', long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Treat the prompt as a user message and apply the model's chat template.
    #[arg(long)]
    pub chat: bool,
    /// System message for --chat.
    #[arg(long, value_name = "TEXT", requires = "chat")]
    pub system: Option<String>,
    /// Maximum number of tokens to generate.
    #[arg(short = 'n', long = "max-tokens", value_name = "N")]
    pub max_tokens: Option<usize>,
    /// Sampling temperature (0 = greedy).
    #[arg(long = "temp", value_name = "T")]
    pub temperature: Option<f32>,
    #[arg(long, value_name = "K")]
    pub top_k: Option<usize>,
    #[arg(long, value_name = "P")]
    pub top_p: Option<f32>,
    #[arg(long, value_name = "P")]
    pub min_p: Option<f32>,
    /// Penalise recently generated tokens (1.0 = off).
    #[arg(long, value_name = "X")]
    pub repeat_penalty: Option<f32>,
    #[arg(long, value_name = "X")]
    pub presence_penalty: Option<f32>,
    #[arg(long, value_name = "X")]
    pub frequency_penalty: Option<f32>,
    /// RNG seed (same seed and settings give the same output).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Stop when this text is generated (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub stop: Vec<String>,
    /// Context window in tokens (default: config `model.context_length`, capped by the model).
    #[arg(long = "ctx", value_name = "N")]
    pub ctx: Option<usize>,
    /// Worker threads (default: config `engine.threads`, else physical cores).
    #[arg(short = 't', long, value_name = "N")]
    pub threads: Option<usize>,
    /// Do not print statistics to stderr at the end.
    #[arg(long)]
    pub no_stats: bool,
}

/// Defaults that come from configuration (flags override them).
#[derive(Debug, Clone)]
pub struct RunDefaults {
    pub sampler: SamplerParams,
    pub max_tokens: usize,
    pub ctx: usize,
    pub threads: usize,
    /// Speculative decoding's longest draft (`engine.lookup_draft`; 0 is off).
    pub lookup_draft: usize,
}

impl RunDefaults {
    /// Defaults from the loaded configuration.
    pub fn from_context(ctx: &super::Context) -> Result<Self> {
        let c = ctx.config()?;
        // The engine's kernels follow `engine.kernels` (VIBRANT_KERNELS still overrides it).
        vibrant_kernels::configure_isa(c.engine.kernels.as_str());
        let g = &c.generation;
        Ok(Self {
            sampler: SamplerParams {
                temperature: g.temperature,
                top_k: g.top_k as usize,
                top_p: g.top_p,
                min_p: g.min_p,
                repeat_penalty: g.repeat_penalty,
                seed: g.seed,
                ..SamplerParams::default()
            },
            max_tokens: g.max_tokens as usize,
            ctx: c.model.context_length as usize,
            threads: ctx.default_threads()?,
            lookup_draft: c.engine.lookup_draft as usize,
        })
    }
}

pub fn run(ctx: &super::Context, args: RunArgs) -> Result<()> {
    let defaults = RunDefaults::from_context(ctx)?;
    let text = match (&args.prompt, &args.file) {
        (Some(p), _) => p.clone(),
        (None, Some(f)) if f.as_os_str() == "-" => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .context("reading the prompt from stdin")?;
            s
        }
        (None, Some(f)) => std::fs::read_to_string(f)
            .with_context(|| format!("reading the prompt from {}", f.display()))?,
        (None, None) => bail!("no prompt given\nhint: pass one with -p TEXT or -f FILE"),
    };
    let cancel = super::model::interrupt_flag();
    let resolved = super::model::ensure(ctx, args.model.as_deref(), args.yes, &cancel)?;
    let path: PathBuf = resolved.path().to_path_buf();
    let threads = args.threads.unwrap_or(defaults.threads);
    let spinner = super::backend::load_spinner(ctx, &resolved.name);
    let model = Model::load(&path, &ctx.load_options(threads)?)
        .with_context(|| format!("loading model {}", path.display()));
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    let model = model?;
    let tokenizer = model.tokenizer();
    let prompt = if args.chat {
        let mut messages = Vec::new();
        if let Some(system) = &args.system {
            messages.push(ChatMessage::new("system", system));
        }
        messages.push(ChatMessage::new("user", &text));
        let rendered = model
            .chat_template()
            .render(&messages, None, true)
            .context("rendering the chat template")?;
        tracing::debug!(prompt = %rendered, "rendered chat prompt");
        tokenizer.encode(&rendered, true, true)?
    } else {
        tokenizer.encode(&text, true, false)?
    };
    if prompt.is_empty() {
        bail!("the prompt is empty after tokenization");
    }

    let mut sampler = defaults.sampler.clone();
    macro_rules! set {
        ($field:ident) => {
            if let Some(v) = args.$field {
                sampler.$field = v;
            }
        };
    }
    set!(temperature);
    set!(top_k);
    set!(top_p);
    set!(min_p);
    set!(repeat_penalty);
    set!(presence_penalty);
    set!(frequency_penalty);
    if args.seed.is_some() {
        sampler.seed = args.seed;
    }
    let max_tokens = args.max_tokens.unwrap_or(defaults.max_tokens);
    let n_ctx = args.ctx.unwrap_or(defaults.ctx).max(prompt.len() + 1);
    let mut session = model.session(n_ctx);
    if prompt.len() >= session.n_ctx() {
        bail!(
            "the prompt has {} tokens but the context holds {}\nhint: raise --ctx (the model allows {})",
            prompt.len(),
            session.n_ctx(),
            model.config().n_ctx_train
        );
    }
    let params = GenerateParams {
        max_tokens,
        stop: args.stop.clone(),
        sampler,
        stop_at_eog: true,
        lookup: (defaults.lookup_draft > 0).then(|| vibrant_engine::PromptLookup {
            max_draft: defaults.lookup_draft,
            ..vibrant_engine::PromptLookup::default()
        }),
        ..GenerateParams::default()
    };

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut write_err = None;
    let generation = generate(&mut session, &prompt, &params, &cancel, &mut |piece| {
        if write_err.is_none()
            && let Err(e) = out.write_all(piece.as_bytes()).and_then(|()| out.flush())
        {
            write_err = Some(e);
            cancel.store(true, Ordering::Relaxed);
        }
    })?;
    if let Some(e) = write_err {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(());
        }
        return Err(e).context("writing to stdout");
    }
    let _ = writeln!(out);
    drop(out);
    let st = &generation.stats;
    if !args.no_stats {
        let reason = match &st.stop_reason {
            StopReason::EndOfGeneration => "end of generation".to_string(),
            StopReason::MaxTokens => format!("max tokens ({max_tokens})"),
            StopReason::StopString(s) => format!("stop string {s:?}"),
            StopReason::Cancelled => "interrupted".to_string(),
            StopReason::ContextFull => "context full".to_string(),
            StopReason::Repetition => "repetition".to_string(),
        };
        let drafts = if st.drafted > 0 {
            format!(" | drafts: {} of {} tokens kept", st.accepted, st.drafted)
        } else {
            String::new()
        };
        eprintln!(
            "\n[prompt: {} tokens in {:.2}s ({:.1} tok/s) | generated: {} tokens in {:.2}s ({:.1} tok/s){drafts} | stop: {reason}]",
            st.prompt_tokens,
            st.prefill.as_secs_f64(),
            st.prefill_tps(),
            st.generated_tokens,
            st.decode.as_secs_f64(),
            st.decode_tps(),
        );
    }
    if st.stop_reason == StopReason::Cancelled {
        std::process::exit(130);
    }
    Ok(())
}
