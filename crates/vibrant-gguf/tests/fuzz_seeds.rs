//! The seed corpus of the `gguf_parse` fuzz target (written by `examples/fuzz_seeds.rs`, not
//! committed) must stay valid and small, or the fuzzer would start from rejected inputs only.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)] // the example's `main` is not used here
#[path = "../examples/fuzz_seeds.rs"]
mod fuzz_seeds_example;

use vibrant_gguf::GgufFile;

#[test]
fn every_seed_parses() {
    let seeds = fuzz_seeds_example::seeds();
    assert!(seeds.len() >= 6, "only {} seeds", seeds.len());
    for (name, writer) in seeds {
        let bytes = writer.to_bytes().unwrap();
        assert!(bytes.len() <= 4096, "{name}: seeds should stay small");
        GgufFile::from_bytes(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
