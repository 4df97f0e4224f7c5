//! aarch64 SIMD kernels: NEON, with and without the `dotprod` extension ([`neon::plain`], [`neon::dot`]).
//! Every function here has a scalar twin in [`crate::scalar`] that defines its result; the property tests in
//! `tests/all/isa.rs` compare them on every level the machine supports (`scripts/test-aarch64.sh` runs them
//! under qemu, with and without `dotprod`).

#![allow(unsafe_code)]
// Index loops over the token accumulators keep them in registers (fixed-size arrays, unrolled).
#![allow(clippy::needless_range_loop)]

pub(crate) mod neon;
