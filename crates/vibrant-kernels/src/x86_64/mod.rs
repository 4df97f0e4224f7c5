//! x86_64 SIMD kernels, one module per instruction-set level. Every function here has a scalar twin in
//! [`crate::scalar`] that defines its result; the property tests compare them.

#![allow(unsafe_code)]

pub(crate) mod avx2;
pub(crate) mod avx512;
