//! The AVX-512 VNNI GEMM over repacked Q4_K and Q6_K weights (layouts: [`crate::repack`]).
//!
//! One tile is eight weight rows × up to four tokens. A `zmm` of quants holds eight bytes of each of the
//! eight rows (16 `i32` lanes: lane `l` is row `l / 2`, bytes `4(l % 2)..`); one `vpbroadcastq` of eight
//! activation bytes lines up with it, so each `vpdpbusd` adds 4 products into each of 16 lanes. A
//! sub-block's lanes are scaled (`vpmulld`) once per 32 elements, the mins (`vpdpwssd` against the paired
//! block sums) and the float scales once per super-block, where the two lanes of each row are folded.

use std::arch::x86_64::*;
use std::ops::Range;

use crate::format::WeightFormat;
use crate::repack::{
    Q4K_X8_BYTES, Q6K_QH, Q6K_QL, Q6K_X8_BYTES, REPACK_ROWS, REPACK_TOKENS, x8_bytes,
};

const ACT_BLOCK: usize = 292;

/// `out[t * out_stride + r - rows.start]` for the rows in `rows` (whole groups) and `t < n_tok`.
///
/// # Safety
/// The CPU must support AVX-512 F/BW/VL/VNNI (and AVX2/FMA/F16C); `packed` must hold every group of `rows`,
/// `act` `n_tok` Q8_K rows of `k` elements; `out` must be valid for writes of every element
/// `t * out_stride + r - rows.start` (`t < n_tok`, `r` in `rows`) that no one else accesses during the call
/// (see `repack::check`).
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemm_x8(
    fmt: WeightFormat,
    k: usize,
    packed: &[u8],
    rows: Range<usize>,
    act: &[u8],
    n_tok: usize,
    out: *mut f32,
    out_stride: usize,
) {
    let nb = k / 256;
    let ab = nb * ACT_BLOCK;
    let group_bytes = nb * x8_bytes(fmt);
    let q6 = fmt == WeightFormat::Q6K;
    let mut t0 = 0;
    while t0 < n_tok {
        let nt = (n_tok - t0).min(REPACK_TOKENS);
        for gi in rows.start / REPACK_ROWS..rows.end / REPACK_ROWS {
            // SAFETY: the caller guarantees the group and the token rows; `tile` writes 8 floats per token.
            unsafe {
                let w = packed.as_ptr().add(gi * group_bytes);
                let a = act.as_ptr().add(t0 * ab);
                let o = out.add(t0 * out_stride + gi * REPACK_ROWS - rows.start);
                match (q6, nt) {
                    (false, 4) => tile::<4>(nb, w, a, ab, o, out_stride),
                    (false, 3) => tile::<3>(nb, w, a, ab, o, out_stride),
                    (false, 2) => tile::<2>(nb, w, a, ab, o, out_stride),
                    (false, _) => tile::<1>(nb, w, a, ab, o, out_stride),
                    (true, 4) => tile_q6k::<4>(nb, w, a, ab, o, out_stride),
                    (true, 3) => tile_q6k::<3>(nb, w, a, ab, o, out_stride),
                    (true, 2) => tile_q6k::<2>(nb, w, a, ab, o, out_stride),
                    (true, _) => tile_q6k::<1>(nb, w, a, ab, o, out_stride),
                }
            }
        }
        t0 += nt;
    }
}

/// Pairs of `i32` lanes summed (row `r` = lanes `2r`, `2r + 1`) into eight lanes.
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
fn fold_pairs(v: __m512i) -> __m256i {
    _mm512_cvtepi64_epi32(_mm512_add_epi32(v, _mm512_srli_epi64::<32>(v)))
}

/// Per 128-bit lane L of `v` = [a(2L), a(2L+1), b(2L), b(2L+1)]: the eight sums a(r) + b(r), row order.
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
fn fold_halves(v: __m512i) -> __m256i {
    let s = _mm512_add_epi32(v, _mm512_bsrli_epi128::<8>(v));
    let idx = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 13, 12, 9, 8, 5, 4, 1, 0);
    _mm512_castsi512_si256(_mm512_permutexvar_epi32(idx, s))
}

/// Eight rows × `NT` tokens over all `nb` super-blocks.
///
/// # Safety
/// As [`gemm_q4k_x8`], for one group at `w`, `NT` activation rows `ab` bytes apart at `a`, and eight floats
/// at `o + t * out_stride` for each token.
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn tile<const NT: usize>(
    nb: usize,
    w: *const u8,
    a: *const u8,
    ab: usize,
    o: *mut f32,
    out_stride: usize,
) {
    let m4 = _mm512_set1_epi8(0x0F);
    let ones = _mm256_set1_epi16(1);
    // Per 128-bit lane L, the i16 scales [sl(2L), sl(2L), sl(2L+1), sl(2L+1), sh(2L), sh(2L), sh(2L+1),
    // sh(2L+1)] (zero-extended bytes) from the 16 scale bytes [sl(0..8), sh(0..8)] of a sub-block pair.
    let sc_ctl = _mm512_set_epi8(
        -1, 15, -1, 15, -1, 14, -1, 14, -1, 7, -1, 7, -1, 6, -1, 6, //
        -1, 13, -1, 13, -1, 12, -1, 12, -1, 5, -1, 5, -1, 4, -1, 4, //
        -1, 11, -1, 11, -1, 10, -1, 10, -1, 3, -1, 3, -1, 2, -1, 2, //
        -1, 9, -1, 9, -1, 8, -1, 8, -1, 1, -1, 1, -1, 0, -1, 0,
    );
    let mut acc = [_mm256_setzero_ps(); NT];
    for ib in 0..nb {
        // SAFETY: super-block `ib < nb` of the group and of every token row.
        unsafe {
            let blk = w.add(ib * Q4K_X8_BYTES);
            let mut y = [a; NT];
            for t in 0..NT {
                y[t] = a.add(t * ab + ib * ACT_BLOCK);
            }
            // Per 128-bit lane L: [row 2L lo part, row 2L+1 lo part, row 2L hi part, row 2L+1 hi part].
            let mut sumi = [_mm512_setzero_si512(); NT];
            for jj in 0..4 {
                let mut lo = [_mm512_setzero_si512(); NT];
                let mut hi = [_mm512_setzero_si512(); NT];
                for g in 0..4 {
                    let q = _mm512_loadu_si512(blk.add(160 + (jj * 4 + g) * 64).cast());
                    let ql = _mm512_and_si512(q, m4);
                    let qh = _mm512_and_si512(_mm512_srli_epi16::<4>(q), m4);
                    for t in 0..NT {
                        let e = y[t].add(4 + 64 * jj + 8 * g);
                        let yl = _mm512_set1_epi64(e.cast::<i64>().read_unaligned());
                        let yh = _mm512_set1_epi64(e.add(32).cast::<i64>().read_unaligned());
                        lo[t] = _mm512_dpbusd_epi32(lo[t], ql, yl);
                        hi[t] = _mm512_dpbusd_epi32(hi[t], qh, yh);
                    }
                }
                // Each lane sums 16 products of a 4-bit quant and an 8-bit activation: |sum| <= 30720,
                // so the i16 pack is exact and `vpdpwssd` applies both sub-blocks' scales at once.
                let sc = _mm512_shuffle_epi8(
                    _mm512_broadcast_i32x4(_mm_loadu_si128(blk.add(32 + 16 * jj).cast())),
                    sc_ctl,
                );
                for t in 0..NT {
                    sumi[t] = _mm512_dpwssd_epi32(sumi[t], _mm512_packs_epi32(lo[t], hi[t]), sc);
                }
            }
            let m0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(blk.add(96).cast()));
            let m1 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(blk.add(128).cast()));
            let d = _mm256_cvtph_ps(_mm_loadu_si128(blk.cast()));
            let dmin = _mm256_cvtph_ps(_mm_loadu_si128(blk.add(16).cast()));
            for t in 0..NT {
                // Sub-block sums S_j = bsum_2j + bsum_2j+1; `packs` leaves S_0..S_3 in the low 64 bits of
                // the low half and S_4..S_7 in the low 64 bits of the high half.
                let bs = _mm256_loadu_si256(y[t].add(260).cast());
                let s = _mm256_packs_epi32(_mm256_madd_epi16(bs, ones), _mm256_setzero_si256());
                let s0 = _mm512_broadcastq_epi64(_mm256_castsi256_si128(s));
                let s1 = _mm512_broadcastq_epi64(_mm256_extracti128_si256::<1>(s));
                let mm = _mm512_dpwssd_epi32(
                    _mm512_dpwssd_epi32(_mm512_setzero_si512(), m0, s0),
                    m1,
                    s1,
                );
                let yd = _mm256_set1_ps(y[t].cast::<f32>().read_unaligned());
                acc[t] = _mm256_fmadd_ps(
                    _mm256_mul_ps(d, yd),
                    _mm256_cvtepi32_ps(fold_halves(sumi[t])),
                    acc[t],
                );
                acc[t] = _mm256_fnmadd_ps(
                    _mm256_mul_ps(dmin, yd),
                    _mm256_cvtepi32_ps(fold_pairs(mm)),
                    acc[t],
                );
            }
        }
    }
    for t in 0..NT {
        // SAFETY: the caller guarantees eight floats at `o + t * out_stride`.
        unsafe { _mm256_storeu_ps(o.add(t * out_stride), acc[t]) };
    }
}

/// Q6_K: eight rows × `NT` tokens over all `nb` super-blocks. Each pair of `ql` vectors (16 elements per row)
/// is one scale group for its low nibbles and one for its high nibbles; the group's lane sums get
/// `16 · bsum_g` subtracted per lane (the `−32` bias, split over the row's two lanes) before the scale.
///
/// # Safety
/// As [`tile`].
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn tile_q6k<const NT: usize>(
    nb: usize,
    w: *const u8,
    a: *const u8,
    ab: usize,
    o: *mut f32,
    out_stride: usize,
) {
    let m4 = _mm512_set1_epi8(0x0F);
    let m3 = _mm512_set1_epi8(0x03);
    let mut acc = [_mm256_setzero_ps(); NT];
    for ib in 0..nb {
        // SAFETY: super-block `ib < nb` of the group and of every token row.
        unsafe {
            let blk = w.add(ib * Q6K_X8_BYTES);
            let mut y = [a; NT];
            let mut bias = [[0i32; 16]; NT];
            for t in 0..NT {
                y[t] = a.add(t * ab + ib * ACT_BLOCK);
                let bs = _mm512_cvtepi16_epi32(_mm256_loadu_si256(y[t].add(260).cast()));
                _mm512_storeu_si512(bias[t].as_mut_ptr().cast(), _mm512_slli_epi32::<4>(bs));
            }
            let mut sumi = [_mm512_setzero_si512(); NT];
            for h in 0..2 {
                for g2 in 0..4 {
                    let mut lo = [_mm512_setzero_si512(); NT];
                    let mut hi = [_mm512_setzero_si512(); NT];
                    for g8 in [2 * g2, 2 * g2 + 1] {
                        let ql = _mm512_loadu_si512(blk.add(Q6K_QL + (h * 8 + g8) * 64).cast());
                        let qh = _mm512_loadu_si512(blk.add(Q6K_QH + (h * 4 + g8 % 4) * 64).cast());
                        let sl = _mm_cvtsi32_si128(if g8 < 4 { 0 } else { 2 });
                        let sh = _mm_cvtsi32_si128(if g8 < 4 { 4 } else { 6 });
                        let hl = _mm512_and_si512(_mm512_srl_epi16(qh, sl), m3);
                        let hh = _mm512_and_si512(_mm512_srl_epi16(qh, sh), m3);
                        let ql_lo =
                            _mm512_or_si512(_mm512_and_si512(ql, m4), _mm512_slli_epi16::<4>(hl));
                        let ql_hi = _mm512_or_si512(
                            _mm512_and_si512(_mm512_srli_epi16::<4>(ql), m4),
                            _mm512_slli_epi16::<4>(hh),
                        );
                        for t in 0..NT {
                            let e = y[t].add(4 + 128 * h + 8 * g8);
                            let yl = _mm512_set1_epi64(e.cast::<i64>().read_unaligned());
                            let yh = _mm512_set1_epi64(e.add(64).cast::<i64>().read_unaligned());
                            lo[t] = _mm512_dpbusd_epi32(lo[t], ql_lo, yl);
                            hi[t] = _mm512_dpbusd_epi32(hi[t], ql_hi, yh);
                        }
                    }
                    let (gl, gh) = (8 * h + g2, 8 * h + 4 + g2);
                    let scale = |g: usize| {
                        let s = _mm_loadl_epi64(blk.add(16 + 8 * g).cast());
                        _mm512_cvtepi8_epi32(_mm_unpacklo_epi8(s, s))
                    };
                    let (sl, sh) = (scale(gl), scale(gh));
                    for t in 0..NT {
                        let l = _mm512_sub_epi32(lo[t], _mm512_set1_epi32(bias[t][gl]));
                        let hv = _mm512_sub_epi32(hi[t], _mm512_set1_epi32(bias[t][gh]));
                        let p =
                            _mm512_add_epi32(_mm512_mullo_epi32(l, sl), _mm512_mullo_epi32(hv, sh));
                        sumi[t] = _mm512_add_epi32(sumi[t], p);
                    }
                }
            }
            let d = _mm256_cvtph_ps(_mm_loadu_si128(blk.cast()));
            for t in 0..NT {
                let yd = _mm256_set1_ps(y[t].cast::<f32>().read_unaligned());
                acc[t] = _mm256_fmadd_ps(
                    _mm256_mul_ps(d, yd),
                    _mm256_cvtepi32_ps(fold_pairs(sumi[t])),
                    acc[t],
                );
            }
        }
    }
    for t in 0..NT {
        // SAFETY: the caller guarantees eight floats at `o + t * out_stride`.
        unsafe { _mm256_storeu_ps(o.add(t * out_stride), acc[t]) };
    }
}
