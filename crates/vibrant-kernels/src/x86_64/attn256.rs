//! AVX2 + FMA versions of [`crate::attention`]'s kernels: the same float operations in the same order as
//! the scalar specification, eight lanes at a time (bit-identical results).

use std::arch::x86_64::*;

use crate::attention::{EXP_MAX, EXP_MIN, EXP_POLY, LN2_HI, LN2_LO, exp};

/// `e^x` for eight lanes, as [`crate::attention::exp`].
#[inline]
#[target_feature(enable = "avx2,fma")]
fn exp8(x: __m256) -> __m256 {
    let under = _mm256_cmp_ps::<_CMP_LT_OQ>(x, _mm256_set1_ps(EXP_MIN));
    // `min(x, cap)` returns `cap` for a NaN `x`, as `f32::min` does.
    let x = _mm256_min_ps(x, _mm256_set1_ps(EXP_MAX));
    let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_ps(
        x,
        _mm256_set1_ps(std::f32::consts::LOG2_E),
    ));
    let r = _mm256_fmadd_ps(n, _mm256_set1_ps(-LN2_HI), x);
    let r = _mm256_fmadd_ps(n, _mm256_set1_ps(-LN2_LO), r);
    let mut p = _mm256_set1_ps(EXP_POLY[0]);
    for &c in &EXP_POLY[1..] {
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
    }
    let e = _mm256_add_ps(
        _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r),
        _mm256_set1_ps(1.0),
    );
    let pow2 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(
        _mm256_cvtps_epi32(n),
        _mm256_set1_epi32(127),
    )));
    _mm256_andnot_ps(under, _mm256_mul_ps(e, pow2))
}

/// The module documentation's lane order: `((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))`.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn reduce8(v: __m256) -> f32 {
    let lo = _mm256_castps256_ps128(v);
    let hi = _mm256_extractf128_ps::<1>(v);
    // Pairs: (l0 + l1, l2 + l3) and (l4 + l5, l6 + l7).
    let plo = _mm_hadd_ps(lo, lo);
    let phi = _mm_hadd_ps(hi, hi);
    let qlo = _mm_hadd_ps(plo, plo);
    let qhi = _mm_hadd_ps(phi, phi);
    _mm_cvtss_f32(_mm_add_ss(qlo, qhi))
}

/// Four dot products at once (`q` against four key rows), reduced in the documented order.
///
/// # Safety
/// `q` and each `k[i]` must hold `hd` floats, `hd` a multiple of 8.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot4(q: *const f32, k: [*const f32; 4], hd: usize) -> [f32; 4] {
    let mut a = [_mm256_setzero_ps(); 4];
    let mut c = 0;
    while c < hd {
        // SAFETY: `c + 8 <= hd` elements of every row.
        unsafe {
            let x = _mm256_loadu_ps(q.add(c));
            for i in 0..4 {
                a[i] = _mm256_fmadd_ps(x, _mm256_loadu_ps(k[i].add(c)), a[i]);
            }
        }
        c += 8;
    }
    [reduce8(a[0]), reduce8(a[1]), reduce8(a[2]), reduce8(a[3])]
}

/// One dot product, reduced in the documented order.
///
/// # Safety
/// As [`dot4`], for one key row.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot1(q: *const f32, k: *const f32, hd: usize) -> f32 {
    let mut a = _mm256_setzero_ps();
    let mut c = 0;
    while c < hd {
        // SAFETY: `c + 8 <= hd`.
        unsafe { a = _mm256_fmadd_ps(_mm256_loadu_ps(q.add(c)), _mm256_loadu_ps(k.add(c)), a) };
        c += 8;
    }
    reduce8(a)
}

/// See [`crate::attention::exp_inplace`].
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn exp_inplace(x: &mut [f32]) {
    let mut chunks = x.chunks_exact_mut(8);
    for c in &mut chunks {
        // SAFETY: `c` holds eight floats.
        unsafe { _mm256_storeu_ps(c.as_mut_ptr(), exp8(_mm256_loadu_ps(c.as_ptr()))) };
    }
    for v in chunks.into_remainder() {
        *v = exp(*v);
    }
}

/// See [`crate::attention::silu_mul`].
///
/// # Safety
/// The CPU must support AVX2 and FMA; `up` must be as long as `gate`.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn silu_mul(gate: &mut [f32], up: &[f32]) {
    let n8 = gate.len() - gate.len() % 8;
    let one = _mm256_set1_ps(1.0);
    let mut i = 0;
    while i < n8 {
        // SAFETY: `i + 8 <= n8 <= len` for both slices.
        unsafe {
            let g = _mm256_loadu_ps(gate.as_ptr().add(i));
            let u = _mm256_loadu_ps(up.as_ptr().add(i));
            let e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
            let s = _mm256_div_ps(g, _mm256_add_ps(one, e));
            _mm256_storeu_ps(gate.as_mut_ptr().add(i), _mm256_mul_ps(s, u));
        }
        i += 8;
    }
    for (g, &u) in gate[n8..].iter_mut().zip(&up[n8..]) {
        *g = *g / (1.0 + exp(-*g)) * u;
    }
}

/// See [`crate::attention::attn_block`].
///
/// # Safety
/// The CPU must support AVX2 and FMA; `hd` must be a multiple of 8 and the shapes as `attn_block` checks.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn attn_block(
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
    let kp = k.as_ptr();
    let vp = v.as_ptr();
    for (i, &n) in visible.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let qi = q[i * hd..].as_ptr();
        // Scores, four keys at a time.
        let mut j = 0;
        while j + 4 <= n {
            // SAFETY: keys `j..j + 4 < nk` are rows of `k`; `scores` holds `nk` floats.
            unsafe {
                let s = dot4(
                    qi,
                    [
                        kp.add(j * hd),
                        kp.add((j + 1) * hd),
                        kp.add((j + 2) * hd),
                        kp.add((j + 3) * hd),
                    ],
                    hd,
                );
                for t in 0..4 {
                    scores[j + t] = s[t] * scale;
                }
            }
            j += 4;
        }
        while j < n {
            // SAFETY: key `j < nk`.
            scores[j] = unsafe { dot1(qi, kp.add(j * hd), hd) } * scale;
            j += 1;
        }
        let s = &mut scores[..n];
        let block_max = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let m_new = m[i].max(block_max);
        let corr = if m[i] == f32::NEG_INFINITY {
            0.0
        } else {
            exp(m[i] - m_new)
        };
        // Probabilities and their sum (eight lanes over whole groups, then the rest in order).
        let full = n - n % 8;
        let mn = _mm256_set1_ps(m_new);
        let mut lanes = _mm256_setzero_ps();
        let mut c = 0;
        while c < full {
            // SAFETY: `c + 8 <= full <= n` floats of `s`.
            unsafe {
                let p = exp8(_mm256_sub_ps(_mm256_loadu_ps(s.as_ptr().add(c)), mn));
                _mm256_storeu_ps(s.as_mut_ptr().add(c), p);
                lanes = _mm256_add_ps(lanes, p);
            }
            c += 8;
        }
        let mut sum = reduce8(lanes);
        for p in &mut s[full..] {
            *p = exp(*p - m_new);
            sum += *p;
        }
        l[i] = l[i].mul_add(corr, sum);
        m[i] = m_new;
        // acc = acc · corr + Σ_j p_j · v_j, 32 elements (four registers) at a time across all keys.
        let a = acc[i * hd..(i + 1) * hd].as_mut_ptr();
        let cv = _mm256_set1_ps(corr);
        let mut c = 0;
        while c + 32 <= hd {
            // SAFETY: elements `c..c + 32 <= hd` of the accumulator row and of every value row `< n`.
            unsafe {
                let mut r = [_mm256_setzero_ps(); 4];
                for (u, rv) in r.iter_mut().enumerate() {
                    *rv = _mm256_mul_ps(_mm256_loadu_ps(a.add(c + 8 * u)), cv);
                }
                for (jj, &p) in s.iter().enumerate() {
                    let pv = _mm256_set1_ps(p);
                    let row = vp.add(jj * hd + c);
                    for (u, rv) in r.iter_mut().enumerate() {
                        *rv = _mm256_fmadd_ps(pv, _mm256_loadu_ps(row.add(8 * u)), *rv);
                    }
                }
                for (u, rv) in r.iter().enumerate() {
                    _mm256_storeu_ps(a.add(c + 8 * u), *rv);
                }
            }
            c += 32;
        }
        while c < hd {
            // SAFETY: elements `c..c + 8 <= hd` (hd is a multiple of 8).
            unsafe {
                let mut rv = _mm256_mul_ps(_mm256_loadu_ps(a.add(c)), cv);
                for (jj, &p) in s.iter().enumerate() {
                    rv = _mm256_fmadd_ps(
                        _mm256_set1_ps(p),
                        _mm256_loadu_ps(vp.add(jj * hd + c)),
                        rv,
                    );
                }
                _mm256_storeu_ps(a.add(c), rv);
            }
            c += 8;
        }
    }
}
