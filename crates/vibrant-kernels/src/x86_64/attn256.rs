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

/// Eight dot products at once (two query rows against four key rows), each reduced in the documented
/// order: the same float operations per product as [`dot4`], with each key load serving both rows.
///
/// # Safety
/// `qa`, `qb` and each `k[i]` must hold `hd` floats, `hd` a multiple of 8.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot4x2(qa: *const f32, qb: *const f32, k: [*const f32; 4], hd: usize) -> [[f32; 4]; 2] {
    let mut a = [_mm256_setzero_ps(); 4];
    let mut b = [_mm256_setzero_ps(); 4];
    let mut c = 0;
    while c < hd {
        // SAFETY: `c + 8 <= hd` elements of every row.
        unsafe {
            let xa = _mm256_loadu_ps(qa.add(c));
            let xb = _mm256_loadu_ps(qb.add(c));
            for i in 0..4 {
                let kv = _mm256_loadu_ps(k[i].add(c));
                a[i] = _mm256_fmadd_ps(xa, kv, a[i]);
                b[i] = _mm256_fmadd_ps(xb, kv, b[i]);
            }
        }
        c += 8;
    }
    [
        [reduce8(a[0]), reduce8(a[1]), reduce8(a[2]), reduce8(a[3])],
        [reduce8(b[0]), reduce8(b[1]), reduce8(b[2]), reduce8(b[3])],
    ]
}

/// Scores of one query row for keys `from..n` into `s` (four keys at a time, then one by one).
///
/// # Safety
/// `q` holds `hd` floats, `kp` at least `n` key rows of `hd`, `s` at least `n` floats; `hd % 8 == 0`.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn scores_row(
    q: *const f32,
    kp: *const f32,
    hd: usize,
    scale: f32,
    from: usize,
    n: usize,
    s: &mut [f32],
) {
    let mut j = from;
    while j + 4 <= n {
        // SAFETY: keys `j..j + 4 <= n` exist.
        let d = unsafe {
            dot4(
                q,
                [
                    kp.add(j * hd),
                    kp.add((j + 1) * hd),
                    kp.add((j + 2) * hd),
                    kp.add((j + 3) * hd),
                ],
                hd,
            )
        };
        for t in 0..4 {
            s[j + t] = d[t] * scale;
        }
        j += 4;
    }
    while j < n {
        // SAFETY: key `j < n`.
        s[j] = unsafe { dot1(q, kp.add(j * hd), hd) } * scale;
        j += 1;
    }
}

/// Turns one row's scores into probabilities in place and updates its max and sum; returns the factor
/// `corr` the row's accumulator must be scaled by.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn softmax_row(s: &mut [f32], m: &mut f32, l: &mut f32) -> f32 {
    let n = s.len();
    let block_max = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let m_new = m.max(block_max);
    let corr = if *m == f32::NEG_INFINITY {
        0.0
    } else {
        exp(*m - m_new)
    };
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
    *l = l.mul_add(corr, sum);
    *m = m_new;
    corr
}

/// `acc = acc · corr + Σ_{j in keys} p_j · v_j` for one row, or continues the sum without scaling when
/// `corr` is `None` (keys in order, one FMA per key and element).
///
/// # Safety
/// `a` holds `hd` floats, `vp` the value rows of every key in `keys`; `hd % 8 == 0`.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn accumulate_row(
    a: *mut f32,
    vp: *const f32,
    hd: usize,
    p: &[f32],
    keys: std::ops::Range<usize>,
    corr: Option<f32>,
) {
    let mut c = 0;
    while c < hd {
        let w = if c + 32 <= hd { 4 } else { 1 };
        // SAFETY: elements `c..c + 8w <= hd` of the accumulator and of every value row in `keys`.
        unsafe {
            let mut r = [_mm256_setzero_ps(); 4];
            for u in 0..w {
                r[u] = _mm256_loadu_ps(a.add(c + 8 * u));
                if let Some(cv) = corr {
                    r[u] = _mm256_mul_ps(r[u], _mm256_set1_ps(cv));
                }
            }
            for j in keys.clone() {
                let pv = _mm256_set1_ps(p[j]);
                let row = vp.add(j * hd + c);
                for u in 0..w {
                    r[u] = _mm256_fmadd_ps(pv, _mm256_loadu_ps(row.add(8 * u)), r[u]);
                }
            }
            for u in 0..w {
                _mm256_storeu_ps(a.add(c + 8 * u), r[u]);
            }
        }
        c += 8 * w;
    }
}

/// See [`crate::attention::attn_block`]. Query rows are taken in pairs where both see keys: their scores
/// share each key load, and their value accumulation each value load, over the keys both see; the rest of
/// each row runs alone. Every row gets exactly the float operations, in the same order, of the scalar
/// specification.
///
/// # Safety
/// The CPU must support AVX2 and FMA; `hd` must be a multiple of 8 and the shapes as `attn_block` checks
/// (`scores` at least `2 · nk` floats).
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
    let nk = k.len() / hd;
    let (kp, vp, qp) = (k.as_ptr(), v.as_ptr(), q.as_ptr());
    let nq = visible.len();
    let mut i = 0;
    while i < nq {
        let na = visible[i];
        if na == 0 {
            i += 1;
            continue;
        }
        let nb = if i + 1 < nq { visible[i + 1] } else { 0 };
        if nb == 0 {
            // A row alone.
            let s = &mut scores[..na];
            // SAFETY: row `i` of `q`, keys `< na <= nk`, `s` holds `na` floats.
            unsafe { scores_row(qp.add(i * hd), kp, hd, scale, 0, na, s) };
            let corr = softmax_row(s, &mut m[i], &mut l[i]);
            // SAFETY: row `i` of `acc`, value rows `< na`.
            unsafe { accumulate_row(acc.as_mut_ptr().add(i * hd), vp, hd, s, 0..na, Some(corr)) };
            i += 1;
            continue;
        }
        // Rows `i` and `i + 1`: joint over the keys both see.
        let both = na.min(nb);
        let (sa, sb) = scores.split_at_mut(nk);
        let (qa, qb) = (qp.wrapping_add(i * hd), qp.wrapping_add((i + 1) * hd));
        let mut j = 0;
        while j + 4 <= both {
            // SAFETY: rows `i`, `i + 1` of `q` and keys `j..j + 4 <= both <= nk`.
            let d = unsafe {
                dot4x2(
                    qa,
                    qb,
                    [
                        kp.add(j * hd),
                        kp.add((j + 1) * hd),
                        kp.add((j + 2) * hd),
                        kp.add((j + 3) * hd),
                    ],
                    hd,
                )
            };
            for t in 0..4 {
                sa[j + t] = d[0][t] * scale;
                sb[j + t] = d[1][t] * scale;
            }
            j += 4;
        }
        // SAFETY: as above; the remaining keys of each row, one row at a time.
        unsafe {
            scores_row(qa, kp, hd, scale, j, na, sa);
            scores_row(qb, kp, hd, scale, j, nb, sb);
        }
        let ca = softmax_row(&mut sa[..na], &mut m[i], &mut l[i]);
        let cb = softmax_row(&mut sb[..nb], &mut m[i + 1], &mut l[i + 1]);
        let (aa, ab) = (
            acc.as_mut_ptr().wrapping_add(i * hd),
            acc.as_mut_ptr().wrapping_add((i + 1) * hd),
        );
        let mut c = 0;
        while c < hd {
            let w = if c + 32 <= hd { 4 } else { 1 };
            // SAFETY: elements `c..c + 8w <= hd` of both accumulator rows and of value rows `< both`.
            unsafe {
                let mut ra = [_mm256_setzero_ps(); 4];
                let mut rb = [_mm256_setzero_ps(); 4];
                for u in 0..w {
                    ra[u] = _mm256_mul_ps(_mm256_loadu_ps(aa.add(c + 8 * u)), _mm256_set1_ps(ca));
                    rb[u] = _mm256_mul_ps(_mm256_loadu_ps(ab.add(c + 8 * u)), _mm256_set1_ps(cb));
                }
                for jj in 0..both {
                    let (pa, pb) = (_mm256_set1_ps(sa[jj]), _mm256_set1_ps(sb[jj]));
                    let row = vp.add(jj * hd + c);
                    for u in 0..w {
                        let vv = _mm256_loadu_ps(row.add(8 * u));
                        ra[u] = _mm256_fmadd_ps(pa, vv, ra[u]);
                        rb[u] = _mm256_fmadd_ps(pb, vv, rb[u]);
                    }
                }
                for u in 0..w {
                    _mm256_storeu_ps(aa.add(c + 8 * u), ra[u]);
                    _mm256_storeu_ps(ab.add(c + 8 * u), rb[u]);
                }
            }
            c += 8 * w;
        }
        // SAFETY: the keys only one of the rows sees, continuing its sums in key order.
        unsafe {
            accumulate_row(aa, vp, hd, sa, both..na, None);
            accumulate_row(ab, vp, hd, sb, both..nb, None);
        }
        i += 2;
    }
}
