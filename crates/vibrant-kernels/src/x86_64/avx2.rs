//! AVX2 + FMA + F16C kernels (256-bit; `vpmaddubsw`/`vpmaddwd` integer dot products).

use std::arch::x86_64::{
    __m256i, _mm256_add_epi32, _mm256_madd_epi16, _mm256_maddubs_epi16, _mm256_set1_epi16,
};

/// `acc` + Σ of each group of four unsigned × signed byte products. Callers keep `u ≤ 128` and `|s| ≤ 127`,
/// so the i16 pair sums of `vpmaddubsw` (at most 2·128·127 = 32512) never saturate.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn dot_u8i8(acc: __m256i, u: __m256i, s: __m256i) -> __m256i {
    _mm256_add_epi32(
        acc,
        _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)),
    )
}

/// `acc` + pairwise i16 products summed into i32 lanes.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn madd_i16(acc: __m256i, a: __m256i, b: __m256i) -> __m256i {
    _mm256_add_epi32(acc, _mm256_madd_epi16(a, b))
}

/// No wider kernels at this level.
///
/// # Safety
/// Nothing is read.
#[inline(always)]
unsafe fn wide_dot<const NT: usize>(
    _fmt: crate::format::WeightFormat,
    _n: usize,
    _w: *const u8,
    _a: [*const u8; NT],
) -> Option<[f32; NT]> {
    None
}

x86_kernels!("avx2,fma,f16c");
