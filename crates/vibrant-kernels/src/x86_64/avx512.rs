//! AVX-512 F/BW/VL + VNNI kernels: the 256-bit bodies with `vpdpbusd`/`vpdpwssd` doing the integer dot
//! products (one instruction instead of three).

use std::arch::x86_64::{__m256i, _mm256_dpbusd_epi32, _mm256_dpwssd_epi32};

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

x86_kernels!("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni");
