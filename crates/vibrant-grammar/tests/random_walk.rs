//! Property test over Qwen2.5-Coder's real vocabulary and Vibrant's real tool set: whatever the
//! model picks among the tokens the constraint allows, the constraint never runs into a dead end
//! and every call it lets through parses as JSON and validates against the named tool's schema
//! (checked by an independent validator below, not by the automaton).
//!
//! The "model" is a seeded random walk: uniform over the allowed tokens, with a bias towards
//! tokens that move the JSON on (quotes, braces, commas) so calls finish in a few hundred tokens.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use vibrant_engine::TokenConstraint;
use vibrant_grammar::{ToolCallConstraint, ToolMode, Vocab};
use vibrant_tokenizer::Tokenizer;

const MODEL: &str = "qwen2.5-coder-0.5b-instruct-awq-mixed";
/// Tokens a walk may take inside one call before the test calls it stuck.
const MAX_CALL_TOKENS: usize = 1500;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn tools() -> Vec<Value> {
    vibrant_tools::all_specs()
        .iter()
        .map(|s| s.to_function_json())
        .collect()
}

/// Checks `args` against the parameter schema of `name` as a JSON-schema validator would for the
/// subset the tools use: an object with only known keys, the required ones present, strings
/// (with `enum`), booleans, integers within `minimum`/`maximum`.
fn validate(tools: &[Value], name: &str, args: &Value) -> Result<(), String> {
    let params = tools
        .iter()
        .map(|t| &t["function"])
        .find(|f| f["name"] == name)
        .map(|f| &f["parameters"])
        .ok_or_else(|| format!("unknown tool {name}"))?;
    validate_value(params, args)
}

fn validate_value(schema: &Value, v: &Value) -> Result<(), String> {
    match schema["type"].as_str() {
        Some("object") => {
            let obj = v.as_object().ok_or(format!("{v} is not an object"))?;
            let props = schema["properties"].as_object().ok_or("no properties")?;
            for (k, x) in obj {
                let s = props.get(k).ok_or(format!("unknown key {k}"))?;
                validate_value(s, x).map_err(|e| format!("{k}: {e}"))?;
            }
            for r in schema["required"].as_array().into_iter().flatten() {
                let r = r.as_str().unwrap();
                if !obj.contains_key(r) {
                    return Err(format!("missing required {r}"));
                }
            }
            Ok(())
        }
        Some("string") => {
            let s = v.as_str().ok_or(format!("{v} is not a string"))?;
            match schema["enum"].as_array() {
                Some(choices) if !choices.iter().any(|c| c == s) => {
                    Err(format!("{s:?} is not one of {choices:?}"))
                }
                _ => Ok(()),
            }
        }
        Some("boolean") => v
            .as_bool()
            .map(|_| ())
            .ok_or(format!("{v} is not a boolean")),
        Some("integer") => {
            let n = v.as_i64().ok_or(format!("{v} is not an integer"))?;
            let lo = schema["minimum"].as_i64().unwrap_or(i64::MIN);
            let hi = schema["maximum"].as_i64().unwrap_or(i64::MAX);
            if (lo..=hi).contains(&n) {
                Ok(())
            } else {
                Err(format!("{n} is outside {lo}..={hi}"))
            }
        }
        other => Err(format!("unexpected schema type {other:?}")),
    }
}

thread_local! {
    /// How long the last `mask` call took (the constraint alone, not this test's bookkeeping).
    static MASK_NANOS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The allowed tokens after masking.
fn allowed(c: &mut ToolCallConstraint, logits: &mut [f32]) -> Vec<u32> {
    logits.fill(0.0);
    let t0 = Instant::now();
    c.mask(logits).unwrap();
    MASK_NANOS.with(|m| m.set(t0.elapsed().as_nanos() as u64));
    logits
        .iter()
        .enumerate()
        .filter(|(_, l)| l.is_finite())
        .map(|(i, _)| i as u32)
        .collect()
}

#[test]
fn random_walks_never_dead_end_and_every_call_validates() {
    let file = vibrant_gguf::GgufFile::open(vibrant_testutil::model_path(MODEL)).unwrap();
    let tok = Tokenizer::from_gguf(&file).unwrap();
    let vocab = Arc::new(Vocab::new(&tok));
    let tools = tools();
    let open = tok.token_id("<tool_call>").unwrap();
    let close = tok.token_id("</tool_call>").unwrap();
    let mut logits = vec![0.0f32; tok.n_vocab()];
    let progress = |id: u32| {
        tok.token_bytes(id)
            .iter()
            .any(|b| matches!(b, b'"' | b'}' | b','))
    };
    let mut names_seen = std::collections::BTreeSet::new();
    let mut mask_secs: Vec<f64> = Vec::new();

    for seed in 1..=12u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mode = if seed % 2 == 0 {
            ToolMode::Auto
        } else {
            ToolMode::Required
        };
        let mut c = ToolCallConstraint::new(vocab.clone(), &tools, mode).unwrap();
        let mut ids: Vec<u32> = Vec::new();

        // A little prose, then the call.
        for _ in 0..rng.below(4) {
            let ok = allowed(&mut c, &mut logits);
            let prose: Vec<u32> = ok
                .into_iter()
                .filter(|&t| t != open && !tok.is_eog(t))
                .collect();
            let t = prose[rng.below(prose.len())];
            c.commit(t).unwrap();
            ids.push(t);
        }
        assert!(allowed(&mut c, &mut logits).contains(&open));
        c.commit(open).unwrap();
        ids.push(open);
        let body_start = ids.len();

        // The call: walk until `</tool_call>` is allowed, then take it.
        loop {
            assert!(
                ids.len() - body_start < MAX_CALL_TOKENS,
                "seed {seed}: no end after {MAX_CALL_TOKENS} tokens: {:?}",
                String::from_utf8_lossy(&tok.token_bytes_concat(&ids[body_start..]))
            );
            let ok = allowed(&mut c, &mut logits);
            let dt = MASK_NANOS.with(std::cell::Cell::get) as f64 * 1e-9;
            mask_secs.push(dt);
            assert!(!ok.is_empty(), "seed {seed}: dead end");
            assert!(
                !ok.iter().any(|&t| tok.is_eog(t)),
                "seed {seed}: the answer may not end inside a call"
            );
            if ok.contains(&close) {
                // `</tool_call>` is forced: at most a little whitespace may come first.
                let blank = |t: u32| {
                    let b = tok.token_bytes(t);
                    !b.is_empty() && b.iter().all(u8::is_ascii_whitespace)
                };
                assert!(
                    ok.iter().all(|&t| t == close || blank(t)),
                    "seed {seed}: after the JSON only whitespace or `</tool_call>`"
                );
                c.commit(close).unwrap();
                ids.push(close);
                break;
            }
            let biased: Vec<u32> = ok.iter().copied().filter(|&t| progress(t)).collect();
            let t = if !biased.is_empty() && rng.below(3) == 0 {
                biased[rng.below(biased.len())]
            } else {
                ok[rng.below(ok.len())]
            };
            c.commit(t).unwrap();
            ids.push(t);
        }
        assert_eq!(c.calls(), 1);

        let body = tok.token_bytes_concat(&ids[body_start..ids.len() - 1]);
        let body = String::from_utf8_lossy(&body);
        let call: Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("seed {seed}: {e} in {body:?}"));
        let obj = call.as_object().unwrap();
        assert_eq!(obj.len(), 2, "seed {seed}: {call}");
        let name = call["name"].as_str().unwrap();
        validate(&tools, name, &call["arguments"])
            .unwrap_or_else(|e| panic!("seed {seed}: {e} in {call}"));
        names_seen.insert(name.to_owned());

        // After the call: another call or the end, nothing else.
        let ok = allowed(&mut c, &mut logits);
        assert!(ok.contains(&open) && ok.iter().any(|&t| tok.is_eog(t)));
        let word = tok.encode("Done", false, false).unwrap()[0];
        assert!(!ok.contains(&word), "seed {seed}: prose after a call");
        assert!(!ok.contains(&close));
    }
    mask_secs.sort_by(f64::total_cmp);
    let at = |q: f64| mask_secs[((mask_secs.len() - 1) as f64 * q) as usize] * 1e3;
    println!(
        "{} masks inside calls: mean {:.3} ms, median {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms; tools called: {names_seen:?}",
        mask_secs.len(),
        mask_secs.iter().sum::<f64>() / mask_secs.len() as f64 * 1e3,
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
    );
    // The walks reach more than one tool (the name is chosen by the walk, not fixed).
    assert!(names_seen.len() >= 3, "{names_seen:?}");
}

trait ConcatBytes {
    fn token_bytes_concat(&self, ids: &[u32]) -> Vec<u8>;
}

impl ConcatBytes for Tokenizer {
    fn token_bytes_concat(&self, ids: &[u32]) -> Vec<u8> {
        ids.iter().flat_map(|&id| self.token_bytes(id)).collect()
    }
}
