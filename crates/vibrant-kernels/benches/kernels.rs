//! Micro-benchmarks: the matmul tile per weight format × instruction-set level, for one token (decode) and
//! four tokens (a prefill batch, where each unpacked weight block serves four activation rows), and the
//! activation quantizers, and the F16 attention helpers.
//!
//! Run briefly: `cargo bench -p vibrant-kernels --bench kernels -- --min-time 0.05 --max-time 0.3`.
//! Throughput is reported as weight bytes (each weight is read once per tile) and as multiply-adds.

#![allow(clippy::unwrap_used)]

use divan::Bencher;
use divan::counter::{BytesCount, ItemsCount};
use vibrant_kernels::{ActFormat, Isa, Kernels, WeightFormat};

const K: usize = 2048;
const ROWS: usize = 128;

const FORMATS: [WeightFormat; 13] = WeightFormat::ALL;

fn main() {
    divan::main();
}

fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
}

/// A plausible weight matrix: random quants, scales set through the reference quantizer where one exists,
/// otherwise small random f16 scales written over the random bytes.
fn weights(fmt: WeightFormat, rows: usize, k: usize) -> Vec<u8> {
    let mut s = 7u64;
    let floats: Vec<f32> = (0..rows * k)
        .map(|_| (lcg(&mut s) % 2001) as f32 / 1000.0 - 1.0)
        .collect();
    let mut out = vec![0u8; fmt.row_bytes(k) * rows];
    if vibrant_kernels::quantize_row_weights(fmt, &floats, &mut out) {
        return out;
    }
    for b in out.iter_mut() {
        *b = lcg(&mut s) as u8;
    }
    let scale = half::f16::from_f32(0.01).to_bits().to_le_bytes();
    let fields: &[usize] = match fmt {
        WeightFormat::Q2K => &[80, 82],
        WeightFormat::Q3K => &[108],
        WeightFormat::Q4K | WeightFormat::Q5K => &[0, 2],
        WeightFormat::Q6K => &[208],
        _ => &[],
    };
    for blk in out.chunks_exact_mut(fmt.block_bytes()) {
        for &f in fields {
            blk[f..f + 2].copy_from_slice(&scale);
        }
    }
    out
}

fn activations(af: ActFormat, n_tok: usize, k: usize, kern: Kernels) -> Vec<u8> {
    let mut s = 11u64;
    let x: Vec<f32> = (0..n_tok * k)
        .map(|_| (lcg(&mut s) % 2001) as f32 / 1000.0 - 1.0)
        .collect();
    let mut out = vec![0u8; af.row_bytes(k) * n_tok];
    for (xr, yr) in x.chunks_exact(k).zip(out.chunks_exact_mut(af.row_bytes(k))) {
        kern.quantize_row(af, xr, yr);
    }
    out
}

fn tile(b: Bencher<'_, '_>, isa: Isa, fmt: WeightFormat, n_tok: usize) {
    let Ok(kern) = Kernels::new(isa) else { return };
    let w = weights(fmt, ROWS, K);
    let act = activations(fmt.act_format(), n_tok, K, kern);
    let mut out = vec![0.0f32; ROWS * n_tok];
    b.counter(BytesCount::new(w.len()))
        .counter(ItemsCount::new(ROWS * K * n_tok))
        .bench_local(|| kern.matmul_rows(fmt, K, &w, 0..ROWS, &act, n_tok, &mut out, ROWS));
}

#[divan::bench(args = FORMATS, consts = [1, 4])]
fn scalar<const NT: usize>(b: Bencher<'_, '_>, fmt: WeightFormat) {
    tile(b, Isa::Scalar, fmt, NT);
}

#[divan::bench(args = FORMATS, consts = [1, 4])]
fn avx2<const NT: usize>(b: Bencher<'_, '_>, fmt: WeightFormat) {
    tile(b, Isa::Avx2, fmt, NT);
}

#[divan::bench(args = FORMATS, consts = [1, 4])]
fn avx512<const NT: usize>(b: Bencher<'_, '_>, fmt: WeightFormat) {
    tile(b, Isa::Avx512, fmt, NT);
}

#[divan::bench(args = [Isa::Scalar, Isa::Avx2, Isa::Avx512], consts = [0, 1, 2])]
fn quantize<const AF: usize>(b: Bencher<'_, '_>, isa: Isa) {
    let Ok(kern) = Kernels::new(isa) else { return };
    let af = [ActFormat::Q8_0, ActFormat::Q8_1, ActFormat::Q8K][AF];
    let x: Vec<f32> = (0..K).map(|i| (i as f32 * 0.37).sin()).collect();
    let mut out = vec![0u8; af.row_bytes(K)];
    b.counter(BytesCount::new(K * 4))
        .bench_local(|| kern.quantize_row(af, &x, &mut out));
}

/// Attention over an F16 cache: 512 positions × head dimension 128, one `dot_f16` and one `axpy_f16` each.
#[divan::bench(args = [Isa::Scalar, Isa::Avx2, Isa::Avx512])]
fn attention_f16(b: Bencher<'_, '_>, isa: Isa) {
    let Ok(kern) = Kernels::new(isa) else { return };
    let (n_kv, hd) = (512usize, 128usize);
    let cache: Vec<half::f16> = (0..n_kv * hd)
        .map(|i| half::f16::from_f32((i as f32 * 0.01).sin()))
        .collect();
    let q: Vec<f32> = (0..hd).map(|i| (i as f32 * 0.3).cos()).collect();
    let mut out = vec![0.0f32; hd];
    b.counter(ItemsCount::new(2 * n_kv * hd)).bench_local(|| {
        for row in cache.chunks_exact(hd) {
            let s = kern.dot_f16(row, &q);
            kern.axpy_f16(&mut out, s * 1e-3, row);
        }
    });
}

/// A prefill tile, row-major (`matmul_rows`, four tokens per unpacked block) against the repacked GEMM
/// (eight rows × four tokens per register tile), at the active level, for `nt` tokens.
fn gemm(b: Bencher<'_, '_>, fmt: WeightFormat, nt: usize, repacked: bool) {
    let kern = Kernels::new(vibrant_kernels::active_isa()).unwrap();
    let w = weights(fmt, ROWS, K);
    let act = activations(fmt.act_format(), nt, K, kern);
    let mut out = vec![0.0f32; ROWS * nt];
    let b = b
        .counter(BytesCount::new(w.len()))
        .counter(ItemsCount::new(ROWS * K * nt));
    if repacked {
        let mut packed = vec![0u8; vibrant_kernels::repacked_len(fmt, ROWS, K).unwrap()];
        vibrant_kernels::repack::repack(fmt, K, ROWS, &w, &mut packed);
        b.bench_local(|| kern.matmul_repacked(fmt, K, &packed, 0..ROWS, &act, nt, &mut out, ROWS));
    } else {
        b.bench_local(|| kern.matmul_rows(fmt, K, &w, 0..ROWS, &act, nt, &mut out, ROWS));
    }
}

#[divan::bench(args = [false, true], consts = [1, 4, 16])]
fn q4k_gemm<const NT: usize>(b: Bencher<'_, '_>, repacked: bool) {
    gemm(b, WeightFormat::Q4K, NT, repacked);
}

#[divan::bench(args = [false, true], consts = [1, 4, 16])]
fn q6k_gemm<const NT: usize>(b: Bencher<'_, '_>, repacked: bool) {
    gemm(b, WeightFormat::Q6K, NT, repacked);
}

/// The 32-element formats: row-major `matmul_rows` against the repacked GEMM (16 rows × 4 tokens per tile).
const B32_FORMATS: [WeightFormat; 5] = [
    WeightFormat::Q4_0,
    WeightFormat::Q4_1,
    WeightFormat::Q5_0,
    WeightFormat::Q5_1,
    WeightFormat::Q8_0,
];

#[divan::bench(args = B32_FORMATS, consts = [1, 4, 16])]
fn b32_rowmajor<const NT: usize>(b: Bencher<'_, '_>, fmt: WeightFormat) {
    gemm(b, fmt, NT, false);
}

#[divan::bench(args = B32_FORMATS, consts = [1, 4, 16])]
fn b32_repacked<const NT: usize>(b: Bencher<'_, '_>, fmt: WeightFormat) {
    gemm(b, fmt, NT, true);
}
