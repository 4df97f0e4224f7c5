//! Plain-Rust kernels: the specification every SIMD path is tested against.
//!
//! Each function follows ggml's reference C code (`ggml-quants.c` `*_ref` quantizers and dequantizers, and the
//! `ggml_vec_dot_*_generic` dot products in `ggml-cpu/quants.c`): the same block layouts, the same rounding,
//! the same integer block sums and the same order of the float operations that follow them. Only the code is
//! ours.
//!
//! The dot products are written as "unpack one weight block, then use it for up to [`MAX_TOK`] activation
//! rows", so [`matmul_rows`] reuses each unpacked block across a batch of tokens and gives results identical
//! (bit for bit) to [`dot`].

// Index loops mirror ggml's block layouts; iterator chains would hide them.
#![allow(clippy::needless_range_loop)]

use std::ops::Range;

use half::{bf16, f16};

use crate::format::{ActFormat, QK_K, WeightFormat};

/// Activation rows processed together per unpacked weight block in [`matmul_rows`].
pub const MAX_TOK: usize = 4;

#[inline(always)]
pub(crate) fn f16_at(b: &[u8], off: usize) -> f32 {
    f16::from_bits(u16::from_le_bytes([b[off], b[off + 1]])).to_f32()
}

#[inline(always)]
fn f32_at(b: &[u8], off: usize) -> f32 {
    f32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

#[inline(always)]
fn i16_at(b: &[u8], off: usize) -> i16 {
    i16::from_le_bytes([b[off], b[off + 1]])
}

#[inline(always)]
fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn check_row(what: &str, fmt_name: &str, need: usize, have: usize) {
    assert!(
        have >= need,
        "{what}: a {fmt_name} row needs {need} bytes but the buffer holds {have}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Block unpacking shared by dequantization and the dot products
// ---------------------------------------------------------------------------------------------------------

/// Scale and min of sub-block `j` (0..8) of a Q4_K/Q5_K block (ggml's `get_scale_min_k4`).
#[inline(always)]
pub(crate) fn scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// The sixteen 6-bit scales of a Q3_K block, still biased by 32.
#[inline(always)]
pub(crate) fn q3k_scales(sc: &[u8]) -> [i8; 16] {
    const KMASK1: u32 = 0x0303_0303;
    const KMASK2: u32 = 0x0f0f_0f0f;
    let a0 = u32_at(sc, 0);
    let a1 = u32_at(sc, 4);
    let tmp = u32_at(sc, 8);
    let aux = [
        (a0 & KMASK2) | ((tmp & KMASK1) << 4),
        (a1 & KMASK2) | (((tmp >> 2) & KMASK1) << 4),
        ((a0 >> 4) & KMASK2) | (((tmp >> 4) & KMASK1) << 4),
        ((a1 >> 4) & KMASK2) | (((tmp >> 6) & KMASK1) << 4),
    ];
    let mut out = [0i8; 16];
    for (i, v) in aux.iter().enumerate() {
        for (b, byte) in v.to_le_bytes().iter().enumerate() {
            out[i * 4 + b] = *byte as i8;
        }
    }
    out
}

/// Q4_0 block → 32 signed quants (-8..=7).
#[inline(always)]
fn unpack_q4_0(b: &[u8], q: &mut [i8; 32]) {
    for j in 0..16 {
        q[j] = (b[2 + j] & 0xF) as i8 - 8;
        q[j + 16] = (b[2 + j] >> 4) as i8 - 8;
    }
}

/// Q4_1 block → 32 unsigned quants (0..=15).
#[inline(always)]
fn unpack_q4_1(b: &[u8], q: &mut [i8; 32]) {
    for j in 0..16 {
        q[j] = (b[4 + j] & 0xF) as i8;
        q[j + 16] = (b[4 + j] >> 4) as i8;
    }
}

/// Q5_0 block → 32 signed quants (-16..=15).
#[inline(always)]
fn unpack_q5_0(b: &[u8], q: &mut [i8; 32]) {
    let qh = u32_at(b, 2);
    for j in 0..16 {
        let h0 = (((qh >> j) << 4) & 0x10) as u8;
        let h1 = ((qh >> (j + 12)) & 0x10) as u8;
        q[j] = ((b[6 + j] & 0xF) | h0) as i8 - 16;
        q[j + 16] = ((b[6 + j] >> 4) | h1) as i8 - 16;
    }
}

/// Q5_1 block → 32 unsigned quants (0..=31).
#[inline(always)]
fn unpack_q5_1(b: &[u8], q: &mut [i8; 32]) {
    let qh = u32_at(b, 4);
    for j in 0..16 {
        let h0 = (((qh >> j) << 4) & 0x10) as u8;
        let h1 = ((qh >> (j + 12)) & 0x10) as u8;
        q[j] = ((b[8 + j] & 0xF) | h0) as i8;
        q[j + 16] = ((b[8 + j] >> 4) | h1) as i8;
    }
}

#[inline(always)]
fn unpack_q8_0(b: &[u8], q: &mut [i8; 32]) {
    for j in 0..32 {
        q[j] = b[2 + j] as i8;
    }
}

/// Q2_K block → 256 quants (0..=3) in element order.
#[inline(always)]
fn unpack_q2k(b: &[u8], q: &mut [i8; QK_K]) {
    let qs = &b[16..80];
    for half in 0..2 {
        for j in 0..4 {
            let shift = 2 * j;
            for l in 0..32 {
                q[half * 128 + j * 32 + l] = ((qs[half * 32 + l] >> shift) & 3) as i8;
            }
        }
    }
}

/// Q3_K block → 256 signed quants (-4..=3) in element order.
#[inline(always)]
fn unpack_q3k(b: &[u8], q: &mut [i8; QK_K]) {
    let hm = &b[0..32];
    let qs = &b[32..96];
    for half in 0..2 {
        for j in 0..4 {
            let shift = 2 * j;
            let m = 1u8 << (half * 4 + j);
            for l in 0..32 {
                let lo = ((qs[half * 32 + l] >> shift) & 3) as i8;
                q[half * 128 + j * 32 + l] = lo - if hm[l] & m != 0 { 0 } else { 4 };
            }
        }
    }
}

/// Q4_K block → 256 quants (0..=15) in element order.
#[inline(always)]
fn unpack_q4k(b: &[u8], q: &mut [i8; QK_K]) {
    let qs = &b[16..144];
    for j in 0..4 {
        for l in 0..32 {
            q[j * 64 + l] = (qs[j * 32 + l] & 0xF) as i8;
            q[j * 64 + 32 + l] = (qs[j * 32 + l] >> 4) as i8;
        }
    }
}

/// Q5_K block → 256 quants (0..=31) in element order.
#[inline(always)]
fn unpack_q5k(b: &[u8], q: &mut [i8; QK_K]) {
    let qh = &b[16..48];
    let qs = &b[48..176];
    for j in 0..4 {
        let m1 = 1u8 << (2 * j);
        let m2 = m1 << 1;
        for l in 0..32 {
            let h1 = if qh[l] & m1 != 0 { 16 } else { 0 };
            let h2 = if qh[l] & m2 != 0 { 16 } else { 0 };
            q[j * 64 + l] = ((qs[j * 32 + l] & 0xF) + h1) as i8;
            q[j * 64 + 32 + l] = ((qs[j * 32 + l] >> 4) + h2) as i8;
        }
    }
}

/// Q6_K block → 256 signed quants (-32..=31) in element order.
#[inline(always)]
fn unpack_q6k(b: &[u8], q: &mut [i8; QK_K]) {
    let ql = &b[0..128];
    let qh = &b[128..192];
    for half in 0..2 {
        let ql = &ql[half * 64..];
        let qh = &qh[half * 32..];
        let q = &mut q[half * 128..];
        for l in 0..32 {
            q[l] = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) as i8 - 32;
            q[l + 32] = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) as i8 - 32;
            q[l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i8 - 32;
            q[l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i8 - 32;
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Dequantization
// ---------------------------------------------------------------------------------------------------------

/// Dequantizes `dst.len()` elements of the weight row `src`.
pub fn dequantize_row(fmt: WeightFormat, src: &[u8], dst: &mut [f32]) {
    let n = dst.len();
    check_row("dequantize_row", fmt.name(), fmt.row_bytes(n), src.len());
    let bl = fmt.block_len();
    let bb = fmt.block_bytes();
    match fmt {
        WeightFormat::F32 => {
            for (d, s) in dst.iter_mut().zip(src.chunks_exact(4)) {
                *d = f32::from_le_bytes([s[0], s[1], s[2], s[3]]);
            }
        }
        WeightFormat::F16 => {
            for (d, s) in dst.iter_mut().zip(src.chunks_exact(2)) {
                *d = f16::from_bits(u16::from_le_bytes([s[0], s[1]])).to_f32();
            }
        }
        WeightFormat::BF16 => {
            for (d, s) in dst.iter_mut().zip(src.chunks_exact(2)) {
                *d = bf16::from_bits(u16::from_le_bytes([s[0], s[1]])).to_f32();
            }
        }
        _ => {
            for (y, b) in dst.chunks_exact_mut(bl).zip(src.chunks_exact(bb)) {
                dequantize_block(fmt, b, y);
            }
        }
    }
}

fn dequantize_block(fmt: WeightFormat, b: &[u8], y: &mut [f32]) {
    let mut q32 = [0i8; 32];
    let mut q = [0i8; QK_K];
    match fmt {
        WeightFormat::F32 | WeightFormat::F16 | WeightFormat::BF16 => {
            unreachable!("handled per element")
        }
        WeightFormat::Q4_0 | WeightFormat::Q5_0 | WeightFormat::Q8_0 => {
            match fmt {
                WeightFormat::Q4_0 => unpack_q4_0(b, &mut q32),
                WeightFormat::Q5_0 => unpack_q5_0(b, &mut q32),
                _ => unpack_q8_0(b, &mut q32),
            }
            let d = f16_at(b, 0);
            for (y, &q) in y.iter_mut().zip(&q32) {
                *y = f32::from(q) * d;
            }
        }
        WeightFormat::Q4_1 | WeightFormat::Q5_1 => {
            if fmt == WeightFormat::Q4_1 {
                unpack_q4_1(b, &mut q32);
            } else {
                unpack_q5_1(b, &mut q32);
            }
            let d = f16_at(b, 0);
            let m = f16_at(b, 2);
            for (y, &q) in y.iter_mut().zip(&q32) {
                *y = f32::from(q) * d + m;
            }
        }
        WeightFormat::Q2K => {
            unpack_q2k(b, &mut q);
            let d = f16_at(b, 80);
            let dmin = f16_at(b, 82);
            for g in 0..16 {
                let sc = b[g];
                let dl = d * f32::from(sc & 0xF);
                let ml = dmin * f32::from(sc >> 4);
                for l in 0..16 {
                    y[g * 16 + l] = dl * f32::from(q[g * 16 + l]) - ml;
                }
            }
        }
        WeightFormat::Q3K => {
            unpack_q3k(b, &mut q);
            let scales = q3k_scales(&b[96..108]);
            let d = f16_at(b, 108);
            for g in 0..16 {
                let dl = d * f32::from(scales[g] as i16 - 32);
                for l in 0..16 {
                    y[g * 16 + l] = dl * f32::from(q[g * 16 + l]);
                }
            }
        }
        WeightFormat::Q4K | WeightFormat::Q5K => {
            if fmt == WeightFormat::Q4K {
                unpack_q4k(b, &mut q);
            } else {
                unpack_q5k(b, &mut q);
            }
            let d = f16_at(b, 0);
            let dmin = f16_at(b, 2);
            for s in 0..8 {
                let (sc, m) = scale_min_k4(s, &b[4..16]);
                let d1 = d * f32::from(sc);
                let m1 = dmin * f32::from(m);
                for l in 0..32 {
                    y[s * 32 + l] = d1 * f32::from(q[s * 32 + l]) - m1;
                }
            }
        }
        WeightFormat::Q6K => {
            unpack_q6k(b, &mut q);
            let d = f16_at(b, 208);
            for g in 0..16 {
                let dl = d * f32::from(b[192 + g] as i8);
                for l in 0..16 {
                    y[g * 16 + l] = dl * f32::from(q[g * 16 + l]);
                }
            }
        }
    }
}

/// Dequantizes an activation row (the inverse of [`quantize_row`], for tests and debugging).
pub fn dequantize_act_row(fmt: ActFormat, src: &[u8], dst: &mut [f32]) {
    let n = dst.len();
    check_row(
        "dequantize_act_row",
        fmt.name(),
        fmt.row_bytes(n),
        src.len(),
    );
    match fmt {
        ActFormat::F32 => dequantize_row(WeightFormat::F32, src, dst),
        ActFormat::Q8_0 => dequantize_row(WeightFormat::Q8_0, src, dst),
        ActFormat::Q8_1 => {
            for (y, b) in dst.chunks_exact_mut(32).zip(src.chunks_exact(36)) {
                let d = f16_at(b, 0);
                for (y, &q) in y.iter_mut().zip(&b[4..36]) {
                    *y = f32::from(q as i8) * d;
                }
            }
        }
        ActFormat::Q8K => {
            for (y, b) in dst.chunks_exact_mut(QK_K).zip(src.chunks_exact(292)) {
                let d = f32_at(b, 0);
                for (y, &q) in y.iter_mut().zip(&b[4..260]) {
                    *y = d * f32::from(q as i8);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Activation quantization
// ---------------------------------------------------------------------------------------------------------

/// Quantizes an activation row as ggml's `quantize_row_q8_0_ref` / `q8_1_ref` / `q8_K_ref`.
pub fn quantize_row(fmt: ActFormat, src: &[f32], dst: &mut [u8]) {
    let n = src.len();
    check_row("quantize_row", fmt.name(), fmt.row_bytes(n), dst.len());
    match fmt {
        ActFormat::F32 => {
            for (d, s) in dst.chunks_exact_mut(4).zip(src) {
                d.copy_from_slice(&s.to_le_bytes());
            }
        }
        ActFormat::Q8_0 => {
            for (x, y) in src.chunks_exact(32).zip(dst.chunks_exact_mut(34)) {
                quantize_block_q8_0(x, y);
            }
        }
        ActFormat::Q8_1 => {
            for (x, y) in src.chunks_exact(32).zip(dst.chunks_exact_mut(36)) {
                quantize_block_q8_1(x, y);
            }
        }
        ActFormat::Q8K => {
            for (x, y) in src.chunks_exact(QK_K).zip(dst.chunks_exact_mut(292)) {
                quantize_block_q8k(x, y);
            }
        }
    }
}

#[inline(always)]
fn q8_scale(x: &[f32]) -> (f32, f32) {
    let amax = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    (d, id)
}

pub(crate) fn quantize_block_q8_0(x: &[f32], y: &mut [u8]) {
    let (d, id) = q8_scale(x);
    y[0..2].copy_from_slice(&f16::from_f32(d).to_bits().to_le_bytes());
    for (q, &v) in y[2..34].iter_mut().zip(x) {
        // `f32::round` rounds half away from zero, as C's `roundf`.
        *q = (v * id).round() as i8 as u8;
    }
}

pub(crate) fn quantize_block_q8_1(x: &[f32], y: &mut [u8]) {
    let (d, id) = q8_scale(x);
    y[0..2].copy_from_slice(&f16::from_f32(d).to_bits().to_le_bytes());
    let mut sum = 0i32;
    for (q, &v) in y[4..36].iter_mut().zip(x) {
        let qi = (v * id).round() as i8;
        sum += i32::from(qi);
        *q = qi as u8;
    }
    y[2..4].copy_from_slice(&f16::from_f32(sum as f32 * d).to_bits().to_le_bytes());
}

pub(crate) fn quantize_block_q8k(x: &[f32], y: &mut [u8]) {
    let mut amax = 0.0f32;
    let mut max = 0.0f32;
    for &v in x {
        if v.abs() > amax {
            amax = v.abs();
            max = v;
        }
    }
    if amax == 0.0 {
        // ggml leaves bsums untouched here; we zero the whole block so the output is deterministic.
        y[..292].fill(0);
        return;
    }
    let iscale = -127.0f32 / max;
    for (q, &v) in y[4..260].iter_mut().zip(x) {
        // ggml's `nearest_int` rounds half to even.
        let r = (iscale * v).round_ties_even() as i32;
        *q = r.min(127) as i8 as u8;
    }
    for g in 0..16 {
        let s: i32 = y[4 + g * 16..4 + g * 16 + 16]
            .iter()
            .map(|&q| i32::from(q as i8))
            .sum();
        y[260 + 2 * g..262 + 2 * g].copy_from_slice(&(s as i16).to_le_bytes());
    }
    y[0..4].copy_from_slice(&(1.0 / iscale).to_le_bytes());
}

// ---------------------------------------------------------------------------------------------------------
// Weight quantization (reference, for tests)
// ---------------------------------------------------------------------------------------------------------

/// Quantizes a weight row as ggml's `quantize_row_*_ref` for the float and 32-element formats. Returns
/// `false` without writing for the K-quants.
pub fn quantize_row_weights(fmt: WeightFormat, src: &[f32], dst: &mut [u8]) -> bool {
    let n = src.len();
    if matches!(
        fmt,
        WeightFormat::Q2K
            | WeightFormat::Q3K
            | WeightFormat::Q4K
            | WeightFormat::Q5K
            | WeightFormat::Q6K
    ) {
        return false;
    }
    check_row(
        "quantize_row_weights",
        fmt.name(),
        fmt.row_bytes(n),
        dst.len(),
    );
    let bb = fmt.block_bytes();
    match fmt {
        WeightFormat::F32 => quantize_row(ActFormat::F32, src, dst),
        WeightFormat::F16 => {
            for (d, s) in dst.chunks_exact_mut(2).zip(src) {
                d.copy_from_slice(&f16::from_f32(*s).to_bits().to_le_bytes());
            }
        }
        WeightFormat::BF16 => {
            for (d, s) in dst.chunks_exact_mut(2).zip(src) {
                d.copy_from_slice(&bf16::from_f32(*s).to_bits().to_le_bytes());
            }
        }
        WeightFormat::Q8_0 => quantize_row(ActFormat::Q8_0, src, dst),
        _ => {
            for (x, y) in src.chunks_exact(32).zip(dst.chunks_exact_mut(bb)) {
                quantize_weight_block(fmt, x, y);
            }
        }
    }
    true
}

fn put_f16(y: &mut [u8], off: usize, v: f32) {
    y[off..off + 2].copy_from_slice(&f16::from_f32(v).to_bits().to_le_bytes());
}

fn quantize_weight_block(fmt: WeightFormat, x: &[f32], y: &mut [u8]) {
    match fmt {
        WeightFormat::Q4_0 | WeightFormat::Q5_0 => {
            let (mut amax, mut max) = (0.0f32, 0.0f32);
            for &v in x {
                if amax < v.abs() {
                    amax = v.abs();
                    max = v;
                }
            }
            let (levels, top) = if fmt == WeightFormat::Q4_0 {
                (-8.0f32, 15)
            } else {
                (-16.0, 31)
            };
            let d = max / levels;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            put_f16(y, 0, d);
            let bias = -levels + 0.5;
            let mut qh = 0u32;
            let qs_off = if fmt == WeightFormat::Q4_0 { 2 } else { 6 };
            for j in 0..16 {
                // C converts with truncation toward zero; the operands are >= 0 here.
                let xi0 = ((x[j] * id + bias) as i32).min(top) as u8;
                let xi1 = ((x[j + 16] * id + bias) as i32).min(top) as u8;
                y[qs_off + j] = (xi0 & 0xF) | ((xi1 & 0xF) << 4);
                qh |= u32::from((xi0 & 0x10) >> 4) << j;
                qh |= u32::from((xi1 & 0x10) >> 4) << (j + 16);
            }
            if fmt == WeightFormat::Q5_0 {
                y[2..6].copy_from_slice(&qh.to_le_bytes());
            }
        }
        WeightFormat::Q4_1 | WeightFormat::Q5_1 => {
            let (mut min, mut max) = (f32::MAX, -f32::MAX);
            for &v in x {
                min = min.min(v);
                max = max.max(v);
            }
            let top = if fmt == WeightFormat::Q4_1 { 15 } else { 31 };
            let d = (max - min) / top as f32;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            put_f16(y, 0, d);
            put_f16(y, 2, min);
            let qs_off = if fmt == WeightFormat::Q4_1 { 4 } else { 8 };
            let mut qh = 0u32;
            for j in 0..16 {
                let xi0 = (((x[j] - min) * id + 0.5) as i32).min(top) as u8;
                let xi1 = (((x[j + 16] - min) * id + 0.5) as i32).min(top) as u8;
                y[qs_off + j] = (xi0 & 0xF) | ((xi1 & 0xF) << 4);
                qh |= u32::from((xi0 & 0x10) >> 4) << j;
                qh |= u32::from((xi1 & 0x10) >> 4) << (j + 16);
            }
            if fmt == WeightFormat::Q5_1 {
                y[4..8].copy_from_slice(&qh.to_le_bytes());
            }
        }
        _ => unreachable!("only 32-element formats are quantized per block"),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Dot products
// ---------------------------------------------------------------------------------------------------------

#[inline(always)]
fn idot<const N: usize>(a: &[i8; N], b: &[u8]) -> i32 {
    let b = &b[..N];
    let mut s = 0i32;
    for i in 0..N {
        s += i32::from(a[i]) * i32::from(b[i] as i8);
    }
    s
}

/// Dot product of one weight row with one activation row quantized to `fmt.act_format()`.
pub fn dot(fmt: WeightFormat, n: usize, w: &[u8], act: &[u8]) -> f32 {
    let mut out = [0.0f32];
    dot_multi(fmt, n, w, &[act], &mut out);
    out[0]
}

/// One weight row against up to [`MAX_TOK`] activation rows: `out[t] = dot(w, acts[t])`, unpacking each weight
/// block once.
pub fn dot_multi(fmt: WeightFormat, n: usize, w: &[u8], acts: &[&[u8]], out: &mut [f32]) {
    assert!(
        acts.len() <= MAX_TOK && out.len() >= acts.len(),
        "dot_multi takes at most {MAX_TOK} rows"
    );
    check_row("dot (weights)", fmt.name(), fmt.row_bytes(n), w.len());
    let af = fmt.act_format();
    for a in acts {
        check_row("dot (activations)", af.name(), af.row_bytes(n), a.len());
    }
    let out = &mut out[..acts.len()];
    match fmt {
        WeightFormat::F32 | WeightFormat::F16 | WeightFormat::BF16 => {
            for (o, a) in out.iter_mut().zip(acts) {
                *o = dot_float(fmt, n, w, a);
            }
        }
        WeightFormat::Q4_0
        | WeightFormat::Q5_0
        | WeightFormat::Q8_0
        | WeightFormat::Q4_1
        | WeightFormat::Q5_1 => dot_32(fmt, n, w, acts, out),
        WeightFormat::Q2K => dot_q2k(n, w, acts, out),
        WeightFormat::Q3K | WeightFormat::Q4K | WeightFormat::Q5K | WeightFormat::Q6K => {
            dot_k_lanes(fmt, n, w, acts, out)
        }
    }
}

/// Float formats: 8 lane accumulators of `w * a`, summed in lane order at the end.
fn dot_float(fmt: WeightFormat, n: usize, w: &[u8], a: &[u8]) -> f32 {
    let mut lanes = [0.0f32; 8];
    for i in 0..n {
        let wv = match fmt {
            WeightFormat::F32 => f32_at(w, 4 * i),
            WeightFormat::F16 => f16_at(w, 2 * i),
            _ => bf16::from_bits(u16::from_le_bytes([w[2 * i], w[2 * i + 1]])).to_f32(),
        };
        lanes[i % 8] += wv * f32_at(a, 4 * i);
    }
    lanes.iter().fold(0.0f32, |s, v| s + v)
}

fn dot_32(fmt: WeightFormat, n: usize, w: &[u8], acts: &[&[u8]], out: &mut [f32]) {
    let bb = fmt.block_bytes();
    let ab = fmt.act_format().block_bytes();
    let mut sumf = [0.0f32; MAX_TOK];
    let mut q = [0i8; 32];
    for ib in 0..n / 32 {
        let b = &w[ib * bb..(ib + 1) * bb];
        let dx = f16_at(b, 0);
        match fmt {
            WeightFormat::Q4_0 => unpack_q4_0(b, &mut q),
            WeightFormat::Q4_1 => unpack_q4_1(b, &mut q),
            WeightFormat::Q5_0 => unpack_q5_0(b, &mut q),
            WeightFormat::Q5_1 => unpack_q5_1(b, &mut q),
            _ => unpack_q8_0(b, &mut q),
        }
        for (t, a) in acts.iter().enumerate() {
            let y = &a[ib * ab..(ib + 1) * ab];
            let dy = f16_at(y, 0);
            match fmt {
                WeightFormat::Q4_0 => {
                    let sumi = idot(&q, &y[2..]);
                    sumf[t] += sumi as f32 * dx * dy;
                }
                WeightFormat::Q5_0 => {
                    let sumi = idot(&q, &y[2..]);
                    sumf[t] += (dx * dy) * sumi as f32;
                }
                WeightFormat::Q8_0 => {
                    let sumi = idot(&q, &y[2..]);
                    sumf[t] += sumi as f32 * (dx * dy);
                }
                _ => {
                    // Q4_1 / Q5_1 against Q8_1: the min times s = d_y * Σ q_y.
                    let sumi = idot(&q, &y[4..]);
                    let m = f16_at(b, 2);
                    let sy = f16_at(y, 2);
                    sumf[t] += (dx * dy) * sumi as f32 + m * sy;
                }
            }
        }
    }
    out.copy_from_slice(&sumf[..out.len()]);
}

fn dot_q2k(n: usize, w: &[u8], acts: &[&[u8]], out: &mut [f32]) {
    let mut sumf = [0.0f32; MAX_TOK];
    let mut q = [0i8; QK_K];
    for ib in 0..n / QK_K {
        let b = &w[ib * 84..(ib + 1) * 84];
        unpack_q2k(b, &mut q);
        let sc = &b[0..16];
        let xd = f16_at(b, 80);
        let xmin = f16_at(b, 82);
        for (t, a) in acts.iter().enumerate() {
            let y = &a[ib * 292..(ib + 1) * 292];
            let yd = f32_at(y, 0);
            let q8 = &y[4..260];
            let mut summs = 0i32;
            for (g, &s) in sc.iter().enumerate() {
                summs += i32::from(i16_at(y, 260 + 2 * g)) * i32::from(s >> 4);
            }
            let dall = yd * xd;
            let dmin = yd * xmin;
            let mut isum = 0i32;
            for (g, &s) in sc.iter().enumerate() {
                let mut isuml = 0i32;
                for l in 0..16 {
                    isuml += i32::from(q8[g * 16 + l] as i8) * i32::from(q[g * 16 + l]);
                }
                isum += i32::from(s & 0xF) * isuml;
            }
            sumf[t] += dall * isum as f32 - dmin * summs as f32;
        }
    }
    out.copy_from_slice(&sumf[..out.len()]);
}

/// Q3_K, Q4_K, Q5_K and Q6_K against Q8_K, as ggml's generic code: 8 integer lanes (element `e` goes to lane
/// `e % 8`) scaled per block into 8 float lanes, the mins subtracted through the Q8_K `bsums`.
fn dot_k_lanes(fmt: WeightFormat, n: usize, w: &[u8], acts: &[&[u8]], out: &mut [f32]) {
    let bb = fmt.block_bytes();
    let mut sums = [[0.0f32; 8]; MAX_TOK];
    let mut sumf = [0.0f32; MAX_TOK];
    let mut q = [0i8; QK_K];
    // Scale of each 16-element group (Q3_K, Q6_K) or of each 32-element sub-block repeated (Q4_K, Q5_K).
    let mut gscale = [0i32; 16];
    let mut mins = [0i32; 8];
    for ib in 0..n / QK_K {
        let b = &w[ib * bb..(ib + 1) * bb];
        let (xd, xmin) = match fmt {
            WeightFormat::Q3K => {
                unpack_q3k(b, &mut q);
                let s = q3k_scales(&b[96..108]);
                for g in 0..16 {
                    gscale[g] = i32::from(s[g]) - 32;
                }
                (f16_at(b, 108), 0.0)
            }
            WeightFormat::Q6K => {
                unpack_q6k(b, &mut q);
                for g in 0..16 {
                    gscale[g] = i32::from(b[192 + g] as i8);
                }
                (f16_at(b, 208), 0.0)
            }
            _ => {
                if fmt == WeightFormat::Q4K {
                    unpack_q4k(b, &mut q);
                } else {
                    unpack_q5k(b, &mut q);
                }
                for s in 0..8 {
                    let (sc, m) = scale_min_k4(s, &b[4..16]);
                    gscale[2 * s] = i32::from(sc);
                    gscale[2 * s + 1] = i32::from(sc);
                    mins[s] = i32::from(m);
                }
                (f16_at(b, 0), f16_at(b, 2))
            }
        };
        let has_mins = matches!(fmt, WeightFormat::Q4K | WeightFormat::Q5K);
        for (t, a) in acts.iter().enumerate() {
            let y = &a[ib * 292..(ib + 1) * 292];
            let yd = f32_at(y, 0);
            let q8 = &y[4..260];
            let mut aux32 = [0i32; 8];
            for g in 0..16 {
                let scale = gscale[g];
                for l in 0..16 {
                    let e = g * 16 + l;
                    let prod = i32::from(q8[e] as i8) * i32::from(q[e]);
                    aux32[l % 8] += scale * prod;
                }
            }
            let d = xd * yd;
            for l in 0..8 {
                sums[t][l] += d * aux32[l] as f32;
            }
            if has_mins {
                let mut sumi = 0i32;
                for g in 0..16 {
                    sumi += i32::from(i16_at(y, 260 + 2 * g)) * mins[g / 2];
                }
                let dmin = xmin * yd;
                sumf[t] -= dmin * sumi as f32;
            }
        }
    }
    for (t, o) in out.iter_mut().enumerate() {
        let mut s = sumf[t];
        for l in 0..8 {
            s += sums[t][l];
        }
        *o = s;
    }
}

// ---------------------------------------------------------------------------------------------------------
// Float vector helpers (attention over an f16 KV cache)
// ---------------------------------------------------------------------------------------------------------

/// Σ a[i]·b[i]: eight lane accumulators, summed in lane order (as [`dot`] for `F32` weights).
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot_f32: the vectors differ in length");
    let mut lanes = [0.0f32; 8];
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        lanes[i % 8] += x * y;
    }
    lanes.iter().fold(0.0f32, |s, v| s + v)
}

/// Σ f32(a[i])·b[i] for an f16 vector `a` (a cached key row) and an f32 vector `b` (a query).
pub fn dot_f16(a: &[f16], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot_f16: the vectors differ in length");
    let mut lanes = [0.0f32; 8];
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        lanes[i % 8] += x.to_f32() * y;
    }
    lanes.iter().fold(0.0f32, |s, v| s + v)
}

/// `y[i] = alpha · f32(x[i]) + y[i]`, fused (one rounding), as the SIMD versions compute it.
pub fn axpy_f16(y: &mut [f32], alpha: f32, x: &[f16]) {
    assert_eq!(y.len(), x.len(), "axpy_f16: the vectors differ in length");
    for (y, x) in y.iter_mut().zip(x) {
        *y = alpha.mul_add(x.to_f32(), *y);
    }
}

/// `y[i] = f16(fma(f32(x[i]), v, f32(y[i])))`: an f16 accumulator, as ggml's `ggml_vec_mad_f16` (the value
/// accumulation of llama.cpp's CPU flash attention for an F16 V cache, one query at a time).
pub fn mad_f16(y: &mut [f16], x: &[f16], v: f32) {
    assert_eq!(y.len(), x.len(), "mad_f16: the vectors differ in length");
    for (y, x) in y.iter_mut().zip(x) {
        *y = f16::from_f32(x.to_f32().mul_add(v, y.to_f32()));
    }
}

/// `y[i] = f16(f32(y[i]) · v)`, as ggml's `ggml_vec_scale_f16`.
pub fn scale_f16(y: &mut [f16], v: f32) {
    for y in y.iter_mut() {
        *y = f16::from_f32(y.to_f32() * v);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Matmul tile
// ---------------------------------------------------------------------------------------------------------

/// Checks the arguments of a matmul tile; shared by every ISA.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_matmul(
    fmt: WeightFormat,
    k: usize,
    w: &[u8],
    rows: &Range<usize>,
    act: &[u8],
    n_tok: usize,
    out: &[f32],
    out_stride: usize,
) {
    let rb = fmt.row_bytes(k);
    let ab = fmt.act_format().row_bytes(k);
    assert!(
        w.len() >= rows.end * rb,
        "matmul_rows: rows {rows:?} of {k}-element {fmt} rows need {} weight bytes but the matrix holds {}",
        rows.end * rb,
        w.len()
    );
    assert!(
        act.len() >= n_tok * ab,
        "matmul_rows: {n_tok} activation rows need {} bytes but the buffer holds {}",
        n_tok * ab,
        act.len()
    );
    if n_tok > 0 && !rows.is_empty() {
        assert!(
            out_stride >= rows.len(),
            "matmul_rows: out_stride {out_stride} < {} rows",
            rows.len()
        );
        let need = (n_tok - 1) * out_stride + rows.len();
        assert!(
            out.len() >= need,
            "matmul_rows: out needs {need} elements but holds {}",
            out.len()
        );
    }
}

/// `out[t * out_stride + r - rows.start] = dot(weight row r, activation row t)`, tokens in groups of
/// [`MAX_TOK`] so each unpacked weight block serves several activation rows.
#[allow(clippy::too_many_arguments)]
pub fn matmul_rows(
    fmt: WeightFormat,
    k: usize,
    w: &[u8],
    rows: Range<usize>,
    act: &[u8],
    n_tok: usize,
    out: &mut [f32],
    out_stride: usize,
) {
    check_matmul(fmt, k, w, &rows, act, n_tok, out, out_stride);
    let rb = fmt.row_bytes(k);
    let ab = fmt.act_format().row_bytes(k);
    let mut t0 = 0;
    while t0 < n_tok {
        let nt = (n_tok - t0).min(MAX_TOK);
        let mut acts: [&[u8]; MAX_TOK] = [&[]; MAX_TOK];
        for (i, a) in acts.iter_mut().enumerate().take(nt) {
            *a = &act[(t0 + i) * ab..(t0 + i + 1) * ab];
        }
        for r in rows.clone() {
            let mut res = [0.0f32; MAX_TOK];
            dot_multi(fmt, k, &w[r * rb..(r + 1) * rb], &acts[..nt], &mut res);
            for (i, v) in res[..nt].iter().enumerate() {
                out[(t0 + i) * out_stride + r - rows.start] = *v;
            }
        }
        t0 += nt;
    }
}
