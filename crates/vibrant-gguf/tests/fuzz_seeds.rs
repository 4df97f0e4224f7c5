//! The committed seed corpus of the `gguf_parse` fuzz target (written by `examples/fuzz_seeds.rs`)
//! must stay valid, or the fuzzer would start from rejected inputs only.
#![allow(clippy::unwrap_used)]

use vibrant_gguf::GgufFile;

#[test]
fn every_seed_parses() {
    let dir = vibrant_testutil::repo_root().join("fuzz/seeds/gguf_parse");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let f = GgufFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            f.file_size() <= 4096,
            "{}: seeds should stay small",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 6, "only {n} seeds in {}", dir.display());
}
