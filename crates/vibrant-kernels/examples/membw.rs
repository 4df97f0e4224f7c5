//! Memory read bandwidth of this machine, the ceiling of decode speed (every weight byte is read once per
//! generated token): `cargo run --release -p vibrant-kernels --example membw -- [THREADS] [MIB]`.
//!
//! Each thread sums its own slice of a buffer larger than the caches (default 1 GiB in all), five times;
//! the best pass is reported in GB/s.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let threads: usize = args.next().map_or(2, |a| a.parse().unwrap());
    let mib: usize = args.next().map_or(1024, |a| a.parse().unwrap());
    let words = (mib << 20) / 8 / threads;
    let bufs: Vec<Vec<u64>> = (0..threads)
        .map(|t| (0..words as u64).map(|i| i ^ t as u64).collect())
        .collect();
    let mut best = 0.0f64;
    for _ in 0..5 {
        let start = Instant::now();
        let sums: Vec<u64> = std::thread::scope(|s| {
            let handles: Vec<_> = bufs
                .iter()
                .map(|b| {
                    s.spawn(move || {
                        // Eight independent lanes so the loop vectorises and is not latency bound.
                        let mut acc = [0u64; 8];
                        for c in b.chunks_exact(8) {
                            for (a, &x) in acc.iter_mut().zip(c) {
                                *a = a.wrapping_add(x);
                            }
                        }
                        acc.iter().fold(0u64, |x, &y| x.wrapping_add(y))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let secs = start.elapsed().as_secs_f64();
        std::hint::black_box(sums);
        best = best.max((threads * words * 8) as f64 / secs / 1e9);
    }
    println!("{threads} thread(s), {mib} MiB: {best:.1} GB/s (best of 5 passes)");
}
