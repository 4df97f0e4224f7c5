//! NEON kernels (128-bit), with and without the `dotprod` extension.
//!
//! The float helpers ([`dot_vec`], [`axpy_f16`]) and the activation quantizers ([`quantize_row`]) need only
//! base NEON and serve both levels. The integer dot products are written once, in `neon_int_kernels!`, and
//! expanded twice: in [`plain`] over a widening multiply (`smull`/`smull2` + `sadalp`) and in [`dot`] over
//! `sdot` (`#[target_feature(enable = "dotprod")]`). Both primitives add exact products of signed bytes into
//! i32 lanes, so the two levels compute the same integers.
//!
//! Contracts, against the scalar twins in [`crate::scalar`]:
//!
//! * every integer block sum is exact;
//! * the 32-element formats (`Q4_0`, `Q4_1`, `Q5_0`, `Q5_1`, `Q8_0`) and the float dots (`F32`, `F16`,
//!   `BF16`, [`dot_vec`]) also repeat the scalar float operations in the scalar order, so they are bit-identical
//!   to the specification;
//! * the K-quants (`Q4_K`, `Q5_K`, `Q6_K`) sum each block's integers in one i32 and accumulate one float term
//!   per block (the specification keeps eight lanes), so only their float rounding differs;
//! * [`axpy_f16`] and the quantizers are bit-identical (fused multiply-add; the same roundings).
//!
//! `Q2_K` and `Q3_K` have no NEON kernel: they run the scalar code at both levels.

use std::arch::aarch64::*;

use crate::format::{ActFormat, QK_K, WeightFormat};

/// Formats with a NEON dot kernel (the others fall back to the scalar specification).
pub(crate) fn supports_dot(fmt: WeightFormat) -> bool {
    matches!(
        fmt,
        WeightFormat::F32
            | WeightFormat::F16
            | WeightFormat::BF16
            | WeightFormat::Q4_0
            | WeightFormat::Q4_1
            | WeightFormat::Q5_0
            | WeightFormat::Q5_1
            | WeightFormat::Q8_0
            | WeightFormat::Q4K
            | WeightFormat::Q5K
            | WeightFormat::Q6K
    )
}

/// Activation formats with a NEON quantizer.
pub(crate) fn supports_quantize(fmt: ActFormat) -> bool {
    matches!(fmt, ActFormat::Q8_0 | ActFormat::Q8_1 | ActFormat::Q8K)
}

// ---------------------------------------------------------------------------------------------------------
// Helpers (base NEON)
// ---------------------------------------------------------------------------------------------------------

/// f16 at `p` → f32 (`fcvt`, exact; part of base ARMv8, unlike f16 arithmetic).
///
/// # Safety
/// Two bytes must be readable at `p`.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn fp16(p: *const u8) -> f32 {
    // SAFETY: the caller guarantees two readable bytes at `p`.
    let bits = unsafe { p.cast::<i16>().read_unaligned() };
    let out: f32;
    // SAFETY: `fcvt` only reads and writes registers.
    unsafe {
        std::arch::asm!(
            "fcvt {o:s}, {i:h}",
            i = in(vreg) bits,
            o = out(vreg) out,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    out
}

/// Four f16 (as raw bits) → four f32 (`fcvtl`, exact).
#[inline]
#[target_feature(enable = "neon")]
fn cvt_f16x4(h: uint16x4_t) -> float32x4_t {
    let out: float32x4_t;
    // SAFETY: `fcvtl` only reads and writes registers.
    unsafe {
        std::arch::asm!(
            "fcvtl {o:v}.4s, {i:v}.4h",
            i = in(vreg) h,
            o = out(vreg) out,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    out
}

/// f32 at `p`.
///
/// # Safety
/// Four bytes must be readable at `p`.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn rd_f32(p: *const u8) -> f32 {
    // SAFETY: forwarded.
    unsafe { p.cast::<f32>().read_unaligned() }
}

/// 16 bytes at `p` as signed bytes.
///
/// # Safety
/// Sixteen bytes must be readable at `p`.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn ld_s8(p: *const u8) -> int8x16_t {
    // SAFETY: forwarded.
    unsafe { vld1q_s8(p.cast()) }
}

/// 16 bytes at `p` → (low nibbles, high nibbles), each as sixteen bytes 0..=15.
///
/// # Safety
/// Sixteen bytes must be readable at `p`.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn nibbles(p: *const u8) -> (uint8x16_t, uint8x16_t) {
    // SAFETY: forwarded.
    let raw = unsafe { vld1q_u8(p) };
    (vandq_u8(raw, vdupq_n_u8(0x0F)), vshrq_n_u8::<4>(raw))
}

/// Bits 0..16 of `x` → sixteen bytes, 0xFF where the bit is set and 0x00 elsewhere.
#[inline]
#[target_feature(enable = "neon")]
fn bits_to_bytes(x: u32) -> uint8x16_t {
    const BIT: [u8; 16] = [1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128];
    let bytes = vcombine_u8(vdup_n_u8(x as u8), vdup_n_u8((x >> 8) as u8));
    // SAFETY: `BIT` holds sixteen bytes.
    let bit = unsafe { vld1q_u8(BIT.as_ptr()) };
    vtstq_u8(bytes, bit)
}

// The 32-element formats, as const parameters of the block kernels.
const Q4_0: u8 = 0;
const Q5_0: u8 = 1;
const Q8_0: u8 = 2;
const Q4_1: u8 = 3;
const Q5_1: u8 = 4;

/// One 32-element weight block → its 32 quants (elements 0..16, 16..32), as the scalar `unpack_*`: signed
/// for Q4_0/Q5_0/Q8_0, unsigned (below 32) for Q4_1/Q5_1.
///
/// # Safety
/// A whole block of format `F` must be readable at `b`.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn unpack_b32<const F: u8>(b: *const u8) -> (int8x16_t, int8x16_t) {
    // SAFETY: the caller guarantees a whole block at `b`; every read below lies inside it.
    unsafe {
        match F {
            Q4_0 => {
                let (lo, hi) = nibbles(b.add(2));
                let m8 = vdupq_n_s8(8);
                (
                    vsubq_s8(vreinterpretq_s8_u8(lo), m8),
                    vsubq_s8(vreinterpretq_s8_u8(hi), m8),
                )
            }
            Q5_0 => {
                // nibble | (bit ? 0x00 : 0xF0), read as i8, is (nibble | bit << 4) - 16.
                let qh = b.add(2).cast::<u32>().read_unaligned();
                let (lo, hi) = nibbles(b.add(6));
                let f0 = vdupq_n_u8(0xF0);
                (
                    vreinterpretq_s8_u8(vorrq_u8(lo, vbicq_u8(f0, bits_to_bytes(qh)))),
                    vreinterpretq_s8_u8(vorrq_u8(hi, vbicq_u8(f0, bits_to_bytes(qh >> 16)))),
                )
            }
            Q8_0 => (ld_s8(b.add(2)), ld_s8(b.add(18))),
            Q4_1 => {
                let (lo, hi) = nibbles(b.add(4));
                (vreinterpretq_s8_u8(lo), vreinterpretq_s8_u8(hi))
            }
            _ => {
                let qh = b.add(4).cast::<u32>().read_unaligned();
                let (lo, hi) = nibbles(b.add(8));
                let b4 = vdupq_n_u8(0x10);
                (
                    vreinterpretq_s8_u8(vorrq_u8(lo, vandq_u8(b4, bits_to_bytes(qh)))),
                    vreinterpretq_s8_u8(vorrq_u8(hi, vandq_u8(b4, bits_to_bytes(qh >> 16)))),
                )
            }
        }
    }
}

/// The eight 6-bit scales and mins of a Q4_K/Q5_K block (ggml's `get_scale_min_k4`, all eight at once).
///
/// # Safety
/// Twelve bytes must be readable at `p`.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn scales_mins_k4(p: *const u8) -> ([u8; 8], [u8; 8]) {
    const KMASK1: u32 = 0x3f3f_3f3f;
    const KMASK2: u32 = 0x0f0f_0f0f;
    const KMASK3: u32 = 0x0303_0303;
    // SAFETY: the caller guarantees 12 readable bytes at `p`.
    let (u0, u1, u2) = unsafe {
        let p = p.cast::<u32>();
        (
            p.read_unaligned(),
            p.add(1).read_unaligned(),
            p.add(2).read_unaligned(),
        )
    };
    let s0 = u0 & KMASK1;
    let s1 = (u2 & KMASK2) | (((u0 >> 6) & KMASK3) << 4);
    let m0 = u1 & KMASK1;
    let m1 = ((u2 >> 4) & KMASK2) | (((u1 >> 6) & KMASK3) << 4);
    (
        (u64::from(s1) << 32 | u64::from(s0)).to_le_bytes(),
        (u64::from(m1) << 32 | u64::from(m0)).to_le_bytes(),
    )
}

/// Σ_g bsums[g] · mins[g / 2] for the sixteen Q8_K block sums at `bs` (exact in i32).
///
/// # Safety
/// 32 bytes must be readable at `bs`.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn mins_dot(bs: *const u8, mins: [u8; 8]) -> i32 {
    // SAFETY: the caller guarantees 32 readable bytes at `bs`.
    let (b0, b1) = unsafe { (vld1q_s16(bs.cast()), vld1q_s16(bs.add(16).cast())) };
    // Pairs of 16-element sums are 32-element sums (|·| ≤ 32·128, no i16 overflow).
    let pairs = vpaddq_s16(b0, b1);
    let m = vreinterpretq_s16_u16(vmovl_u8(vcreate_u8(u64::from_le_bytes(mins))));
    let prod = vmull_s16(vget_low_s16(pairs), vget_low_s16(m));
    let prod = vmlal_s16(prod, vget_high_s16(pairs), vget_high_s16(m));
    vaddvq_s32(prod)
}

// ---------------------------------------------------------------------------------------------------------
// Float formats and vector helpers
// ---------------------------------------------------------------------------------------------------------

/// Eight weights at element `i` as f32, in two vectors (KIND 0 = f32, 1 = f16, 2 = bf16).
///
/// # Safety
/// Eight elements must be readable at element `i` of `w`.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn load_w8<const KIND: u8>(w: *const u8, i: usize) -> (float32x4_t, float32x4_t) {
    // SAFETY: forwarded.
    unsafe {
        match KIND {
            0 => {
                let p = w.add(4 * i).cast::<f32>();
                (vld1q_f32(p), vld1q_f32(p.add(4)))
            }
            1 => {
                let h = vld1q_u16(w.add(2 * i).cast());
                (cvt_f16x4(vget_low_u16(h)), cvt_f16x4(vget_high_u16(h)))
            }
            _ => {
                let h = vld1q_u16(w.add(2 * i).cast());
                (
                    vreinterpretq_f32_u32(vshll_n_u16::<16>(vget_low_u16(h))),
                    vreinterpretq_f32_u32(vshll_high_n_u16::<16>(h)),
                )
            }
        }
    }
}

/// Element `i` of `w` as f32.
///
/// # Safety
/// Element `i` must be readable.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn w_scalar<const KIND: u8>(w: *const u8, i: usize) -> f32 {
    // SAFETY: forwarded.
    unsafe {
        match KIND {
            0 => rd_f32(w.add(4 * i)),
            1 => fp16(w.add(2 * i)),
            _ => f32::from_bits(u32::from(w.add(2 * i).cast::<u16>().read_unaligned()) << 16),
        }
    }
}

/// Σ w[i]·x[i] over `n` elements as the scalar specification computes it: eight lane accumulators (element
/// `i` in lane `i % 8`, unfused multiply then add), summed in lane order — bit-identical to it.
///
/// # Safety
/// `w` must hold `n` elements of `KIND`, `x` `n` f32.
#[target_feature(enable = "neon")]
unsafe fn dot_float_one<const KIND: u8>(n: usize, w: *const u8, x: *const u8) -> f32 {
    let mut acc0 = vdupq_n_f32(0.0);
    let mut acc1 = vdupq_n_f32(0.0);
    let mut i = 0;
    // SAFETY: `i + 8 <= n` keeps every access inside both vectors.
    unsafe {
        while i + 8 <= n {
            let (w0, w1) = load_w8::<KIND>(w, i);
            let xp = x.add(4 * i).cast::<f32>();
            acc0 = vaddq_f32(acc0, vmulq_f32(w0, vld1q_f32(xp)));
            acc1 = vaddq_f32(acc1, vmulq_f32(w1, vld1q_f32(xp.add(4))));
            i += 8;
        }
    }
    let mut lanes = [0.0f32; 8];
    // SAFETY: `lanes` holds eight floats.
    unsafe {
        vst1q_f32(lanes.as_mut_ptr(), acc0);
        vst1q_f32(lanes.as_mut_ptr().add(4), acc1);
    }
    for j in i..n {
        // SAFETY: `j < n`.
        lanes[j % 8] += unsafe { w_scalar::<KIND>(w, j) * rd_f32(x.add(4 * j)) };
    }
    lanes.iter().fold(0.0f32, |s, v| s + v)
}

/// Σ a[i]·b[i] over `n` f32 (`KIND` 0) or f16 (`KIND` 1) elements of `a` and f32 elements of `b`
/// (bit-identical to [`crate::scalar::dot_f32`] / [`crate::scalar::dot_f16`]).
///
/// # Safety
/// `a` and `b` must hold `n` elements.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn dot_vec<const KIND: u8>(n: usize, a: *const u8, b: *const f32) -> f32 {
    // SAFETY: forwarded.
    unsafe { dot_float_one::<KIND>(n, a, b.cast()) }
}

/// `y[i] = alpha · f32(x[i]) + y[i]` (fused, as [`crate::scalar::axpy_f16`]) for `y.len()` f16 at `x`.
///
/// # Safety
/// `x` must hold `y.len()` elements.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn axpy_f16(y: &mut [f32], alpha: f32, x: *const u8) {
    let n = y.len();
    let yp = y.as_mut_ptr();
    let av = vdupq_n_f32(alpha);
    let mut i = 0;
    // SAFETY: `i + 8 <= n` keeps both accesses inside the vectors.
    unsafe {
        while i + 8 <= n {
            let h = vld1q_u16(x.add(2 * i).cast());
            let y0 = vld1q_f32(yp.add(i));
            let y1 = vld1q_f32(yp.add(i + 4));
            vst1q_f32(yp.add(i), vfmaq_f32(y0, av, cvt_f16x4(vget_low_u16(h))));
            vst1q_f32(
                yp.add(i + 4),
                vfmaq_f32(y1, av, cvt_f16x4(vget_high_u16(h))),
            );
            i += 8;
        }
    }
    for j in i..n {
        // SAFETY: `j < n`.
        let xj = unsafe { fp16(x.add(2 * j)) };
        y[j] = alpha.mul_add(xj, y[j]);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Activation quantizers (bit-identical to the scalar ones)
// ---------------------------------------------------------------------------------------------------------

/// Quantizes an activation row.
///
/// # Safety
/// `dst` must hold `fmt.row_bytes(src.len())` bytes.
#[target_feature(enable = "neon")]
pub(crate) unsafe fn quantize_row(fmt: ActFormat, src: &[f32], dst: &mut [u8]) {
    let bl = fmt.block_len();
    let bb = fmt.block_bytes();
    assert!(src.len().is_multiple_of(bl) && dst.len() >= src.len() / bl * bb);
    for (x, y) in src.chunks_exact(bl).zip(dst.chunks_exact_mut(bb)) {
        match fmt {
            ActFormat::Q8_0 => q8_block::<false>(x, y),
            ActFormat::Q8_1 => q8_block::<true>(x, y),
            ActFormat::Q8K => q8k_block(x, y),
            ActFormat::F32 => crate::scalar::quantize_row(fmt, x, y),
        }
    }
}

/// Four i32 vectors (each value in i8 range) → sixteen bytes in element order.
#[inline]
#[target_feature(enable = "neon")]
fn narrow_i8x16(q: [int32x4_t; 4]) -> int8x16_t {
    let a = vcombine_s16(vqmovn_s32(q[0]), vqmovn_s32(q[1]));
    let b = vcombine_s16(vqmovn_s32(q[2]), vqmovn_s32(q[3]));
    vcombine_s8(vqmovn_s16(a), vqmovn_s16(b))
}

/// Q8_0 (`SUM = false`) or Q8_1 (`SUM = true`) block of 32 floats, as `quantize_block_q8_0/q8_1`.
#[target_feature(enable = "neon")]
fn q8_block<const SUM: bool>(x: &[f32], y: &mut [u8]) {
    let x = &x[..32];
    let y = &mut y[..if SUM { 36 } else { 34 }];
    let mut v = [vdupq_n_f32(0.0); 8];
    for (k, vk) in v.iter_mut().enumerate() {
        // SAFETY: `x` holds 32 floats.
        *vk = unsafe { vld1q_f32(x.as_ptr().add(4 * k)) };
    }
    let mut m = vabsq_f32(v[0]);
    for vk in &v[1..] {
        m = vmaxq_f32(m, vabsq_f32(*vk));
    }
    let amax = vmaxvq_f32(m);
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    let idv = vdupq_n_f32(id);
    let mut q = [vdupq_n_s32(0); 8];
    for k in 0..8 {
        // `fcvtas`: to nearest, ties away from zero, as `f32::round`.
        q[k] = vcvtaq_s32_f32(vmulq_f32(v[k], idv));
    }
    y[0..2].copy_from_slice(&half::f16::from_f32(d).to_bits().to_le_bytes());
    let off = if SUM { 4 } else { 2 };
    let lo = narrow_i8x16([q[0], q[1], q[2], q[3]]);
    let hi = narrow_i8x16([q[4], q[5], q[6], q[7]]);
    // SAFETY: `y` holds `off + 32` bytes.
    unsafe {
        vst1q_s8(y.as_mut_ptr().add(off).cast(), lo);
        vst1q_s8(y.as_mut_ptr().add(off + 16).cast(), hi);
    }
    if SUM {
        let s = i32::from(vaddlvq_s8(lo)) + i32::from(vaddlvq_s8(hi));
        y[2..4].copy_from_slice(&half::f16::from_f32(s as f32 * d).to_bits().to_le_bytes());
    }
}

/// Q8_K block of 256 floats, as `quantize_block_q8k`.
#[target_feature(enable = "neon")]
fn q8k_block(x: &[f32], y: &mut [u8]) {
    let x = &x[..QK_K];
    let y = &mut y[..292];
    let mut m = vdupq_n_f32(0.0);
    for c in x.chunks_exact(4) {
        // SAFETY: `c` holds four floats.
        m = vmaxq_f32(m, vabsq_f32(unsafe { vld1q_f32(c.as_ptr()) }));
    }
    let amax = vmaxvq_f32(m);
    if amax == 0.0 {
        y.fill(0);
        return;
    }
    // The signed value of the first element of largest magnitude, as the scalar scan finds it.
    let max = x.iter().copied().find(|v| v.abs() == amax).unwrap_or(amax);
    let iscale = -127.0f32 / max;
    let iv = vdupq_n_f32(iscale);
    let top = vdupq_n_s32(127);
    for (g, c) in x.chunks_exact(16).enumerate() {
        let mut q = [vdupq_n_s32(0); 4];
        for k in 0..4 {
            // SAFETY: `c` holds sixteen floats.
            let v = unsafe { vld1q_f32(c.as_ptr().add(4 * k)) };
            // `fcvtns`: to nearest, ties to even, as `round_ties_even`; then `min(127)`.
            q[k] = vminq_s32(vcvtnq_s32_f32(vmulq_f32(v, iv)), top);
        }
        let b = narrow_i8x16(q);
        // SAFETY: `y` holds 292 bytes; group `g < 16` writes bytes `4 + 16g .. 20 + 16g`.
        unsafe { vst1q_s8(y.as_mut_ptr().add(4 + 16 * g).cast(), b) };
        y[260 + 2 * g..262 + 2 * g].copy_from_slice(&vaddlvq_s8(b).to_le_bytes());
    }
    y[0..4].copy_from_slice(&(1.0 / iscale).to_le_bytes());
}

// ---------------------------------------------------------------------------------------------------------
// Integer dot products, once per level
// ---------------------------------------------------------------------------------------------------------

/// Expands, inside a level module, to the quantized dot kernels compiled with that module's
/// `#[target_feature]` list. The module must first define, with the same list,
/// `fn dot_i8(acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t`: `acc` plus the sixteen exact
/// products `a[i]·b[i]` summed into the four i32 lanes (which products land in which lane is the level's
/// business; only lane totals are used).
macro_rules! neon_int_kernels {
    ($feat:literal) => {
        use std::arch::aarch64::*;

        use $crate::format::{QK_K, WeightFormat};
        use $crate::scalar::MAX_TOK;

        use super::{
            Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, dot_float_one, fp16, ld_s8, mins_dot, nibbles, rd_f32,
            scales_mins_k4, supports_dot, unpack_b32,
        };

        /// `out[t] = dot(w, acts[t])` for up to [`MAX_TOK`] activation rows.
        ///
        /// # Safety
        /// The CPU must support this module's features; `w` must hold a whole row of `n` elements and every
        /// `acts[t]` a whole `fmt.act_format()` row; `acts.len() <= MAX_TOK <= out.len()`. Formats without
        /// a kernel here (`!supports_dot(fmt)`) panic.
        pub(crate) unsafe fn dot_multi(
            fmt: WeightFormat,
            n: usize,
            w: &[u8],
            acts: &[&[u8]],
            out: &mut [f32],
        ) {
            assert!(
                supports_dot(fmt) && acts.len() <= MAX_TOK && out.len() >= acts.len(),
                "neon dot_multi: {fmt} or {} rows not supported",
                acts.len()
            );
            // SAFETY: forwarded preconditions.
            unsafe {
                match acts.len() {
                    0 => {}
                    1 => dot_nt::<1>(fmt, n, w, acts, out),
                    2 => dot_nt::<2>(fmt, n, w, acts, out),
                    3 => dot_nt::<3>(fmt, n, w, acts, out),
                    _ => dot_nt::<4>(fmt, n, w, acts, out),
                }
            }
        }

        #[target_feature(enable = $feat)]
        unsafe fn dot_nt<const NT: usize>(
            fmt: WeightFormat,
            n: usize,
            w: &[u8],
            acts: &[&[u8]],
            out: &mut [f32],
        ) {
            let mut a = [std::ptr::null::<u8>(); NT];
            for t in 0..NT {
                a[t] = acts[t].as_ptr();
            }
            let w = w.as_ptr();
            // SAFETY: the caller guarantees whole rows of `n` elements behind `w` and every `a[t]`.
            let r = unsafe {
                match fmt {
                    WeightFormat::F32 => dot_float::<NT, 0>(n, w, a),
                    WeightFormat::F16 => dot_float::<NT, 1>(n, w, a),
                    WeightFormat::BF16 => dot_float::<NT, 2>(n, w, a),
                    WeightFormat::Q4_0 => dot_b32::<NT, Q4_0>(n / 32, w, a),
                    WeightFormat::Q4_1 => dot_b32::<NT, Q4_1>(n / 32, w, a),
                    WeightFormat::Q5_0 => dot_b32::<NT, Q5_0>(n / 32, w, a),
                    WeightFormat::Q5_1 => dot_b32::<NT, Q5_1>(n / 32, w, a),
                    WeightFormat::Q8_0 => dot_b32::<NT, Q8_0>(n / 32, w, a),
                    WeightFormat::Q4K => dot_q45k::<NT, false>(n / QK_K, w, a),
                    WeightFormat::Q5K => dot_q45k::<NT, true>(n / QK_K, w, a),
                    WeightFormat::Q6K => dot_q6k::<NT>(n / QK_K, w, a),
                    WeightFormat::Q2K | WeightFormat::Q3K => {
                        unreachable!("checked by dot_multi")
                    }
                }
            };
            out[..NT].copy_from_slice(&r);
        }

        /// The float formats, token by token (bit-identical to the scalar twin).
        ///
        /// # Safety
        /// Whole rows of `n` elements behind `w` and every `a[t]`.
        #[target_feature(enable = $feat)]
        unsafe fn dot_float<const NT: usize, const KIND: u8>(
            n: usize,
            w: *const u8,
            a: [*const u8; NT],
        ) -> [f32; NT] {
            let mut out = [0.0f32; NT];
            for t in 0..NT {
                // SAFETY: forwarded.
                out[t] = unsafe { dot_float_one::<KIND>(n, w, a[t]) };
            }
            out
        }

        /// The 32-element formats: exact block sums, then the scalar twin's float expression per block, in
        /// block order (bit-identical to it).
        ///
        /// # Safety
        /// Whole rows of `nb` blocks behind `w` and every `a[t]`.
        #[target_feature(enable = $feat)]
        unsafe fn dot_b32<const NT: usize, const F: u8>(
            nb: usize,
            w: *const u8,
            a: [*const u8; NT],
        ) -> [f32; NT] {
            let bb = [18, 22, 34, 20, 24][F as usize];
            let with_min = F == Q4_1 || F == Q5_1;
            let ab = if with_min { 36 } else { 34 };
            let aq = if with_min { 4 } else { 2 };
            let mut sumf = [0.0f32; NT];
            for ib in 0..nb {
                // SAFETY: block `ib < nb` lies inside every row.
                unsafe {
                    let b = w.add(ib * bb);
                    let dx = fp16(b);
                    let (q0, q1) = unpack_b32::<F>(b);
                    for t in 0..NT {
                        let y = a[t].add(ib * ab);
                        let p = dot_i8(vdupq_n_s32(0), q0, ld_s8(y.add(aq)));
                        let p = dot_i8(p, q1, ld_s8(y.add(aq + 16)));
                        let sumi = vaddvq_s32(p) as f32;
                        let dy = fp16(y);
                        sumf[t] += match F {
                            Q4_0 => sumi * dx * dy,
                            Q5_0 => (dx * dy) * sumi,
                            Q8_0 => sumi * (dx * dy),
                            _ => (dx * dy) * sumi + fp16(b.add(2)) * fp16(y.add(2)),
                        };
                    }
                }
            }
            sumf
        }

        /// Q4_K (`HIGH = false`) and Q5_K (`HIGH = true`) against Q8_K: one exact i32 per block for the
        /// scaled quants and one for the mins.
        ///
        /// # Safety
        /// Whole rows of `nb` blocks behind `w` and every `a[t]`.
        #[target_feature(enable = $feat)]
        unsafe fn dot_q45k<const NT: usize, const HIGH: bool>(
            nb: usize,
            w: *const u8,
            a: [*const u8; NT],
        ) -> [f32; NT] {
            let bb = if HIGH { 176 } else { 144 };
            let qs_off = if HIGH { 48 } else { 16 };
            let mut acc = [0.0f32; NT];
            let mut accm = [0.0f32; NT];
            for ib in 0..nb {
                // SAFETY: block `ib < nb` lies inside every row.
                unsafe {
                    let b = w.add(ib * bb);
                    let dx = fp16(b);
                    let dminx = fp16(b.add(2));
                    let (sc, mins) = scales_mins_k4(b.add(4));
                    let mut sumi = [vdupq_n_s32(0); NT];
                    for j in 0..4 {
                        for h in 0..2 {
                            // Elements 64j + 16h .. +16 (low nibbles) and 64j + 32 + 16h .. +16 (high).
                            let (mut lo, mut hi) = nibbles(b.add(qs_off + 32 * j + 16 * h));
                            if HIGH {
                                let qh = vld1q_u8(b.add(16 + 16 * h));
                                let b4 = vdupq_n_u8(0x10);
                                let m1 = vdupq_n_u8(1 << (2 * j));
                                let m2 = vdupq_n_u8(2 << (2 * j));
                                lo = vorrq_u8(lo, vandq_u8(vtstq_u8(qh, m1), b4));
                                hi = vorrq_u8(hi, vandq_u8(vtstq_u8(qh, m2), b4));
                            }
                            let (lo, hi) = (vreinterpretq_s8_u8(lo), vreinterpretq_s8_u8(hi));
                            for t in 0..NT {
                                let y = a[t].add(ib * 292 + 4 + 64 * j + 16 * h);
                                let pl = dot_i8(vdupq_n_s32(0), lo, ld_s8(y));
                                let ph = dot_i8(vdupq_n_s32(0), hi, ld_s8(y.add(32)));
                                sumi[t] = vmlaq_n_s32(sumi[t], pl, i32::from(sc[2 * j]));
                                sumi[t] = vmlaq_n_s32(sumi[t], ph, i32::from(sc[2 * j + 1]));
                            }
                        }
                    }
                    for t in 0..NT {
                        let y = a[t].add(ib * 292);
                        let yd = rd_f32(y);
                        let summ = mins_dot(y.add(260), mins);
                        acc[t] += (dx * yd) * vaddvq_s32(sumi[t]) as f32;
                        accm[t] += (dminx * yd) * summ as f32;
                    }
                }
            }
            let mut out = [0.0f32; NT];
            for t in 0..NT {
                out[t] = acc[t] - accm[t];
            }
            out
        }

        /// Q6_K against Q8_K: the quants unbiased in i8 (-32..=31), one exact i32 per block.
        ///
        /// # Safety
        /// Whole rows of `nb` blocks behind `w` and every `a[t]`.
        #[target_feature(enable = $feat)]
        unsafe fn dot_q6k<const NT: usize>(
            nb: usize,
            w: *const u8,
            a: [*const u8; NT],
        ) -> [f32; NT] {
            let mut acc = [0.0f32; NT];
            let m4 = vdupq_n_u8(0x0F);
            let m3 = vdupq_n_u8(0x03);
            let m32 = vdupq_n_s8(32);
            for ib in 0..nb {
                // SAFETY: block `ib < nb` lies inside every row.
                unsafe {
                    let b = w.add(ib * 210);
                    let dx = fp16(b.add(208));
                    let scp = b.add(192).cast::<i8>();
                    let mut sumi = [vdupq_n_s32(0); NT];
                    for half in 0..2 {
                        for c in 0..2 {
                            let l1 = vld1q_u8(b.add(64 * half + 16 * c));
                            let l2 = vld1q_u8(b.add(64 * half + 32 + 16 * c));
                            let qh = vld1q_u8(b.add(128 + 32 * half + 16 * c));
                            let q = [
                                vorrq_u8(vandq_u8(l1, m4), vshlq_n_u8::<4>(vandq_u8(qh, m3))),
                                vorrq_u8(
                                    vandq_u8(l2, m4),
                                    vshlq_n_u8::<4>(vandq_u8(vshrq_n_u8::<2>(qh), m3)),
                                ),
                                vorrq_u8(
                                    vshrq_n_u8::<4>(l1),
                                    vshlq_n_u8::<4>(vandq_u8(vshrq_n_u8::<4>(qh), m3)),
                                ),
                                vorrq_u8(vshrq_n_u8::<4>(l2), vshlq_n_u8::<4>(vshrq_n_u8::<6>(qh))),
                            ];
                            for (k, qk) in q.iter().enumerate() {
                                let qk = vsubq_s8(vreinterpretq_s8_u8(*qk), m32);
                                // Elements 128·half + 32k + 16c .. +16: group 8·half + 2k + c.
                                let sc = i32::from(*scp.add(8 * half + 2 * k + c));
                                for t in 0..NT {
                                    let y = a[t].add(ib * 292 + 4 + 128 * half + 32 * k + 16 * c);
                                    let p = dot_i8(vdupq_n_s32(0), qk, ld_s8(y));
                                    sumi[t] = vmlaq_n_s32(sumi[t], p, sc);
                                }
                            }
                        }
                    }
                    for t in 0..NT {
                        let yd = rd_f32(a[t].add(ib * 292));
                        acc[t] += (dx * yd) * vaddvq_s32(sumi[t]) as f32;
                    }
                }
            }
            acc
        }
    };
}

/// Plain NEON: products through `smull`/`smull2`, pair sums into i32 lanes through `sadalp`.
pub(crate) mod plain {
    use std::arch::aarch64::{
        int8x16_t, int32x4_t, vget_low_s8, vmull_high_s8, vmull_s8, vpadalq_s16,
    };

    /// `acc` + the sixteen products `a[i]·b[i]` (each fits an i16: |·| ≤ 128·128), pairs summed into lanes.
    #[inline]
    #[target_feature(enable = "neon")]
    fn dot_i8(acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t {
        let lo = vmull_s8(vget_low_s8(a), vget_low_s8(b));
        let hi = vmull_high_s8(a, b);
        vpadalq_s16(vpadalq_s16(acc, lo), hi)
    }

    neon_int_kernels!("neon");
}

/// NEON with the dot-product extension: `sdot` (four products per i32 lane, one instruction).
pub(crate) mod dot {
    use std::arch::aarch64::{int8x16_t, int32x4_t};

    /// `acc` + the sixteen products `a[i]·b[i]`, four per lane (`sdot`).
    #[inline]
    #[target_feature(enable = "neon,dotprod")]
    fn dot_i8(mut acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t {
        // SAFETY: `sdot` only reads and writes registers; `dotprod` is enabled for this function (and the
        // dispatcher only calls this module after detecting it).
        unsafe {
            std::arch::asm!(
                "sdot {acc:v}.4s, {a:v}.16b, {b:v}.16b",
                acc = inout(vreg) acc,
                a = in(vreg) a,
                b = in(vreg) b,
                options(pure, nomem, nostack, preserves_flags),
            );
        }
        acc
    }

    neon_int_kernels!("neon,dotprod");
}
