//! The 256-bit kernel bodies shared by the AVX2 and AVX-512 levels.
//!
//! [`x86_kernels!`] expands, inside an ISA module, to the dot products and activation quantizers compiled with
//! that module's `#[target_feature]` list. The module must first define the integer primitives the bodies
//! use, with the same feature list:
//!
//! * `fn dot_u8i8(acc: __m256i, u: __m256i, s: __m256i) -> __m256i`: `acc` + Σ of each group of four
//!   unsigned × signed byte products into the eight i32 lanes (AVX2: `vpmaddubsw` + `vpmaddwd` + add; VNNI:
//!   `vpdpbusd`). The callers keep `u ≤ 128` and `|s| ≤ 127`, where the AVX2 pair sums cannot saturate.
//! * `fn madd_i16(acc: __m256i, a: __m256i, b: __m256i) -> __m256i`: `acc` + pairwise i16 products summed
//!   into i32 lanes (AVX2: `vpmaddwd` + add; VNNI: `vpdpwssd`).
//! * `unsafe fn wide_dot<const NT: usize>(fmt, n, w: *const u8, a: [*const u8; NT]) -> Option<[f32; NT]>`:
//!   the level's own (wider) kernel for `fmt`, or `None` to use the 256-bit body (same safety contract as
//!   the bodies: whole rows behind every pointer).
//!
//! Every kernel reproduces the integer part of its scalar twin exactly; only the order of the float
//! additions differs (per-lane accumulators, reduced at the end).

macro_rules! x86_kernels {
    ($feat:literal) => {
        use std::arch::x86_64::*;

        use $crate::format::{ActFormat, QK_K, WeightFormat};
        use $crate::scalar::MAX_TOK;

        /// Formats with a dot kernel at this level.
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
                    | WeightFormat::Q2K
                    | WeightFormat::Q3K
                    | WeightFormat::Q4K
                    | WeightFormat::Q5K
                    | WeightFormat::Q6K
            )
        }

        /// Activation formats with a quantizer at this level.
        pub(crate) fn supports_quantize(fmt: ActFormat) -> bool {
            matches!(fmt, ActFormat::Q8_0 | ActFormat::Q8_1 | ActFormat::Q8K)
        }

        /// `out[t] = dot(w, acts[t])` for up to [`MAX_TOK`] activation rows.
        ///
        /// # Safety
        /// The CPU must support this module's features; `supports_dot(fmt)`; `w` must hold a whole row of `n`
        /// elements and every `acts[t]` a whole `fmt.act_format()` row; `acts.len() <= MAX_TOK <= out.len()`.
        pub(crate) unsafe fn dot_multi(
            fmt: WeightFormat,
            n: usize,
            w: &[u8],
            acts: &[&[u8]],
            out: &mut [f32],
        ) {
            debug_assert!(supports_dot(fmt) && acts.len() <= MAX_TOK && out.len() >= acts.len());
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
            if let Some(r) = unsafe { wide_dot::<NT>(fmt, n, w, a) } {
                out[..NT].copy_from_slice(&r);
                return;
            }
            // SAFETY: as above.
            let r = unsafe {
                match fmt {
                    WeightFormat::F32 => dot_float::<NT, 0>(n, w, a),
                    WeightFormat::F16 => dot_float::<NT, 1>(n, w, a),
                    WeightFormat::BF16 => dot_float::<NT, 2>(n, w, a),
                    WeightFormat::Q4_0 => dot_b32::<NT, Q4_0>(n / 32, w, a),
                    WeightFormat::Q4_1 => dot_b32::<NT, Q4_1>(n / 32, w, a),
                    WeightFormat::Q5_0 => dot_b32::<NT, Q5_0>(n / 32, w, a),
                    WeightFormat::Q8_0 => dot_b32::<NT, Q8_0>(n / 32, w, a),
                    WeightFormat::Q4K => dot_q45k::<NT, false>(n / QK_K, w, a),
                    WeightFormat::Q5K => dot_q45k::<NT, true>(n / QK_K, w, a),
                    WeightFormat::Q6K => dot_q6k::<NT>(n / QK_K, w, a),
                    WeightFormat::Q5_1 => dot_b32::<NT, Q5_1>(n / 32, w, a),
                    WeightFormat::Q2K => dot_q2k::<NT>(n / QK_K, w, a),
                    WeightFormat::Q3K => dot_q3k::<NT>(n / QK_K, w, a),
                }
            };
            out[..NT].copy_from_slice(&r);
        }

        /// Σ a[i]·b[i] over `n` f32 (`KIND` 0) or f16 (`KIND` 1) elements of `a` and f32 elements of `b`.
        ///
        /// # Safety
        /// The CPU must support this module's features; `a` and `b` must hold `n` elements.
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn dot_vec<const KIND: u8>(n: usize, a: *const u8, b: *const f32) -> f32 {
            // SAFETY: forwarded.
            unsafe { dot_float::<1, KIND>(n, a, [b.cast::<u8>()])[0] }
        }

        /// `y[i] = alpha · f32(x[i]) + y[i]` (fused) for `y.len()` f16 elements at `x`.
        ///
        /// # Safety
        /// The CPU must support this module's features; `x` must hold `y.len()` elements.
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn axpy_f16(y: &mut [f32], alpha: f32, x: *const u8) {
            let n = y.len();
            let av = _mm256_set1_ps(alpha);
            let yp = y.as_mut_ptr();
            let mut i = 0;
            // SAFETY: `i + 8 <= n` keeps both accesses inside the vectors.
            unsafe {
                while i + 8 <= n {
                    let xv = _mm256_cvtph_ps(load128(x.add(2 * i)));
                    let yv = _mm256_loadu_ps(yp.add(i));
                    _mm256_storeu_ps(yp.add(i), _mm256_fmadd_ps(av, xv, yv));
                    i += 8;
                }
            }
            for j in i..n {
                // SAFETY: `j < n`.
                let xj = half::f16::from_bits(unsafe { x.add(2 * j).cast::<u16>().read_unaligned() }).to_f32();
                y[j] = alpha.mul_add(xj, y[j]);
            }
        }

        /// `y[i] = f16(fma(f32(x[i]), v, f32(y[i])))` (`MUL = false`) or `y[i] = f16(f32(y[i]) · v)`
        /// (`MUL = true`, `x` unused) over `n` f16 elements, rounding to nearest even as the scalar twins.
        ///
        /// # Safety
        /// The CPU must support this module's features; `y` (and `x` unless `MUL`) must hold `n` elements.
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn f16_update<const MUL: bool>(n: usize, y: *mut u8, x: *const u8, v: f32) {
            let vv = _mm256_set1_ps(v);
            let mut i = 0;
            // SAFETY: `i + 8 <= n` keeps every access inside the vectors.
            unsafe {
                while i + 8 <= n {
                    let yv = _mm256_cvtph_ps(load128(y.add(2 * i)));
                    let r = if MUL {
                        _mm256_mul_ps(yv, vv)
                    } else {
                        _mm256_fmadd_ps(_mm256_cvtph_ps(load128(x.add(2 * i))), vv, yv)
                    };
                    let h = _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(r);
                    _mm_storeu_si128(y.add(2 * i).cast(), h);
                    i += 8;
                }
            }
            for j in i..n {
                // SAFETY: `j < n`.
                unsafe {
                    let yp = y.add(2 * j).cast::<u16>();
                    let yj = half::f16::from_bits(yp.read_unaligned()).to_f32();
                    let r = if MUL {
                        yj * v
                    } else {
                        half::f16::from_bits(x.add(2 * j).cast::<u16>().read_unaligned()).to_f32().mul_add(v, yj)
                    };
                    yp.write_unaligned(half::f16::from_f32(r).to_bits());
                }
            }
        }

        // ----------------------------------------------------------------------------------------------
        // Helpers
        // ----------------------------------------------------------------------------------------------

        #[inline]
        #[target_feature(enable = $feat)]
        fn hsum(v: __m256) -> f32 {
            let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            let s = _mm_add_ss(s, _mm_movehdup_ps(s));
            _mm_cvtss_f32(s)
        }

        #[inline]
        #[target_feature(enable = $feat)]
        fn hsum_i32(v: __m256i) -> i32 {
            let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
            let s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
            let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01>(s));
            _mm_cvtsi128_si32(s)
        }

        /// f16 at `p` → f32 (F16C `vcvtph2ps`, exact).
        ///
        /// Written as two instructions of inline assembly on purpose: through the intrinsics LLVM narrows the
        /// conversion to a `vpinsrw` that merges into whatever register it believes free, and it picked live
        /// accumulators — a false dependency that serialized the block loops (3.5× slower Q4_0). `vmovd`
        /// zeroes the rest of the register, so nothing depends on earlier work.
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn fp16(p: *const u8) -> f32 {
            // SAFETY: the caller guarantees two readable bytes at `p`.
            let bits = u32::from(unsafe { p.cast::<u16>().read_unaligned() });
            let out: f32;
            // SAFETY: F16C is enabled for this function; the instructions only read and write registers.
            unsafe {
                std::arch::asm!(
                    "vmovd {x}, {g:e}",
                    "vcvtph2ps {x}, {x}",
                    g = in(reg) bits,
                    x = out(xmm_reg) out,
                    options(pure, nomem, nostack, preserves_flags),
                );
            }
            out
        }

        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn rd_f32(p: *const u8) -> f32 {
            // SAFETY: the caller guarantees four readable bytes at `p`.
            unsafe { p.cast::<f32>().read_unaligned() }
        }

        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn load(p: *const u8) -> __m256i {
            // SAFETY: the caller guarantees 32 readable bytes at `p`.
            unsafe { _mm256_loadu_si256(p.cast()) }
        }

        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn load128(p: *const u8) -> __m128i {
            // SAFETY: the caller guarantees 16 readable bytes at `p`.
            unsafe { _mm_loadu_si128(p.cast()) }
        }

        /// 16 bytes at `p` → 32 nibbles: the low nibbles in bytes 0..16, the high nibbles in bytes 16..32.
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn nibbles(p: *const u8) -> __m256i {
            // SAFETY: forwarded.
            let t = unsafe { load128(p) };
            _mm256_and_si256(
                _mm256_set_m128i(_mm_srli_epi16::<4>(t), t),
                _mm256_set1_epi8(0x0F),
            )
        }

        /// Bit `i` of `x` → byte `i` = 0xFF (set) or 0x00.
        #[inline]
        #[target_feature(enable = $feat)]
        fn bits_to_bytes(x: u32) -> __m256i {
            let shuf = _mm256_set_epi64x(
                0x0303_0303_0303_0303,
                0x0202_0202_0202_0202,
                0x0101_0101_0101_0101,
                0,
            );
            let bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(x as i32), shuf);
            let bit = _mm256_set1_epi64x(0x8040_2010_0804_0201_u64 as i64);
            _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit)
        }

        /// Σ x·y of signed bytes (|y| ≤ 127) into i32 lanes, through the unsigned × signed primitive.
        #[inline]
        #[target_feature(enable = $feat)]
        fn dot_i8(x: __m256i, y: __m256i) -> __m256i {
            dot_u8i8(
                _mm256_setzero_si256(),
                _mm256_sign_epi8(x, x),
                _mm256_sign_epi8(y, x),
            )
        }

        /// Two i16 values broadcast: `lo` in the low 128 bits, `hi` in the high 128 bits.
        #[inline]
        #[target_feature(enable = $feat)]
        fn bcast2_i16(lo: i16, hi: i16) -> __m256i {
            _mm256_set_m128i(_mm_set1_epi16(hi), _mm_set1_epi16(lo))
        }

        /// `vpshufb` masks for [`scale_halves`]: mask `i` broadcasts i16 scale `2i` of a 128-bit lane over the
        /// low 128 bits and scale `2i + 1` over the high 128 bits (the two 16-element groups of 32 quants).
        #[inline]
        #[target_feature(enable = $feat)]
        fn pair_masks() -> [__m256i; 4] {
            let mut m = [_mm256_setzero_si256(); 4];
            for (i, v) in m.iter_mut().enumerate() {
                let i = i as i16;
                *v = bcast2_i16((4 * i) | ((4 * i + 1) << 8), (4 * i + 2) | ((4 * i + 3) << 8));
            }
            m
        }

        /// Sixteen i16 group scales → for each 128-element half, its eight scales in both 128-bit lanes, ready
        /// for `_mm256_shuffle_epi8(halves[h], pair_masks()[i])`.
        #[inline]
        #[target_feature(enable = $feat)]
        fn scale_halves(sc16: __m256i) -> [__m256i; 2] {
            [_mm256_permute2x128_si256::<0x00>(sc16, sc16), _mm256_permute2x128_si256::<0x11>(sc16, sc16)]
        }

        // ----------------------------------------------------------------------------------------------
        // Float formats
        // ----------------------------------------------------------------------------------------------

        /// Eight weights at element `i` as f32 (KIND 0 = f32, 1 = f16, 2 = bf16).
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn load_w8<const KIND: u8>(w: *const u8, i: usize) -> __m256 {
            // SAFETY: the caller guarantees eight readable elements at `i`.
            unsafe {
                match KIND {
                    0 => _mm256_loadu_ps(w.add(4 * i).cast()),
                    1 => _mm256_cvtph_ps(load128(w.add(2 * i))),
                    _ => _mm256_castsi256_ps(_mm256_slli_epi32::<16>(_mm256_cvtepu16_epi32(
                        load128(w.add(2 * i)),
                    ))),
                }
            }
        }

        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn w_scalar<const KIND: u8>(w: *const u8, i: usize) -> f32 {
            // SAFETY: the caller guarantees element `i` is readable.
            unsafe {
                match KIND {
                    0 => rd_f32(w.add(4 * i)),
                    1 => half::f16::from_bits(w.add(2 * i).cast::<u16>().read_unaligned()).to_f32(),
                    _ => {
                        f32::from_bits(u32::from(w.add(2 * i).cast::<u16>().read_unaligned()) << 16)
                    }
                }
            }
        }

        #[target_feature(enable = $feat)]
        unsafe fn dot_float<const NT: usize, const KIND: u8>(
            n: usize,
            w: *const u8,
            a: [*const u8; NT],
        ) -> [f32; NT] {
            let mut acc0 = [_mm256_setzero_ps(); NT];
            let mut acc1 = [_mm256_setzero_ps(); NT];
            let mut i = 0;
            // SAFETY (whole function): `i + 16 <= n` (or `i < n` in the tail) keeps every access inside the rows.
            unsafe {
                while i + 16 <= n {
                    let w0 = load_w8::<KIND>(w, i);
                    let w1 = load_w8::<KIND>(w, i + 8);
                    for t in 0..NT {
                        let x = a[t].add(4 * i).cast::<f32>();
                        acc0[t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x), acc0[t]);
                        acc1[t] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x.add(8)), acc1[t]);
                    }
                    i += 16;
                }
                let mut out = [0.0f32; NT];
                for t in 0..NT {
                    let mut s = hsum(_mm256_add_ps(acc0[t], acc1[t]));
                    for j in i..n {
                        s += w_scalar::<KIND>(w, j) * rd_f32(a[t].add(4 * j));
                    }
                    out[t] = s;
                }
                out
            }
        }

        // ----------------------------------------------------------------------------------------------
        // 32-element formats
        // ----------------------------------------------------------------------------------------------

        #[target_feature(enable = $feat)]
        unsafe fn dot_q4_0<const NT: usize>(
            nb: usize,
            w: *const u8,
            a: [*const u8; NT],
        ) -> [f32; NT] {
            let mut acc = [_mm256_setzero_ps(); NT];
            let m8 = _mm256_set1_epi8(8);
            for ib in 0..nb {
                // SAFETY: block `ib < nb` lies inside every row.
                unsafe {
                    let b = w.add(ib * 18);
                    let dx = fp16(b);
                    let qx = _mm256_sub_epi8(nibbles(b.add(2)), m8);
                    for t in 0..NT {
                        let y = a[t].add(ib * 34);
                        let s = dot_i8(qx, load(y.add(2)));
                        acc[t] = _mm256_fmadd_ps(
                            _mm256_set1_ps(dx * fp16(y)),
                            _mm256_cvtepi32_ps(s),
                            acc[t],
                        );
                    }
                }
            }
            let mut out = [0.0f32; NT];
            for t in 0..NT {
                out[t] = hsum(acc[t]);
            }
            out
        }

        #[target_feature(enable = $feat)]
        unsafe fn dot_q5_0<const NT: usize>(
            nb: usize,
            w: *const u8,
            a: [*const u8; NT],
        ) -> [f32; NT] {
            let mut acc = [_mm256_setzero_ps(); NT];
            let hi = _mm256_set1_epi8(0xF0_u8 as i8);
            for ib in 0..nb {
                // SAFETY: block `ib < nb` lies inside every row.
                unsafe {
                    let b = w.add(ib * 22);
                    let dx = fp16(b);
                    let qh = b.add(2).cast::<u32>().read_unaligned();
                    // nibble | (bit ? 0x00 : 0xF0) read as i8 is (nibble | bit << 4) - 16.
                    let qx = _mm256_or_si256(
                        nibbles(b.add(6)),
                        _mm256_andnot_si256(bits_to_bytes(qh), hi),
                    );
                    for t in 0..NT {
                        let y = a[t].add(ib * 34);
                        let s = dot_i8(qx, load(y.add(2)));
                        acc[t] = _mm256_fmadd_ps(
                            _mm256_set1_ps(dx * fp16(y)),
                            _mm256_cvtepi32_ps(s),
                            acc[t],
                        );
                    }
                }
            }
            let mut out = [0.0f32; NT];
            for t in 0..NT {
                out[t] = hsum(acc[t]);
            }
            out
        }

        #[target_feature(enable = $feat)]
        unsafe fn dot_q8_0<const NT: usize>(
            nb: usize,
            w: *const u8,
            a: [*const u8; NT],
        ) -> [f32; NT] {
            let mut acc = [_mm256_setzero_ps(); NT];
            for ib in 0..nb {
                // SAFETY: block `ib < nb` lies inside every row.
                unsafe {
                    let b = w.add(ib * 34);
                    let dx = fp16(b);
                    let qx = load(b.add(2));
                    for t in 0..NT {
                        let y = a[t].add(ib * 34);
                        let s = dot_i8(qx, load(y.add(2)));
                        acc[t] = _mm256_fmadd_ps(
                            _mm256_set1_ps(dx * fp16(y)),
                            _mm256_cvtepi32_ps(s),
                            acc[t],
                        );
                    }
                }
            }
            let mut out = [0.0f32; NT];
            for t in 0..NT {
                out[t] = hsum(acc[t]);
            }
            out
        }

        #[target_feature(enable = $feat)]
        unsafe fn dot_q4_1<const NT: usize>(
            nb: usize,
            w: *const u8,
            a: [*const u8; NT],
        ) -> [f32; NT] {
            let mut acc = [_mm256_setzero_ps(); NT];
            let mut summs = [0.0f32; NT];
            for ib in 0..nb {
                // SAFETY: block `ib < nb` lies inside every row.
                unsafe {
                    let b = w.add(ib * 20);
                    let dx = fp16(b);
                    let mx = fp16(b.add(2));
                    let qx = nibbles(b.add(4));
                    for t in 0..NT {
                        let y = a[t].add(ib * 36);
                        let s = dot_u8i8(_mm256_setzero_si256(), qx, load(y.add(4)));
                        acc[t] = _mm256_fmadd_ps(
                            _mm256_set1_ps(dx * fp16(y)),
                            _mm256_cvtepi32_ps(s),
                            acc[t],
                        );
                        summs[t] += mx * fp16(y.add(2));
                    }
                }
            }
            let mut out = [0.0f32; NT];
            for t in 0..NT {
                out[t] = hsum(acc[t]) + summs[t];
            }
            out
        }

        #[target_feature(enable = $feat)]
        unsafe fn dot_q5_1<const NT: usize>(nb: usize, w: *const u8, a: [*const u8; NT]) -> [f32; NT] {
            let mut acc = [_mm256_setzero_ps(); NT];
            let mut summs = [0.0f32; NT];
            let bit4 = _mm256_set1_epi8(0x10);
            for ib in 0..nb {
                // SAFETY: block `ib < nb` lies inside every row.
                unsafe {
                    let b = w.add(ib * 24);
                    let dx = fp16(b);
                    let mx = fp16(b.add(2));
                    let qh = b.add(4).cast::<u32>().read_unaligned();
                    let qx = _mm256_or_si256(nibbles(b.add(8)), _mm256_and_si256(bits_to_bytes(qh), bit4));
                    for t in 0..NT {
                        let y = a[t].add(ib * 36);
                        let s = dot_u8i8(_mm256_setzero_si256(), qx, load(y.add(4)));
                        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dx * fp16(y)), _mm256_cvtepi32_ps(s), acc[t]);
                        summs[t] += mx * fp16(y.add(2));
                    }
                }
            }
            let mut out = [0.0f32; NT];
            for t in 0..NT {
                out[t] = hsum(acc[t]) + summs[t];
            }
            out
        }

        // The 32-element formats, as const parameters of `dot_b32` (and the AVX-512 `dot_b32_512`).
        const Q4_0: u8 = 0;
        const Q5_0: u8 = 1;
        const Q8_0: u8 = 2;
        const Q4_1: u8 = 3;
        const Q5_1: u8 = 4;

        /// Four f16 at `p`, `p + stride`, `p + 2·stride`, `p + 3·stride` → f32.
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn fp16x4(p: *const u8, stride: usize) -> __m128 {
            // SAFETY: the caller guarantees two readable bytes at each of the four addresses.
            let h = |k: usize| unsafe { p.add(k * stride).cast::<i16>().read_unaligned() };
            _mm_cvtph_ps(_mm_set_epi16(0, 0, 0, 0, h(3), h(2), h(1), h(0)))
        }

        /// One 32-element weight block → 32 quants: signed for Q4_0/Q5_0/Q8_0, unsigned for Q4_1/Q5_1.
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn unpack_b32<const F: u8>(b: *const u8) -> __m256i {
            // SAFETY: the caller guarantees a whole block at `b`.
            unsafe {
                match F {
                    Q4_0 => _mm256_sub_epi8(nibbles(b.add(2)), _mm256_set1_epi8(8)),
                    Q5_0 => {
                        // nibble | (bit ? 0x00 : 0xF0), read as i8, is (nibble | bit << 4) - 16.
                        let qh = b.add(2).cast::<u32>().read_unaligned();
                        let hi = _mm256_andnot_si256(bits_to_bytes(qh), _mm256_set1_epi8(0xF0_u8 as i8));
                        _mm256_or_si256(nibbles(b.add(6)), hi)
                    }
                    Q8_0 => load(b.add(2)),
                    Q4_1 => nibbles(b.add(4)),
                    _ => {
                        let qh = b.add(4).cast::<u32>().read_unaligned();
                        let hi = _mm256_and_si256(bits_to_bytes(qh), _mm256_set1_epi8(0x10));
                        _mm256_or_si256(nibbles(b.add(8)), hi)
                    }
                }
            }
        }

        /// The 32-element formats, four blocks per step: the per-block scales are converted four at a time and
        /// spread with one permute per block, instead of a conversion, multiply and broadcast per block and
        /// token. Leftover blocks go through the one-block kernels above.
        #[target_feature(enable = $feat)]
        unsafe fn dot_b32<const NT: usize, const F: u8>(nb: usize, w: *const u8, a: [*const u8; NT]) -> [f32; NT] {
            let bb = [18, 22, 34, 20, 24][F as usize];
            let with_min = F == Q4_1 || F == Q5_1;
            let ab = if with_min { 36 } else { 34 };
            let aq = if with_min { 4 } else { 2 };
            let mut acc = [_mm256_setzero_ps(); NT];
            let mut accm = [_mm_setzero_ps(); NT];
            let lane = [_mm256_set1_epi32(0), _mm256_set1_epi32(1), _mm256_set1_epi32(2), _mm256_set1_epi32(3)];
            let nb4 = nb / 4 * 4;
            let mut ib = 0;
            while ib < nb4 {
                // SAFETY: blocks `ib..ib + 4 <= nb` lie inside every row.
                unsafe {
                    let b = w.add(ib * bb);
                    let q = [
                        unpack_b32::<F>(b),
                        unpack_b32::<F>(b.add(bb)),
                        unpack_b32::<F>(b.add(2 * bb)),
                        unpack_b32::<F>(b.add(3 * bb)),
                    ];
                    let dx = fp16x4(b, bb);
                    let mx = if with_min { fp16x4(b.add(2), bb) } else { _mm_setzero_ps() };
                    for t in 0..NT {
                        let y = a[t].add(ib * ab);
                        let d = _mm256_castps128_ps256(_mm_mul_ps(dx, fp16x4(y, ab)));
                        for k in 0..4 {
                            let yk = load(y.add(k * ab + aq));
                            let s = if with_min { dot_u8i8(_mm256_setzero_si256(), q[k], yk) } else { dot_i8(q[k], yk) };
                            let dk = _mm256_permutevar8x32_ps(d, lane[k]);
                            acc[t] = _mm256_fmadd_ps(dk, _mm256_cvtepi32_ps(s), acc[t]);
                        }
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
                out[t] = hsum(acc[t]) + _mm_cvtss_f32(m) + tail[t];
            }
            out
        }

        // ----------------------------------------------------------------------------------------------
        // K-quants
        // ----------------------------------------------------------------------------------------------

        /// The eight 6-bit scales and mins of a Q4_K/Q5_K block (ggml's `get_scale_min_k4`, as two u64 of
        /// bytes).
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn scales_mins_k4(p: *const u8) -> ([u8; 8], u64) {
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
            let sc = (u64::from(s1) << 32 | u64::from(s0)).to_le_bytes();
            (sc, u64::from(m1) << 32 | u64::from(m0))
        }

        #[target_feature(enable = $feat)]
        unsafe fn dot_q2k<const NT: usize>(nb: usize, w: *const u8, a: [*const u8; NT]) -> [f32; NT] {
            let mut acc = [_mm256_setzero_ps(); NT];
            let mut accm = [_mm256_setzero_ps(); NT];
            let m3 = _mm256_set1_epi8(3);
            let smask = pair_masks();
            for ib in 0..nb {
                // SAFETY: block `ib < nb` lies inside every row.
                unsafe {
                    let b = w.add(ib * 84);
                    let dx = fp16(b.add(80));
                    let dminx = fp16(b.add(82));
                    let scl = scale_halves(_mm256_cvtepu8_epi16(_mm_and_si128(load128(b), _mm_set1_epi8(0x0F))));
                    let mins16 = _mm256_cvtepu8_epi16(_mm_srli_epi16::<4>(_mm_and_si128(
                        load128(b),
                        _mm_set1_epi8(0xF0_u8 as i8),
                    )));
                    let mut sumi = [_mm256_setzero_si256(); NT];
                    for half in 0..2 {
                        let q2 = load(b.add(16 + 32 * half));
                        let q = [
                            _mm256_and_si256(q2, m3),
                            _mm256_and_si256(_mm256_srli_epi16::<2>(q2), m3),
                            _mm256_and_si256(_mm256_srli_epi16::<4>(q2), m3),
                            _mm256_and_si256(_mm256_srli_epi16::<6>(q2), m3),
                        ];
                        for (j, qj) in q.iter().enumerate() {
                            let s = _mm256_shuffle_epi8(scl[half], smask[j]);
                            for t in 0..NT {
                                let y = a[t].add(ib * 292 + 4 + 128 * half + 32 * j);
                                sumi[t] = madd_i16(sumi[t], s, _mm256_maddubs_epi16(*qj, load(y)));
                            }
                        }
                    }
                    for t in 0..NT {
                        let y = a[t].add(ib * 292);
                        let yd = rd_f32(y);
                        let summs = _mm256_madd_epi16(mins16, load(y.add(260)));
                        accm[t] = _mm256_fmadd_ps(_mm256_set1_ps(dminx * yd), _mm256_cvtepi32_ps(summs), accm[t]);
                        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dx * yd), _mm256_cvtepi32_ps(sumi[t]), acc[t]);
                    }
                }
            }
            let mut out = [0.0f32; NT];
            for t in 0..NT {
                out[t] = hsum(acc[t]) - hsum(accm[t]);
            }
            out
        }

        #[target_feature(enable = $feat)]
        unsafe fn dot_q3k<const NT: usize>(nb: usize, w: *const u8, a: [*const u8; NT]) -> [f32; NT] {
            let mut acc = [_mm256_setzero_ps(); NT];
            let m3 = _mm256_set1_epi8(3);
            let one = _mm256_set1_epi8(1);
            let smask = pair_masks();
            for ib in 0..nb {
                // SAFETY: block `ib < nb` lies inside every row.
                unsafe {
                    let b = w.add(ib * 110);
                    let dx = fp16(b.add(108));
                    let raw = $crate::scalar::q3k_scales(std::slice::from_raw_parts(b.add(96), 12));
                    let mut sc = [0i16; 16];
                    for g in 0..16 {
                        sc[g] = i16::from(raw[g]) - 32;
                    }
                    let sc16 = _mm256_loadu_si256(sc.as_ptr().cast());
                    let scl = scale_halves(sc16);
                    let hm = load(b);
                    // Quants are used as q + 4 ∈ 0..=7 (unsigned for vpmaddubsw):
                    // Σ sc·q·y = Σ sc·(q+4)·y − 4·Σ_g sc_g·bsum_g.
                    let mut sumi = [_mm256_setzero_si256(); NT];
                    for t in 0..NT {
                        let corr = _mm256_madd_epi16(sc16, load(a[t].add(ib * 292 + 260)));
                        sumi[t] = _mm256_sub_epi32(sumi[t], _mm256_slli_epi32::<2>(corr));
                    }
                    for half in 0..2 {
                        let q3 = load(b.add(32 + 32 * half));
                        for j in 0..4 {
                            let shift = _mm_cvtsi32_si128(2 * j as i32);
                            let hshift = _mm_cvtsi32_si128((4 * half + j) as i32);
                            let lo = _mm256_and_si256(_mm256_srl_epi16(q3, shift), m3);
                            let hi = _mm256_and_si256(_mm256_srl_epi16(hm, hshift), one);
                            let qj = _mm256_or_si256(lo, _mm256_slli_epi16::<2>(hi));
                            let s = _mm256_shuffle_epi8(scl[half], smask[j]);
                            for t in 0..NT {
                                let y = a[t].add(ib * 292 + 4 + 128 * half + 32 * j);
                                sumi[t] = madd_i16(sumi[t], s, _mm256_maddubs_epi16(qj, load(y)));
                            }
                        }
                    }
                    for t in 0..NT {
                        let yd = rd_f32(a[t].add(ib * 292));
                        acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dx * yd), _mm256_cvtepi32_ps(sumi[t]), acc[t]);
                    }
                }
            }
            let mut out = [0.0f32; NT];
            for t in 0..NT {
                out[t] = hsum(acc[t]);
            }
            out
        }

        /// Q4_K (`HIGH = false`) and Q5_K (`HIGH = true`) against Q8_K.
        #[target_feature(enable = $feat)]
        unsafe fn dot_q45k<const NT: usize, const HIGH: bool>(
            nb: usize,
            w: *const u8,
            a: [*const u8; NT],
        ) -> [f32; NT] {
            let bb = if HIGH { 176 } else { 144 };
            let qs_off = if HIGH { 48 } else { 16 };
            let mut acc = [_mm256_setzero_ps(); NT];
            let mut accm = [_mm_setzero_ps(); NT];
            let m4 = _mm256_set1_epi8(0x0F);
            let one = _mm256_set1_epi8(1);
            for ib in 0..nb {
                // SAFETY: block `ib < nb` lies inside every row.
                unsafe {
                    let b = w.add(ib * bb);
                    let dx = fp16(b);
                    let dminx = fp16(b.add(2));
                    let (sc, mins) = scales_mins_k4(b.add(4));
                    let mins16 = _mm_cvtepu8_epi16(_mm_set_epi64x(0, mins as i64));
                    let qh = if HIGH {
                        load(b.add(16))
                    } else {
                        _mm256_setzero_si256()
                    };
                    let mut sumi = [_mm256_setzero_si256(); NT];
                    for j in 0..4 {
                        let q = load(b.add(qs_off + 32 * j));
                        let mut ql = _mm256_and_si256(q, m4);
                        let mut qhi = _mm256_and_si256(_mm256_srli_epi16::<4>(q), m4);
                        if HIGH {
                            let sh = _mm_cvtsi32_si128(2 * j as i32);
                            let sh1 = _mm_cvtsi32_si128(2 * j as i32 + 1);
                            let h0 = _mm256_and_si256(_mm256_srl_epi16(qh, sh), one);
                            let h1 = _mm256_and_si256(_mm256_srl_epi16(qh, sh1), one);
                            ql = _mm256_or_si256(ql, _mm256_slli_epi16::<4>(h0));
                            qhi = _mm256_or_si256(qhi, _mm256_slli_epi16::<4>(h1));
                        }
                        let sl = _mm256_set1_epi16(i16::from(sc[2 * j]));
                        let sh = _mm256_set1_epi16(i16::from(sc[2 * j + 1]));
                        for t in 0..NT {
                            let y = a[t].add(4 + 64 * j + ib * 292);
                            let pl = _mm256_maddubs_epi16(ql, load(y));
                            let ph = _mm256_maddubs_epi16(qhi, load(y.add(32)));
                            sumi[t] = madd_i16(sumi[t], sl, pl);
                            sumi[t] = madd_i16(sumi[t], sh, ph);
                        }
                    }
                    for t in 0..NT {
                        let y = a[t].add(ib * 292);
                        let yd = rd_f32(y);
                        let bs = y.add(260);
                        let q8sums = _mm_hadd_epi16(load128(bs), load128(bs.add(16)));
                        let prod = _mm_madd_epi16(mins16, q8sums);
                        accm[t] =
                            _mm_fmadd_ps(_mm_set1_ps(dminx * yd), _mm_cvtepi32_ps(prod), accm[t]);
                        acc[t] = _mm256_fmadd_ps(
                            _mm256_set1_ps(dx * yd),
                            _mm256_cvtepi32_ps(sumi[t]),
                            acc[t],
                        );
                    }
                }
            }
            let mut out = [0.0f32; NT];
            for t in 0..NT {
                let m = _mm_add_ps(accm[t], _mm_movehl_ps(accm[t], accm[t]));
                let m = _mm_add_ss(m, _mm_movehdup_ps(m));
                out[t] = hsum(acc[t]) - _mm_cvtss_f32(m);
            }
            out
        }

        #[target_feature(enable = $feat)]
        unsafe fn dot_q6k<const NT: usize>(
            nb: usize,
            w: *const u8,
            a: [*const u8; NT],
        ) -> [f32; NT] {
            let mut acc = [_mm256_setzero_ps(); NT];
            let m4 = _mm256_set1_epi8(0x0F);
            let m3 = _mm256_set1_epi8(0x03);
            let smask = pair_masks();
            for ib in 0..nb {
                // SAFETY: block `ib < nb` lies inside every row.
                unsafe {
                    let b = w.add(ib * 210);
                    let dx = fp16(b.add(208));
                    let scp = b.add(192);
                    let sc16 = _mm256_cvtepi8_epi16(load128(scp));
                    let scl = scale_halves(sc16);
                    // The quants are stored biased by 32: Σ sc·(q-32)·y = Σ sc·q·y - 32·Σ_g sc_g·bsum_g.
                    let mut sumi = [_mm256_setzero_si256(); NT];
                    for t in 0..NT {
                        let corr = _mm256_madd_epi16(sc16, load(a[t].add(ib * 292 + 260)));
                        sumi[t] = _mm256_sub_epi32(sumi[t], _mm256_slli_epi32::<5>(corr));
                    }
                    for half in 0..2 {
                        let ql = b.add(64 * half);
                        let qhb = load(b.add(128 + 32 * half));
                        let l1 = load(ql);
                        let l2 = load(ql.add(32));
                        let q = [
                            _mm256_or_si256(
                                _mm256_and_si256(l1, m4),
                                _mm256_slli_epi16::<4>(_mm256_and_si256(qhb, m3)),
                            ),
                            _mm256_or_si256(
                                _mm256_and_si256(l2, m4),
                                _mm256_slli_epi16::<4>(_mm256_and_si256(
                                    _mm256_srli_epi16::<2>(qhb),
                                    m3,
                                )),
                            ),
                            _mm256_or_si256(
                                _mm256_and_si256(_mm256_srli_epi16::<4>(l1), m4),
                                _mm256_slli_epi16::<4>(_mm256_and_si256(
                                    _mm256_srli_epi16::<4>(qhb),
                                    m3,
                                )),
                            ),
                            _mm256_or_si256(
                                _mm256_and_si256(_mm256_srli_epi16::<4>(l2), m4),
                                _mm256_slli_epi16::<4>(_mm256_and_si256(
                                    _mm256_srli_epi16::<6>(qhb),
                                    m3,
                                )),
                            ),
                        ];
                        for (i, qi) in q.iter().enumerate() {
                            let s = _mm256_shuffle_epi8(scl[half], smask[i]);
                            for t in 0..NT {
                                let y = a[t].add(ib * 292 + 4 + 128 * half + 32 * i);
                                let p = _mm256_maddubs_epi16(*qi, load(y));
                                sumi[t] = madd_i16(sumi[t], s, p);
                            }
                        }
                    }
                    for t in 0..NT {
                        let yd = rd_f32(a[t].add(ib * 292));
                        acc[t] = _mm256_fmadd_ps(
                            _mm256_set1_ps(dx * yd),
                            _mm256_cvtepi32_ps(sumi[t]),
                            acc[t],
                        );
                    }
                }
            }
            let mut out = [0.0f32; NT];
            for t in 0..NT {
                out[t] = hsum(acc[t]);
            }
            out
        }

        // ----------------------------------------------------------------------------------------------
        // Activation quantizers (bit-identical to the scalar ones)
        // ----------------------------------------------------------------------------------------------

        /// Quantizes an activation row.
        ///
        /// # Safety
        /// The CPU must support this module's features; `dst` must hold `fmt.row_bytes(src.len())` bytes.
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn quantize_row(fmt: ActFormat, src: &[f32], dst: &mut [u8]) {
            let bl = fmt.block_len();
            let bb = fmt.block_bytes();
            assert!(src.len() % bl == 0 && dst.len() >= src.len() / bl * bb);
            for (x, y) in src.chunks_exact(bl).zip(dst.chunks_exact_mut(bb)) {
                // SAFETY: `x` holds one whole block of floats and `y` one whole block of bytes.
                unsafe {
                    match fmt {
                        ActFormat::Q8_0 => q8_block::<false>(x.as_ptr(), y.as_mut_ptr()),
                        ActFormat::Q8_1 => q8_block::<true>(x.as_ptr(), y.as_mut_ptr()),
                        ActFormat::Q8K => q8k_block(x, y),
                        ActFormat::F32 => $crate::scalar::quantize_row(fmt, x, y),
                    }
                }
            }
        }

        /// `roundf`: to nearest, ties away from zero (exact: `x - trunc(x)` is exact).
        #[inline]
        #[target_feature(enable = $feat)]
        fn round_away(x: __m256) -> __m256 {
            let sign = _mm256_set1_ps(-0.0);
            let t = _mm256_round_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(x);
            let frac = _mm256_andnot_ps(sign, _mm256_sub_ps(x, t));
            let up = _mm256_cmp_ps::<_CMP_GE_OQ>(frac, _mm256_set1_ps(0.5));
            let one = _mm256_or_ps(_mm256_and_ps(x, sign), _mm256_set1_ps(1.0));
            _mm256_add_ps(t, _mm256_and_ps(up, one))
        }

        /// Four vectors of eight i32 (each in i8 range) → 32 bytes in element order.
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn store_i8x32(i: [__m256i; 4], p: *mut u8) {
            let a = _mm256_packs_epi32(i[0], i[1]);
            let b = _mm256_packs_epi32(i[2], i[3]);
            let c = _mm256_packs_epi16(a, b);
            let c = _mm256_permutevar8x32_epi32(c, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            // SAFETY: the caller guarantees 32 writable bytes at `p`.
            unsafe { _mm256_storeu_si256(p.cast(), c) };
        }

        #[target_feature(enable = $feat)]
        unsafe fn q8_block<const SUM: bool>(x: *const f32, y: *mut u8) {
            let sign = _mm256_set1_ps(-0.0);
            // SAFETY: the caller guarantees 32 floats at `x` and a whole block at `y`.
            unsafe {
                let v = [
                    _mm256_loadu_ps(x),
                    _mm256_loadu_ps(x.add(8)),
                    _mm256_loadu_ps(x.add(16)),
                    _mm256_loadu_ps(x.add(24)),
                ];
                let mut m = _mm256_andnot_ps(sign, v[0]);
                for vi in &v[1..] {
                    m = _mm256_max_ps(m, _mm256_andnot_ps(sign, *vi));
                }
                let m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps::<1>(m));
                let m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
                let m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
                let amax = _mm_cvtss_f32(m4);
                let d = amax / 127.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                let idv = _mm256_set1_ps(id);
                let mut q = [_mm256_setzero_si256(); 4];
                for k in 0..4 {
                    q[k] = _mm256_cvtps_epi32(round_away(_mm256_mul_ps(v[k], idv)));
                }
                y.cast::<u16>()
                    .write_unaligned(half::f16::from_f32(d).to_bits());
                if SUM {
                    let s = hsum_i32(_mm256_add_epi32(
                        _mm256_add_epi32(q[0], q[1]),
                        _mm256_add_epi32(q[2], q[3]),
                    ));
                    y.add(2)
                        .cast::<u16>()
                        .write_unaligned(half::f16::from_f32(s as f32 * d).to_bits());
                    store_i8x32(q, y.add(4));
                } else {
                    store_i8x32(q, y.add(2));
                }
            }
        }

        #[target_feature(enable = $feat)]
        unsafe fn q8k_block(x: &[f32], y: &mut [u8]) {
            let sign = _mm256_set1_ps(-0.0);
            let mut m = _mm256_setzero_ps();
            for c in x.chunks_exact(8) {
                // SAFETY: `c` holds eight floats.
                m = _mm256_max_ps(
                    m,
                    _mm256_andnot_ps(sign, unsafe { _mm256_loadu_ps(c.as_ptr()) }),
                );
            }
            let m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps::<1>(m));
            let m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
            let amax = _mm_cvtss_f32(_mm_max_ss(m4, _mm_movehdup_ps(m4)));
            if amax == 0.0 {
                y[..292].fill(0);
                return;
            }
            // The signed value of the first element of largest magnitude, as the scalar scan finds it.
            let max = x.iter().copied().find(|v| v.abs() == amax).unwrap_or(amax);
            let iscale = -127.0f32 / max;
            let iv = _mm256_set1_ps(iscale);
            let top = _mm256_set1_ps(127.0);
            for (c, out) in x.chunks_exact(32).zip(y[4..260].chunks_exact_mut(32)) {
                let mut q = [_mm256_setzero_si256(); 4];
                for k in 0..4 {
                    // SAFETY: `c` holds 32 floats.
                    let v = unsafe { _mm256_loadu_ps(c.as_ptr().add(8 * k)) };
                    let r = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
                        _mm256_mul_ps(v, iv),
                    );
                    q[k] = _mm256_cvtps_epi32(_mm256_min_ps(r, top));
                }
                // SAFETY: `out` holds 32 bytes.
                unsafe { store_i8x32(q, out.as_mut_ptr()) };
            }
            for g in 0..16 {
                let s: i32 = y[4 + 16 * g..20 + 16 * g]
                    .iter()
                    .map(|&v| i32::from(v as i8))
                    .sum();
                y[260 + 2 * g..262 + 2 * g].copy_from_slice(&(s as i16).to_le_bytes());
            }
            y[0..4].copy_from_slice(&(1.0 / iscale).to_le_bytes());
        }
    };
}
