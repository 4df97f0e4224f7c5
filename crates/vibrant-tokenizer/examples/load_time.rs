//! Measures what loading a tokenizer costs: `cargo run --release -p vibrant-tokenizer --example load_time
//! -- <model.gguf> [runs]`. Prints the GGUF open time, `Tokenizer::from_gguf`, `ChatTemplate::from_gguf` and
//! an encode/decode throughput figure.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use vibrant_gguf::GgufFile;
use vibrant_tokenizer::{ChatTemplate, Tokenizer};

/// CPU time this thread has run (Linux `schedstat`), so that numbers taken on a busy machine still mean
/// something; `None` elsewhere.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: load_time <model.gguf> [runs]")?;
    let runs: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(5);
    let (mut open, mut load, mut load_cpu, mut tmpl) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..runs {
        let t0 = Instant::now();
        let file = GgufFile::open(&path)?;
        let t1 = Instant::now();
        let c1 = thread_cpu();
        let tok = Tokenizer::from_gguf(&file)?;
        let t2 = Instant::now();
        if let (Some(a), Some(b)) = (c1, thread_cpu()) {
            load_cpu.push(b - a);
        }
        let _template = ChatTemplate::from_gguf(&file, &tok)?;
        let t3 = Instant::now();
        open.push(t1 - t0);
        load.push(t2 - t1);
        tmpl.push(t3 - t2);
        last = Some(tok);
    }
    let tok = last.ok_or("runs must be at least 1")?;
    println!("n_vocab {}  runs {runs}", tok.n_vocab());
    println!("GgufFile::open          median {:?}", median(open));
    println!("Tokenizer::from_gguf    median {:?}", median(load));
    if !load_cpu.is_empty() {
        println!("  (thread CPU time)     median {:?}", median(load_cpu));
    }
    println!("ChatTemplate::from_gguf median {:?}", median(tmpl));

    let text = "fn main() {\n    println!(\"Hello, world!\");\n}\n// 中文 emoji 🚀 ".repeat(2000);
    let t0 = Instant::now();
    let ids = tok.encode(&text, false, false)?;
    let enc = t0.elapsed();
    let t1 = Instant::now();
    let back = tok.decode(&ids, false);
    let dec = t1.elapsed();
    assert_eq!(back, text);
    println!(
        "encode {} bytes -> {} tokens in {enc:?} ({:.1} MB/s); decode in {dec:?}",
        text.len(),
        ids.len(),
        text.len() as f64 / enc.as_secs_f64() / 1e6
    );
    Ok(())
}
