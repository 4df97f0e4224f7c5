//! Repacked ("interleaved") weight layouts for batched matmuls (prefill) and the GEMM over them.
//!
//! A row-major quantized matrix is dotted one weight row at a time: every 64-byte activation load feeds one
//! row. Repacking interleaves [`REPACK_ROWS`] consecutive rows block by block, so that one 64-byte load of
//! weights covers eight rows and one broadcast of eight activation bytes feeds all of them: the micro-kernel
//! keeps an 8-row × 4-token tile of integer accumulators in registers (`vpdpbusd`) and applies the K-quant
//! sub-block scales, the mins and the float super-block scales outside its inner loop.
//!
//! # The Q4_K layout
//!
//! Rows are taken in groups of eight; a group is stored as its `k / 256` super-blocks one after the other, each
//! a [`Q4K_X8_BYTES`]-byte block holding the eight rows' super-blocks:
//!
//! | bytes       | content                                                                                  |
//! |-------------|------------------------------------------------------------------------------------------|
//! | `0..16`     | `d[r]`, f16, rows 0..8                                                                  |
//! | `16..32`    | `dmin[r]`, f16                                                                          |
//! | `32..96`    | scales `sc[j][r]` (u8, 6-bit), sub-block `j` 0..8 major                                 |
//! | `96..160`   | mins in the kernel's lane order: `m[q][r][h][p] = min[4q + 2h + p][r]`                    |
//! | `160..1184` | quants: `[jj 0..4][g 0..4][r 0..8][b 0..8] = qs_r[32jj + 8g + b]` (the original nibble bytes) |
//!
//! The sub-block scales and mins are unpacked from ggml's 12-byte `get_scale_min_k4` encoding once, at
//! repack time; the quant bytes are copied unchanged (low nibble: element `64jj + 8g + b`, high nibble:
//! element `64jj + 32 + 8g + b`). The layout is 1184 bytes per 8 × 256 weights against 1152 for the
//! row-major blocks (+2.8 %).
//!
//! # The Q6_K layout
//!
//! The same grouping, [`Q6K_X8_BYTES`] = 1680 bytes per eight super-blocks (exactly their row-major size):
//!
//! | bytes        | content                                                                               |
//! |--------------|---------------------------------------------------------------------------------------|
//! | `0..16`      | `d[r]`, f16                                                                           |
//! | `16..144`    | scales `sc[g][r]` (i8), 16-element group `g` 0..16 major                              |
//! | `144..1168`  | low nibbles: `[h 0..2][g8 0..8][r 0..8][j 0..8] = ql_r[64h + 8g8 + j]`                 |
//! | `1168..1680` | high bits: `[h 0..2][g4 0..4][r 0..8][j 0..8] = qh_r[128 + 32h + 8g4 + j]`             |
//!
//! A `ql` byte `b = 8g8 + j` of half `h` holds element `128h + b` (low nibble) and `128h + b + 64` (high
//! nibble); their two high bits are bits 0–1 / 4–5 (`g8 < 4`) or 2–3 / 6–7 (`g8 ≥ 4`) of `qh` byte `b mod 32`,
//! i.e. of the `g4 = g8 mod 4` vector. The kernel multiplies the unsigned 6-bit quants and folds ggml's
//! `−32` bias per group as `sc_g · (Σ q·y − 32 · bsum_g)` (the lane pair of a row subtracts `16 · bsum_g` each),
//! which is the same integer as ggml's `Σ sc_g · Σ (q − 32)·y`.
//!
//! # Numerics
//!
//! Per super-block, row and token the integer sums are exactly ggml's (Q4_K: `Σ sc_j · Σ q·y` and
//! `Σ min_j · bsum_j`; Q6_K: `acc = fma(d·yd, sumi, acc)` alone); the Q4_K float step is ggml's generic order, one accumulator per row and token:
//! `acc = fma(d·yd, sumi, acc)`, then `acc = fma(−dmin·yd, summ, acc)`. Against [`crate::dot`] only the
//! order of float additions differs. [`matmul_repacked_scalar`] is the specification of this kernel: the SIMD version equals it bit
//! for bit.

use std::ops::Range;

use crate::dispatch::{Isa, Kernels};
use crate::format::{QK_K, WeightFormat};
use crate::scalar::{f16_at, scale_min_k4};

/// Weight rows interleaved per repacked group.
pub const REPACK_ROWS: usize = 8;

/// Bytes of one repacked Q4_K block (eight rows × one 256-element super-block).
pub const Q4K_X8_BYTES: usize = 1184;

/// Bytes of one repacked Q6_K block (eight rows × one super-block; exactly 8 × 210).
pub const Q6K_X8_BYTES: usize = 1680;

/// Bytes of one repacked block of `fmt` (eight rows × one super-block), 0 for formats without a layout.
pub const fn x8_bytes(fmt: WeightFormat) -> usize {
    match fmt {
        WeightFormat::Q4K => Q4K_X8_BYTES,
        WeightFormat::Q6K => Q6K_X8_BYTES,
        _ => 0,
    }
}

/// Tokens per micro-kernel tile.
pub const REPACK_TOKENS: usize = 4;

/// Whether `fmt` has a repacked layout.
pub fn repack_supported(fmt: WeightFormat) -> bool {
    x8_bytes(fmt) != 0
}

/// Bytes of the repacked form of a `rows × k` matrix, or `None` if `fmt` has no repacked layout or `rows` is
/// not a multiple of [`REPACK_ROWS`] (or `k` of the block length).
pub fn repacked_len(fmt: WeightFormat, rows: usize, k: usize) -> Option<usize> {
    if !repack_supported(fmt)
        || !rows.is_multiple_of(REPACK_ROWS)
        || !k.is_multiple_of(fmt.block_len())
    {
        return None;
    }
    Some(rows / REPACK_ROWS * (k / QK_K) * x8_bytes(fmt))
}

/// Repacks the row-major `rows × k` matrix `w` into `dst` ([`repacked_len`] bytes).
///
/// Panics if the format has no repacked layout, the shapes do not fit it, or a buffer is too short.
pub fn repack(fmt: WeightFormat, k: usize, rows: usize, w: &[u8], dst: &mut [u8]) {
    let Some(len) = repacked_len(fmt, rows, k) else {
        panic!("repack: a {rows} × {k} {fmt} matrix has no repacked layout");
    };
    let rb = fmt.row_bytes(k);
    assert!(
        w.len() >= rows * rb && dst.len() >= len,
        "repack: a {rows} × {k} {fmt} matrix needs {} bytes in and {len} out, got {} and {}",
        rows * rb,
        w.len(),
        dst.len()
    );
    let nb = k / QK_K;
    if fmt == WeightFormat::Q6K {
        repack_q6k(nb, rb, w, &mut dst[..len]);
        return;
    }
    for (gi, group) in dst[..len].chunks_exact_mut(nb * Q4K_X8_BYTES).enumerate() {
        for (ib, out) in group.chunks_exact_mut(Q4K_X8_BYTES).enumerate() {
            for r in 0..REPACK_ROWS {
                let row = gi * REPACK_ROWS + r;
                let b = &w[row * rb + ib * 144..row * rb + (ib + 1) * 144];
                out[2 * r..2 * r + 2].copy_from_slice(&b[0..2]);
                out[16 + 2 * r..16 + 2 * r + 2].copy_from_slice(&b[2..4]);
                for j in 0..8 {
                    let (sc, m) = scale_min_k4(j, &b[4..16]);
                    out[32 + 8 * j + r] = sc;
                    let (q, h, p) = (j / 4, (j / 2) % 2, j % 2);
                    out[96 + 32 * q + 4 * r + 2 * h + p] = m;
                }
                for jj in 0..4 {
                    for g in 0..4 {
                        let o = 160 + (jj * 4 + g) * 64 + 8 * r;
                        let s = 16 + 32 * jj + 8 * g;
                        out[o..o + 8].copy_from_slice(&b[s..s + 8]);
                    }
                }
            }
        }
    }
}

/// The Q6_K × 8 layout (see the module documentation).
fn repack_q6k(nb: usize, rb: usize, w: &[u8], dst: &mut [u8]) {
    for (gi, group) in dst.chunks_exact_mut(nb * Q6K_X8_BYTES).enumerate() {
        for (ib, out) in group.chunks_exact_mut(Q6K_X8_BYTES).enumerate() {
            for r in 0..REPACK_ROWS {
                let row = gi * REPACK_ROWS + r;
                let b = &w[row * rb + ib * 210..row * rb + (ib + 1) * 210];
                out[2 * r..2 * r + 2].copy_from_slice(&b[208..210]);
                for g in 0..16 {
                    out[16 + 8 * g + r] = b[192 + g];
                }
                for h in 0..2 {
                    for g8 in 0..8 {
                        let o = Q6K_QL + (h * 8 + g8) * 64 + 8 * r;
                        let s = 64 * h + 8 * g8;
                        out[o..o + 8].copy_from_slice(&b[s..s + 8]);
                    }
                    for g4 in 0..4 {
                        let o = Q6K_QH + (h * 4 + g4) * 64 + 8 * r;
                        let s = 128 + 32 * h + 8 * g4;
                        out[o..o + 8].copy_from_slice(&b[s..s + 8]);
                    }
                }
            }
        }
    }
}

/// Offset of the low-nibble bytes in a Q6_K × 8 block.
pub(crate) const Q6K_QL: usize = 144;
/// Offset of the high-bit bytes in a Q6_K × 8 block.
pub(crate) const Q6K_QH: usize = 144 + 1024;

/// Asserts the shapes of a repacked matmul call.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check(
    fmt: WeightFormat,
    k: usize,
    packed: &[u8],
    rows: &Range<usize>,
    act: &[u8],
    n_tok: usize,
    out: &[f32],
    out_stride: usize,
) {
    assert!(
        repack_supported(fmt),
        "matmul_repacked: {fmt} has no repacked layout"
    );
    assert!(
        rows.start.is_multiple_of(REPACK_ROWS) && rows.end.is_multiple_of(REPACK_ROWS),
        "matmul_repacked: rows {rows:?} are not whole groups of {REPACK_ROWS}"
    );
    let group = k / QK_K * x8_bytes(fmt);
    assert!(
        k.is_multiple_of(QK_K) && packed.len() >= rows.end / REPACK_ROWS * group,
        "matmul_repacked: {} bytes do not hold rows {rows:?} of {k} {fmt} elements",
        packed.len()
    );
    let ab = fmt.act_format().row_bytes(k);
    assert!(
        act.len() >= n_tok * ab,
        "matmul_repacked: {n_tok} activation rows need {} bytes, got {}",
        n_tok * ab,
        act.len()
    );
    let width = rows.end - rows.start;
    assert!(
        n_tok == 0 || (out_stride >= width && out.len() >= (n_tok - 1) * out_stride + width),
        "matmul_repacked: the output ({} floats, stride {out_stride}) is too small for {n_tok} × {width}",
        out.len()
    );
}

/// The scalar specification of the repacked GEMM: the same contract as [`crate::matmul_rows`] with the
/// weights in the repacked layout (`rows` in whole groups of [`REPACK_ROWS`]).
#[allow(clippy::too_many_arguments)]
pub fn matmul_repacked_scalar(
    fmt: WeightFormat,
    k: usize,
    packed: &[u8],
    rows: Range<usize>,
    act: &[u8],
    n_tok: usize,
    out: &mut [f32],
    out_stride: usize,
) {
    check(fmt, k, packed, &rows, act, n_tok, out, out_stride);
    let nb = k / QK_K;
    let ab = fmt.act_format().row_bytes(k);
    if fmt == WeightFormat::Q6K {
        for gi in rows.start / REPACK_ROWS..rows.end / REPACK_ROWS {
            let group = &packed[gi * nb * Q6K_X8_BYTES..(gi + 1) * nb * Q6K_X8_BYTES];
            for t in 0..n_tok {
                let acc = q6k_x8_scalar(group, &act[t * ab..(t + 1) * ab]);
                let base = t * out_stride + gi * REPACK_ROWS - rows.start;
                out[base..base + REPACK_ROWS].copy_from_slice(&acc);
            }
        }
        return;
    }
    for gi in rows.start / REPACK_ROWS..rows.end / REPACK_ROWS {
        let group = &packed[gi * nb * Q4K_X8_BYTES..(gi + 1) * nb * Q4K_X8_BYTES];
        for t in 0..n_tok {
            let y = &act[t * ab..(t + 1) * ab];
            let mut acc = [0.0f32; REPACK_ROWS];
            for (ib, blk) in group.chunks_exact(Q4K_X8_BYTES).enumerate() {
                let yb = &y[ib * 292..(ib + 1) * 292];
                let yd = f32::from_le_bytes([yb[0], yb[1], yb[2], yb[3]]);
                let q8 = |e: usize| i32::from(yb[4 + e] as i8);
                let bsum =
                    |g: usize| i32::from(i16::from_le_bytes([yb[260 + 2 * g], yb[261 + 2 * g]]));
                for r in 0..REPACK_ROWS {
                    let mut sumi = 0i32;
                    for jj in 0..4 {
                        let (mut lo, mut hi) = (0i32, 0i32);
                        for g in 0..4 {
                            for b in 0..8 {
                                let q = i32::from(blk[160 + (jj * 4 + g) * 64 + 8 * r + b]);
                                let e = 64 * jj + 8 * g + b;
                                lo += (q & 0xF) * q8(e);
                                hi += (q >> 4) * q8(e + 32);
                            }
                        }
                        sumi += lo * i32::from(blk[32 + 8 * (2 * jj) + r])
                            + hi * i32::from(blk[32 + 8 * (2 * jj + 1) + r]);
                    }
                    let mut summ = 0i32;
                    for j in 0..8 {
                        let (q, h, p) = (j / 4, (j / 2) % 2, j % 2);
                        let m = i32::from(blk[96 + 32 * q + 4 * r + 2 * h + p]);
                        summ += m * (bsum(2 * j) + bsum(2 * j + 1));
                    }
                    let d = f16_at(blk, 2 * r) * yd;
                    let dm = f16_at(blk, 16 + 2 * r) * yd;
                    acc[r] = d.mul_add(sumi as f32, acc[r]);
                    acc[r] = (-dm).mul_add(summ as f32, acc[r]);
                }
            }
            let base = t * out_stride + gi * REPACK_ROWS - rows.start;
            out[base..base + REPACK_ROWS].copy_from_slice(&acc);
        }
    }
}

/// One group of repacked Q6_K rows against one Q8_K activation row (the specification of the SIMD tile).
fn q6k_x8_scalar(group: &[u8], y: &[u8]) -> [f32; REPACK_ROWS] {
    let mut acc = [0.0f32; REPACK_ROWS];
    for (ib, blk) in group.chunks_exact(Q6K_X8_BYTES).enumerate() {
        let yb = &y[ib * 292..(ib + 1) * 292];
        let yd = f32::from_le_bytes([yb[0], yb[1], yb[2], yb[3]]);
        let q8 = |e: usize| i32::from(yb[4 + e] as i8);
        let bsum = |g: usize| i32::from(i16::from_le_bytes([yb[260 + 2 * g], yb[261 + 2 * g]]));
        for r in 0..REPACK_ROWS {
            // Σ over 16-element groups of sc_g · (Σ q·y − 32 · bsum_g), q the unsigned 6-bit quant.
            let mut group_sum = [0i32; 16];
            for h in 0..2 {
                for g8 in 0..8 {
                    let shift = if g8 < 4 { 0 } else { 2 };
                    for j in 0..8 {
                        let ql = i32::from(blk[Q6K_QL + (h * 8 + g8) * 64 + 8 * r + j]);
                        let qh = i32::from(blk[Q6K_QH + (h * 4 + g8 % 4) * 64 + 8 * r + j]);
                        let e = 128 * h + 8 * g8 + j;
                        let lo = (ql & 0xF) | (((qh >> shift) & 3) << 4);
                        let hi = (ql >> 4) | (((qh >> (shift + 4)) & 3) << 4);
                        group_sum[e / 16] += lo * q8(e);
                        group_sum[(e + 64) / 16] += hi * q8(e + 64);
                    }
                }
            }
            let mut sumi = 0i32;
            for (g, s) in group_sum.iter().enumerate() {
                let sc = i32::from(blk[16 + 8 * g + r] as i8);
                sumi += sc * (s - 32 * bsum(g));
            }
            acc[r] = (f16_at(blk, 2 * r) * yd).mul_add(sumi as f32, acc[r]);
        }
    }
    acc
}

/// Whether the repacked GEMM of `kern`'s level beats the row-major tile for `fmt` (only the AVX-512 VNNI
/// level has a SIMD repacked kernel; below it the repacked path would run the scalar specification).
pub(crate) fn repack_pays_with(kern: Kernels, fmt: WeightFormat) -> bool {
    repack_supported(fmt) && kern.isa() >= Isa::Avx512
}
