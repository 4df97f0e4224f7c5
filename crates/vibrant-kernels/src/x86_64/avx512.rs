//! AVX-512 F/BW/VL + VNNI kernels.
//!
//! The 256-bit bodies of `kernels256.rs` with `vpdpbusd`/`vpdpwssd` doing the integer dot products (one
//! instruction instead of three), plus 512-bit kernels for the K-quants that dominate common models (Q4_K,
//! Q5_K, Q6_K): each `zmm` covers 64 elements, halving the instructions per weight.

// The intrinsics, `WeightFormat` and `QK_K` come from the `x86_kernels!` expansion at the end of the file.

/// `acc` + Σ of each group of four unsigned × signed byte products (`vpdpbusd`, no intermediate saturation).
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
fn dot_u8i8(acc: __m256i, u: __m256i, s: __m256i) -> __m256i {
    _mm256_dpbusd_epi32(acc, u, s)
}

/// `acc` + pairwise i16 products summed into i32 lanes (`vpdpwssd`).
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
fn madd_i16(acc: __m256i, a: __m256i, b: __m256i) -> __m256i {
    _mm256_dpwssd_epi32(acc, a, b)
}

/// The 512-bit kernels of this level, `None` for the formats left to the 256-bit bodies.
///
/// # Safety
/// The CPU must support this module's features; `w` and every `a[t]` must hold whole rows of `n` elements.
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn wide_dot<const NT: usize>(
    fmt: WeightFormat,
    n: usize,
    w: *const u8,
    a: [*const u8; NT],
) -> Option<[f32; NT]> {
    // SAFETY: forwarded preconditions.
    unsafe {
        match fmt {
            WeightFormat::Q4K => Some(dot_q45k_512::<NT, false>(n / QK_K, w, a)),
            WeightFormat::Q5K => Some(dot_q45k_512::<NT, true>(n / QK_K, w, a)),
            WeightFormat::Q6K => Some(dot_q6k_512::<NT>(n / QK_K, w, a)),
            WeightFormat::Q4_0 => Some(dot_b32_512::<NT, Q4_0>(n / 32, w, a)),
            WeightFormat::Q5_0 => Some(dot_b32_512::<NT, Q5_0>(n / 32, w, a)),
            WeightFormat::Q8_0 => Some(dot_b32_512::<NT, Q8_0>(n / 32, w, a)),
            WeightFormat::Q4_1 => Some(dot_b32_512::<NT, Q4_1>(n / 32, w, a)),
            WeightFormat::Q5_1 => Some(dot_b32_512::<NT, Q5_1>(n / 32, w, a)),
            _ => None,
        }
    }
}

#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn load512(p: *const u8) -> __m512i {
    // SAFETY: the caller guarantees 64 readable bytes at `p`.
    unsafe { _mm512_loadu_si512(p.cast()) }
}

/// Q4_K (`HIGH = false`) and Q5_K (`HIGH = true`) against Q8_K, 64 elements per vector: the low and high
/// nibbles of 32 bytes are elements `64j..64j+32` and `64j+32..64j+64` (Q5_K: plus bits 2j and 2j+1 of
/// `qh`), so one `zmm` of weights matches 64 contiguous activation bytes.
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn dot_q45k_512<const NT: usize, const HIGH: bool>(
    nb: usize,
    w: *const u8,
    a: [*const u8; NT],
) -> [f32; NT] {
    let bb = if HIGH { 176 } else { 144 };
    let qs_off = if HIGH { 48 } else { 16 };
    let one = _mm256_set1_epi8(1);
    let mut acc = [_mm512_setzero_ps(); NT];
    let mut accm = [_mm256_setzero_ps(); NT];
    let m4 = _mm256_set1_epi8(0x0F);
    let idx0 = _mm512_inserti64x4::<1>(_mm512_setzero_si512(), _mm256_set1_epi16(1));
    let two = _mm512_set1_epi16(2);
    for ib in 0..nb {
        // SAFETY: block `ib < nb` lies inside every row.
        unsafe {
            let b = w.add(ib * bb);
            let dx = fp16(b);
            let dminx = fp16(b.add(2));
            let (sc, mins) = scales_mins_k4(b.add(4));
            // Each min twice: `vpmaddwd` with the 16 bsums then gives min_i · (bsum_2i + bsum_2i+1).
            let m8 = _mm_set_epi64x(0, mins as i64);
            let mins16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m8, m8));
            let sc512 = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_set_epi64x(
                0,
                u64::from_le_bytes(sc) as i64,
            )));
            let qh = if HIGH {
                _mm256_loadu_si256(b.add(16).cast())
            } else {
                _mm256_setzero_si256()
            };
            let mut idx = idx0;
            let mut sumi = [_mm512_setzero_si512(); NT];
            for j in 0..4 {
                let q = _mm256_loadu_si256(b.add(qs_off + 32 * j).cast());
                let mut lo = _mm256_and_si256(q, m4);
                let mut hi = _mm256_and_si256(_mm256_srli_epi16::<4>(q), m4);
                if HIGH {
                    let h0 = _mm256_and_si256(
                        _mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * j as i32)),
                        one,
                    );
                    let h1 = _mm256_and_si256(
                        _mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * j as i32 + 1)),
                        one,
                    );
                    lo = _mm256_or_si256(lo, _mm256_slli_epi16::<4>(h0));
                    hi = _mm256_or_si256(hi, _mm256_slli_epi16::<4>(h1));
                }
                let qz = _mm512_inserti64x4::<1>(_mm512_castsi256_si512(lo), hi);
                // Scale 2j in the low 256 bits (elements 64j..64j+32), 2j+1 in the high 256 bits.
                let s = _mm512_permutexvar_epi16(idx, sc512);
                idx = _mm512_add_epi16(idx, two);
                for t in 0..NT {
                    let p = _mm512_maddubs_epi16(qz, load512(a[t].add(ib * 292 + 4 + 64 * j)));
                    sumi[t] = _mm512_dpwssd_epi32(sumi[t], s, p);
                }
            }
            for t in 0..NT {
                let y = a[t].add(ib * 292);
                let yd = y.cast::<f32>().read_unaligned();
                let prod = _mm256_madd_epi16(mins16, _mm256_loadu_si256(y.add(260).cast()));
                accm[t] = _mm256_fmadd_ps(
                    _mm256_set1_ps(dminx * yd),
                    _mm256_cvtepi32_ps(prod),
                    accm[t],
                );
                acc[t] =
                    _mm512_fmadd_ps(_mm512_set1_ps(dx * yd), _mm512_cvtepi32_ps(sumi[t]), acc[t]);
            }
        }
    }
    let mut out = [0.0f32; NT];
    for t in 0..NT {
        out[t] = _mm512_reduce_add_ps(acc[t]) - hsum(accm[t]);
    }
    out
}

/// One 32-element weight block → 32 quants: signed for Q4_0/Q5_0/Q8_0, unsigned for Q4_1/Q5_1 (the
/// high bits of Q5_0/Q5_1 through mask moves).
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn unpack_b32_512<const F: u8>(b: *const u8) -> __m256i {
    // SAFETY: the caller guarantees a whole block at `b`.
    unsafe {
        match F {
            Q4_0 => _mm256_sub_epi8(nibbles(b.add(2)), _mm256_set1_epi8(8)),
            Q5_0 => {
                // nibble | (bit ? 0x00 : 0xF0), read as i8, is (nibble | bit << 4) - 16.
                let qh = b.add(2).cast::<u32>().read_unaligned();
                let lo = nibbles(b.add(6));
                _mm256_mask_mov_epi8(_mm256_or_si256(lo, _mm256_set1_epi8(0xF0_u8 as i8)), qh, lo)
            }
            Q8_0 => load(b.add(2)),
            Q4_1 => nibbles(b.add(4)),
            _ => {
                let qh = b.add(4).cast::<u32>().read_unaligned();
                let lo = nibbles(b.add(8));
                _mm256_mask_mov_epi8(lo, qh, _mm256_or_si256(lo, _mm256_set1_epi8(0x10)))
            }
        }
    }
}

/// Two 32-byte rows at `p` and `p + stride` as one `zmm`.
#[inline]
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn load2x256(p: *const u8, stride: usize) -> __m512i {
    // SAFETY: the caller guarantees 32 readable bytes at both addresses.
    unsafe { _mm512_inserti64x4::<1>(_mm512_castsi256_si512(load(p)), load(p.add(stride))) }
}

/// The 32-element formats, four blocks per step (two per `zmm`): the per-block scales are converted four at a
/// time and spread over the lanes with one permute, instead of a scalar conversion and broadcast per block.
/// Leftover blocks (fewer than four) go through the 256-bit body.
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn dot_b32_512<const NT: usize, const F: u8>(
    nb: usize,
    w: *const u8,
    a: [*const u8; NT],
) -> [f32; NT] {
    let bb = [18, 22, 34, 20, 24][F as usize];
    let with_min = F == Q4_1 || F == Q5_1;
    let ab = if with_min { 36 } else { 34 };
    let aq = if with_min { 4 } else { 2 };
    let signed = !with_min;
    let mut acc = [_mm512_setzero_ps(); NT];
    let mut accm = [_mm_setzero_ps(); NT];
    let idx01 = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    let idx23 = _mm512_set_epi32(3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2);
    let nb4 = nb / 4 * 4;
    let mut ib = 0;
    while ib < nb4 {
        // SAFETY: blocks `ib..ib + 4 <= nb` lie inside every row.
        unsafe {
            let b = w.add(ib * bb);
            let w01 = _mm512_inserti64x4::<1>(
                _mm512_castsi256_si512(unpack_b32_512::<F>(b)),
                unpack_b32_512::<F>(b.add(bb)),
            );
            let w23 = _mm512_inserti64x4::<1>(
                _mm512_castsi256_si512(unpack_b32_512::<F>(b.add(2 * bb))),
                unpack_b32_512::<F>(b.add(3 * bb)),
            );
            // Signed quants go through |x| · sign(y, x), as `vpdpbusd` multiplies unsigned by signed.
            let (u01, u23) = if signed {
                (_mm512_abs_epi8(w01), _mm512_abs_epi8(w23))
            } else {
                (w01, w23)
            };
            let n01 = _mm512_movepi8_mask(w01);
            let n23 = _mm512_movepi8_mask(w23);
            let dx = fp16x4(b, bb);
            let mx = if with_min {
                fp16x4(b.add(2), bb)
            } else {
                _mm_setzero_ps()
            };
            for t in 0..NT {
                let y = a[t].add(ib * ab);
                let mut y01 = load2x256(y.add(aq), ab);
                let mut y23 = load2x256(y.add(aq + 2 * ab), ab);
                if signed {
                    y01 = _mm512_mask_sub_epi8(y01, n01, _mm512_setzero_si512(), y01);
                    y23 = _mm512_mask_sub_epi8(y23, n23, _mm512_setzero_si512(), y23);
                }
                let s01 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u01, y01);
                let s23 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u23, y23);
                let d = _mm512_castps128_ps512(_mm_mul_ps(dx, fp16x4(y, ab)));
                acc[t] = _mm512_fmadd_ps(
                    _mm512_permutexvar_ps(idx01, d),
                    _mm512_cvtepi32_ps(s01),
                    acc[t],
                );
                acc[t] = _mm512_fmadd_ps(
                    _mm512_permutexvar_ps(idx23, d),
                    _mm512_cvtepi32_ps(s23),
                    acc[t],
                );
                if with_min {
                    accm[t] = _mm_fmadd_ps(mx, fp16x4(y.add(2), ab), accm[t]);
                }
            }
        }
        ib += 4;
    }
    let tail = if nb4 < nb {
        let mut at = a;
        for t in 0..NT {
            // SAFETY: `nb4 < nb` blocks in, still inside every row.
            at[t] = unsafe { a[t].add(nb4 * ab) };
        }
        // SAFETY: the remaining `nb - nb4` whole blocks of every row.
        unsafe {
            let wt = w.add(nb4 * bb);
            match F {
                Q4_0 => dot_q4_0::<NT>(nb - nb4, wt, at),
                Q5_0 => dot_q5_0::<NT>(nb - nb4, wt, at),
                Q8_0 => dot_q8_0::<NT>(nb - nb4, wt, at),
                Q4_1 => dot_q4_1::<NT>(nb - nb4, wt, at),
                _ => dot_q5_1::<NT>(nb - nb4, wt, at),
            }
        }
    } else {
        [0.0; NT]
    };
    let mut out = [0.0f32; NT];
    for t in 0..NT {
        let m = _mm_add_ps(accm[t], _mm_movehl_ps(accm[t], accm[t]));
        let m = _mm_add_ss(m, _mm_movehdup_ps(m));
        out[t] = _mm512_reduce_add_ps(acc[t]) + _mm_cvtss_f32(m) + tail[t];
    }
    out
}

/// Q6_K against Q8_K, 64 elements per vector: `ql[0..64]` holds the low nibbles of elements 0..64 (low
/// nibbles) and 64..128 (high nibbles) of each 128-element half; the two high bits come from `qh[0..32]`
/// shifted by 0/2 (first vector) and 4/6 (second vector).
#[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn dot_q6k_512<const NT: usize>(nb: usize, w: *const u8, a: [*const u8; NT]) -> [f32; NT] {
    let mut acc = [_mm512_setzero_ps(); NT];
    let m4 = _mm512_set1_epi8(0x0F);
    let m3 = _mm512_set1_epi8(0x03);
    // Per-256-bit-half shift counts for the high bits (i16 lanes: low half, high half).
    let sh01 = _mm512_inserti64x4::<1>(_mm512_setzero_si512(), _mm256_set1_epi16(2));
    let sh23 = _mm512_inserti64x4::<1>(
        _mm512_castsi256_si512(_mm256_set1_epi16(4)),
        _mm256_set1_epi16(6),
    );
    // Lane i (i16) of the scale vector for groups g..g+4 takes scale g + i/8.
    let idx_lo = _mm512_set_epi16(
        3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
        0, 0,
    );
    let four = _mm512_set1_epi16(4);
    for ib in 0..nb {
        // SAFETY: block `ib < nb` lies inside every row.
        unsafe {
            let b = w.add(ib * 210);
            let dx = fp16(b.add(208));
            let sc128 = _mm_loadu_si128(b.add(192).cast());
            let sc16 = _mm256_cvtepi8_epi16(sc128);
            let sc512 = _mm512_castsi256_si512(sc16);
            // Biased quants: Σ sc·(q-32)·y = Σ sc·q·y - 32·Σ_g sc_g·bsum_g.
            let mut sumi = [_mm512_setzero_si512(); NT];
            let mut corr = [_mm256_setzero_si256(); NT];
            for t in 0..NT {
                let c =
                    _mm256_madd_epi16(sc16, _mm256_loadu_si256(a[t].add(ib * 292 + 260).cast()));
                corr[t] = _mm256_slli_epi32::<5>(c);
            }
            let mut idx = idx_lo;
            for half in 0..2 {
                let ql = load512(b.add(64 * half));
                let qh = _mm512_broadcast_i64x4(_mm256_loadu_si256(b.add(128 + 32 * half).cast()));
                let h01 = _mm512_slli_epi16::<4>(_mm512_and_si512(_mm512_srlv_epi16(qh, sh01), m3));
                let h23 = _mm512_slli_epi16::<4>(_mm512_and_si512(_mm512_srlv_epi16(qh, sh23), m3));
                let q01 = _mm512_or_si512(_mm512_and_si512(ql, m4), h01);
                let q23 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16::<4>(ql), m4), h23);
                for (k, qk) in [q01, q23].iter().enumerate() {
                    let s = _mm512_permutexvar_epi16(idx, sc512);
                    idx = _mm512_add_epi16(idx, four);
                    for t in 0..NT {
                        let y = load512(a[t].add(ib * 292 + 4 + 128 * half + 64 * k));
                        sumi[t] = _mm512_dpwssd_epi32(sumi[t], s, _mm512_maddubs_epi16(*qk, y));
                    }
                }
            }
            for t in 0..NT {
                let yd = a[t].add(ib * 292).cast::<f32>().read_unaligned();
                let si = _mm512_sub_epi32(sumi[t], _mm512_zextsi256_si512(corr[t]));
                acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(dx * yd), _mm512_cvtepi32_ps(si), acc[t]);
            }
        }
    }
    let mut out = [0.0f32; NT];
    for t in 0..NT {
        out[t] = _mm512_reduce_add_ps(acc[t]);
    }
    out
}

x86_kernels!("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni");
