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
//! # The 32-element formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0): 16 rows
//!
//! These interleave [`B32_ROWS`] = 16 rows (not eight): a `zmm` then holds four bytes of each of 16 rows, one
//! `i32` lane per row, so a 32-bit activation broadcast (folded into `vpdpbusd` as `{1to16}`) feeds every
//! row and the per-block float work runs on 16 rows at once. A group is the rows' `k / 32` blocks in order,
//! each of [`packed_block_bytes`] bytes, exactly the size of the 16 row-major blocks:
//!
//! | format | bytes | `d[r]` f16 | `m[r]` f16 | high-bit masks | quants |
//! |--------|------:|-----------|-----------|----------------|--------|
//! | Q4_0   | 288 | `0..32` | — | — | `32..288` |
//! | Q4_1   | 320 | `0..32` | `32..64` | — | `64..320` |
//! | Q5_0   | 352 | `0..32` | — | `32..96` | `96..352` |
//! | Q5_1   | 384 | `0..32` | `32..64` | `64..128` | `128..384` |
//! | Q8_0   | 544 | `0..32` | — | — | `32..544` |
//!
//! Nibble formats: quant vector `j` (0..4) is `[r 0..16][i 0..4] = qs_r[4j + i]` (the original bytes: low
//! nibble element `4j + i`, high nibble element `16 + 4j + i`). Q5 high bits: one `u64` mask per unpacked
//! vector, `v = 2j + h` (`h` = 0 for the low nibbles, 1 for the high ones), bit `4r + i` = bit `16h + 4j + i`
//! of row `r`'s `qh`; the kernel adds `0x10` under the mask (`vpaddb` with a `k` register). Q8_0: vector `j`
//! (0..8) is `[r][i] = qs_r[4j + i] ^ 0x80` (the quant plus 128, unsigned for `vpdpbusd`).
//!
//! The integer sum per block, row and token is ggml's `Σ (q − bias)·y` (bias 8 for Q4_0, 16 for Q5_0, 128
//! for the shifted Q8_0, 0 for Q4_1/Q5_1): the accumulator starts at `−bias·Σy` (the activation block sums
//! are computed once per 4-token slice) and `vpdpbusd` adds the unsigned quants times the signed activations.
//! The float step, one accumulator per row and token, is `acc = fma(dx·dy, sumi, acc)` per block, then
//! for Q4_1/Q5_1 `acc = fma(m, s, acc)`: two roundings per block as in ggml's x86 kernels (`d·dy`, then an
//! FMA). ggml's generic order (`acc += sumi·dx·dy`, three roundings, which [`crate::scalar::dot`] keeps)
//! moved a near-tie of the 0.5B's greedy parity test to the other token, as our scalar level does; see
//! `docs/results/engine-speed-repack.md`.
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

/// Bytes of one repacked K-quant block of `fmt` (eight rows × one super-block), 0 for other formats.
pub const fn x8_bytes(fmt: WeightFormat) -> usize {
    match fmt {
        WeightFormat::Q4K => Q4K_X8_BYTES,
        WeightFormat::Q6K => Q6K_X8_BYTES,
        _ => 0,
    }
}

/// Weight rows interleaved per repacked group of the 32-element formats.
pub const B32_ROWS: usize = 16;

/// Rows per repacked group of `fmt`: [`REPACK_ROWS`] for the K-quants, [`B32_ROWS`] for the 32-element
/// formats, 0 for formats without a layout. Row ranges passed to `matmul_repacked` must be multiples of it.
pub const fn repack_rows(fmt: WeightFormat) -> usize {
    match fmt {
        WeightFormat::Q4K | WeightFormat::Q6K => REPACK_ROWS,
        WeightFormat::Q4_0
        | WeightFormat::Q4_1
        | WeightFormat::Q5_0
        | WeightFormat::Q5_1
        | WeightFormat::Q8_0 => B32_ROWS,
        _ => 0,
    }
}

/// Bytes of one repacked block of `fmt` ([`repack_rows`] rows × one block of `fmt.block_len()` elements; the
/// same as those rows' blocks except Q4_K's +2.8 %), 0 for formats without a layout.
pub const fn packed_block_bytes(fmt: WeightFormat) -> usize {
    match fmt {
        WeightFormat::Q4K => Q4K_X8_BYTES,
        WeightFormat::Q6K => Q6K_X8_BYTES,
        WeightFormat::Q4_0 => 16 * 18,
        WeightFormat::Q4_1 => 16 * 20,
        WeightFormat::Q5_0 => 16 * 22,
        WeightFormat::Q5_1 => 16 * 24,
        WeightFormat::Q8_0 => 16 * 34,
        _ => 0,
    }
}

/// Offsets in a repacked 32-element block: `(m, qh, qs)` (0 where the format has no such field; `d` is at 0).
pub(crate) const fn b32_offsets(fmt: WeightFormat) -> (usize, usize, usize) {
    match fmt {
        WeightFormat::Q4_1 => (32, 0, 64),
        WeightFormat::Q5_0 => (0, 32, 96),
        WeightFormat::Q5_1 => (32, 64, 128),
        _ => (0, 0, 32),
    }
}

/// The bias folded into the integer sum of a 32-element format (`Σ (q − bias)·y`, `q` as stored).
pub(crate) const fn b32_bias(fmt: WeightFormat) -> i32 {
    match fmt {
        WeightFormat::Q4_0 => 8,
        WeightFormat::Q5_0 => 16,
        WeightFormat::Q8_0 => 128,
        _ => 0,
    }
}

/// Tokens per micro-kernel tile.
pub const REPACK_TOKENS: usize = 4;

/// Whether `fmt` has a repacked layout.
pub fn repack_supported(fmt: WeightFormat) -> bool {
    packed_block_bytes(fmt) != 0
}

/// Bytes of the repacked form of a `rows × k` matrix, or `None` if `fmt` has no repacked layout or `rows` is
/// not a multiple of [`repack_rows`] (or `k` of the block length).
pub fn repacked_len(fmt: WeightFormat, rows: usize, k: usize) -> Option<usize> {
    if !repack_supported(fmt)
        || !rows.is_multiple_of(repack_rows(fmt))
        || !k.is_multiple_of(fmt.block_len())
    {
        return None;
    }
    Some(rows / repack_rows(fmt) * (k / fmt.block_len()) * packed_block_bytes(fmt))
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
    let nb = k / fmt.block_len();
    if fmt == WeightFormat::Q6K {
        repack_q6k(nb, rb, w, &mut dst[..len]);
        return;
    }
    if repack_rows(fmt) == B32_ROWS {
        repack_b32(fmt, nb, rb, w, &mut dst[..len]);
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

/// The 16-row layouts of the 32-element formats (see the module documentation).
fn repack_b32(fmt: WeightFormat, nb: usize, rb: usize, w: &[u8], dst: &mut [u8]) {
    let xb = packed_block_bytes(fmt);
    let bb = fmt.block_bytes();
    let (m_off, qh_off, qs_off) = b32_offsets(fmt);
    // Offsets in the row-major block.
    let (src_qh, src_qs) = match fmt {
        WeightFormat::Q4_0 => (0, 2),
        WeightFormat::Q4_1 => (0, 4),
        WeightFormat::Q5_0 => (2, 6),
        WeightFormat::Q5_1 => (4, 8),
        _ => (0, 2),
    };
    let has_m = matches!(fmt, WeightFormat::Q4_1 | WeightFormat::Q5_1);
    let has_qh = matches!(fmt, WeightFormat::Q5_0 | WeightFormat::Q5_1);
    for (gi, group) in dst.chunks_exact_mut(nb * xb).enumerate() {
        for (ib, out) in group.chunks_exact_mut(xb).enumerate() {
            for r in 0..B32_ROWS {
                let row = gi * B32_ROWS + r;
                let b = &w[row * rb + ib * bb..row * rb + (ib + 1) * bb];
                out[2 * r..2 * r + 2].copy_from_slice(&b[0..2]);
                if has_m {
                    out[m_off + 2 * r..m_off + 2 * r + 2].copy_from_slice(&b[2..4]);
                }
                if fmt == WeightFormat::Q8_0 {
                    for j in 0..8 {
                        for i in 0..4 {
                            out[qs_off + 64 * j + 4 * r + i] = b[src_qs + 4 * j + i] ^ 0x80;
                        }
                    }
                    continue;
                }
                for j in 0..4 {
                    let o = qs_off + 64 * j + 4 * r;
                    out[o..o + 4].copy_from_slice(&b[src_qs + 4 * j..src_qs + 4 * j + 4]);
                }
                if has_qh {
                    let qh = u32::from_le_bytes([
                        b[src_qh],
                        b[src_qh + 1],
                        b[src_qh + 2],
                        b[src_qh + 3],
                    ]);
                    for j in 0..4 {
                        for h in 0..2 {
                            // Bits 4r..4r + 4 of mask v = 2j + h: one nibble of byte r / 2.
                            let bits = ((qh >> (16 * h + 4 * j)) & 0xF) as u8;
                            let byte = &mut out[qh_off + 8 * (2 * j + h) + r / 2];
                            let shift = 4 * (r % 2);
                            *byte = (*byte & !(0xF << shift)) | (bits << shift);
                        }
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
    let rr = repack_rows(fmt);
    assert!(
        rows.start.is_multiple_of(rr) && rows.end.is_multiple_of(rr) && rows.start <= rows.end,
        "matmul_repacked: rows {rows:?} are not whole groups of {rr}"
    );
    let group = k / fmt.block_len() * packed_block_bytes(fmt);
    assert!(
        k.is_multiple_of(fmt.block_len()) && packed.len() >= rows.end / rr * group,
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
    let ab = fmt.act_format().row_bytes(k);
    if repack_rows(fmt) == B32_ROWS {
        let gb = k / 32 * packed_block_bytes(fmt);
        for gi in rows.start / B32_ROWS..rows.end / B32_ROWS {
            let group = &packed[gi * gb..(gi + 1) * gb];
            for t in 0..n_tok {
                let acc = b32_x16_scalar(fmt, group, &act[t * ab..(t + 1) * ab]);
                let base = t * out_stride + gi * B32_ROWS - rows.start;
                out[base..base + B32_ROWS].copy_from_slice(&acc);
            }
        }
        return;
    }
    let nb = k / QK_K;
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

/// One group of 16 repacked rows of a 32-element format against one Q8_0 / Q8_1 activation row (the
/// specification of the SIMD tile): per block `acc = fma(dx·dy, sumi, acc)`, then for Q4_1/Q5_1
/// `acc = fma(m, s, acc)`.
fn b32_x16_scalar(fmt: WeightFormat, group: &[u8], y: &[u8]) -> [f32; B32_ROWS] {
    let xb = packed_block_bytes(fmt);
    let (m_off, qh_off, qs_off) = b32_offsets(fmt);
    let bias = b32_bias(fmt);
    let q8_1 = fmt.act_format() == crate::format::ActFormat::Q8_1;
    let (yb_bytes, yqs) = if q8_1 { (36, 4) } else { (34, 2) };
    let mut acc = [0.0f32; B32_ROWS];
    for (ib, blk) in group.chunks_exact(xb).enumerate() {
        let yb = &y[ib * yb_bytes..(ib + 1) * yb_bytes];
        let dy = f16_at(yb, 0);
        let q8 = |e: usize| i32::from(yb[yqs + e] as i8);
        for (r, acc) in acc.iter_mut().enumerate() {
            let mut sumi = 0i32;
            for e in 0..32 {
                let (j, i) = ((e % 16) / 4, e % 4);
                let q = if fmt == WeightFormat::Q8_0 {
                    let (j, i) = (e / 4, e % 4);
                    i32::from(blk[qs_off + 64 * j + 4 * r + i])
                } else {
                    let byte = i32::from(blk[qs_off + 64 * j + 4 * r + i]);
                    let nib = if e < 16 { byte & 0xF } else { byte >> 4 };
                    let hbit = if qh_off != 0 {
                        let v = 2 * j + e / 16;
                        let mask = u64::from_le_bytes(
                            blk[qh_off + 8 * v..qh_off + 8 * v + 8]
                                .try_into()
                                .unwrap_or([0; 8]),
                        );
                        ((mask >> (4 * r + i)) & 1) as i32
                    } else {
                        0
                    };
                    nib | (hbit << 4)
                };
                sumi += (q - bias) * q8(e);
            }
            let dx = f16_at(blk, 2 * r);
            *acc = (dx * dy).mul_add(sumi as f32, *acc);
            if m_off != 0 {
                *acc = f16_at(blk, m_off + 2 * r).mul_add(f16_at(yb, 2), *acc);
            }
        }
    }
    acc
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

/// Whether the repacked GEMM of `kern`'s level beats the row-major tile for `fmt`, at one token (decode)
/// and at four or more (prefill). Only the AVX-512 VNNI level has SIMD repacked kernels (below it the
/// repacked path would run the scalar specification); every format with one pays there (Q4_K, Q6_K and
/// the five 32-element formats, 1.5–5.9× at 1, 4 and 16 tokens: `docs/results/kernels-micro.md`).
pub(crate) fn repack_pays_with(kern: Kernels, fmt: WeightFormat) -> bool {
    repack_simd(kern, fmt)
}

/// Whether `kern`'s level has a SIMD repacked GEMM for `fmt` (`matmul_repacked` runs it even where
/// [`repack_pays_with`] is false).
pub(crate) fn repack_simd(kern: Kernels, fmt: WeightFormat) -> bool {
    repack_supported(fmt) && kern.isa() >= Isa::Avx512
}
