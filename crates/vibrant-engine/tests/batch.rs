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

fn load(name: &str) -> std::sync::Arc<Model> {
    Model::load(vibrant_testutil::model_path(name), &LoadOptions::default()).unwrap()
}

fn check_model(name: &str) {
    let model = load(name);
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
    let model = load("smollm2-135m-instruct-q4_1");
    let mut a = model.session(64);
    a.eval(&[1, 2, 3], Logits::Last).unwrap();
    let mut sessions = vec![a.fork(), a.fork()];
    assert!(vibrant_engine::eval_many(&mut sessions, &[5]).is_err());
    let logits = vibrant_engine::eval_many(&mut sessions, &[5, 6]).unwrap();
    assert_eq!(logits.len(), 2 * model.config().n_vocab);
    assert_eq!(sessions[0].tokens(), &[1, 2, 3, 5]);
    assert_eq!(sessions[1].tokens(), &[1, 2, 3, 6]);
}

/// A batch hands each sequence out as soon as it ends (the shortest first), each exactly once,
/// with what `generate_many` gives; dropped early, it gives the caller's session back holding
/// the first sequence.
#[test]
fn a_batch_hands_out_each_sequence_as_it_ends() {
    let model = load("smollm2-135m-instruct-q4_1");
    let prompt = model
        .tokenizer()
        .encode("fn main() {\n    let x = ", false, false)
        .unwrap();
    let cancel = AtomicBool::new(false);
    let all = vec![params(0.0, 1, 30), params(0.8, 2, 5), params(0.8, 3, 15)];
    let mut whole = model.session(512);
    let expected = generate_many(&mut whole, &prompt, &all, &cancel).unwrap();

    let mut session = model.session(512);
    let mut order = Vec::new();
    {
        let mut batch = vibrant_engine::Batch::start(&mut session, &prompt, all.clone()).unwrap();
        while let Some((i, g)) = batch.next_finished(&cancel).unwrap() {
            assert_eq!(g.tokens, expected[i].tokens, "sequence {i}");
            assert_eq!(g.text, expected[i].text, "sequence {i}");
            order.push(i);
        }
    }
    assert_eq!(order, vec![1, 2, 0], "by length: 5, 15, then 30 tokens");

    // Stopped after the first answer: the others are dropped, the session comes back.
    let mut early = model.session(512);
    {
        let mut batch = vibrant_engine::Batch::start(&mut early, &prompt, all.clone()).unwrap();
        let (i, _) = batch.next_finished(&cancel).unwrap().unwrap();
        assert_eq!(i, 1);
    }
    assert!(
        early.n_past() > prompt.len(),
        "holds the first sequence so far"
    );
    assert!(early.n_past() < prompt.len() + 30);
    assert_eq!(&early.tokens()[..prompt.len()], &prompt[..]);
}

/// `end_only_after` keeps a sequence going past the end-of-generation token until its text holds
/// the marker often enough (an answer that must contain a whole code block).
#[test]
fn the_end_is_held_until_the_marker_appears() {
    let model = load("smollm2-135m-instruct-q4_1");
    let tok = model.tokenizer();
    let prompt = tok
        .encode(
            "<|im_start|>user\nSay hi.<|im_end|>\n<|im_start|>assistant\n",
            false,
            true,
        )
        .unwrap();
    let cancel = AtomicBool::new(false);
    let free = params(0.0, 1, 60);
    let mut s = model.session(512);
    let plain = generate(&mut s, &prompt, &free, &cancel, &mut |_| {}).unwrap();
    assert_eq!(
        plain.stats.stop_reason,
        vibrant_engine::StopReason::EndOfGeneration,
        "{:?}",
        plain.text
    );
    let held = GenerateParams {
        end_only_after: Some(("```".to_owned(), 2)),
        ..params(0.0, 1, 60)
    };
    let mut s = model.session(512);
    let single = generate(&mut s, &prompt, &held, &cancel, &mut |_| {}).unwrap();
    let mut s = model.session(512);
    let batch = generate_many(&mut s, &prompt, std::slice::from_ref(&held), &cancel).unwrap();
    for g in [&single, &batch[0]] {
        assert!(
            g.text.matches("```").count() >= 2
                || g.stats.stop_reason == vibrant_engine::StopReason::MaxTokens,
            "{:?} ended with {:?}",
            g.text,
            g.stats.stop_reason
        );
        assert!(g.tokens.len() > plain.tokens.len(), "{:?}", g.text);
        assert!(g.tokens.iter().all(|&t| !tok.is_eog(t)));
    }
    assert_eq!(single.tokens, batch[0].tokens);
}

/// A nudge opens the marker's text in a sequence that has gone on too long without it, once,
/// and leaves a sequence that has it alone.
#[test]
fn a_nudge_forces_its_text_once_after_so_many_tokens() {
    let model = load("smollm2-135m-instruct-q4_1");
    let prompt = model
        .tokenizer()
        .encode("Once upon a time", false, false)
        .unwrap();
    let cancel = AtomicBool::new(false);
    let nudge = |unless: &str| GenerateParams {
        nudge: Some(vibrant_engine::Nudge {
            after_tokens: 4,
            unless: unless.to_owned(),
            text: "\n\n```".to_owned(),
        }),
        ..params(0.0, 1, 20)
    };
    let mut s = model.session(256);
    let out = generate_many(
        &mut s,
        &prompt,
        &[params(0.0, 1, 20), nudge("```"), nudge(" ")],
        &cancel,
    )
    .unwrap();
    assert!(!out[0].text.contains("```"), "{:?}", out[0].text);
    assert_eq!(
        out[1].tokens[..4],
        out[0].tokens[..4],
        "the same until the nudge"
    );
    let head = model.tokenizer().decode(&out[0].tokens[..4], false);
    assert!(
        out[1].text.starts_with(&format!("{head}\n\n```")),
        "{:?}",
        out[1].text
    );
    assert_eq!(
        out[1].text.matches("```").count(),
        1,
        "once: {:?}",
        out[1].text
    );
    assert_eq!(
        out[2].tokens, out[0].tokens,
        "its text held the marker already"
    );
}
