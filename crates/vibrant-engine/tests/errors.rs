//! Files the engine cannot run are refused with a message that names what is wrong.
#![allow(clippy::unwrap_used)]

use vibrant_engine::{EngineError, LoadOptions, Model};
use vibrant_gguf::{GgmlType, GgufFile, Value, writer::GgufWriter};

fn tiny(arch: &str, embd_type: GgmlType) -> GgufFile {
    let (d, vocab) = (256u64, 4u64);
    let mut w = GgufWriter::new();
    w.metadata("general.architecture", Value::String(arch.into()));
    for (k, v) in [
        ("embedding_length", d),
        ("block_count", 1),
        ("feed_forward_length", 256),
        ("attention.head_count", 4),
    ] {
        w.metadata(format!("{arch}.{k}"), Value::U32(v as u32));
    }
    w.metadata("tokenizer.ggml.model", Value::String("gpt2".into()));
    w.metadata(
        "tokenizer.ggml.tokens",
        Value::Array(
            ["a", "b", "c", "d"]
                .iter()
                .map(|s| Value::String((*s).into()))
                .collect(),
        ),
    );
    w.metadata("tokenizer.ggml.merges", Value::Array(vec![]));
    let bytes = embd_type.row_bytes(d).unwrap() * vocab;
    w.tensor(
        "token_embd.weight",
        embd_type,
        &[d, vocab],
        vec![0u8; bytes as usize],
    );
    GgufFile::from_bytes(w.to_bytes().unwrap()).unwrap()
}

#[test]
fn unsupported_architecture_is_named() {
    let err = Model::from_file(tiny("gemma3", GgmlType::F32), &LoadOptions::default()).unwrap_err();
    assert!(
        matches!(err, EngineError::UnsupportedArchitecture { .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("gemma3") && msg.contains("llama") && msg.contains("qwen2"),
        "{msg}"
    );
}

#[test]
fn unsupported_tensor_type_is_named() {
    let err =
        Model::from_file(tiny("llama", GgmlType::IQ2_XXS), &LoadOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("token_embd.weight") && msg.contains("IQ2_XXS"),
        "{msg}"
    );
}

#[test]
fn missing_tensors_are_named() {
    let err = Model::from_file(tiny("llama", GgmlType::F32), &LoadOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("blk.0.attn_norm.weight") && msg.contains("missing"),
        "{msg}"
    );
}
