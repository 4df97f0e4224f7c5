//! How fast a model would run on this machine, estimated before downloading it.
//!
//! ```text
//! decode tokens/s  = 1 / (weights / (bandwidth × DECODE_EFFICIENCY) + DECODE_OVERHEAD)
//! prompt tokens/s  = 1 / (2 × parameters / (cores × int8_ops_per_core) + PREFILL_OVERHEAD)
//! question seconds = prompt_tokens / prompt tokens/s + answer_tokens / decode tokens/s
//! ```
//!
//! Decoding reads every weight once per token, so it is bounded by the memory bandwidth (a short
//! probe, [`vibrant_system::read_bandwidth`]); prompt processing is matrix-matrix work, bounded by
//! the cores' integer dot-product throughput (by SIMD level). The constants are calibrated
//! against `vibrant bench` on the three test models (docs/results/model-management.md).

use serde::Serialize;
use vibrant_system::SimdFeatures;

/// Share of the probe's read bandwidth that decoding achieves (measured: 1.0 on the 1.5B and
/// 0.5B test models, docs/results/model-management.md).
pub const DECODE_EFFICIENCY: f64 = 1.0;
/// Fixed cost of one decode step besides reading the weights (sampling, small ops), seconds.
pub const DECODE_OVERHEAD: f64 = 0.0008;
/// Fixed cost per prompt token besides the matrix work, seconds.
pub const PREFILL_OVERHEAD: f64 = 0.0001;

/// What a workload asks of a model: a typical request and the time it should take.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Workload {
    /// `ask`, `chat`, `agent` or `complete`.
    pub name: &'static str,
    /// Prompt tokens of a typical request.
    pub prompt_tokens: f64,
    /// Generated tokens of a typical answer.
    pub answer_tokens: f64,
    /// Seconds a typical request should take at most.
    pub target_secs: f64,
}

impl Workload {
    /// A question about the repository: ~1.5k tokens of context in, ~200 out, within 20 s.
    pub const ASK: Workload = Workload {
        name: "ask",
        prompt_tokens: 1500.0,
        answer_tokens: 200.0,
        target_secs: 20.0,
    };
    /// A chat turn: as a question.
    pub const CHAT: Workload = Workload {
        name: "chat",
        ..Workload::ASK
    };
    /// One agent step with candidates: ~2.5k tokens in, ~600 out, within 60 s.
    pub const AGENT: Workload = Workload {
        name: "agent",
        prompt_tokens: 2500.0,
        answer_tokens: 600.0,
        target_secs: 60.0,
    };
    /// A completion in an editor: ~500 tokens in, ~30 out, within 2 s.
    pub const COMPLETE: Workload = Workload {
        name: "complete",
        prompt_tokens: 500.0,
        answer_tokens: 30.0,
        target_secs: 2.0,
    };

    /// The workload named `name`.
    pub fn named(name: &str) -> Option<Workload> {
        [Self::ASK, Self::CHAT, Self::AGENT, Self::COMPLETE]
            .into_iter()
            .find(|w| w.name == name)
    }
}

/// The machine's speed figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpeedFacts {
    /// Read bandwidth of all the engine's threads together, bytes per second.
    pub bandwidth: f64,
    /// Cores the engine uses.
    pub cores: usize,
    /// 8-bit multiply-adds per second one core sustains in the engine's matrix kernels.
    pub int8_ops_per_core: f64,
}

impl SpeedFacts {
    /// From a measured bandwidth, the cores and the SIMD level.
    pub fn new(bandwidth: f64, cores: usize, simd: &SimdFeatures) -> Self {
        Self {
            bandwidth,
            cores: cores.max(1),
            int8_ops_per_core: int8_ops_per_core(simd),
        }
    }
}

/// Calibrated per-core throughput of the prompt kernels by SIMD level (AVX-512 VNNI measured:
/// 1.5B pp512 170 tok/s on 2 cores; the others scaled by their dot-product width).
pub fn int8_ops_per_core(simd: &SimdFeatures) -> f64 {
    if simd.avx512vnni || simd.avxvnni || simd.amx_int8 {
        260e9
    } else if simd.avx2 {
        160e9
    } else if simd.dotprod || simd.i8mm {
        100e9
    } else {
        40e9
    }
}

/// Estimated speed of one model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpeedEstimate {
    /// Prompt tokens per second.
    pub prompt_tps: f64,
    /// Generated tokens per second.
    pub decode_tps: f64,
    /// Seconds for the workload's typical request.
    pub request_secs: f64,
}

/// Parameter count from a catalog label (`1.5B`, `135M`, `7b`); `None` when unreadable.
pub fn parse_params(label: &str) -> Option<f64> {
    let l = label.trim();
    let (num, scale) = match l.chars().last()?.to_ascii_uppercase() {
        'B' => (&l[..l.len() - 1], 1e9),
        'M' => (&l[..l.len() - 1], 1e6),
        _ => (l, 1.0),
    };
    num.trim().parse::<f64>().ok().map(|n| n * scale)
}

/// Estimates a model of `params` parameters whose weights are `weights` bytes.
pub fn estimate_speed(
    params: f64,
    weights: u64,
    facts: &SpeedFacts,
    work: &Workload,
) -> SpeedEstimate {
    let decode_tps =
        1.0 / (weights as f64 / (facts.bandwidth * DECODE_EFFICIENCY) + DECODE_OVERHEAD);
    let prompt_tps = 1.0
        / (2.0 * params.max(1.0) / (facts.cores as f64 * facts.int8_ops_per_core)
            + PREFILL_OVERHEAD);
    let request_secs = work.prompt_tokens / prompt_tps + work.answer_tokens / decode_tps;
    SpeedEstimate {
        prompt_tps,
        decode_tps,
        request_secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_labels() {
        assert_eq!(parse_params("1.5B"), Some(1.5e9));
        assert_eq!(parse_params("135M"), Some(135e6));
        assert_eq!(parse_params("7b"), Some(7e9));
        assert_eq!(parse_params("big"), None);
    }

    #[test]
    fn bigger_models_are_slower_and_bandwidth_bounds_decoding() {
        let simd = SimdFeatures {
            avx2: true,
            ..SimdFeatures::default()
        };
        let f = SpeedFacts::new(20e9, 2, &simd);
        let small = estimate_speed(1.5e9, 1_100_000_000, &f, &Workload::ASK);
        let big = estimate_speed(14e9, 9_000_000_000, &f, &Workload::ASK);
        assert!(small.decode_tps > 5.0 * big.decode_tps);
        assert!(small.prompt_tps > 5.0 * big.prompt_tps);
        assert!(big.request_secs > Workload::ASK.target_secs, "{big:?}");
        let fast = SpeedFacts::new(80e9, 16, &simd);
        assert!(
            estimate_speed(14e9, 9_000_000_000, &fast, &Workload::ASK).request_secs
                < big.request_secs
        );
    }
}
