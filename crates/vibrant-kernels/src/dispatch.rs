//! CPU detection and kernel selection.
//!
//! The best instruction-set level is detected once and cached; `VIBRANT_KERNELS=scalar|avx2|avx512|neon|neondot`
//! forces a level (one this CPU lacks falls back to the best supported level below it of the same architecture,
//! with a warning; a level of the other architecture falls back to the best supported one). [`Kernels`]
//! binds the operations to one level, so tests and benchmarks can run every level the machine supports.

// The calls into the `#[target_feature]` kernels are `unsafe`: each is guarded by the detection that built
// the `Kernels` value.
#![allow(unsafe_code)]

use std::ops::Range;
use std::sync::OnceLock;

use crate::format::{ActFormat, WeightFormat};
use crate::scalar::{self, MAX_TOK};

/// An instruction-set level the kernels are written for.
///
/// The order is only meaningful within one architecture: the aarch64 levels sort below every x86_64 level, so
/// an x86 check written as `isa >= Isa::Avx2` is never true for them, and the aarch64 code matches its levels
/// by name (never by order). A machine supports levels of one architecture only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Isa {
    /// Plain Rust (the specification; runs everywhere).
    Scalar,
    /// aarch64 NEON (Advanced SIMD; every aarch64 CPU has it).
    Neon,
    /// aarch64 NEON + the dot-product extension (`sdot`, ARMv8.2+ `dotprod`).
    NeonDot,
    /// x86_64 AVX2 + FMA + F16C.
    Avx2,
    /// x86_64 AVX-512 F/BW/VL + VNNI (`vpdpbusd`), on top of the AVX2 level.
    Avx512,
}

impl Isa {
    /// The name used by `VIBRANT_KERNELS` and in reports (`"scalar"`, `"neon"`, `"neondot"`, `"avx2"`,
    /// `"avx512"`).
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Neon => "neon",
            Isa::NeonDot => "neondot",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// The architecture of the level: 0 for scalar (every machine), 1 for x86_64, 2 for aarch64.
    fn arch(self) -> u8 {
        match self {
            Isa::Scalar => 0,
            Isa::Avx2 | Isa::Avx512 => 1,
            Isa::Neon | Isa::NeonDot => 2,
        }
    }

    /// Parses a `VIBRANT_KERNELS` value (case-insensitive).
    pub fn from_name(name: &str) -> Option<Isa> {
        match name.trim().to_ascii_lowercase().as_str() {
            "scalar" => Some(Isa::Scalar),
            "neon" => Some(Isa::Neon),
            "neondot" => Some(Isa::NeonDot),
            "avx2" => Some(Isa::Avx2),
            "avx512" => Some(Isa::Avx512),
            _ => None,
        }
    }

    /// Whether this CPU can run the level.
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                std::is_x86_feature_detected!("avx2")
                    && std::is_x86_feature_detected!("fma")
                    && std::is_x86_feature_detected!("f16c")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                Isa::Avx2.is_supported()
                    && std::is_x86_feature_detected!("avx512f")
                    && std::is_x86_feature_detected!("avx512bw")
                    && std::is_x86_feature_detected!("avx512vl")
                    && std::is_x86_feature_detected!("avx512vnni")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx2 | Isa::Avx512 => false,
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => std::arch::is_aarch64_feature_detected!("neon"),
            #[cfg(target_arch = "aarch64")]
            Isa::NeonDot => {
                Isa::Neon.is_supported() && std::arch::is_aarch64_feature_detected!("dotprod")
            }
            #[cfg(not(target_arch = "aarch64"))]
            Isa::Neon | Isa::NeonDot => false,
        }
    }
}

impl std::fmt::Display for Isa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Every level this CPU supports, lowest first (always starts with [`Isa::Scalar`]).
pub fn supported_isas() -> Vec<Isa> {
    [Isa::Scalar, Isa::Neon, Isa::NeonDot, Isa::Avx2, Isa::Avx512]
        .into_iter()
        .filter(|i| i.is_supported())
        .collect()
}

static ACTIVE: OnceLock<Isa> = OnceLock::new();

/// Chooses the level from a setting (`auto`, `scalar`, `avx2`, `avx512`, `neon`, `neondot`; e.g. the `engine.kernels`
/// config key) before the first kernel runs. `VIBRANT_KERNELS`, when set, still wins (it is the
/// debugging override). Returns the level in force: once kernels have run, the choice is fixed
/// and later calls only report it.
pub fn configure_isa(setting: &str) -> Isa {
    *ACTIVE.get_or_init(|| {
        let env = std::env::var("VIBRANT_KERNELS")
            .ok()
            .filter(|v| !v.trim().is_empty());
        let value = env.as_deref().unwrap_or(setting);
        let (isa, warning) = choose_isa(Some(value), &supported_isas());
        if let Some(w) = warning {
            tracing::warn!("{w}");
        }
        isa
    })
}

/// The level the top-level functions use: the best supported one, or the one `VIBRANT_KERNELS` forces.
pub fn active_isa() -> Isa {
    *ACTIVE.get_or_init(|| {
        let value = std::env::var("VIBRANT_KERNELS").ok();
        let (isa, warning) = choose_isa(value.as_deref(), &supported_isas());
        match warning {
            Some(w) => tracing::warn!("{w}"),
            None if value.is_some() => {
                tracing::debug!(isa = %isa, "kernels chosen by VIBRANT_KERNELS")
            }
            None => {}
        }
        isa
    })
}

/// The level for a `VIBRANT_KERNELS` value given the supported levels (lowest first), and the warning to log
/// when the value cannot be honoured.
fn choose_isa(value: Option<&str>, supported: &[Isa]) -> (Isa, Option<String>) {
    let best = supported.iter().copied().max().unwrap_or(Isa::Scalar);
    let value = value.map(str::trim).unwrap_or("");
    if value.is_empty() || value.eq_ignore_ascii_case("auto") {
        return (best, None);
    }
    let Some(wanted) = Isa::from_name(value) else {
        return (
            best,
            Some(format!(
                "VIBRANT_KERNELS={value} is not one of scalar, avx2, avx512, neon, neondot, auto; using {best}"
            )),
        );
    };
    if supported.contains(&wanted) {
        return (wanted, None);
    }
    // Below the wanted level within its architecture; a level of another architecture means nothing here,
    // so it falls back to the best this CPU has.
    let same_arch = supported.iter().any(|i| i.arch() == wanted.arch());
    let fallback = supported
        .iter()
        .copied()
        .filter(|i| {
            !same_arch || (*i <= wanted && (i.arch() == wanted.arch() || *i == Isa::Scalar))
        })
        .max()
        .unwrap_or(Isa::Scalar);
    let names: Vec<&str> = supported.iter().map(|i| i.name()).collect();
    (
        fallback,
        Some(format!(
            "VIBRANT_KERNELS={value}: this CPU does not support {wanted} (supported: {}); using {fallback}",
            names.join(", ")
        )),
    )
}

/// A dot kernel: `out[t] = w · acts[t]` for whole rows of `n` elements (see `Kernels::select_dot`).
type DotFn = unsafe fn(WeightFormat, usize, &[u8], &[&[u8]], &mut [f32]);

/// The scalar kernel with the [`DotFn`] signature.
///
/// # Safety
/// None beyond the signature: the scalar code checks its slices.
unsafe fn scalar_dot_multi(fmt: WeightFormat, n: usize, w: &[u8], acts: &[&[u8]], out: &mut [f32]) {
    scalar::dot_multi(fmt, n, w, acts, out);
}

/// `VIBRANT_KERNELS` asked for a level this CPU cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsupportedIsa(pub Isa);

impl std::fmt::Display for UnsupportedIsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "this CPU does not support the {} kernels; use one of {:?}",
            self.0,
            supported_isas()
        )
    }
}

impl std::error::Error for UnsupportedIsa {}

/// The kernel operations bound to one instruction-set level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kernels {
    isa: Isa,
}

impl Kernels {
    /// Kernels for `isa`, if this CPU supports it.
    pub fn new(isa: Isa) -> Result<Kernels, UnsupportedIsa> {
        if isa.is_supported() {
            Ok(Kernels { isa })
        } else {
            Err(UnsupportedIsa(isa))
        }
    }

    /// Kernels for [`active_isa`].
    pub fn active() -> Kernels {
        Kernels { isa: active_isa() }
    }

    /// The level these kernels run.
    pub fn isa(self) -> Isa {
        self.isa
    }

    /// Whether the level is one of the aarch64 NEON levels (matched by name: the order of [`Isa`] means
    /// nothing across architectures).
    #[cfg(target_arch = "aarch64")]
    fn neon(self) -> bool {
        matches!(self.isa, Isa::Neon | Isa::NeonDot)
    }

    /// See [`crate::quantize_row`].
    pub fn quantize_row(self, fmt: ActFormat, src: &[f32], dst: &mut [u8]) {
        #[cfg(target_arch = "x86_64")]
        if self.isa >= Isa::Avx2 && crate::x86_64::avx2::supports_quantize(fmt) {
            use crate::x86_64::{avx2, avx512};
            let need = fmt.row_bytes(src.len());
            assert!(
                dst.len() >= need,
                "quantize_row: a {fmt} row needs {need} bytes, dst holds {}",
                dst.len()
            );
            if self.isa >= Isa::Avx512 && avx512::supports_quantize(fmt) {
                // SAFETY: AVX-512 F/BW/VL/VNNI and AVX2/FMA/F16C were detected (`Kernels` is only built for
                // supported levels) and the destination length was checked above.
                unsafe { avx512::quantize_row(fmt, src, dst) };
            } else {
                // SAFETY: AVX2/FMA/F16C were detected and the destination length was checked above.
                unsafe { avx2::quantize_row(fmt, src, dst) };
            }
            return;
        }
        #[cfg(target_arch = "aarch64")]
        if self.neon() && crate::aarch64::neon::supports_quantize(fmt) {
            let need = fmt.row_bytes(src.len());
            assert!(
                dst.len() >= need,
                "quantize_row: a {fmt} row needs {need} bytes, dst holds {}",
                dst.len()
            );
            // SAFETY: NEON was detected (`Kernels` is only built for supported levels) and the destination
            // length was checked above.
            unsafe { crate::aarch64::neon::quantize_row(fmt, src, dst) };
            return;
        }
        scalar::quantize_row(fmt, src, dst);
    }

    /// See [`crate::dot`].
    pub fn dot(self, fmt: WeightFormat, n: usize, w: &[u8], act: &[u8]) -> f32 {
        let mut out = [0.0f32];
        self.dot_multi(fmt, n, w, &[act], &mut out);
        out[0]
    }

    /// One weight row against up to [`MAX_TOK`] activation rows: `out[t] = dot(w, acts[t])`.
    pub fn dot_multi(self, fmt: WeightFormat, n: usize, w: &[u8], acts: &[&[u8]], out: &mut [f32]) {
        let af = fmt.act_format();
        assert!(
            acts.len() <= MAX_TOK && out.len() >= acts.len(),
            "dot_multi takes at most {MAX_TOK} rows"
        );
        let wb = fmt.row_bytes(n);
        assert!(
            w.len() >= wb,
            "dot: a {n}-element {fmt} row needs {wb} bytes, the buffer holds {}",
            w.len()
        );
        let ab = af.row_bytes(n);
        for a in acts {
            assert!(
                a.len() >= ab,
                "dot: a {n}-element {af} row needs {ab} bytes, the buffer holds {}",
                a.len()
            );
        }
        // SAFETY: the lengths were checked above; `select_dot` only returns kernels this CPU supports.
        unsafe { self.select_dot(fmt)(fmt, n, w, acts, out) };
    }

    /// The dot kernel for `fmt` at this level (falling back to lower levels for formats without one).
    ///
    /// The returned function requires whole rows of `n` elements in `w` and every `acts[t]`, and
    /// `acts.len() <= MAX_TOK <= out.len()`.
    fn select_dot(self, fmt: WeightFormat) -> DotFn {
        #[cfg(target_arch = "x86_64")]
        {
            use crate::x86_64::{avx2, avx512};
            // `Kernels` is only built for levels the CPU supports, which is what the x86 kernels require.
            if self.isa >= Isa::Avx512 && avx512::supports_dot(fmt) {
                return avx512::dot_multi;
            }
            if self.isa >= Isa::Avx2 && avx2::supports_dot(fmt) {
                return avx2::dot_multi;
            }
        }
        #[cfg(target_arch = "aarch64")]
        if crate::aarch64::neon::supports_dot(fmt) {
            // `Kernels` is only built for levels the CPU supports: `dotprod` was detected for `NeonDot`.
            match self.isa {
                Isa::NeonDot => return crate::aarch64::neon::dot::dot_multi,
                Isa::Neon => return crate::aarch64::neon::plain::dot_multi,
                _ => {}
            }
        }
        let _ = fmt;
        scalar_dot_multi
    }

    /// See [`crate::dot_f32`].
    pub fn dot_f32(self, a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len(), "dot_f32: the vectors differ in length");
        #[cfg(target_arch = "x86_64")]
        if self.isa >= Isa::Avx2 {
            let (n, a, b) = (a.len(), a.as_ptr().cast(), b.as_ptr());
            // SAFETY: the level's features were detected; both vectors hold `n` elements.
            return unsafe {
                if self.isa >= Isa::Avx512 {
                    crate::x86_64::avx512::dot_vec::<0>(n, a, b)
                } else {
                    crate::x86_64::avx2::dot_vec::<0>(n, a, b)
                }
            };
        }
        #[cfg(target_arch = "aarch64")]
        if self.neon() {
            // SAFETY: NEON was detected; both vectors hold `a.len()` elements.
            return unsafe {
                crate::aarch64::neon::dot_vec::<0>(a.len(), a.as_ptr().cast(), b.as_ptr())
            };
        }
        scalar::dot_f32(a, b)
    }

    /// See [`crate::dot_f16`].
    pub fn dot_f16(self, a: &[half::f16], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len(), "dot_f16: the vectors differ in length");
        #[cfg(target_arch = "x86_64")]
        if self.isa >= Isa::Avx2 {
            let (n, a, b) = (a.len(), a.as_ptr().cast(), b.as_ptr());
            // SAFETY: the level's features were detected; both vectors hold `n` elements.
            return unsafe {
                if self.isa >= Isa::Avx512 {
                    crate::x86_64::avx512::dot_vec::<1>(n, a, b)
                } else {
                    crate::x86_64::avx2::dot_vec::<1>(n, a, b)
                }
            };
        }
        #[cfg(target_arch = "aarch64")]
        if self.neon() {
            // SAFETY: NEON was detected; both vectors hold `a.len()` elements.
            return unsafe {
                crate::aarch64::neon::dot_vec::<1>(a.len(), a.as_ptr().cast(), b.as_ptr())
            };
        }
        scalar::dot_f16(a, b)
    }

    /// See [`crate::axpy_f16`].
    pub fn axpy_f16(self, y: &mut [f32], alpha: f32, x: &[half::f16]) {
        assert_eq!(y.len(), x.len(), "axpy_f16: the vectors differ in length");
        #[cfg(target_arch = "x86_64")]
        if self.isa >= Isa::Avx2 {
            // SAFETY: the level's features were detected; `x` holds `y.len()` elements.
            unsafe {
                if self.isa >= Isa::Avx512 {
                    crate::x86_64::avx512::axpy_f16(y, alpha, x.as_ptr().cast());
                } else {
                    crate::x86_64::avx2::axpy_f16(y, alpha, x.as_ptr().cast());
                }
            }
            return;
        }
        #[cfg(target_arch = "aarch64")]
        if self.neon() {
            // SAFETY: NEON was detected; `x` holds `y.len()` elements.
            unsafe { crate::aarch64::neon::axpy_f16(y, alpha, x.as_ptr().cast()) };
            return;
        }
        scalar::axpy_f16(y, alpha, x);
    }

    /// See [`crate::mad_f16`].
    pub fn mad_f16(self, y: &mut [half::f16], x: &[half::f16], v: f32) {
        assert_eq!(y.len(), x.len(), "mad_f16: the vectors differ in length");
        #[cfg(target_arch = "x86_64")]
        if self.isa >= Isa::Avx2 {
            let (n, yp, xp) = (y.len(), y.as_mut_ptr().cast(), x.as_ptr().cast());
            // SAFETY: the level's features were detected; both vectors hold `n` elements.
            unsafe {
                if self.isa >= Isa::Avx512 {
                    crate::x86_64::avx512::f16_update::<false>(n, yp, xp, v);
                } else {
                    crate::x86_64::avx2::f16_update::<false>(n, yp, xp, v);
                }
            }
            return;
        }
        scalar::mad_f16(y, x, v);
    }

    /// See [`crate::scale_f16`].
    pub fn scale_f16(self, y: &mut [half::f16], v: f32) {
        #[cfg(target_arch = "x86_64")]
        if self.isa >= Isa::Avx2 {
            let (n, yp) = (y.len(), y.as_mut_ptr().cast());
            // SAFETY: the level's features were detected; `y` holds `n` elements (`x` is not read).
            unsafe {
                if self.isa >= Isa::Avx512 {
                    crate::x86_64::avx512::f16_update::<true>(n, yp, std::ptr::null(), v);
                } else {
                    crate::x86_64::avx2::f16_update::<true>(n, yp, std::ptr::null(), v);
                }
            }
            return;
        }
        scalar::scale_f16(y, v);
    }

    /// See [`crate::matmul_repacked`].
    #[allow(clippy::too_many_arguments)]
    pub fn matmul_repacked(
        self,
        fmt: WeightFormat,
        k: usize,
        packed: &[u8],
        rows: Range<usize>,
        act: &[u8],
        n_tok: usize,
        out: &mut [f32],
        out_stride: usize,
    ) {
        #[cfg(target_arch = "x86_64")]
        if crate::repack::repack_simd(self, fmt) {
            crate::repack::check(fmt, k, packed, &rows, act, n_tok, out, out_stride);
            // SAFETY: `Kernels` values exist only for levels the CPU supports (AVX-512 VNNI here); `check`
            // verified that `packed` holds every group in `rows`, `act` every token row and `out` every
            // output element.
            unsafe {
                gemm_repacked(
                    fmt,
                    k,
                    packed,
                    rows,
                    act,
                    n_tok,
                    out.as_mut_ptr(),
                    out_stride,
                );
            }
            return;
        }
        crate::repack::matmul_repacked_scalar(fmt, k, packed, rows, act, n_tok, out, out_stride);
    }

    /// See [`crate::matmul_repacked_pool`].
    #[allow(clippy::too_many_arguments)]
    pub fn matmul_repacked_pool(
        self,
        pool: &crate::ThreadPool,
        fmt: WeightFormat,
        k: usize,
        packed: &[u8],
        rows: usize,
        act: &[u8],
        n_tok: usize,
        out: &mut [f32],
        chunk: usize,
    ) {
        let group = crate::repack::repack_rows(fmt);
        assert!(
            chunk > 0 && chunk.is_multiple_of(group),
            "matmul_repacked_pool: chunks of {chunk} rows are not whole groups of {group}"
        );
        #[cfg(target_arch = "x86_64")]
        if crate::repack::repack_simd(self, fmt) {
            crate::repack::check(fmt, k, packed, &(0..rows), act, n_tok, out, rows);
            let base = crate::pool::SendPtr(out.as_mut_ptr());
            pool.run(rows.div_ceil(chunk), &|i| {
                let start = i * chunk;
                let end = (start + chunk).min(rows);
                let base = &base;
                // SAFETY: the level's features were detected; `check` verified the packed groups, the
                // activation rows and that `out` holds `n_tok` rows of `rows` floats. Task `i` writes only
                // columns `start..end` of those rows, tasks of different indices own disjoint columns,
                // each runs once, and `out` stays mutably borrowed until `run` returns.
                unsafe {
                    gemm_repacked(
                        fmt,
                        k,
                        packed,
                        start..end,
                        act,
                        n_tok,
                        base.0.add(start),
                        rows,
                    );
                }
            });
            return;
        }
        let _ = pool;
        crate::repack::matmul_repacked_scalar(fmt, k, packed, 0..rows, act, n_tok, out, rows);
    }

    /// See [`crate::repack_pays`].
    pub fn repack_pays(self, fmt: WeightFormat) -> bool {
        crate::repack::repack_pays_with(self, fmt)
    }

    /// See [`crate::matmul_rows`].
    #[allow(clippy::too_many_arguments)]
    pub fn matmul_rows(
        self,
        fmt: WeightFormat,
        k: usize,
        w: &[u8],
        rows: Range<usize>,
        act: &[u8],
        n_tok: usize,
        out: &mut [f32],
        out_stride: usize,
    ) {
        scalar::check_matmul(fmt, k, w, &rows, act, n_tok, out, out_stride);
        let rb = fmt.row_bytes(k);
        let ab = fmt.act_format().row_bytes(k);
        let dot = self.select_dot(fmt);
        let mut t0 = 0;
        while t0 < n_tok {
            let nt = (n_tok - t0).min(MAX_TOK);
            let mut acts: [&[u8]; MAX_TOK] = [&[]; MAX_TOK];
            for (i, a) in acts.iter_mut().enumerate().take(nt) {
                *a = &act[(t0 + i) * ab..(t0 + i + 1) * ab];
            }
            for r in rows.clone() {
                let mut res = [0.0f32; MAX_TOK];
                // SAFETY: `check_matmul` verified every weight row in `rows` and every activation row; the
                // slices below are whole rows.
                unsafe { dot(fmt, k, &w[r * rb..(r + 1) * rb], &acts[..nt], &mut res) };
                for (i, v) in res[..nt].iter().enumerate() {
                    out[(t0 + i) * out_stride + r - rows.start] = *v;
                }
            }
            t0 += nt;
        }
    }
}

/// The AVX-512 repacked GEMM of `fmt`'s layout (16-row groups for the 32-element formats, 8 for the K-quants).
///
/// # Safety
/// As `x86_64::repack512::gemm_x8` / `repack512_b32::gemm_b32`: AVX-512 VNNI, shapes as `repack::check`,
/// `out` writable at every `t * out_stride + r - rows.start` and not accessed by anyone else meanwhile.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_repacked(
    fmt: WeightFormat,
    k: usize,
    packed: &[u8],
    rows: Range<usize>,
    act: &[u8],
    n_tok: usize,
    out: *mut f32,
    out_stride: usize,
) {
    // SAFETY: forwarded contract.
    unsafe {
        if crate::repack::repack_rows(fmt) == crate::repack::B32_ROWS {
            crate::x86_64::repack512_b32::gemm_b32(
                fmt, k, packed, rows, act, n_tok, out, out_stride,
            );
        } else {
            crate::x86_64::repack512::gemm_x8(fmt, k, packed, rows, act, n_tok, out, out_stride);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_value_selects_forces_or_falls_back() {
        let all = [Isa::Scalar, Isa::Avx2, Isa::Avx512];
        let avx2 = [Isa::Scalar, Isa::Avx2];
        assert_eq!(choose_isa(None, &all), (Isa::Avx512, None));
        assert_eq!(choose_isa(Some(" auto "), &avx2), (Isa::Avx2, None));
        assert_eq!(choose_isa(Some("SCALAR"), &all), (Isa::Scalar, None));
        assert_eq!(choose_isa(Some("avx2"), &all), (Isa::Avx2, None));
        let (isa, warning) = choose_isa(Some("avx512"), &avx2);
        assert_eq!(isa, Isa::Avx2);
        assert!(
            warning
                .unwrap_or_default()
                .contains("does not support avx512")
        );
        let (isa, warning) = choose_isa(Some("avx2"), &[Isa::Scalar]);
        assert_eq!(isa, Isa::Scalar);
        assert!(warning.is_some());
        let (isa, warning) = choose_isa(Some("neon9"), &avx2);
        assert_eq!(isa, Isa::Avx2);
        assert!(warning.unwrap_or_default().contains("not one of"));
        // aarch64: the same rules within the architecture; a level of the other one means "the best here".
        let arm = [Isa::Scalar, Isa::Neon, Isa::NeonDot];
        let arm_nodot = [Isa::Scalar, Isa::Neon];
        assert_eq!(choose_isa(None, &arm), (Isa::NeonDot, None));
        assert_eq!(choose_isa(Some("NEON"), &arm), (Isa::Neon, None));
        assert_eq!(choose_isa(Some("neondot"), &arm), (Isa::NeonDot, None));
        let (isa, warning) = choose_isa(Some("neondot"), &arm_nodot);
        assert_eq!(isa, Isa::Neon);
        assert!(
            warning
                .unwrap_or_default()
                .contains("does not support neondot")
        );
        let (isa, warning) = choose_isa(Some("avx2"), &arm);
        assert_eq!(isa, Isa::NeonDot);
        assert!(warning.is_some());
        let (isa, warning) = choose_isa(Some("neon"), &all);
        assert_eq!(isa, Isa::Avx512);
        assert!(warning.is_some());
        let (isa, warning) = choose_isa(Some("neondot"), &[Isa::Scalar]);
        assert_eq!(isa, Isa::Scalar);
        assert!(warning.is_some());
        // The aarch64 levels never satisfy an x86 check (`isa >= Isa::Avx2`).
        assert!(Isa::NeonDot < Isa::Avx2 && Isa::Neon < Isa::Avx2);
        for isa in [Isa::Scalar, Isa::Neon, Isa::NeonDot, Isa::Avx2, Isa::Avx512] {
            assert_eq!(Isa::from_name(isa.name()), Some(isa));
        }
    }
}
