//! The engine's constraint hook (`vibrant_engine::generate_constrained`) with a real model
//! (SmolLM2-135M, the smallest) and hand-written constraints: masked tokens are never sampled,
//! even at temperature 1 with no top-k, `commit` sees exactly the tokens generated, `is_finished`
//! ends the generation, and a constraint error ends it with `EngineError::Constraint`.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::AtomicBool;

use vibrant_engine::{
    EngineError, GenerateParams, LoadOptions, Model, SamplerParams, StopReason, TokenConstraint,
    generate_constrained,
};

const MODEL: &str = "smollm2-135m-instruct-q4_1";

/// Allows only the next token of a fixed sequence; finished after the last one.
struct Forced {
    sequence: Vec<u32>,
    committed: Vec<u32>,
    /// `mask` fails once this many tokens were committed.
    fail_after: Option<usize>,
}

impl TokenConstraint for Forced {
    fn mask(&mut self, logits: &mut [f32]) -> Result<(), String> {
        if self.fail_after == Some(self.committed.len()) {
            return Err(format!(
                "test constraint gives up after {} tokens",
                self.committed.len()
            ));
        }
        let next = self.sequence[self.committed.len()] as usize;
        for (i, l) in logits.iter_mut().enumerate() {
            if i != next {
                *l = f32::NEG_INFINITY;
            }
        }
        Ok(())
    }

    fn commit(&mut self, token: u32) -> Result<(), String> {
        self.committed.push(token);
        Ok(())
    }

    fn is_finished(&self) -> bool {
        self.committed.len() == self.sequence.len()
    }
}

fn hot_sampler(seed: u64) -> SamplerParams {
    SamplerParams {
        temperature: 1.0,
        top_k: 0,
        top_p: 1.0,
        min_p: 0.0,
        seed: Some(seed),
        ..SamplerParams::default()
    }
}

#[test]
fn masked_tokens_are_never_sampled_and_the_constraint_can_end_or_abort_generation() {
    let model = Model::load(
        vibrant_testutil::model_path(MODEL),
        &LoadOptions {
            threads: 2,
            ..LoadOptions::default()
        },
    )
    .unwrap();
    let tok = model.tokenizer().clone();
    let prompt = tok.encode("The capital of France is", true, false).unwrap();
    // Text the model would not write after that prompt on its own.
    let sequence = tok
        .encode(" purple giraffes compile Rust quietly", false, false)
        .unwrap();
    assert!(sequence.len() >= 4);
    let cancel = AtomicBool::new(false);

    for seed in [1, 2, 3] {
        let mut session = model.session(256);
        let params = GenerateParams {
            max_tokens: 64,
            sampler: hot_sampler(seed),
            ..GenerateParams::default()
        };
        let mut c = Forced {
            sequence: sequence.clone(),
            committed: Vec::new(),
            fail_after: None,
        };
        let mut streamed = String::new();
        let out = generate_constrained(
            &mut session,
            &prompt,
            &params,
            Some(&mut c),
            &cancel,
            &mut |t| streamed.push_str(t),
        )
        .unwrap();
        assert_eq!(out.tokens, sequence, "seed {seed}");
        assert_eq!(c.committed, sequence);
        assert_eq!(out.stats.stop_reason, StopReason::EndOfGeneration);
        assert_eq!(streamed, " purple giraffes compile Rust quietly");
    }

    // Without the constraint the same sampler writes something else.
    let mut session = model.session(256);
    let params = GenerateParams {
        max_tokens: sequence.len(),
        sampler: hot_sampler(1),
        ..GenerateParams::default()
    };
    let free =
        generate_constrained(&mut session, &prompt, &params, None, &cancel, &mut |_| {}).unwrap();
    assert_ne!(free.tokens, sequence);

    // An error from the constraint ends the generation with a clear error.
    let mut session = model.session(256);
    let mut c = Forced {
        sequence: sequence.clone(),
        committed: Vec::new(),
        fail_after: Some(2),
    };
    let err = generate_constrained(
        &mut session,
        &prompt,
        &params,
        Some(&mut c),
        &cancel,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(&err, EngineError::Constraint(m) if m.contains("gives up after 2 tokens")),
        "{err}"
    );
    assert!(err.to_string().starts_with("constrained decoding failed"));
}
