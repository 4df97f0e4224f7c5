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
