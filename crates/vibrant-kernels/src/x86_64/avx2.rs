//! AVX2 + FMA + F16C kernels.

use crate::format::{ActFormat, WeightFormat};

pub(crate) fn supports_dot(_fmt: WeightFormat) -> bool {
    false
}

pub(crate) fn supports_quantize(_fmt: ActFormat) -> bool {
    false
}

/// # Safety
/// The CPU must support AVX2, FMA and F16C; `w` and every `acts[t]` must hold a whole row of `n` elements.
pub(crate) unsafe fn dot_multi(
    fmt: WeightFormat,
    n: usize,
    w: &[u8],
    acts: &[&[u8]],
    out: &mut [f32],
) {
    crate::scalar::dot_multi(fmt, n, w, acts, out)
}

/// # Safety
/// The CPU must support AVX2, FMA and F16C; `dst` must hold `fmt.row_bytes(src.len())` bytes.
pub(crate) unsafe fn quantize_row(fmt: ActFormat, src: &[f32], dst: &mut [u8]) {
    crate::scalar::quantize_row(fmt, src, dst)
}
