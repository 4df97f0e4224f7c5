//! Batched decoding of several sequences that share a prompt (`generate_many`, `eval_many`)
//! gives each sequence what decoding it alone gives, on the real test models.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::AtomicBool;

use vibrant_engine::{
    GenerateParams, LoadOptions, Logits, Model, SamplerParams, generate, generate_many,
};

fn params(temperature: f32, seed: u64, max_tokens: usize) -> GenerateParams {
    GenerateParams {
        max_tokens,
        sampler: SamplerParams {
            temperature,
            seed: Some(seed),
            ..SamplerParams::default()
        },
        ..GenerateParams::default()
    }
}

fn check_model(name: &str) {
    let model = Model::load(vibrant_testutil::model_path(name), &LoadOptions::default()).unwrap();
    let prompt = model
        .tokenizer()
        .encode(
            "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
            false,
            false,
        )
        .unwrap();
    let cancel = AtomicBool::new(false);
    let all = [
        params(0.0, 1, 40),
        params(0.8, 7, 40),
        params(0.8, 9, 25),
        params(0.0, 3, 12),
    ];
    let mut session = model.session(1024);
    let batch = generate_many(&mut session, &prompt, &all, &cancel).unwrap();
    assert_eq!(batch.len(), all.len());
    for (i, p) in all.iter().enumerate() {
        let mut alone = model.session(1024);
        let single = generate(&mut alone, &prompt, p, &cancel, &mut |_| {}).unwrap();
        // The same tokens as decoding alone (the matrix products give each row what they give
        // one row; attention runs per sequence).
        assert_eq!(
            batch[i].tokens, single.tokens,
            "{name}: sequence {i} differs"
        );
        assert_eq!(batch[i].text, single.text, "{name}: sequence {i}");
        assert!(batch[i].tokens.len() <= p.max_tokens);
    }
    // Sampled sequences differ from the greedy one (diversity is the point).
    assert_ne!(batch[0].tokens, batch[1].tokens, "{name}");
    // The caller's session holds the first sequence and can go on from it.
    assert_eq!(session.n_past(), prompt.len() + batch[0].tokens.len() - 1);
    let next = session
        .eval(&[*batch[0].tokens.last().unwrap()], Logits::Last)
        .unwrap();
    assert!(next.iter().all(|x| x.is_finite()));
}

#[test]
fn batched_sequences_match_decoding_each_alone_smollm2() {
    check_model("smollm2-135m-instruct-q4_1");
}

#[test]
fn batched_sequences_match_decoding_each_alone_qwen_0_5b() {
    check_model("qwen2.5-coder-0.5b-instruct-awq-mixed");
}

#[test]
fn one_token_per_session_is_required() {
    let model = Model::load(
        vibrant_testutil::model_path("smollm2-135m-instruct-q4_1"),
        &LoadOptions::default(),
    )
    .unwrap();
    let mut a = model.session(64);
    a.eval(&[1, 2, 3], Logits::Last).unwrap();
    let mut sessions = vec![a.fork(), a.fork()];
    assert!(vibrant_engine::eval_many(&mut sessions, &[5]).is_err());
    let logits = vibrant_engine::eval_many(&mut sessions, &[5, 6]).unwrap();
    assert_eq!(logits.len(), 2 * model.config().n_vocab);
    assert_eq!(sessions[0].tokens(), &[1, 2, 3, 5]);
    assert_eq!(sessions[1].tokens(), &[1, 2, 3, 6]);
}
