//! Prints a GGUF file's header and how long parsing took:
//! `cargo run --release -p vibrant-gguf --example gguf_dump -- model.gguf [--all]`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

use vibrant_gguf::GgufFile;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: gguf_dump FILE.gguf [--all]");
        std::process::exit(2);
    };
    let all = args.iter().any(|a| a == "--all");
    let mut best = f64::INFINITY;
    let mut file = None;
    for _ in 0..5 {
        let started = Instant::now();
        match GgufFile::open(path) {
            Ok(f) => file = Some(f),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
        best = best.min(started.elapsed().as_secs_f64() * 1e3);
    }
    let Some(f) = file else { return };
    println!(
        "{path}: GGUF v{}, {} bytes, alignment {}, data at {}",
        f.version(),
        f.file_size(),
        f.alignment(),
        f.data_offset()
    );
    println!("open + parse + validate: {best:.2} ms (best of 5)");
    println!("{} metadata entries:", f.metadata().len());
    for (k, v) in f.metadata() {
        if all {
            println!("  {k} ({}) = {v}", v.describe_type());
        } else {
            println!("  {k} ({}) = {v:#}", v.describe_type());
        }
    }
    println!("{} tensors:", f.tensors().len());
    for t in f.tensors().iter().take(if all { usize::MAX } else { 12 }) {
        println!(
            "  {:<32} {:<6} {:?} @{} ({} bytes)",
            t.name,
            t.ggml_type.name(),
            t.dims,
            t.offset,
            t.n_bytes
        );
    }
}
