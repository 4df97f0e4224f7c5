//! Micro-benchmarks of the attention and activation kernels per instruction-set level: one block of
//! online-softmax attention (decode: 6 query rows, the query heads of one Qwen2.5-1.5B KV head; prefill:
//! 24 rows, those heads × 4 tokens) against 64 keys of 128 dimensions, and the vectorised `exp` and SwiGLU.
//!
//! Run briefly: `cargo bench -p vibrant-kernels --bench attention -- --min-time 0.05 --max-time 0.3`.
//! Throughput is reported in multiply-adds (scores and value accumulation) or elements.

#![allow(clippy::unwrap_used)]

use divan::Bencher;
use divan::counter::ItemsCount;
use vibrant_kernels::{Kernels, supported_isas};

const HD: usize = 128;
const KEYS: usize = 64;

fn main() {
    divan::main();
}

fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) % 2001) as f32 / 1000.0 - 1.0
        })
        .collect()
}

fn levels() -> Vec<&'static str> {
    supported_isas().into_iter().map(|i| i.name()).collect()
}

#[divan::bench(args = levels(), consts = [6, 24])]
fn attn_block<const NQ: usize>(bencher: Bencher<'_, '_>, isa: &str) {
    let kern = Kernels::new(vibrant_kernels::Isa::from_name(isa).unwrap()).unwrap();
    let q = values(NQ * HD, 1);
    let k = values(KEYS * HD, 2);
    let v = values(KEYS * HD, 3);
    let visible = vec![KEYS; NQ];
    let (mut m, mut l, mut acc) = (
        vec![f32::NEG_INFINITY; NQ],
        vec![0.0; NQ],
        vec![0.0; NQ * HD],
    );
    let mut scores = vec![0.0; 2 * KEYS];
    bencher
        .counter(ItemsCount::new(2 * NQ * KEYS * HD))
        .bench_local(|| {
            kern.attn_block(
                &q,
                HD,
                0.088,
                &k,
                &v,
                &visible,
                &mut m,
                &mut l,
                &mut acc,
                &mut scores,
            );
        });
}

#[divan::bench(args = levels())]
fn exp(bencher: Bencher<'_, '_>, isa: &str) {
    let kern = Kernels::new(vibrant_kernels::Isa::from_name(isa).unwrap()).unwrap();
    let x = values(4096, 4);
    let mut y = x.clone();
    bencher.counter(ItemsCount::new(x.len())).bench_local(|| {
        y.copy_from_slice(&x);
        kern.exp_inplace(&mut y);
    });
}

#[divan::bench(args = levels())]
fn silu_mul(bencher: Bencher<'_, '_>, isa: &str) {
    let kern = Kernels::new(vibrant_kernels::Isa::from_name(isa).unwrap()).unwrap();
    let g = values(8960, 5);
    let u = values(8960, 6);
    let mut y = g.clone();
    bencher.counter(ItemsCount::new(g.len())).bench_local(|| {
        y.copy_from_slice(&g);
        kern.silu_mul(&mut y, &u);
    });
}
