//! The AVX-512 VNNI GEMM over repacked 32-element formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0; layouts:
//! [`crate::repack`]).
//!
//! One tile is 16 weight rows × up to four tokens. A `zmm` of quants holds four bytes of each of the 16 rows
//! (one `i32` lane per row), so `vpdpbusd` takes the four matching activation bytes as an embedded 32-bit
//! broadcast. Per block, row and token the lane is the whole integer sum `Σ (q − bias)·y` (it starts at
//! `−bias·Σy`, prepared once per 4-token slice); the float step (`acc = fma(d·dy, sumi, acc)`, then
//! `fma(m, s, acc)` for Q4_1/Q5_1) runs on 16 rows at once, the same operations as the scalar spec
//! `repack::matmul_repacked_scalar`, so the two agree bit for bit.

use std::arch::x86_64::*;
use std::ops::Range;

use crate::format::{ActFormat, WeightFormat};
use crate::repack::{B32_ROWS, b32_bias, b32_offsets, packed_block_bytes};

/// Tokens per tile.
const NT_MAX: usize = 4;

/// Blocks of prepared activation data (scales, block sums) per pass over the groups; longer rows are
/// processed in slices of this many blocks, the accumulators carried in the output.
const KB: usize = 256;

const Q4_0: u8 = 0;
const Q4_1: u8 = 1;
const Q5_0: u8 = 2;
const Q5_1: u8 = 3;
const Q8_0: u8 = 4;

/// Per token and block of the current slice: `dy` and either `−bias·Σy` (Q8_0 activations, as `i32`) or
/// `s` (Q8_1, as `f32` bits).
struct Prepared {
    dy: [[f32; KB]; NT_MAX],
    aux: [[u32; KB]; NT_MAX],
}

/// `out[t * out_stride + r - rows.start]` for the rows in `rows` (whole groups of 16) and `t < n_tok`.
///
/// # Safety
/// The CPU must support AVX-512 F/BW/VL/VNNI (and AVX2/FMA/F16C); `fmt` must be one of the 32-element
/// formats, `packed` must hold every group of `rows`, `act` `n_tok` activation rows of `k` elements; `out`
/// must be valid for writes of every element `t * out_stride + r - rows.start` (`t < n_tok`, `r` in `rows`)
/// that no one else accesses during the call (see `repack::check`).
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemm_b32(
    fmt: WeightFormat,
    k: usize,
    packed: &[u8],
    rows: Range<usize>,
    act: &[u8],
    n_tok: usize,
    out: *mut f32,
    out_stride: usize,
) {
    let nb = k / 32;
    let af = fmt.act_format();
    let ab = af.row_bytes(k);
    let abk = af.block_bytes();
    let yqs = if af == ActFormat::Q8_1 { 4 } else { 2 };
    let xb = packed_block_bytes(fmt);
    let group_bytes = nb * xb;
    let bias = b32_bias(fmt);
    let code = match fmt {
        WeightFormat::Q4_0 => Q4_0,
        WeightFormat::Q4_1 => Q4_1,
        WeightFormat::Q5_0 => Q5_0,
        WeightFormat::Q5_1 => Q5_1,
        _ => Q8_0,
    };
    let mut prep = Prepared {
        dy: [[0.0; KB]; NT_MAX],
        aux: [[0; KB]; NT_MAX],
    };
    let mut t0 = 0;
    while t0 < n_tok {
        let nt = (n_tok - t0).min(NT_MAX);
        let mut b0 = 0;
        while b0 < nb {
            let nbc = (nb - b0).min(KB);
            for t in 0..nt {
                let row = &act[(t0 + t) * ab..(t0 + t + 1) * ab];
                for b in 0..nbc {
                    let yb = &row[(b0 + b) * abk..(b0 + b + 1) * abk];
                    prep.dy[t][b] = f16(yb, 0);
                    prep.aux[t][b] = if af == ActFormat::Q8_1 {
                        f16(yb, 2).to_bits()
                    } else {
                        // SAFETY: `yb` holds the 32 quants at `yqs`.
                        let sum = unsafe { block_sum(yb.as_ptr().add(yqs)) };
                        (-bias * sum) as u32
                    };
                }
            }
            let mut y = [act.as_ptr(); NT_MAX];
            for (t, y) in y.iter_mut().enumerate().take(nt) {
                // SAFETY: block `b0` of token row `t0 + t` exists (checked by the caller).
                *y = unsafe { act.as_ptr().add((t0 + t) * ab + b0 * abk + yqs) };
            }
            for gi in rows.start / B32_ROWS..rows.end / B32_ROWS {
                // SAFETY: the caller guarantees the group, the token rows and the output; `tile` reads
                // `nbc` blocks from `b0` and writes 16 floats per token.
                unsafe {
                    let w = packed.as_ptr().add(gi * group_bytes + b0 * xb);
                    let o = out.add(t0 * out_stride + gi * B32_ROWS - rows.start);
                    let args = (nbc, w, y, abk, &prep, o, out_stride, b0 == 0);
                    match (code, nt) {
                        (Q4_0, 4) => tile::<Q4_0, 4>(args),
                        (Q4_0, 3) => tile::<Q4_0, 3>(args),
                        (Q4_0, 2) => tile::<Q4_0, 2>(args),
                        (Q4_0, _) => tile::<Q4_0, 1>(args),
                        (Q4_1, 4) => tile::<Q4_1, 4>(args),
                        (Q4_1, 3) => tile::<Q4_1, 3>(args),
                        (Q4_1, 2) => tile::<Q4_1, 2>(args),
                        (Q4_1, _) => tile::<Q4_1, 1>(args),
                        (Q5_0, 4) => tile::<Q5_0, 4>(args),
                        (Q5_0, 3) => tile::<Q5_0, 3>(args),
                        (Q5_0, 2) => tile::<Q5_0, 2>(args),
                        (Q5_0, _) => tile::<Q5_0, 1>(args),
                        (Q5_1, 4) => tile::<Q5_1, 4>(args),
                        (Q5_1, 3) => tile::<Q5_1, 3>(args),
                        (Q5_1, 2) => tile::<Q5_1, 2>(args),
                        (Q5_1, _) => tile::<Q5_1, 1>(args),
                        (_, 4) => tile::<Q8_0, 4>(args),
                        (_, 3) => tile::<Q8_0, 3>(args),
                        (_, 2) => tile::<Q8_0, 2>(args),
                        (_, _) => tile::<Q8_0, 1>(args),
                    }
                }
            }
            b0 += nbc;
        }
        t0 += nt;
    }
}

/// The f16 at `b[off..off + 2]` as f32 (`vcvtph2ps`, not a call into `half`).
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
fn f16(b: &[u8], off: usize) -> f32 {
    let bits = u16::from_le_bytes([b[off], b[off + 1]]);
    _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(i32::from(bits))))
}

/// Σ of 32 signed activation quants.
///
/// # Safety
/// 32 bytes at `q`; AVX2.
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn block_sum(q: *const u8) -> i32 {
    // SAFETY: the caller guarantees 32 readable bytes.
    let v = unsafe { _mm256_loadu_si256(q.cast()) };
    // Σ (y + 128) over each 8 bytes, as u64 lanes.
    let s = _mm256_sad_epu8(
        _mm256_xor_si256(v, _mm256_set1_epi8(-128)),
        _mm256_setzero_si256(),
    );
    let s = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256::<1>(s));
    let total = _mm_cvtsi128_si64(_mm_add_epi64(s, _mm_unpackhi_epi64(s, s)));
    total as i32 - 32 * 128
}

/// Arguments of [`tile`]: blocks, weights of the first block, each token's quants of the first block,
/// activation block bytes, prepared data, output, output stride, whether this is the first slice of blocks.
type TileArgs<'a> = (
    usize,
    *const u8,
    [*const u8; NT_MAX],
    usize,
    &'a Prepared,
    *mut f32,
    usize,
    bool,
);

/// 16 rows × `NT` tokens over `nb` blocks of one group, format `F`.
///
/// # Safety
/// `nb` repacked blocks at `w`, `nb` activation blocks `abk` bytes apart from each `y[t]` (`t < NT`, pointing
/// at the quants), the prepared data for those blocks, 16 floats at `o + t * out_stride` for each token.
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn tile<const F: u8, const NT: usize>(args: TileArgs<'_>) {
    let (nb, w, y, abk, prep, o, out_stride, first) = args;
    let fmt = match F {
        Q4_0 => WeightFormat::Q4_0,
        Q4_1 => WeightFormat::Q4_1,
        Q5_0 => WeightFormat::Q5_0,
        Q5_1 => WeightFormat::Q5_1,
        _ => WeightFormat::Q8_0,
    };
    let xb = packed_block_bytes(fmt);
    let (m_off, qh_off, qs_off) = b32_offsets(fmt);
    let has_bias = matches!(F, Q4_0 | Q5_0 | Q8_0);
    let has_m = matches!(F, Q4_1 | Q5_1);
    let has_qh = matches!(F, Q5_0 | Q5_1);
    // With one or two tokens, two integer chains per token keep more `vpdpbusd` in flight.
    let two_chains = NT <= 2;
    let m4 = _mm512_set1_epi8(0x0F);
    let h5 = _mm512_set1_epi8(0x10);
    let mut acc = [_mm512_setzero_ps(); NT];
    if !first {
        for t in 0..NT {
            // SAFETY: 16 floats at `o + t * out_stride` (the previous slice's accumulators).
            acc[t] = unsafe { _mm512_loadu_ps(o.add(t * out_stride)) };
        }
    }
    for ib in 0..nb {
        // SAFETY: block `ib < nb` of the group and of every token row (see the function's contract).
        unsafe {
            let blk = w.add(ib * xb);
            let mut s0 = [_mm512_setzero_si512(); NT];
            let mut s1 = [_mm512_setzero_si512(); NT];
            let mut yq = [y[0]; NT];
            for t in 0..NT {
                yq[t] = y[t].add(ib * abk);
                if has_bias {
                    s0[t] = _mm512_set1_epi32(prep.aux[t][ib] as i32);
                }
            }
            let y32 = |t: usize, off: usize| {
                _mm512_set1_epi32(yq[t].add(off).cast::<i32>().read_unaligned())
            };
            if F == Q8_0 {
                for j in 0..8 {
                    let q = _mm512_loadu_si512(blk.add(qs_off + 64 * j).cast());
                    for t in 0..NT {
                        if two_chains && j % 2 == 1 {
                            s1[t] = _mm512_dpbusd_epi32(s1[t], q, y32(t, 4 * j));
                        } else {
                            s0[t] = _mm512_dpbusd_epi32(s0[t], q, y32(t, 4 * j));
                        }
                    }
                }
            } else {
                for j in 0..4 {
                    let q = _mm512_loadu_si512(blk.add(qs_off + 64 * j).cast());
                    let mut lo = _mm512_and_si512(q, m4);
                    let mut hi = _mm512_and_si512(_mm512_srli_epi16::<4>(q), m4);
                    if has_qh {
                        let ml = blk.add(qh_off + 16 * j).cast::<u64>().read_unaligned();
                        let mh = blk.add(qh_off + 16 * j + 8).cast::<u64>().read_unaligned();
                        lo = _mm512_mask_add_epi8(lo, ml, lo, h5);
                        hi = _mm512_mask_add_epi8(hi, mh, hi, h5);
                    }
                    for t in 0..NT {
                        s0[t] = _mm512_dpbusd_epi32(s0[t], lo, y32(t, 4 * j));
                        if two_chains {
                            s1[t] = _mm512_dpbusd_epi32(s1[t], hi, y32(t, 16 + 4 * j));
                        } else {
                            s0[t] = _mm512_dpbusd_epi32(s0[t], hi, y32(t, 16 + 4 * j));
                        }
                    }
                }
            }
            let d = _mm512_cvtph_ps(_mm256_loadu_si256(blk.cast()));
            let m = if has_m {
                _mm512_cvtph_ps(_mm256_loadu_si256(blk.add(m_off).cast()))
            } else {
                _mm512_setzero_ps()
            };
            for t in 0..NT {
                let sumi = if two_chains {
                    _mm512_add_epi32(s0[t], s1[t])
                } else {
                    s0[t]
                };
                let dd = _mm512_mul_ps(d, _mm512_set1_ps(prep.dy[t][ib]));
                acc[t] = _mm512_fmadd_ps(dd, _mm512_cvtepi32_ps(sumi), acc[t]);
                if has_m {
                    let sy = _mm512_set1_ps(f32::from_bits(prep.aux[t][ib]));
                    acc[t] = _mm512_fmadd_ps(m, sy, acc[t]);
                }
            }
        }
    }
    for t in 0..NT {
        // SAFETY: 16 floats at `o + t * out_stride` (the function's contract).
        unsafe { _mm512_storeu_ps(o.add(t * out_stride), acc[t]) };
    }
}
