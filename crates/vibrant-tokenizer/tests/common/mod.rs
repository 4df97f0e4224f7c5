//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::Value;
use vibrant_gguf::GgufFile;
use vibrant_tokenizer::Tokenizer;

/// Opens a real test model (panics with the fetch command when it is missing).
pub fn open_model(name: &str) -> GgufFile {
    GgufFile::open(vibrant_testutil::model_path(name)).unwrap()
}

/// Loads a real test model's tokenizer.
pub fn tokenizer(name: &str) -> (GgufFile, Tokenizer) {
    let file = open_model(name);
    let tok = Tokenizer::from_gguf(&file).unwrap();
    (file, tok)
}

/// Parses a reference JSON file from `tests/data/llama.cpp/`.
pub fn reference(file: &str) -> Value {
    serde_json::from_str(&vibrant_testutil::reference_text(file)).unwrap()
}

pub fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| u32::try_from(x.as_u64().unwrap()).unwrap())
        .collect()
}
