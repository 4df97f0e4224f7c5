//! Speculative decoding by prompt lookup changes the speed, never the output: on the three real
//! test models, greedy and sampled generations (alone and in a batch of candidates) are token
//! for token what plain decoding gives — with drafts that were actually accepted, past the
//! attention's 256-position split grid.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::AtomicBool;

use vibrant_engine::{
    ChatMessage, GenerateParams, Generation, LoadOptions, Model, PromptLookup, SamplerParams,
    generate, generate_many,
};

const CODE: &str = r#"import json


def load_orders(path):
    with open(path) as f:
        return json.load(f)


def total_by_customer(orders):
    totals = {}
    for order in orders:
        customer = order["customer"]
        totals[customer] = totals.get(customer, 0) + order["amount"]
    return totals


def top_customers(orders, n):
    totals = total_by_customer(orders)
    ranked = sorted(totals.items(), key=lambda kv: kv[1])
    return [name for name, _ in ranked[:n]]


def report(path, n=3):
    orders = load_orders(path)
    lines = []
    for i, name in enumerate(top_customers(orders, n), start=1):
        lines.append(f"{i}. {name}")
    return "\n".join(lines)


def average_order(orders):
    if not orders:
        return 0.0
    return sum(order["amount"] for order in orders) / len(orders)


def customers_above(orders, threshold):
    totals = total_by_customer(orders)
    return sorted(name for name, total in totals.items() if total > threshold)


def monthly_totals(orders):
    months = {}
    for order in orders:
        month = order["date"][:7]
        months[month] = months.get(month, 0) + order["amount"]
    return dict(sorted(months.items()))
"#;

fn params(lookup: bool, temperature: f32, seed: u64, max_tokens: usize) -> GenerateParams {
    GenerateParams {
        max_tokens,
        sampler: SamplerParams {
            temperature,
            seed: Some(seed),
            ..SamplerParams::default()
        },
        lookup: lookup.then(PromptLookup::default),
        ..GenerateParams::default()
    }
}

fn check_model(name: &str, max_tokens: usize) {
    let model = Model::load(vibrant_testutil::model_path(name), &LoadOptions::default()).unwrap();
    let messages = [ChatMessage::new(
        "user",
        format!(
            "```python\n{CODE}```\n\ntop_customers returns the smallest customers instead of the \
             largest. Reply with the whole corrected file."
        ),
    )];
    let text = model.chat_template().render(&messages, None, true).unwrap();
    let prompt = model.tokenizer().encode(&text, true, true).unwrap();
    assert!(
        prompt.len() > 256,
        "{name}: the prompt must cross the split grid"
    );
    let cancel = AtomicBool::new(false);
    let run = |p: &GenerateParams| -> Generation {
        let mut s = model.session(2048);
        let g = generate(&mut s, &prompt, p, &cancel, &mut |_| {}).unwrap();
        // The cache holds the prompt and the accepted tokens, never a rejected draft.
        let mut history = prompt.clone();
        history.extend_from_slice(&g.tokens);
        assert!(
            history.starts_with(s.tokens()),
            "{name}: a rejected draft stayed cached"
        );
        assert!(
            s.n_past() + 1 >= history.len(),
            "{name}: accepted tokens lost"
        );
        g
    };

    for (temperature, seed) in [(0.0, 1), (0.8, 7)] {
        let plain = run(&params(false, temperature, seed, max_tokens));
        let fast = run(&params(true, temperature, seed, max_tokens));
        assert_eq!(
            fast.tokens, plain.tokens,
            "{name} at temperature {temperature}: speculation changed the output"
        );
        assert_eq!(fast.text, plain.text, "{name}");
        assert_eq!(plain.stats.drafted, 0, "{name}");
        if temperature == 0.0 {
            assert!(
                fast.stats.accepted > 20,
                "{name}: rewriting shown code should accept drafts ({} of {} kept)",
                fast.stats.accepted,
                fast.stats.drafted
            );
        }
        assert!(fast.stats.accepted <= fast.stats.drafted);
    }

    // A batch of candidates: each sequence is what it is without drafts.
    let batch = |lookup: bool| -> Vec<Generation> {
        let all: Vec<GenerateParams> = [(0.0, 1), (0.8, 3), (0.8, 4)]
            .into_iter()
            .map(|(t, seed)| params(lookup, t, seed, max_tokens / 2))
            .collect();
        let mut s = model.session(2048);
        generate_many(&mut s, &prompt, &all, &cancel).unwrap()
    };
    let (plain, fast) = (batch(false), batch(true));
    for (i, (f, p)) in fast.iter().zip(&plain).enumerate() {
        assert_eq!(f.tokens, p.tokens, "{name}: candidate {i} changed");
    }
    assert!(
        fast.iter().map(|g| g.stats.accepted).sum::<usize>() > 0,
        "{name}: no draft accepted in the batch"
    );
}

#[test]
fn smollm2_speculation_keeps_the_output() {
    check_model("smollm2-135m-instruct-q4_1", 200);
}

#[test]
fn qwen_0_5b_speculation_keeps_the_output() {
    check_model("qwen2.5-coder-0.5b-instruct-awq-mixed", 200);
}

#[test]
fn qwen_1_5b_speculation_keeps_the_output() {
    check_model("qwen2.5-coder-1.5b-instruct-q4_k_m", 160);
}

#[test]
fn ctrl_c_during_a_long_prompt_stops_after_one_piece() {
    let model = Model::load(
        vibrant_testutil::model_path("smollm2-135m-instruct-q4_1"),
        &LoadOptions::default(),
    )
    .unwrap();
    let text = CODE.repeat(4);
    let prompt = model.tokenizer().encode(&text, true, false).unwrap();
    assert!(
        prompt.len() > 2 * vibrant_engine::MAX_BATCH,
        "{}",
        prompt.len()
    );
    let mut s = model.session(4096);
    let cancel = AtomicBool::new(true);
    let g = generate(
        &mut s,
        &prompt,
        &params(true, 0.0, 1, 50),
        &cancel,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(g.stats.stop_reason, vibrant_engine::StopReason::Cancelled);
    assert!(g.tokens.is_empty());
    assert_eq!(
        s.n_past(),
        vibrant_engine::MAX_BATCH,
        "only the first piece was evaluated"
    );
}
