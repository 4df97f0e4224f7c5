//! x86_64 SIMD kernels, one module per instruction-set level. Every function here has a scalar twin in
//! [`crate::scalar`] that defines its result; the property tests in `tests/all/isa.rs` compare them.

#![allow(unsafe_code)]
// Index loops over the token accumulators keep them in registers (fixed-size arrays, unrolled).
#![allow(clippy::needless_range_loop)]

#[macro_use]
mod kernels256;
pub(crate) mod attn256;
pub(crate) mod avx2;
pub(crate) mod avx512;
pub(crate) mod repack512;
pub(crate) mod repack512_b32;
