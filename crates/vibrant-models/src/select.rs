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
//! the table's target whose `need` fits the `budget` and — when the machine's speed is known
//! ([`MachineFacts::speed`], [`crate::speed`]) — that serves the workload's typical request
//! within its target time (a repository question: ~1.5k tokens in, ~200 out, 20 s). The table
//! stays the upper bound. When no model that fits is fast enough, the fastest that fits is
//! chosen. Only catalog models marked `auto` take part. Runners-up are the next two that
//! qualify and the next better one that does not (too big or too slow).

use serde::Serialize;

use crate::catalog::{Catalog, CatalogPick};
use crate::error::human_bytes;
use crate::speed::{SpeedEstimate, SpeedFacts, Workload, estimate_speed, parse_params};

const GIB: u64 = 1024 * 1024 * 1024;
const GB: u64 = 1_000_000_000;

/// The machine figures selection uses. [`MachineFacts::detect`] fills them from `vibrant-system`;
/// tests inject their own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MachineFacts {
    /// Memory this process may use in total (RAM or the cgroup limit), bytes.
    pub total_memory: u64,
    /// Memory available now, bytes.
    pub available_memory: u64,
    /// Cores the engine will use.
    pub cores: usize,
    /// Measured speed figures (`None`: choose by memory alone).
    pub speed: Option<SpeedFacts>,
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
            speed: None,
        }
    }

    /// [`MachineFacts::detect`] plus the machine's speed: a memory-bandwidth probe (about a
    /// second), read from `cache` when it holds a figure for this CPU model and thread count
    /// younger than 30 days (unless `remeasure`), and written there after a new probe — so that
    /// `model recommend` and a first run agree.
    pub fn detect_with_speed(cache: Option<&std::path::Path>, remeasure: bool) -> Self {
        let facts = Self::detect();
        let info = vibrant_system::SystemInfo::detect();
        let key = format!(
            "{}|{}",
            info.cpu.model.clone().unwrap_or_default(),
            facts.cores
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let cached = cache
            .filter(|_| !remeasure)
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .filter(|v| v["key"] == key.as_str())
            .filter(|v| now.saturating_sub(v["measured"].as_u64().unwrap_or(0)) < 30 * 86_400)
            .and_then(|v| v["bandwidth"].as_f64())
            .filter(|b| *b > 0.0);
        let bandwidth = cached.or_else(|| {
            let bw = vibrant_system::read_bandwidth(facts.cores, 256 << 20, 3)?;
            if let Some(p) = cache {
                let v = serde_json::json!({"key": key, "bandwidth": bw, "measured": now});
                if let Some(dir) = p.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                let tmp = p.with_extension("json.tmp");
                if std::fs::write(&tmp, v.to_string()).is_ok() {
                    let _ = std::fs::rename(&tmp, p);
                }
            }
            Some(bw)
        });
        Self {
            speed: bandwidth.map(|bw| SpeedFacts::new(bw, facts.cores, &info.cpu.features)),
            ..facts
        }
    }
}

/// The memory estimate of one candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// Estimated speed on this machine (when its speed is known).
    pub speed: Option<SpeedEstimate>,
    /// Serves the workload's typical request within its target time (true when unknown).
    pub fast_enough: bool,
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
    /// The workload the speed was judged for.
    pub workload: Workload,
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
    estimate_for(pick, ctx, budget, None, &Workload::ASK)
}

/// [`estimate`] with the machine's speed, judged for `work`.
pub fn estimate_for(
    pick: &CatalogPick<'_>,
    ctx: u32,
    budget: u64,
    speed: Option<&SpeedFacts>,
    work: &Workload,
) -> Candidate {
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
        speed: None,
        fast_enough: true,
    }
    .with_speed(pick, speed, work)
}

impl Candidate {
    fn with_speed(
        mut self,
        pick: &CatalogPick<'_>,
        speed: Option<&SpeedFacts>,
        work: &Workload,
    ) -> Self {
        if let (Some(f), Some(params)) = (speed, parse_params(&pick.model.params)) {
            let e = estimate_speed(params, self.weights, f, work);
            self.fast_enough = e.request_secs <= work.target_secs;
            self.speed = Some(e);
        }
        self
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

/// Recommends a model for `facts` and a context of `ctx` tokens, for questions about the
/// repository (see the module docs).
pub fn recommend(catalog: &Catalog, facts: &MachineFacts, ctx: u32) -> Recommendation {
    recommend_for(catalog, facts, ctx, &Workload::ASK)
}

/// [`recommend`] judging speed for `work` (`--for agent|chat|complete`).
pub fn recommend_for(
    catalog: &Catalog,
    facts: &MachineFacts,
    ctx: u32,
    work: &Workload,
) -> Recommendation {
    let headroom = headroom_bytes(facts.total_memory);
    let budget = facts.available_memory.saturating_sub(headroom);
    let (tier_desc, t_params, t_quant) = tier(facts.total_memory);
    let mut all: Vec<Candidate> = catalog
        .picks()
        .filter(|p| p.model.auto)
        .map(|p| estimate_for(&p, ctx, budget, facts.speed.as_ref(), work))
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
    let qualifies = |c: &Candidate| c.fits && c.fast_enough;
    let mut too_slow_everywhere = false;
    let choice_idx = all
        .iter()
        .position(|c| c.score <= target_score && qualifies(c))
        .or_else(|| {
            // Nothing that fits is fast enough: the fastest that fits.
            let fastest = all
                .iter()
                .enumerate()
                .filter(|(_, c)| c.fits && c.score <= target_score)
                .min_by(|(_, a), (_, b)| {
                    let secs = |c: &Candidate| c.speed.map_or(f64::MAX, |s| s.request_secs);
                    secs(a).total_cmp(&secs(b))
                })
                .map(|(i, _)| i);
            too_slow_everywhere = fastest.is_some();
            fastest
        });
    let choice = choice_idx.map(|i| all[i].clone());
    let mut runners_up = Vec::new();
    if let Some(i) = choice_idx {
        // The next better candidate that does not qualify (why we did not go bigger)...
        if let Some(better) = all[..i]
            .iter()
            .rev()
            .find(|c| c.score <= target_score && !qualifies(c))
        {
            runners_up.push(better.clone());
        }
        // ...and the next two that qualify below the choice.
        runners_up.extend(
            all[i + 1..]
                .iter()
                .filter(|c| qualifies(c))
                .take(2)
                .cloned(),
        );
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
                if at_target || all.iter().any(|o| o.score == target_score && o.fits) {
                    String::new()
                } else {
                    " The table's target does not fit the memory available now, so a smaller model was chosen."
                        .to_owned()
                }
            ) + &speed_reason(c, runners_up.first(), work, too_slow_everywhere)
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
        workload: *work,
        choice,
        runners_up,
        reason,
    }
}

/// The sentences about speed in the reason: the choice's estimate, and why nothing bigger.
fn speed_reason(
    c: &Candidate,
    better: Option<&Candidate>,
    work: &Workload,
    too_slow_everywhere: bool,
) -> String {
    let Some(e) = c.speed else {
        return String::new();
    };
    let mut s = format!(
        " On this machine it is estimated at {:.0} prompt and {:.1} generated tokens per second: a typical {} request ({:.0} tokens in, {:.0} out) in about {:.0} s (target {:.0} s).",
        e.prompt_tps,
        e.decode_tps,
        work.name,
        work.prompt_tokens,
        work.answer_tokens,
        e.request_secs,
        work.target_secs
    );
    if too_slow_everywhere {
        s.push_str(" No model that fits is fast enough for the target; this is the fastest.");
    } else if let Some(b) = better.filter(|b| b.fits && !b.fast_enough)
        && let Some(be) = b.speed
    {
        s.push_str(&format!(
            " The larger {} {} fits in memory but would take about {:.0} s.",
            b.alias, b.quant, be.request_secs
        ));
    }
    s
}
