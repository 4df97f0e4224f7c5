//! Random but valid blocks for every format, and a tiny seeded PRNG (no `rand` dependency).

#![allow(dead_code)]

use half::{bf16, f16};
use vibrant_kernels::{ActFormat, QK_K, WeightFormat};

/// xorshift64* — deterministic, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn byte(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    /// Roughly normal (sum of uniforms).
    pub fn normal(&mut self) -> f32 {
        (0..4).map(|_| self.unit()).sum::<f32>() * 0.866
    }
    pub fn sign(&mut self) -> f32 {
        if self.next_u64() & 1 == 0 { 1.0 } else { -1.0 }
    }
}

/// How scales are drawn: `Exact` uses ±1/128 and small activation quants so that every float operation in
/// a dot product is exact (then every ISA must agree bit for bit); `Any` draws arbitrary small values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scales {
    Exact,
    Any,
}

fn scale(rng: &mut Rng, scales: Scales, typical: f32) -> f32 {
    match scales {
        Scales::Exact => {
            rng.sign()
                * if rng.next_u64() & 1 == 0 {
                    1.0 / 64.0
                } else {
                    1.0 / 128.0
                }
        }
        Scales::Any => rng.normal() * typical,
    }
}

/// Offsets of the f16 scale/min fields in a weight block.
pub fn f16_fields(fmt: WeightFormat) -> &'static [usize] {
    match fmt {
        WeightFormat::Q4_0 | WeightFormat::Q5_0 | WeightFormat::Q8_0 => &[0],
        WeightFormat::Q4_1 | WeightFormat::Q5_1 | WeightFormat::Q4K | WeightFormat::Q5K => &[0, 2],
        WeightFormat::Q2K => &[80, 82],
        WeightFormat::Q3K => &[108],
        WeightFormat::Q6K => &[208],
        WeightFormat::F32 | WeightFormat::F16 | WeightFormat::BF16 => &[],
    }
}

/// A random row of `n` elements of `fmt`.
pub fn weights(fmt: WeightFormat, n: usize, rng: &mut Rng, scales: Scales) -> Vec<u8> {
    let float = |rng: &mut Rng| match scales {
        Scales::Exact => (rng.below(33) as f32 - 16.0) / 16.0,
        Scales::Any => rng.normal(),
    };
    match fmt {
        WeightFormat::F32 => (0..n).flat_map(|_| float(rng).to_le_bytes()).collect(),
        WeightFormat::F16 => (0..n)
            .flat_map(|_| f16::from_f32(float(rng)).to_bits().to_le_bytes())
            .collect(),
        WeightFormat::BF16 => (0..n)
            .flat_map(|_| bf16::from_f32(float(rng)).to_bits().to_le_bytes())
            .collect(),
        _ => {
            let bb = fmt.block_bytes();
            let mut out: Vec<u8> = (0..fmt.row_bytes(n)).map(|_| rng.byte()).collect();
            for b in out.chunks_exact_mut(bb) {
                for &off in f16_fields(fmt) {
                    let v = scale(rng, scales, 0.02);
                    b[off..off + 2].copy_from_slice(&f16::from_f32(v).to_bits().to_le_bytes());
                }
            }
            out
        }
    }
}

/// A random, valid activation row of `n` elements of `af` (built directly, not through the quantizer, so the
/// scales can be exact).
pub fn activations(af: ActFormat, n: usize, rng: &mut Rng, scales: Scales) -> Vec<u8> {
    // Exact mode keeps the quants small so that no integer sum needs more than a float's 24 bits.
    let q = |rng: &mut Rng| match scales {
        Scales::Exact => (rng.below(31) as i32 - 15) as i8,
        Scales::Any => (rng.below(255) as i32 - 127) as i8,
    };
    let mut out = Vec::with_capacity(af.row_bytes(n));
    match af {
        ActFormat::F32 => {
            for _ in 0..n {
                let v = match scales {
                    Scales::Exact => (rng.below(65) as f32 - 32.0) / 16.0,
                    Scales::Any => rng.normal(),
                };
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        ActFormat::Q8_0 | ActFormat::Q8_1 => {
            for _ in 0..n / 32 {
                let d = scale(rng, scales, 0.05).abs();
                let d16 = f16::from_f32(d);
                let qs: Vec<i8> = (0..32).map(|_| q(rng)).collect();
                out.extend_from_slice(&d16.to_bits().to_le_bytes());
                if af == ActFormat::Q8_1 {
                    let sum: i32 = qs.iter().map(|&v| i32::from(v)).sum();
                    let s = f16::from_f32(sum as f32 * d);
                    out.extend_from_slice(&s.to_bits().to_le_bytes());
                }
                out.extend(qs.iter().map(|&v| v as u8));
            }
        }
        ActFormat::Q8K => {
            for _ in 0..n / QK_K {
                let d = scale(rng, scales, 0.01).abs();
                let qs: Vec<i8> = (0..QK_K).map(|_| q(rng)).collect();
                out.extend_from_slice(&d.to_le_bytes());
                out.extend(qs.iter().map(|&v| v as u8));
                for g in qs.chunks_exact(16) {
                    let s: i32 = g.iter().map(|&v| i32::from(v)).sum();
                    out.extend_from_slice(&(s as i16).to_le_bytes());
                }
            }
        }
    }
    out
}

/// Random f32 activations with a varying magnitude per 32 elements.
pub fn floats(n: usize, rng: &mut Rng) -> Vec<f32> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n.div_ceil(32) {
        let mag = 10f32.powf(rng.unit() * 2.0);
        for _ in 0..32 {
            out.push(rng.normal() * mag);
        }
    }
    out.truncate(n);
    out
}

/// The quantized formats (everything but the plain floats).
pub fn quantized() -> impl Iterator<Item = WeightFormat> {
    WeightFormat::ALL.into_iter().filter(|f| f.block_len() > 1)
}

/// Σ w_i · a_i and Σ |w_i · a_i| in f64 from the dequantized rows.
pub fn reference_dot(fmt: WeightFormat, n: usize, w: &[u8], act: &[u8]) -> (f64, f64) {
    let mut wf = vec![0.0f32; n];
    vibrant_kernels::scalar::dequantize_row(fmt, w, &mut wf);
    let mut af = vec![0.0f32; n];
    vibrant_kernels::scalar::dequantize_act_row(fmt.act_format(), act, &mut af);
    let mut s = 0.0f64;
    let mut abs = 0.0f64;
    for (a, b) in wf.iter().zip(&af) {
        let p = f64::from(*a) * f64::from(*b);
        s += p;
        abs += p.abs();
    }
    (s, abs)
}
