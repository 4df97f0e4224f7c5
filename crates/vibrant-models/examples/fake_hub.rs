//! A local imitation of the Hugging Face Hub (the one the tests use), for trying `vibrant model`
//! by hand without network:
//!
//! ```text
//! cargo run -p vibrant-models --example fake_hub -- [--throttle-ms N] REPO FILE PATH [REPO FILE PATH …]
//! HF_ENDPOINT=http://127.0.0.1:PORT vibrant model pull hf.co/REPO:QUANT
//! ```
//!
//! It prints its endpoint, serves until killed and logs every request on stderr when it exits.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Duration;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut throttle = None;
    if args.first().map(String::as_str) == Some("--throttle-ms") {
        throttle = Some(Duration::from_millis(args[1].parse().unwrap()));
        args.drain(..2);
    }
    if args.is_empty() || !args.len().is_multiple_of(3) {
        eprintln!("usage: fake_hub [--throttle-ms N] REPO FILE PATH [REPO FILE PATH …]");
        std::process::exit(2);
    }
    let server = common::HubServer::start();
    server.set_faults(common::Faults {
        throttle,
        ..common::Faults::default()
    });
    for chunk in args.chunks(3) {
        let path = std::path::Path::new(&chunk[2]);
        let sha = vibrant_models::sha256_file(path).unwrap();
        server.host(&chunk[0], &chunk[1], path, &sha);
        eprintln!("serving {}/{} ({sha})", chunk[0], chunk[1]);
    }
    println!("{}", server.endpoint);
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
