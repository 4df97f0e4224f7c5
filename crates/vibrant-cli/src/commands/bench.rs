//! `vibrant bench`: prompt-processing and generation speed, printed in `llama-bench`'s shape so the
//! two can be compared side by side on the same file.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a command: output is its job

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use vibrant_engine::{Logits, Model, Rng, argmax};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The GGUF model file.
    #[arg(short = 'm', long, value_name = "FILE.gguf")]
    pub model: PathBuf,
    /// Prompt tokens processed in one batch (the `ppN` test; 0 skips it).
    #[arg(
        short = 'p',
        long = "n-prompt",
        value_name = "N",
        default_value_t = 512
    )]
    pub n_prompt: usize,
    /// Tokens generated one at a time (the `tgN` test; 0 skips it).
    #[arg(short = 'n', long = "n-gen", value_name = "N", default_value_t = 128)]
    pub n_gen: usize,
    /// Worker threads (default: config `engine.threads`, else physical cores).
    #[arg(short = 't', long, value_name = "N")]
    pub threads: Option<usize>,
    /// Repetitions of each test.
    #[arg(
        short = 'r',
        long = "repetitions",
        value_name = "N",
        default_value_t = 3
    )]
    pub repetitions: usize,
    /// Tokens already in the KV cache before each test (`@ dN`), to measure long-context speed.
    #[arg(short = 'd', long = "n-depth", value_name = "N", default_value_t = 0)]
    pub depth: usize,
    /// Print JSON (one object per test) instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// One test's result, in llama-bench's JSON vocabulary where it has one.
#[derive(Debug, Serialize)]
pub struct BenchResult {
    pub model_filename: String,
    pub model_type: String,
    pub model_size: u64,
    pub model_n_params: u64,
    pub n_threads: usize,
    pub n_prompt: usize,
    pub n_gen: usize,
    pub n_depth: usize,
    pub kernels: String,
    /// Per-repetition tokens per second.
    pub samples_ts: Vec<f64>,
    pub avg_ts: f64,
    pub stddev_ts: f64,
}

pub fn run(ctx: &super::Context, args: BenchArgs) -> Result<()> {
    if args.repetitions == 0 {
        bail!("--repetitions must be at least 1");
    }
    vibrant_kernels::configure_isa(ctx.config()?.engine.kernels.as_str());
    let threads = match args.threads {
        Some(t) => t,
        None => ctx.default_threads()?,
    };
    let model = Model::load(&args.model, &ctx.load_options(threads)?)
        .with_context(|| format!("loading model {}", args.model.display()))?;
    let cfg = model.config();
    let n_params: u64 = model
        .parts()
        .iter()
        .flat_map(|f| f.tensors())
        .map(|t| t.dims.iter().product::<u64>())
        .sum();
    let size: u64 = model
        .parts()
        .iter()
        .flat_map(|f| f.tensors())
        .map(|t| t.n_bytes)
        .sum();
    let file_type = dominant_type(&model);
    let model_type = format!(
        "{} {:.1}B {}",
        cfg.arch.name(),
        n_params as f64 / 1e9,
        file_type
    );
    let kernels = vibrant_kernels::active_isa().name().to_string();
    let need = args.depth + args.n_prompt.max(args.n_gen) + 1;
    let mut rng = Rng::new(42);
    let mut random_tokens = |n: usize| -> Vec<u32> {
        (0..n)
            .map(|_| (rng.next_u64() % cfg.n_vocab as u64) as u32)
            .collect()
    };

    // Warm-up (pages the weights in, spins the pool up), not measured.
    {
        let mut s = model.session(need);
        s.eval(&random_tokens(16.min(need - 1).max(1)), Logits::Last)?;
    }

    let mut results = Vec::new();
    let mut tests = Vec::new();
    if args.n_prompt > 0 {
        tests.push((args.n_prompt, 0usize));
    }
    if args.n_gen > 0 {
        tests.push((0usize, args.n_gen));
    }
    if !args.json {
        println!("| model | size | params | backend | threads | test | t/s |");
        println!("| --- | ---: | ---: | --- | ---: | --- | ---: |");
    }
    for (n_prompt, n_gen) in tests {
        let mut samples = Vec::with_capacity(args.repetitions);
        for _ in 0..args.repetitions {
            let mut s = model.session(need);
            if args.depth > 0 {
                s.eval(&random_tokens(args.depth), Logits::Last)?;
            }
            if n_prompt > 0 {
                let tokens = random_tokens(n_prompt);
                let t0 = Instant::now();
                s.eval(&tokens, Logits::Last)?;
                samples.push(n_prompt as f64 / t0.elapsed().as_secs_f64());
            } else {
                let mut tok = random_tokens(1)[0];
                let t0 = Instant::now();
                for _ in 0..n_gen {
                    let logits = s.eval(&[tok], Logits::Last)?;
                    tok = argmax(logits);
                }
                samples.push(n_gen as f64 / t0.elapsed().as_secs_f64());
            }
        }
        let avg = samples.iter().sum::<f64>() / samples.len() as f64;
        let var = if samples.len() > 1 {
            samples.iter().map(|x| (x - avg).powi(2)).sum::<f64>() / (samples.len() - 1) as f64
        } else {
            0.0
        };
        let test = if n_prompt > 0 {
            format!("pp{n_prompt}")
        } else {
            format!("tg{n_gen}")
        };
        let test = if args.depth > 0 {
            format!("{test} @ d{}", args.depth)
        } else {
            test
        };
        let r = BenchResult {
            model_filename: args.model.display().to_string(),
            model_type: model_type.clone(),
            model_size: size,
            model_n_params: n_params,
            n_threads: model.threads(),
            n_prompt,
            n_gen,
            n_depth: args.depth,
            kernels: kernels.clone(),
            samples_ts: samples,
            avg_ts: avg,
            stddev_ts: var.sqrt(),
        };
        if args.json {
            println!("{}", serde_json::to_string(&r)?);
        } else {
            println!(
                "| {} | {:.2} GiB | {:.2} B | CPU ({}) | {} | {} | {:.2} ± {:.2} |",
                r.model_type,
                size as f64 / (1u64 << 30) as f64,
                n_params as f64 / 1e9,
                kernels,
                r.n_threads,
                test,
                r.avg_ts,
                r.stddev_ts
            );
        }
        results.push(r);
    }
    Ok(())
}

/// The quantization that holds most of the weight bytes (e.g. `Q4_K`).
fn dominant_type(model: &Model) -> String {
    let mut by: std::collections::BTreeMap<&str, u64> = Default::default();
    for t in model.parts().iter().flat_map(|f| f.tensors()) {
        *by.entry(t.ggml_type.name()).or_default() += t.n_bytes;
    }
    by.into_iter()
        .max_by_key(|(_, b)| *b)
        .map(|(n, _)| n.to_string())
        .unwrap_or_default()
}
