//! Opens the three real test models (fetched by `scripts/fetch-test-models.sh`).
#![allow(clippy::unwrap_used)]

use vibrant_gguf::{GgmlType, GgufFile};

fn open(name: &str) -> GgufFile {
    let path = vibrant_testutil::model_path(name);
    GgufFile::open(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn check_common(f: &GgufFile, arch: &str, n_vocab: usize, n_layers: u32) {
    assert_eq!(f.version(), 3);
    assert_eq!(f.architecture().unwrap(), arch);
    assert_eq!(
        f.get_u32(&format!("{arch}.block_count")).unwrap(),
        Some(n_layers)
    );
    let tokens = f.get_str_array("tokenizer.ggml.tokens").unwrap().unwrap();
    assert_eq!(tokens.len(), n_vocab);
    assert_eq!(
        f.get_i32_array("tokenizer.ggml.token_type")
            .unwrap()
            .unwrap()
            .len(),
        n_vocab
    );
    // Every tensor's data lies inside the file, aligned, in the data section.
    let mut total = 0;
    for t in f.tensors() {
        assert_eq!(f.tensor(&t.name), Some(t));
        assert!(t.offset >= f.data_offset());
        assert_eq!((t.offset - f.data_offset()) % f.alignment(), 0);
        assert_eq!(f.tensor_data(t).len() as u64, t.n_bytes);
        assert_eq!(t.n_bytes, t.row_bytes() * t.n_rows());
        total += t.n_bytes;
    }
    assert!(total <= f.file_size() - f.data_offset());
    // Every layer has its attention and feed-forward weights.
    for i in 0..n_layers {
        for suffix in [
            "attn_q.weight",
            "attn_k.weight",
            "attn_v.weight",
            "attn_output.weight",
            "ffn_down.weight",
        ] {
            assert!(
                f.tensor(&format!("blk.{i}.{suffix}")).is_some(),
                "blk.{i}.{suffix}"
            );
        }
    }
}

#[test]
fn smollm2_135m() {
    let f = open("smollm2-135m-instruct-q4_1");
    check_common(&f, "llama", 49152, 30);
    // 30 layers of 9 tensors + token_embd and output_norm (the output projection is tied to token_embd).
    assert_eq!(f.tensors().len(), 30 * 9 + 2);
    assert!(f.tensor("output.weight").is_none());
    let embd = f.tensor("token_embd.weight").unwrap();
    assert_eq!(embd.dims, [576, 49152]);
    assert_eq!(f.get_u32("llama.embedding_length").unwrap(), Some(576));
    assert_eq!(f.get_u32("llama.attention.head_count").unwrap(), Some(9));
    assert_eq!(f.get_u32("llama.attention.head_count_kv").unwrap(), Some(3));
    let types: std::collections::BTreeSet<_> = f.tensors().iter().map(|t| t.ggml_type).collect();
    assert_eq!(
        types,
        [GgmlType::F32, GgmlType::Q4_1, GgmlType::Q8_0]
            .into_iter()
            .collect()
    );
}

#[test]
fn qwen25_coder_05b_awq_mixed() {
    let f = open("qwen2.5-coder-0.5b-instruct-awq-mixed");
    check_common(&f, "qwen2", 151936, 24);
    // 24 layers of 12 tensors (2 norms, q/k/v weights and biases, output, gate, up, down) + embd, norm, output.
    assert_eq!(f.tensors().len(), 24 * 12 + 3);
    let types: std::collections::BTreeSet<_> = f.tensors().iter().map(|t| t.ggml_type).collect();
    let expected = [
        GgmlType::F32,
        GgmlType::Q5_0,
        GgmlType::Q8_0,
        GgmlType::Q4_K,
        GgmlType::Q6_K,
    ];
    assert_eq!(types, expected.into_iter().collect());
    assert_eq!(f.get_u32("qwen2.embedding_length").unwrap(), Some(896));
    assert!(f.tensor("blk.0.attn_q.bias").is_some());
}

#[test]
fn qwen25_coder_15b_q4_k_m() {
    let f = open("qwen2.5-coder-1.5b-instruct-q4_k_m");
    check_common(&f, "qwen2", 151936, 28);
    assert_eq!(f.tensors().len(), 28 * 12 + 3);
    assert_eq!(f.get_u32("qwen2.embedding_length").unwrap(), Some(1536));
    assert_eq!(
        f.get_f32("qwen2.rope.freq_base").unwrap(),
        Some(1_000_000.0)
    );
    let types: std::collections::BTreeSet<_> = f.tensors().iter().map(|t| t.ggml_type).collect();
    assert_eq!(
        types,
        [GgmlType::F32, GgmlType::Q4_K, GgmlType::Q6_K]
            .into_iter()
            .collect()
    );
    assert!(
        f.get_str_array("tokenizer.ggml.merges")
            .unwrap()
            .unwrap()
            .len()
            > 100_000
    );
}
