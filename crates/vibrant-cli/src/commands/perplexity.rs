//! `vibrant perplexity`: llama.cpp's perplexity measurement over a text file.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a command: output is its job

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use vibrant_engine::{Model, perplexity};

#[derive(Debug, clap::Args)]
pub struct PerplexityArgs {
    /// The GGUF model file.
    #[arg(short = 'm', long, value_name = "FILE.gguf")]
    pub model: PathBuf,
    /// The text file to score.
    #[arg(short = 'f', long, value_name = "FILE")]
    pub file: PathBuf,
    /// Chunk length in tokens (each chunk is scored on its second half).
    #[arg(long = "ctx", value_name = "N", default_value_t = 512)]
    pub ctx: usize,
    /// Worker threads.
    #[arg(short = 't', long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &super::Context, args: PerplexityArgs) -> Result<()> {
    vibrant_kernels::configure_isa(ctx.config()?.engine.kernels.as_str());
    let default_threads = ctx.default_threads()?;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let model = Model::load(
        &args.model,
        &ctx.load_options(args.threads.unwrap_or(default_threads))?,
    )
    .with_context(|| format!("loading model {}", args.model.display()))?;
    let tokens = model.tokenizer().encode(&text, true, false)?;
    if tokens.len() < 2 * args.ctx {
        bail!(
            "{} holds {} tokens; perplexity at --ctx {} needs at least {}\nhint: use a longer text or a smaller --ctx",
            args.file.display(),
            tokens.len(),
            args.ctx,
            2 * args.ctx
        );
    }
    let mut session = model.session(args.ctx);
    let started = std::time::Instant::now();
    eprintln!(
        "perplexity: {} tokens, {} chunks of {}",
        tokens.len(),
        tokens.len() / args.ctx,
        args.ctx
    );
    let result = perplexity(&mut session, &tokens, args.ctx, &mut |i, ppl| {
        eprint!("[{}]{ppl:.4},", i + 1);
    })?;
    eprintln!();
    let secs = started.elapsed().as_secs_f64();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!(
            "Final estimate: PPL = {:.4} over {} chunks ({} scored tokens)",
            result.ppl, result.chunks, result.scored_tokens
        );
    }
    eprintln!(
        "[{:.1}s, {:.1} tokens/s]",
        secs,
        (result.chunks * args.ctx) as f64 / secs.max(1e-9)
    );
    Ok(())
}
