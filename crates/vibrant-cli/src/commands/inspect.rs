//! `vibrant model inspect FILE`: what a GGUF model is, as the engine sees it.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a command: output is its job

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use vibrant_engine::{LoadOptions, Model};

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The GGUF file.
    #[arg(value_name = "FILE.gguf")]
    pub file: PathBuf,
    /// Print the whole chat template instead of its first lines.
    #[arg(long)]
    pub template: bool,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: InspectArgs) -> Result<()> {
    let model = Model::load(
        &args.file,
        &LoadOptions {
            threads: 1,
            // Inspecting needs no fast matmul.
            repack: false,
        },
    )
    .with_context(|| format!("inspecting {}", args.file.display()))?;
    let cfg = model.config();
    let gguf = model.gguf();
    let tok = model.tokenizer();
    let mut by_type: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    let mut params = 0u64;
    for t in model.parts().iter().flat_map(|f| f.tensors()) {
        let e = by_type.entry(t.ggml_type.name().to_string()).or_default();
        e.0 += 1;
        e.1 += t.n_bytes;
        params += t.dims.iter().product::<u64>();
    }
    let template = model.chat_template();
    if args.json {
        let v = serde_json::json!({
            "file": args.file,
            "gguf_version": gguf.version(),
            "file_size": gguf.file_size(),
            "config": cfg,
            "parameters": params,
            "tensor_types": by_type.iter().map(|(k, (n, b))| (k.clone(), serde_json::json!({"tensors": n, "bytes": b}))).collect::<serde_json::Map<_, _>>(),
            "tokenizer": {"model": tok.model_kind(), "pre": tok.pre(), "n_vocab": tok.n_vocab(), "bos": tok.bos(), "eos": tok.eos(), "eog": tok.eog_ids()},
            "chat_template": {"default": template.is_default(), "source": template.source()},
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let mut o = std::io::stdout().lock();
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    writeln!(o, "file           {}", args.file.display())?;
    writeln!(
        o,
        "name           {}",
        cfg.name.as_deref().unwrap_or("(unnamed)")
    )?;
    writeln!(o, "architecture   {}", cfg.arch.name())?;
    writeln!(o, "gguf version   {}", gguf.version())?;
    writeln!(
        o,
        "size           {:.2} GiB ({} bytes)",
        gib(gguf.file_size()),
        gguf.file_size()
    )?;
    writeln!(o, "parameters     {:.2} B", params as f64 / 1e9)?;
    writeln!(o, "layers         {}", cfg.n_layer)?;
    writeln!(o, "embedding      {}", cfg.n_embd)?;
    writeln!(o, "feed-forward   {}", cfg.n_ff)?;
    writeln!(
        o,
        "heads          {} query, {} key/value, {} dims each",
        cfg.n_head, cfg.n_head_kv, cfg.head_dim
    )?;
    writeln!(
        o,
        "rope           base {}, {} dims, {:?}",
        cfg.rope_freq_base,
        cfg.n_rot,
        cfg.arch.rope_style()
    )?;
    writeln!(
        o,
        "context        {} tokens (trained); KV cache {} KiB per token",
        cfg.n_ctx_train,
        cfg.kv_bytes_per_token() / 1024
    )?;
    let types: Vec<String> = by_type
        .iter()
        .map(|(k, (n, b))| format!("{k} ×{n} ({:.0} MiB)", *b as f64 / (1 << 20) as f64))
        .collect();
    writeln!(o, "tensor types   {}", types.join(", "))?;
    writeln!(
        o,
        "output         {}",
        if model.weights().tied_output {
            "tied to the token embedding"
        } else {
            "own matrix"
        }
    )?;
    writeln!(
        o,
        "tokenizer      {} (pre: {}), {} tokens, bos {:?}, eos {:?}, end-of-generation {:?}",
        tok.model_kind(),
        tok.pre().unwrap_or("-"),
        tok.n_vocab(),
        tok.bos(),
        tok.eos(),
        tok.eog_ids()
    )?;
    if template.is_default() {
        writeln!(o, "chat template  none in the file: ChatML is used")?;
    } else if args.template {
        writeln!(o, "chat template\n{}", template.source())?;
    } else {
        let lines: Vec<&str> = template.source().lines().collect();
        writeln!(
            o,
            "chat template  {} lines (--template prints it all):",
            lines.len()
        )?;
        for l in lines.iter().take(6) {
            writeln!(o, "  {l}")?;
        }
    }
    Ok(())
}
