//! Attention and activation kernels over f32 vectors: a vectorised `exp`, the SwiGLU activation, and one
//! block of a tiled (flash-attention style) online-softmax attention.
//!
//! [`attn_block`] takes several query rows (e.g. the query heads that share one KV head, for one or more
//! tokens) against one block of keys and values already converted to f32, so each key and value row is
//! converted once per block and read from L1 by every query; the caller keeps the running maximum, sum and
//! accumulator per query row across blocks and divides at the end. The functions here are the
//! specification (plain Rust); the AVX2 versions (`x86_64::attn256`) compute the same float operations in
//! the same order and equal them bit for bit (`tests/all/attention.rs`):
//!
//! * `exp`: Cephes-style range reduction `x = n·ln 2 + r` (`n` rounded to even, ln 2 split in two), a
//!   degree-5 polynomial for `e^r`, then `× 2^n`; inputs below −87.3 give 0, inputs are capped at 88
//!   (relative error ≤ 2 ulp on the rest).
//! * dot products: eight lanes `l` each summing `q[8c + l]·k[8c + l]` with FMAs in order of `c`, then the
//!   lanes added as `((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))`.
//! * the softmax sum: the same eight-lane scheme over the block's probabilities (whole groups of eight), then
//!   the remaining ones added in order.
//! * the value accumulation: one FMA per key and element, keys in order.

// The calls into the `#[target_feature]` versions are `unsafe`: each is guarded by the detected level.
#![allow(unsafe_code)]

#[cfg(target_arch = "x86_64")]
use crate::dispatch::Isa;
use crate::dispatch::Kernels;

const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 in two parts: `C1` has few mantissa bits, so `n · C1` is exact for the `n` that occur.
pub(crate) const LN2_HI: f32 = 0.693_359_4;
pub(crate) const LN2_LO: f32 = -2.121_944_4e-4;
/// Minimax coefficients of `(e^r − 1 − r) / r²` on `|r| ≤ ln 2 / 2`, highest degree first.
pub(crate) const EXP_POLY: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    0.5,
];
/// Below this, `exp` returns 0 (`e^−87.3` is just above the smallest normal f32).
pub(crate) const EXP_MIN: f32 = -87.3;
/// Inputs are capped here (`e^88` is finite).
pub(crate) const EXP_MAX: f32 = 88.0;

/// `e^x` for one value: the specification of the vectorised versions (see the module documentation).
pub fn exp(x: f32) -> f32 {
    if x < EXP_MIN {
        return 0.0;
    }
    let x = x.min(EXP_MAX);
    let n = (x * LOG2E).round_ties_even();
    let r = n.mul_add(-LN2_HI, x);
    let r = n.mul_add(-LN2_LO, r);
    let mut p = EXP_POLY[0];
    for &c in &EXP_POLY[1..] {
        p = p.mul_add(r, c);
    }
    let e = p.mul_add(r * r, r) + 1.0;
    // `n` is in −126..=127 here, so 2^n is a normal number.
    e * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// `x[i] = e^x[i]` for every element ([`exp`], vectorised where the CPU allows).
pub fn exp_inplace(x: &mut [f32]) {
    Kernels::active().exp_inplace(x);
}

/// SwiGLU: `gate[i] = gate[i] / (1 + e^−gate[i]) · up[i]` (SiLU of the gate times the up projection).
///
/// Panics if the slices differ in length.
pub fn silu_mul(gate: &mut [f32], up: &[f32]) {
    Kernels::active().silu_mul(gate, up);
}

/// One block of online-softmax attention for `visible.len()` query rows.
///
/// `q` holds the query rows (`hd` floats each), `k` and `v` the block's key and value rows (`hd` floats
/// each, `nk = k.len() / hd` of them). Query row `i` sees the first `visible[i]` keys of the block (causal
/// masking; 0 skips the row). Scores are `dot(q_i, k_j) · scale`. The running state of each row — maximum
/// score `m[i]` (start at −∞), sum of `e^(s − m)` `l[i]` (start at 0) and the unnormalised output
/// `acc[i·hd..]` (start at 0) — is updated in place; after the last block the output row is `acc / l`.
/// `scores` is scratch of at least `2 · nk` floats.
///
/// Panics if the shapes disagree.
#[allow(clippy::too_many_arguments)]
pub fn attn_block(
    q: &[f32],
    hd: usize,
    scale: f32,
    k: &[f32],
    v: &[f32],
    visible: &[usize],
    m: &mut [f32],
    l: &mut [f32],
    acc: &mut [f32],
    scores: &mut [f32],
) {
    Kernels::active().attn_block(q, hd, scale, k, v, visible, m, l, acc, scores);
}

impl Kernels {
    /// See [`exp_inplace`].
    pub fn exp_inplace(self, x: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if self.isa() >= Isa::Avx2 {
            // SAFETY: the level's features (AVX2, FMA) were detected.
            unsafe { crate::x86_64::attn256::exp_inplace(x) };
            return;
        }
        exp_inplace_scalar(x);
    }

    /// See [`silu_mul`].
    pub fn silu_mul(self, gate: &mut [f32], up: &[f32]) {
        assert_eq!(
            gate.len(),
            up.len(),
            "silu_mul: the slices differ in length"
        );
        #[cfg(target_arch = "x86_64")]
        if self.isa() >= Isa::Avx2 {
            // SAFETY: the level's features were detected; the lengths were checked above.
            unsafe { crate::x86_64::attn256::silu_mul(gate, up) };
            return;
        }
        silu_mul_scalar(gate, up);
    }

    /// See [`attn_block`].
    #[allow(clippy::too_many_arguments)]
    pub fn attn_block(
        self,
        q: &[f32],
        hd: usize,
        scale: f32,
        k: &[f32],
        v: &[f32],
        visible: &[usize],
        m: &mut [f32],
        l: &mut [f32],
        acc: &mut [f32],
        scores: &mut [f32],
    ) {
        let nq = visible.len();
        assert!(
            hd > 0 && k.len().is_multiple_of(hd) && v.len() == k.len(),
            "attn_block: {} key and {} value floats are not rows of {hd}",
            k.len(),
            v.len()
        );
        let nk = k.len() / hd;
        assert!(
            q.len() == nq * hd && m.len() == nq && l.len() == nq && acc.len() == nq * hd,
            "attn_block: {nq} query rows of {hd} need q and acc of {} floats and m, l of {nq}; got {}, {}, {}, {}",
            nq * hd,
            q.len(),
            acc.len(),
            m.len(),
            l.len()
        );
        assert!(
            scores.len() >= 2 * nk && visible.iter().all(|&n| n <= nk),
            "attn_block: {nk} keys in the block, scratch {} floats, visible counts {visible:?}",
            scores.len()
        );
        #[cfg(target_arch = "x86_64")]
        if self.isa() >= Isa::Avx2 && hd.is_multiple_of(8) {
            // SAFETY: the level's features were detected; the shapes were checked above.
            unsafe {
                crate::x86_64::attn256::attn_block(q, hd, scale, k, v, visible, m, l, acc, scores)
            };
            return;
        }
        attn_block_scalar(q, hd, scale, k, v, visible, m, l, acc, scores);
    }
}

/// The scalar [`exp_inplace`].
pub fn exp_inplace_scalar(x: &mut [f32]) {
    for v in x {
        *v = exp(*v);
    }
}

/// The scalar [`silu_mul`].
pub fn silu_mul_scalar(gate: &mut [f32], up: &[f32]) {
    for (g, &u) in gate.iter_mut().zip(up) {
        *g = *g / (1.0 + exp(-*g)) * u;
    }
}

/// The eight-lane reduction order of the module documentation.
pub(crate) fn reduce8(l: [f32; 8]) -> f32 {
    ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
}

/// The dot product of the module documentation (`a.len()` a multiple of 8, else lanes wrap).
pub(crate) fn dot8(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        lanes[i % 8] = x.mul_add(y, lanes[i % 8]);
    }
    reduce8(lanes)
}

/// The scalar [`attn_block`]: the specification.
#[allow(clippy::too_many_arguments)]
pub fn attn_block_scalar(
    q: &[f32],
    hd: usize,
    scale: f32,
    k: &[f32],
    v: &[f32],
    visible: &[usize],
    m: &mut [f32],
    l: &mut [f32],
    acc: &mut [f32],
    scores: &mut [f32],
) {
    for (i, &n) in visible.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let qi = &q[i * hd..(i + 1) * hd];
        let s = &mut scores[..n];
        for (j, sj) in s.iter_mut().enumerate() {
            *sj = dot8(qi, &k[j * hd..(j + 1) * hd]) * scale;
        }
        let block_max = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let m_new = m[i].max(block_max);
        let corr = if m[i] == f32::NEG_INFINITY {
            0.0
        } else {
            exp(m[i] - m_new)
        };
        let mut lanes = [0.0f32; 8];
        let full = n - n % 8;
        for (j, sj) in s.iter_mut().enumerate() {
            *sj = exp(*sj - m_new);
            if j < full {
                lanes[j % 8] += *sj;
            }
        }
        let mut sum = reduce8(lanes);
        for &p in &s[full..] {
            sum += p;
        }
        l[i] = l[i].mul_add(corr, sum);
        m[i] = m_new;
        let a = &mut acc[i * hd..(i + 1) * hd];
        for x in a.iter_mut() {
            *x *= corr;
        }
        for (j, &p) in s.iter().enumerate() {
            for (x, &vv) in a.iter_mut().zip(&v[j * hd..(j + 1) * hd]) {
                *x = p.mul_add(vv, *x);
            }
        }
    }
}
