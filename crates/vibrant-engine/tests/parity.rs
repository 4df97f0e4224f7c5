//! Parity with llama.cpp on the three real test models: greedy generation with per-step
//! log-probabilities, and perplexity (reference data in tests/data/llama.cpp/).
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::sync::Arc;

use serde_json::Value;
use vibrant_engine::{LoadOptions, Logits, Model, ops::log_softmax};
use vibrant_testutil::{model_path, reference_text};

/// The per-step bar for the top-1 log-prob (nats). See `check_greedy` for how it is applied.
const LOGPROB_TOL: f64 = 0.05;
/// No matched step may be further than this from llama.cpp.
const LOGPROB_HARD: f64 = 0.25;
/// Mean |Δ log-prob| over all matched steps of a model must stay under this.
const LOGPROB_MEAN: f64 = 0.05;
/// Our greedy choice may differ from llama.cpp's only where the reference's top-1/top-2 gap is under this.
const DIVERGE_GAP: f64 = 0.2;
/// Top-5 overlap: a reference id just outside our top 5 counts when our log-prob for it is within
/// this of our 5th. llama.cpp's own default run (same commit, this machine kind) misses the reference
/// top 5 of the 1.5B by more than the old 0.1: at step 14 of "The capital of France is" it ranks
/// 8084 and 1283 4th/5th (−5.06, −5.11) and the reference's 6169/30450 at −5.25/−5.24 (the reference
/// says −4.86/−5.02); see docs/results/engine-parity.md, "llama.cpp against itself".
const NEAR_TIE: f64 = 0.25;

fn load(name: &str) -> Arc<Model> {
    Model::load(model_path(name), &LoadOptions::default()).expect("model loads")
}

/// Ids sorted by log-prob, best first (the first `n`).
fn top(lp: &[f64], n: usize) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..lp.len() as u32).collect();
    idx.select_nth_unstable_by(n, |&a, &b| lp[b as usize].total_cmp(&lp[a as usize]));
    idx.truncate(n);
    idx.sort_by(|&a, &b| lp[b as usize].total_cmp(&lp[a as usize]));
    idx
}

/// Greedy parity with llama.cpp, step by step.
///
/// Why the bar is applied in aggregate: llama.cpp quantizes every activation row to 8 bits before
/// each matmul, so a last-bit difference in a float sum (summation order, FMA contraction) can flip
/// one int8 rounding and move later log-probs by a few hundredths of a nat. On these models our own
/// scalar, AVX2 and AVX-512 kernels — identical integer arithmetic, different float order — differ
/// from *each other* by up to ~0.1 nats on uncertain steps (measured; see
/// docs/results/engine-parity.md). So every matched step must be within `LOGPROB_HARD`, the mean
/// within `LOGPROB_MEAN`, and at least `within_share` of the steps within the 0.05 (SmolLM2,
/// whose residual stream reaches ±500, is the most sensitive: its bar is lower).
///
/// llama.cpp does not meet the step-by-step bar against its own reference either once the
/// float order changes: the same commit built for AVX2 instead of AVX-512 gives, on SmolLM2, mean
/// 0.031, max 0.137 and 71 % of steps within 0.05 (24 violations); on the 1.5B its default run misses
/// the reference by up to 0.112 (`scripts/parity-llama-self.py`, docs/results/engine-parity.md).
/// The bars below sit at that envelope.
fn check_greedy(name: &str, within_share: f64) {
    let model = load(name);
    let reference: Value =
        serde_json::from_str(&reference_text(&format!("generate-{name}.json"))).unwrap();
    let tok = model.tokenizer();
    let mut report = Vec::new();
    let mut errors = Vec::new();
    let mut signed = Vec::new();
    for case in reference["greedy"].as_array().unwrap() {
        let prompt = case["prompt"].as_str().unwrap();
        let ids = tok.encode(prompt, false, true).unwrap();
        assert_eq!(
            ids.len() as u64,
            case["prompt_n"].as_u64().unwrap(),
            "{name}: prompt token count for {prompt:?}"
        );
        let steps = case["steps"].as_array().unwrap();
        let mut session = model.session(ids.len() + steps.len() + 1);
        let mut logits = session.eval(&ids, Logits::Last).unwrap().to_vec();
        let mut matched = 0usize;
        for (i, step) in steps.iter().enumerate() {
            let lp = log_softmax(&logits);
            let ref_id = step["id"].as_u64().unwrap() as u32;
            let ref_top: Vec<(u32, f64)> = step["top"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    (
                        t["id"].as_u64().unwrap() as u32,
                        t["logprob"].as_f64().unwrap(),
                    )
                })
                .collect();
            let gap = ref_top[0].1 - ref_top[1].1;
            let ours = top(&lp, 8);
            if ours[0] != ref_id {
                assert!(
                    gap < DIVERGE_GAP,
                    "{name}: step {i} of {prompt:?}: we chose {} ({:.4}), llama.cpp chose {ref_id} ({:.4}) with a gap of {gap:.4}",
                    ours[0],
                    lp[ours[0] as usize],
                    ref_top[0].1
                );
                break;
            }
            let err = (lp[ref_id as usize] - ref_top[0].1).abs();
            assert!(
                err < LOGPROB_HARD,
                "{name}: step {i} of {prompt:?}: top-1 log-prob {:.4} vs llama.cpp {:.4}",
                lp[ref_id as usize],
                ref_top[0].1
            );
            errors.push(err);
            signed.push(lp[ref_id as usize] - ref_top[0].1);
            // Top-5 overlap; a reference id just outside our top 5 counts when it is a near tie
            // (within `NEAR_TIE`) with our 5th.
            let fifth = lp[ours[4] as usize];
            let overlap = ref_top
                .iter()
                .filter(|(id, _)| ours[..5].contains(id) || lp[*id as usize] > fifth - NEAR_TIE)
                .count();
            assert!(
                overlap >= 4,
                "{name}: step {i} of {prompt:?}: top-5 {:?} vs llama.cpp {ref_top:?}; ours for llama.cpp's: {:?}",
                ours[..5]
                    .iter()
                    .map(|&id| (id, lp[id as usize]))
                    .collect::<Vec<_>>(),
                ref_top
                    .iter()
                    .map(|&(id, _)| (id, lp[id as usize]))
                    .collect::<Vec<_>>()
            );
            matched += 1;
            if gap < LOGPROB_TOL {
                break; // the reference itself was a near tie: later tokens may legitimately differ
            }
            logits.copy_from_slice(session.eval(&[ref_id], Logits::Last).unwrap());
        }
        report.push(format!("{matched}/{}", steps.len()));
    }
    let n = errors.len() as f64;
    let mean = errors.iter().sum::<f64>() / n;
    let max = errors.iter().copied().fold(0.0, f64::max);
    let within = errors.iter().filter(|&&e| e < LOGPROB_TOL).count() as f64 / n;
    let bias = signed.iter().sum::<f64>() / n;
    eprintln!(
        "{name}: greedy parity: matched steps {} | |Δ top-1 logprob| mean {mean:.4}, max {max:.4}, {:.0}% within {LOGPROB_TOL} | mean signed Δ {bias:+.4}",
        report.join(", "),
        100.0 * within
    );
    assert!(mean < LOGPROB_MEAN, "{name}: mean |Δ logprob| {mean:.4}");
    assert!(
        within >= within_share,
        "{name}: only {:.0}% of steps within {LOGPROB_TOL}",
        100.0 * within
    );
}

fn check_perplexity(name: &str) {
    let model = load(name);
    let reference: Value = serde_json::from_str(&reference_text("perplexity.json")).unwrap();
    let expected = &reference["results"][name];
    let text = reference_text("perplexity-text.py.txt");
    let tokens = model.tokenizer().encode(&text, true, false).unwrap();
    let mut session = model.session(512);
    let result = vibrant_engine::perplexity(&mut session, &tokens, 512, &mut |_, _| {}).unwrap();
    assert_eq!(
        result.chunks as u64,
        expected["chunks"].as_u64().unwrap(),
        "{name}: chunk count"
    );
    let want = expected["ppl"].as_f64().unwrap();
    let rel = (result.ppl - want).abs() / want;
    eprintln!(
        "{name}: perplexity {:.4} vs llama.cpp {want:.4} ({:+.3}%)",
        result.ppl,
        100.0 * (result.ppl - want) / want
    );
    assert!(
        rel < 0.01,
        "{name}: perplexity {:.4} is not within 1% of llama.cpp's {want:.4}",
        result.ppl
    );
}

#[test]
fn greedy_smollm2() {
    // llama.cpp's AVX2 build: 71 %; ours 58 % (avx512, scalar) to 71 % (avx2) — the spread of a
    // float-order change on this model.
    check_greedy("smollm2-135m-instruct-q4_1", 0.5);
}

#[test]
fn greedy_qwen_0_5b() {
    check_greedy("qwen2.5-coder-0.5b-instruct-awq-mixed", 0.85);
}

#[test]
fn greedy_qwen_1_5b() {
    check_greedy("qwen2.5-coder-1.5b-instruct-q4_k_m", 0.85);
}

#[test]
fn perplexity_smollm2() {
    check_perplexity("smollm2-135m-instruct-q4_1");
}

#[test]
fn perplexity_qwen_0_5b() {
    check_perplexity("qwen2.5-coder-0.5b-instruct-awq-mixed");
}

#[test]
fn perplexity_qwen_1_5b() {
    check_perplexity("qwen2.5-coder-1.5b-instruct-q4_k_m");
}
