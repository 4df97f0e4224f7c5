//! Choosing a model for this machine.
//!
//! The plan's table picks a target by total memory:
//!
//! | total memory | target |
//! |---|---|
//! | < 8 GB | 3B Q4_K_M |
//! | 8–16 GB | 7B Q5_K_M (Q4_K_M when Q5 does not fit) |
//! | 16–32 GB | 14B Q5_K_M |
//! | > 32 GB | 14B Q8_0 |
//!
//! Each candidate is then checked against the memory it needs:
//!
//! ```text
//! need     = weights + kv_cache + scratch
//! weights  = size of the GGUF file(s)
//! kv_cache = layers × 2 (K and V) × kv_heads × head_dim × context × 2 bytes (f16)
//! scratch  = 256 MiB + 2% of weights    (activations, logits, buffers)
//! budget   = available − headroom,  headroom = max(1 GiB, 10% of total)
//! ```
//!
//! The choice is the best candidate (by the catalog's quality rank, then quantization) at or below
//! the table's target whose `need` fits the `budget`. Only catalog models marked `auto` take part.
//! Runners-up are the next two that fit and the next better one that does not.

use serde::Serialize;

use crate::catalog::{Catalog, CatalogPick};
use crate::error::human_bytes;

const GIB: u64 = 1024 * 1024 * 1024;
const GB: u64 = 1_000_000_000;

/// The machine figures selection uses. [`MachineFacts::detect`] fills them from `vibrant-system`;
/// tests inject their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MachineFacts {
    /// Memory this process may use in total (RAM or the cgroup limit), bytes.
    pub total_memory: u64,
    /// Memory available now, bytes.
    pub available_memory: u64,
    /// Cores the engine will use.
    pub cores: usize,
}

impl MachineFacts {
    /// Detects the machine (cgroup limits included). Unknown figures fall back to 8 GB total /
    /// 4 GB available, so that detection failures choose a small model.
    pub fn detect() -> Self {
        let info = vibrant_system::SystemInfo::detect();
        let total = info.memory.total_bytes.unwrap_or(8 * GB);
        Self {
            total_memory: total,
            available_memory: info.memory.available_bytes.unwrap_or(total / 2),
            cores: info.recommended_threads(),
        }
    }
}

/// The memory estimate of one candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// Catalog id (`qwen2.5-coder-7b-instruct:q4_k_m`).
    pub id: String,
    /// Short name (`qwen2.5-coder:7b`).
    pub alias: String,
    /// Parameter count (`7B`).
    pub params: String,
    /// Quantization.
    pub quant: String,
    /// Weights in bytes (download size).
    pub weights: u64,
    /// KV cache for the context, bytes.
    pub kv_cache: u64,
    /// Scratch buffers, bytes.
    pub scratch: u64,
    /// `weights + kv_cache + scratch`.
    pub need: u64,
    /// Whether `need` fits the budget.
    pub fits: bool,
    /// Ordering key: higher is better.
    pub score: u32,
}

/// What selection chose and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// The figures used.
    pub facts: MachineFacts,
    /// The context length the KV cache was sized for.
    pub context_length: u32,
    /// `available − headroom`.
    pub budget: u64,
    /// The headroom kept free.
    pub headroom: u64,
    /// The plan-table row that applied (`"8–16 GB → 7B Q5_K_M"`).
    pub tier: String,
    /// The choice (`None` when nothing fits, e.g. under 1 GB available).
    pub choice: Option<Candidate>,
    /// Alternatives: the next fitting ones and the next better one that does not fit.
    pub runners_up: Vec<Candidate>,
    /// One-paragraph explanation.
    pub reason: String,
}

/// KV cache bytes for `ctx` tokens (f16 K and V).
pub fn kv_cache_bytes(layers: u32, kv_heads: u32, head_dim: u32, ctx: u32) -> u64 {
    u64::from(layers) * 2 * u64::from(kv_heads) * u64::from(head_dim) * u64::from(ctx) * 2
}

/// Scratch estimate: 256 MiB + 2% of the weights.
pub fn scratch_bytes(weights: u64) -> u64 {
    256 * 1024 * 1024 + weights / 50
}

/// Headroom kept free: max(1 GiB, 10% of total).
pub fn headroom_bytes(total: u64) -> u64 {
    GIB.max(total / 10)
}

fn quant_bonus(quant: &str) -> u32 {
    match quant.to_ascii_uppercase().as_str() {
        "Q8_0" => 4,
        "Q6_K" => 3,
        "Q5_K_M" => 2,
        _ => 0,
    }
}

/// Score of a (model, quant) pair: quality rank × 10 + quantization bonus.
pub fn score(pick: &CatalogPick<'_>) -> u32 {
    pick.model.quality_rank * 10 + quant_bonus(&pick.quant.quant)
}

/// Estimates one catalog pick for `ctx` tokens against `budget`.
pub fn estimate(pick: &CatalogPick<'_>, ctx: u32, budget: u64) -> Candidate {
    let a = pick.model.arch;
    let weights = pick.quant.size;
    let kv_cache = kv_cache_bytes(a.layers, a.kv_heads, a.head_dim, ctx);
    let scratch = scratch_bytes(weights);
    let need = weights + kv_cache + scratch;
    Candidate {
        id: pick.id(),
        alias: pick
            .model
            .aliases
            .first()
            .cloned()
            .unwrap_or_else(|| pick.model.name.clone()),
        params: pick.model.params.clone(),
        quant: pick.quant.quant.clone(),
        weights,
        kv_cache,
        scratch,
        need,
        fits: need <= budget,
        score: score(pick),
    }
}

/// The plan-table row for `total` bytes: (description, params, quant).
pub fn tier(total: u64) -> (&'static str, &'static str, &'static str) {
    if total < 8 * GB {
        ("< 8 GB → 3B Q4_K_M", "3B", "Q4_K_M")
    } else if total < 16 * GB {
        ("8–16 GB → 7B Q5_K_M/Q4_K_M", "7B", "Q5_K_M")
    } else if total <= 32 * GB {
        ("16–32 GB → 14B Q5_K_M", "14B", "Q5_K_M")
    } else {
        ("> 32 GB → 14B Q8_0", "14B", "Q8_0")
    }
}

/// Recommends a model for `facts` and a context of `ctx` tokens (see the module docs).
pub fn recommend(catalog: &Catalog, facts: &MachineFacts, ctx: u32) -> Recommendation {
    let headroom = headroom_bytes(facts.total_memory);
    let budget = facts.available_memory.saturating_sub(headroom);
    let (tier_desc, t_params, t_quant) = tier(facts.total_memory);
    let mut all: Vec<Candidate> = catalog
        .picks()
        .filter(|p| p.model.auto)
        .map(|p| estimate(&p, ctx, budget))
        .collect();
    all.sort_by(|a, b| b.score.cmp(&a.score).then(a.need.cmp(&b.need)));
    let target_score = catalog
        .picks()
        .filter(|p| p.model.auto)
        .find(|p| {
            p.model.params.eq_ignore_ascii_case(t_params)
                && p.quant.quant.eq_ignore_ascii_case(t_quant)
        })
        .map_or(u32::MAX, |p| score(&p));
    let choice_idx = all.iter().position(|c| c.score <= target_score && c.fits);
    let choice = choice_idx.map(|i| all[i].clone());
    let mut runners_up = Vec::new();
    if let Some(i) = choice_idx {
        // The next better candidate that does not fit (why we did not go bigger)...
        if let Some(better) = all[..i].iter().rev().find(|c| !c.fits) {
            runners_up.push(better.clone());
        }
        // ...and the next two that fit below the choice.
        runners_up.extend(all[i + 1..].iter().filter(|c| c.fits).take(2).cloned());
    }
    let reason = match &choice {
        Some(c) => {
            let at_target = c.score == target_score;
            format!(
                "total memory {} puts this machine in the row \"{tier_desc}\". {} {} needs {} \
                 (weights {} + KV cache {} for {ctx} tokens + scratch {}), which fits the budget of {} \
                 (available {} minus headroom {}).{}",
                human_bytes(facts.total_memory),
                c.alias,
                c.quant,
                human_bytes(c.need),
                human_bytes(c.weights),
                human_bytes(c.kv_cache),
                human_bytes(c.scratch),
                human_bytes(budget),
                human_bytes(facts.available_memory),
                human_bytes(headroom),
                if at_target {
                    String::new()
                } else {
                    " The table's target does not fit the memory available now, so a smaller model was chosen."
                        .to_owned()
                }
            )
        }
        None => format!(
            "no catalog model fits the budget of {} (available {} minus headroom {}); free memory \
             or choose a model yourself with --model",
            human_bytes(budget),
            human_bytes(facts.available_memory),
            human_bytes(headroom)
        ),
    };
    Recommendation {
        facts: *facts,
        context_length: ctx,
        budget,
        headroom,
        tier: tier_desc.to_owned(),
        choice,
        runners_up,
        reason,
    }
}
