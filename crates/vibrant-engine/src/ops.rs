//! The element-wise and row-wise operations of the forward pass (f32). Kept as plain loops that
//! the compiler vectorises; the heavy work (matmul, attention) lives elsewhere.

use crate::config::RopeStyle;

/// `out = x / sqrt(mean(x²) + eps) * w`, accumulating the mean in f64 as ggml does.
pub fn rms_norm(x: &[f32], w: &[f32], eps: f32, out: &mut [f32]) {
    let sum: f64 = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    let mean = (sum / x.len() as f64) as f32;
    let scale = 1.0 / (mean + eps).sqrt();
    for ((o, &v), &g) in out.iter_mut().zip(x).zip(w) {
        *o = v * scale * g;
    }
}

/// `x += b`.
pub fn add_assign(x: &mut [f32], b: &[f32]) {
    for (v, &a) in x.iter_mut().zip(b) {
        *v += a;
    }
}

/// SwiGLU: `gate = silu(gate) * up`, in place in `gate` (vectorised `exp`:
/// [`vibrant_kernels::attention::silu_mul`]). Panics if the slices differ in length.
pub fn swiglu(gate: &mut [f32], up: &[f32]) {
    vibrant_kernels::attention::silu_mul(gate, up);
}

/// Softmax in place; returns nothing. Uses the max for stability.
pub fn softmax(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f64;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += f64::from(*v);
    }
    let inv = (1.0 / sum) as f32;
    for v in x.iter_mut() {
        *v *= inv;
    }
}

/// Precomputed cos/sin of RoPE angles for one position: `n_rot / 2` pairs.
///
/// The angles follow ggml's recurrence (`theta *= base^(-2/n_rot)` in f32), so that rounding
/// matches llama.cpp closely.
pub fn rope_cache(
    pos: usize,
    n_rot: usize,
    freq_base: f32,
    freq_scale: f32,
    cos: &mut [f32],
    sin: &mut [f32],
) {
    let theta_scale = freq_base.powf(-2.0 / n_rot as f32);
    let mut theta = pos as f32;
    for i in 0..n_rot / 2 {
        let t = theta * freq_scale;
        cos[i] = t.cos();
        sin[i] = t.sin();
        theta *= theta_scale;
    }
}

/// Applies RoPE in place to every head of `x` (`n_heads` heads of `head_dim`), rotating the first
/// `n_rot` dimensions of each head.
pub fn rope(
    x: &mut [f32],
    head_dim: usize,
    n_rot: usize,
    style: RopeStyle,
    cos: &[f32],
    sin: &[f32],
) {
    for head in x.chunks_exact_mut(head_dim) {
        match style {
            RopeStyle::Normal => {
                for i in 0..n_rot / 2 {
                    let (a, b) = (head[2 * i], head[2 * i + 1]);
                    head[2 * i] = a * cos[i] - b * sin[i];
                    head[2 * i + 1] = a * sin[i] + b * cos[i];
                }
            }
            RopeStyle::Neox => {
                let half = n_rot / 2;
                for i in 0..half {
                    let (a, b) = (head[i], head[i + half]);
                    head[i] = a * cos[i] - b * sin[i];
                    head[i + half] = a * sin[i] + b * cos[i];
                }
            }
        }
    }
}

/// Log-softmax of a row of logits, in f64 (tests and perplexity).
pub fn log_softmax(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let sum: f64 = logits.iter().map(|&l| (l as f64 - max).exp()).sum();
    let lse = max + sum.ln();
    logits.iter().map(|&l| l as f64 - lse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rms_norm_of_constant_row_is_weight() {
        let x = [3.0f32; 8];
        let w = [0.5f32; 8];
        let mut out = [0.0f32; 8];
        rms_norm(&x, &w, 0.0, &mut out);
        for v in out {
            assert!((v - 0.5).abs() < 1e-6, "{v}");
        }
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let mut x = [1.0f32, 2.0, 3.0, -1.0];
        softmax(&mut x);
        assert!((x.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(x[2] > x[1] && x[1] > x[0] && x[0] > x[3]);
    }

    #[test]
    fn rope_at_position_zero_is_identity_and_preserves_norm() {
        let (mut cos, mut sin) = (vec![0.0; 4], vec![0.0; 4]);
        rope_cache(0, 8, 10000.0, 1.0, &mut cos, &mut sin);
        let orig: Vec<f32> = (0..8).map(|i| i as f32).collect();
        for style in [RopeStyle::Normal, RopeStyle::Neox] {
            let mut x = orig.clone();
            rope(&mut x, 8, 8, style, &cos, &sin);
            assert_eq!(x, orig);
        }
        rope_cache(17, 8, 10000.0, 1.0, &mut cos, &mut sin);
        for style in [RopeStyle::Normal, RopeStyle::Neox] {
            let mut x = orig.clone();
            rope(&mut x, 8, 8, style, &cos, &sin);
            let n0: f32 = orig.iter().map(|v| v * v).sum();
            let n1: f32 = x.iter().map(|v| v * v).sum();
            assert!((n0 - n1).abs() < 1e-3, "{n0} vs {n1}");
            assert_ne!(x, orig);
        }
    }

    #[test]
    fn neox_and_normal_pair_different_dimensions() {
        let (mut cos, mut sin) = (vec![0.0; 2], vec![0.0; 2]);
        rope_cache(1, 4, 10000.0, 1.0, &mut cos, &mut sin);
        let mut a = vec![1.0, 0.0, 0.0, 0.0];
        let mut b = a.clone();
        rope(&mut a, 4, 4, RopeStyle::Normal, &cos, &sin);
        rope(&mut b, 4, 4, RopeStyle::Neox, &cos, &sin);
        // Normal rotates dim 0 with dim 1; NEOX rotates dim 0 with dim 2.
        assert!(a[1].abs() > 0.5 && a[2] == 0.0);
        assert!(b[2].abs() > 0.5 && b[1] == 0.0);
    }
}
