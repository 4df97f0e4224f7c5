//! A model split over several GGUF files (`-0000N-of-0000M.gguf`) loads as one model and computes
//! exactly what the single file computes.
#![allow(clippy::unwrap_used)]

use vibrant_engine::{LoadOptions, Logits, Model};
use vibrant_gguf::{GgufFile, Value, writer::GgufWriter};
use vibrant_testutil::model_path;

#[test]
fn split_model_matches_the_single_file() {
    let whole_path = model_path("smollm2-135m-instruct-q4_1");
    let whole = GgufFile::open(&whole_path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let n = whole.tensors().len();
    let cut = n / 2;
    for (part, range) in [(0u16, 0..cut), (1u16, cut..n)] {
        let mut w = GgufWriter::new();
        w.alignment(whole.alignment());
        if part == 0 {
            for (k, v) in whole.metadata() {
                w.metadata(k.clone(), v.clone());
            }
        } else {
            w.metadata("general.architecture", Value::String("llama".into()));
        }
        w.metadata("split.no", Value::U16(part));
        w.metadata("split.count", Value::U16(2));
        w.metadata("split.tensors.count", Value::I32(n as i32));
        for t in &whole.tensors()[range] {
            w.tensor(
                t.name.clone(),
                t.ggml_type,
                &t.dims,
                whole.tensor_data(t).to_vec(),
            );
        }
        w.write(
            dir.path()
                .join(format!("smol-{:05}-of-00002.gguf", part + 1)),
        )
        .unwrap();
    }

    let split = Model::load(
        dir.path().join("smol-00001-of-00002.gguf"),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(split.parts().len(), 2);
    let single = Model::load(&whole_path, &LoadOptions::default()).unwrap();
    let prompt = single
        .tokenizer()
        .encode("The capital of France is", false, false)
        .unwrap();
    let a = single
        .session(64)
        .eval(&prompt, Logits::Last)
        .unwrap()
        .to_vec();
    let b = split
        .session(64)
        .eval(&prompt, Logits::Last)
        .unwrap()
        .to_vec();
    assert_eq!(a, b, "the split model must compute bit-identical logits");
}
