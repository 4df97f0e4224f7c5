//! A short memory-bandwidth probe: how fast `threads` threads together read a buffer larger than
//! the caches. Decoding a quantized model on a CPU reads every weight once per token, so this
//! figure bounds its tokens per second.

use std::time::Instant;

/// Bytes per second that `threads` threads read together from a `bytes`-long buffer (the best
/// of `reps` passes, after one pass that faults the pages in). `None` when `bytes` or
/// `threads` is 0 or a pass took no measurable time.
pub fn read_bandwidth(threads: usize, bytes: usize, reps: usize) -> Option<f64> {
    let words = bytes / 8;
    if threads == 0 || words < threads {
        return None;
    }
    let buf: Vec<u64> = (0..words as u64).collect();
    let chunk = words.div_ceil(threads);
    let mut best: Option<f64> = None;
    for pass in 0..=reps.max(1) {
        let start = Instant::now();
        let total = std::thread::scope(|s| {
            let handles: Vec<_> = buf
                .chunks(chunk)
                .map(|c| s.spawn(move || c.iter().fold(0u64, |a, &x| a.wrapping_add(x))))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(0))
                .fold(0u64, u64::wrapping_add)
        });
        let secs = start.elapsed().as_secs_f64();
        std::hint::black_box(total);
        if pass == 0 || secs <= 0.0 {
            continue;
        }
        let rate = (words * 8) as f64 / secs;
        best = Some(best.map_or(rate, |b: f64| b.max(rate)));
    }
    best
}

#[cfg(test)]
mod tests {
    use super::read_bandwidth;

    #[test]
    fn the_probe_measures_something_plausible() {
        let bw = read_bandwidth(2, 64 << 20, 2).unwrap_or(0.0);
        // Between 100 MB/s (a very slow machine under load) and 10 TB/s (nothing reads faster).
        assert!((1e8..1e13).contains(&bw), "{bw}");
        assert!(read_bandwidth(0, 1 << 20, 1).is_none());
        assert!(read_bandwidth(2, 0, 1).is_none());
    }
}
