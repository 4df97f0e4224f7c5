//! Token sampling: greedy, temperature, top-k, top-p, min-p, and repetition / presence /
//! frequency penalties over a window of recent tokens, with a seeded RNG so that the same seed
//! and settings give the same tokens.

use std::collections::{HashMap, VecDeque};

use serde::Serialize;

/// Sampling settings. `temperature <= 0` means greedy (arg-max).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SamplerParams {
    pub temperature: f32,
    /// Keep the `top_k` most likely tokens (0 = all).
    pub top_k: usize,
    /// Keep the smallest set whose probability reaches `top_p` (1.0 = all).
    pub top_p: f32,
    /// Drop tokens less likely than `min_p` × the most likely one (0 = off).
    pub min_p: f32,
    /// Divide positive (multiply negative) logits of recent tokens by this (1.0 = off).
    pub repeat_penalty: f32,
    /// Subtract from the logits of tokens present in the window (0 = off).
    pub presence_penalty: f32,
    /// Subtract, per occurrence in the window (0 = off).
    pub frequency_penalty: f32,
    /// How many recent tokens the penalties look at.
    pub penalty_last_n: usize,
    /// RNG seed; `None` picks one from the clock.
    pub seed: Option<u64>,
}

impl Default for SamplerParams {
    fn default() -> Self {
        Self {
            temperature: 0.2,
            top_k: 40,
            top_p: 0.95,
            min_p: 0.05,
            repeat_penalty: 1.0,
            presence_penalty: 0.0,
            frequency_penalty: 0.0,
            penalty_last_n: 64,
            seed: None,
        }
    }
}

impl SamplerParams {
    /// Arg-max sampling, no penalties.
    pub fn greedy() -> Self {
        Self {
            temperature: 0.0,
            repeat_penalty: 1.0,
            ..Self::default()
        }
    }
}

/// A small, fast, seedable generator (xoshiro256**), seeded through splitmix64.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Picks tokens from logits according to [`SamplerParams`].
#[derive(Clone, Debug)]
pub struct Sampler {
    params: SamplerParams,
    rng: Rng,
    recent: VecDeque<u32>,
    candidates: Vec<(u32, f32)>,
}

impl Sampler {
    pub fn new(params: SamplerParams) -> Self {
        let seed = params.seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x5EED)
        });
        Self {
            params,
            rng: Rng::new(seed),
            recent: VecDeque::new(),
            candidates: Vec::new(),
        }
    }

    pub fn params(&self) -> &SamplerParams {
        &self.params
    }

    /// Records a token in the penalty window (prompt tokens too, as llama.cpp does).
    pub fn accept(&mut self, token: u32) {
        if self.params.penalty_last_n == 0 {
            return;
        }
        if self.recent.len() == self.params.penalty_last_n {
            self.recent.pop_front();
        }
        self.recent.push_back(token);
    }

    /// Chooses the next token from a row of logits.
    pub fn sample(&mut self, logits: &[f32]) -> u32 {
        let p = &self.params;
        let penalised =
            p.repeat_penalty != 1.0 || p.presence_penalty != 0.0 || p.frequency_penalty != 0.0;
        if p.temperature <= 0.0 && !penalised {
            return argmax(logits);
        }
        self.candidates.clear();
        self.candidates
            .extend(logits.iter().enumerate().map(|(i, &l)| (i as u32, l)));
        if penalised && !self.recent.is_empty() {
            let mut counts: HashMap<u32, u32> = HashMap::new();
            for &t in &self.recent {
                *counts.entry(t).or_default() += 1;
            }
            for (&t, &c) in &counts {
                if let Some(entry) = self.candidates.get_mut(t as usize) {
                    let l = &mut entry.1;
                    if *l > 0.0 {
                        *l /= p.repeat_penalty;
                    } else {
                        *l *= p.repeat_penalty;
                    }
                    *l -= c as f32 * p.frequency_penalty + p.presence_penalty;
                }
            }
        }
        if p.temperature <= 0.0 {
            return self
                .candidates
                .iter()
                .fold(
                    (0u32, f32::NEG_INFINITY),
                    |b, &c| if c.1 > b.1 { c } else { b },
                )
                .0;
        }
        // top-k (sorting only what we keep).
        let k = if p.top_k == 0 {
            self.candidates.len()
        } else {
            p.top_k.min(self.candidates.len())
        };
        let by_logit = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if k < self.candidates.len() {
            self.candidates.select_nth_unstable_by(k - 1, by_logit);
            self.candidates.truncate(k);
        }
        self.candidates.sort_unstable_by(by_logit);
        // Probabilities at temperature 1 for top-p/min-p (as llama.cpp's chain does), then temperature.
        let probs = softmax_of(&self.candidates, 1.0);
        let mut keep = self.candidates.len();
        if p.top_p < 1.0 {
            let mut cum = 0.0;
            for (i, &pr) in probs.iter().enumerate() {
                cum += pr;
                if cum >= f64::from(p.top_p) {
                    keep = keep.min(i + 1);
                    break;
                }
            }
        }
        if p.min_p > 0.0 {
            let threshold = probs[0] * f64::from(p.min_p);
            let n = probs
                .iter()
                .take_while(|&&pr| pr >= threshold)
                .count()
                .max(1);
            keep = keep.min(n);
        }
        self.candidates.truncate(keep.max(1));
        let probs = softmax_of(&self.candidates, p.temperature);
        let r = self.rng.next_f64();
        let mut cum = 0.0;
        for (i, &pr) in probs.iter().enumerate() {
            cum += pr;
            if r < cum {
                return self.candidates[i].0;
            }
        }
        self.candidates[self.candidates.len() - 1].0
    }
}

fn softmax_of(c: &[(u32, f32)], temperature: f32) -> Vec<f64> {
    let t = f64::from(temperature);
    let max = c
        .iter()
        .map(|x| f64::from(x.1))
        .fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = c
        .iter()
        .map(|x| ((f64::from(x.1) - max) / t).exp())
        .collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// Index of the largest logit (the first one on ties, as llama.cpp).
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0usize;
    for (i, &l) in logits.iter().enumerate() {
        if l > logits[best] {
            best = i;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logits() -> Vec<f32> {
        (0..100).map(|i| ((i * 37 % 100) as f32) / 10.0).collect()
    }

    #[test]
    fn greedy_is_argmax() {
        let l = logits();
        let mut s = Sampler::new(SamplerParams::greedy());
        let best = s.sample(&l);
        assert_eq!(l[best as usize], l.iter().copied().fold(f32::MIN, f32::max));
    }

    #[test]
    fn same_seed_same_tokens_different_seed_differs() {
        let l: Vec<f32> = (0..50).map(|i| (i % 7) as f32 * 0.3).collect();
        let params = |seed| SamplerParams {
            temperature: 1.5,
            top_k: 0,
            top_p: 1.0,
            min_p: 0.0,
            seed: Some(seed),
            ..Default::default()
        };
        let run = |seed| {
            let mut s = Sampler::new(params(seed));
            (0..64).map(|_| s.sample(&l)).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn top_k_one_is_greedy() {
        let l = logits();
        let mut s = Sampler::new(SamplerParams {
            temperature: 5.0,
            top_k: 1,
            seed: Some(1),
            ..Default::default()
        });
        for _ in 0..20 {
            assert_eq!(s.sample(&l), argmax(&l));
        }
    }

    #[test]
    fn min_p_drops_unlikely_tokens() {
        let mut l = vec![0.0f32; 10];
        l[3] = 10.0;
        l[4] = 9.5;
        let mut s = Sampler::new(SamplerParams {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            min_p: 0.1,
            seed: Some(3),
            ..Default::default()
        });
        for _ in 0..200 {
            let t = s.sample(&l);
            assert!(t == 3 || t == 4, "sampled {t}");
        }
    }

    #[test]
    fn top_p_keeps_the_nucleus() {
        let mut l = vec![-10.0f32; 10];
        l[1] = 5.0;
        l[2] = 4.0;
        let mut s = Sampler::new(SamplerParams {
            temperature: 1.0,
            top_k: 0,
            top_p: 0.5,
            min_p: 0.0,
            seed: Some(9),
            ..Default::default()
        });
        for _ in 0..100 {
            assert_eq!(s.sample(&l), 1);
        }
    }

    #[test]
    fn repeat_penalty_changes_greedy_choice() {
        let mut l = vec![0.0f32; 4];
        l[0] = 2.0;
        l[1] = 1.5;
        let mut s = Sampler::new(SamplerParams {
            temperature: 0.0,
            repeat_penalty: 2.0,
            ..Default::default()
        });
        assert_eq!(s.sample(&l), 0);
        s.accept(0);
        assert_eq!(s.sample(&l), 1, "2.0/2 = 1.0 < 1.5");
        let mut s = Sampler::new(SamplerParams {
            temperature: 0.0,
            presence_penalty: 1.0,
            ..Default::default()
        });
        s.accept(0);
        assert_eq!(s.sample(&l), 1);
    }
}
