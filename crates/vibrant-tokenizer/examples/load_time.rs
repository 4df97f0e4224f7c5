//! Measures what loading a tokenizer costs: `cargo run --release -p vibrant-tokenizer --example load_time
//! -- <model.gguf> [runs]`. Prints the GGUF open time, `Tokenizer::from_gguf`, `ChatTemplate::from_gguf` and
//! an encode/decode throughput figure.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use vibrant_gguf::GgufFile;
use vibrant_tokenizer::{ChatTemplate, Tokenizer};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: load_time <model.gguf> [runs]")?;
    let runs: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(5);
    let (mut open, mut load, mut tmpl) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..runs {
        let t0 = Instant::now();
        let file = GgufFile::open(&path)?;
        let t1 = Instant::now();
        let tok = Tokenizer::from_gguf(&file)?;
        let t2 = Instant::now();
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
