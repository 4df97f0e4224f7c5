//! Writes the seed corpus of the `gguf_parse` fuzz target: small valid files covering every value
//! type, nested arrays, several tensor types, a custom alignment and version 2.
//! `cargo run -p vibrant-gguf --example fuzz_seeds -- fuzz/seeds/gguf_parse`
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;

use vibrant_gguf::writer::GgufWriter;
use vibrant_gguf::{GgmlType, GgufError, Value};

pub fn seeds() -> Vec<(&'static str, GgufWriter)> {
    let mut out = Vec::new();
    out.push(("empty", GgufWriter::new()));

    let mut w = GgufWriter::new();
    w.metadata("general.architecture", "llama")
        .metadata("u8", 1u8)
        .metadata("i8", -1i8)
        .metadata("u16", 2u16)
        .metadata("i16", -2i16)
        .metadata("u32", 3u32)
        .metadata("i32", -3i32)
        .metadata("f32", 0.5f32)
        .metadata("bool", true)
        .metadata("str", "héllo")
        .metadata("u64", 4u64)
        .metadata("i64", -4i64)
        .metadata("f64", 0.25f64);
    out.push(("scalars", w));

    let mut w = GgufWriter::new();
    w.metadata("a.u8", vec![1u8, 2])
        .metadata("a.i16", vec![-1i16])
        .metadata("a.u32", vec![7u32, 8, 9])
        .metadata("a.f32", vec![1.5f32])
        .metadata("a.bool", vec![true, false])
        .metadata("a.str", vec!["x", "yz", ""])
        .metadata("a.u64", vec![u64::MAX])
        .metadata("a.f64", vec![-0.0f64])
        .metadata("a.empty", Value::Array(Vec::new()))
        .metadata("a.nested", vec![vec![vec![1i8]], vec![vec![2i8, 3]]])
        .metadata(
            "a.mixed_nested",
            Value::Array(vec![Value::from(vec![1u8]), Value::from(vec!["s"])]),
        );
    out.push(("arrays", w));

    let mut w = GgufWriter::new();
    w.metadata("general.architecture", "llama");
    w.tensor_f32("f32", &[4, 2], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
        .tensor("f16", GgmlType::F16, &[3], vec![0u8; 6])
        .tensor("q4_0", GgmlType::Q4_0, &[32, 2], vec![1u8; 36])
        .tensor("q8_0", GgmlType::Q8_0, &[32], vec![2u8; 34])
        .tensor("q4_k", GgmlType::Q4_K, &[256], vec![3u8; 144])
        .tensor("i32_4d", GgmlType::I32, &[1, 1, 1, 2], vec![4u8; 8]);
    out.push(("tensors", w));

    let mut w = GgufWriter::new();
    w.version(2)
        .alignment(64)
        .metadata("general.architecture", "qwen2");
    w.tensor_f32("a", &[1], &[1.0])
        .tensor_f32("b", &[2], &[1.0, 2.0]);
    out.push(("v2_align64", w));

    let mut w = GgufWriter::new();
    let tokens: Vec<String> = (0..40).map(|i| format!("tok{i}")).collect();
    w.metadata("general.architecture", "llama")
        .metadata("tokenizer.ggml.model", "gpt2")
        .metadata("tokenizer.ggml.tokens", tokens)
        .metadata("tokenizer.ggml.token_type", vec![1i32; 40])
        .metadata("tokenizer.ggml.merges", vec!["t o", "to k"])
        .metadata("tokenizer.ggml.bos_token_id", 1u32)
        .metadata("split.no", 0u16)
        .metadata("split.count", 1u16);
    out.push(("tokenizer", w));
    out
}

fn main() -> Result<(), GgufError> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/seeds/gguf_parse".into()),
    );
    std::fs::create_dir_all(&dir).map_err(|source| GgufError::Io {
        path: dir.clone(),
        source,
    })?;
    for (name, w) in seeds() {
        let path = dir.join(format!("{name}.gguf"));
        w.write(&path)?;
        println!("{}", path.display());
    }
    Ok(())
}
