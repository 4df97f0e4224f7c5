//! AVX-512 F/BW/VL + VNNI kernels.

use crate::format::WeightFormat;

pub(crate) fn supports_dot(_fmt: WeightFormat) -> bool {
    false
}

/// # Safety
/// The CPU must support AVX-512 F/BW/VL/VNNI plus AVX2, FMA and F16C; `w` and every `acts[t]` must hold a
/// whole row of `n` elements.
pub(crate) unsafe fn dot_multi(
    fmt: WeightFormat,
    n: usize,
    w: &[u8],
    acts: &[&[u8]],
    out: &mut [f32],
) {
    crate::scalar::dot_multi(fmt, n, w, acts, out)
}
