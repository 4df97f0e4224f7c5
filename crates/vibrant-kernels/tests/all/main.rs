//! Integration tests of the kernel layer: fixtures from an independent implementation (PyPI `gguf`), dot
//! products against dequantized references, quantizer round trips, matmul tiles, and every SIMD level
//! against the scalar specification.

#![allow(clippy::unwrap_used)]

mod attention;
mod common;
mod fixtures;
mod isa;
mod numerics;
mod repack;
