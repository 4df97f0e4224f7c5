//! `vibrant tokenize`: show how a model's tokenizer splits text.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a command: output is its job

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use vibrant_engine::Tokenizer;
use vibrant_gguf::GgufFile;

#[derive(Debug, clap::Args)]
pub struct TokenizeArgs {
    /// The GGUF model whose tokenizer to use.
    #[arg(short = 'm', long, value_name = "FILE.gguf")]
    pub model: PathBuf,
    /// The text to tokenize.
    pub text: String,
    /// Print only the list of ids, e.g. `[40, 1079]`.
    #[arg(long)]
    pub ids: bool,
    /// Turn special-token text such as `<|im_start|>` into its id instead of tokenizing it as text.
    #[arg(long)]
    pub parse_special: bool,
    /// Add BOS/EOS as the model's metadata asks (`tokenizer.ggml.add_bos_token`).
    #[arg(long)]
    pub add_special: bool,
}

pub fn run(args: TokenizeArgs) -> Result<()> {
    let file =
        GgufFile::open(&args.model).with_context(|| format!("opening {}", args.model.display()))?;
    let tokenizer = Tokenizer::from_gguf(&file)?;
    let ids = tokenizer.encode(&args.text, args.add_special, args.parse_special)?;
    let mut out = std::io::stdout().lock();
    if args.ids {
        let list: Vec<String> = ids.iter().map(u32::to_string).collect();
        writeln!(out, "[{}]", list.join(", "))?;
    } else {
        for id in ids {
            let piece = String::from_utf8_lossy(&tokenizer.token_bytes(id)).into_owned();
            writeln!(out, "{id:>7} -> {piece:?}")?;
        }
    }
    Ok(())
}
