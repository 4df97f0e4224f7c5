//! A persistent worker pool for the forward pass: workers spin briefly between jobs, then park.
//!
//! A fork-join through a general-purpose pool costs several microseconds per operation; a decode
//! step of a small model runs hundreds of operations, so the engine keeps its own workers hot.
//! [`ThreadPool::run`] hands out the task indices `0..n` of a job to the calling thread and the
//! workers (dynamic scheduling through one atomic counter) and returns when every task is done.
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! let pool = vibrant_kernels::ThreadPool::new(2);
//! let sum = AtomicUsize::new(0);
//! pool.run(100, &|i| { sum.fetch_add(i, Ordering::Relaxed); });
//! assert_eq!(sum.load(Ordering::Relaxed), 4950);
//!
//! let mut out = vec![0u32; 10];
//! pool.for_each_chunk_mut(&mut out, 3, &|chunk, slice| slice.fill(chunk as u32));
//! assert_eq!(out, [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]);
//! ```
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long an idle worker spins before it parks.
const SPIN: Duration = Duration::from_micros(200);

/// One job: a borrowed closure. Lives on the stack of [`ThreadPool::run`].
struct Job<'a> {
    f: &'a (dyn Fn(usize) + Sync),
}

struct Shared {
    /// High 32 bits: job generation; low 32 bits: the next task index to hand out.
    counter: AtomicU64,
    /// The current job (a `*const Job`, type-erased); valid while its generation is current and
    /// tasks remain, because `run` does not return before all of its tasks are done.
    job: AtomicPtr<()>,
    /// Task count of the current job (read before claiming, so a worker never dereferences a
    /// job it has not claimed a task of).
    n_tasks: AtomicUsize,
    /// Tasks of the current job finished so far.
    done: AtomicUsize,
    /// Workers currently parked.
    sleepers: AtomicUsize,
    stop: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
    /// A panic message from a task of the current job.
    panicked: Mutex<Option<String>>,
}

/// A fixed set of worker threads (plus the calling thread) that run jobs of indexed tasks.
pub struct ThreadPool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    /// Serialises callers: one job at a time.
    running: Mutex<()>,
}

impl std::fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadPool")
            .field("threads", &self.threads())
            .finish()
    }
}

impl ThreadPool {
    /// A pool that runs jobs on `threads` threads in all: the caller and `threads - 1` workers.
    pub fn new(threads: usize) -> ThreadPool {
        let shared = Arc::new(Shared {
            counter: AtomicU64::new(0),
            job: AtomicPtr::new(std::ptr::null_mut()),
            n_tasks: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            panicked: Mutex::new(None),
        });
        let mut workers = Vec::new();
        for i in 1..threads.max(1) {
            let shared = Arc::clone(&shared);
            let spawned = std::thread::Builder::new()
                .name(format!("vibrant-worker-{i}"))
                .spawn(move || worker(&shared));
            match spawned {
                Ok(handle) => workers.push(handle),
                Err(e) => {
                    tracing::warn!(
                        "could not start worker thread {i}: {e}; continuing with {i} threads"
                    );
                    break;
                }
            }
        }
        ThreadPool {
            shared,
            workers,
            running: Mutex::new(()),
        }
    }

    /// Threads that execute a job (workers + the caller).
    pub fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Runs `f(0) … f(n - 1)` on the pool and the calling thread; returns when all have run.
    ///
    /// # Panics
    /// If a task panics, after every task of the job has finished (the panic is re-raised here).
    pub fn run(&self, n: usize, f: &(dyn Fn(usize) + Sync)) {
        if n == 0 {
            return;
        }
        if self.workers.is_empty() || n == 1 {
            (0..n).for_each(f);
            return;
        }
        assert!(n < u32::MAX as usize, "too many tasks in one job");
        let _serial = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let sh = &*self.shared;
        let job = Job { f };
        sh.done.store(0, Ordering::Relaxed);
        sh.n_tasks.store(n, Ordering::Relaxed);
        sh.job
            .store((&raw const job).cast_mut().cast(), Ordering::Relaxed);
        // New generation, task index 0; publishes `job` and `done` to the workers.
        let generation = (sh.counter.load(Ordering::Relaxed) >> 32).wrapping_add(1) & 0xFFFF_FFFF;
        sh.counter.store(generation << 32, Ordering::Release);
        if sh.sleepers.load(Ordering::SeqCst) > 0 {
            let _g = sh.lock.lock().unwrap_or_else(|e| e.into_inner());
            sh.wake.notify_all();
        }
        run_tasks(sh, generation);
        let mut spins = 0u32;
        while sh.done.load(Ordering::Acquire) < n {
            // Spin while the last tasks finish; yield when they take long (an oversubscribed
            // machine may have descheduled the worker we are waiting for).
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(1024) {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        // No task of this job can start any more (all indices are handed out) and all have
        // finished: `job` may now go out of scope.
        sh.job.store(std::ptr::null_mut(), Ordering::Relaxed);
        let panicked = sh.panicked.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(message) = panicked {
            panic!("a worker task panicked: {message}");
        }
    }

    /// Splits `data` into chunks of `chunk` elements (the last may be shorter) and runs
    /// `f(chunk_index, chunk)` for each on the pool.
    pub fn for_each_chunk_mut<T: Send>(
        &self,
        data: &mut [T],
        chunk: usize,
        f: &(dyn Fn(usize, &mut [T]) + Sync),
    ) {
        let chunk = chunk.max(1);
        let len = data.len();
        let n = len.div_ceil(chunk);
        let base = SendPtr(data.as_mut_ptr());
        self.run(n, &|i| {
            let start = i * chunk;
            let end = (start + chunk).min(len);
            let base = &base;
            // SAFETY: chunk `i` covers `start..end` within `data`, chunks of different indices do
            // not overlap, each index runs exactly once, and `data` stays mutably borrowed (so
            // untouched by anyone else) until `run` returns after every task has finished.
            let slice = unsafe { std::slice::from_raw_parts_mut(base.0.add(start), end - start) };
            f(i, slice);
        });
    }
}

/// A raw pointer that may cross threads (the chunks it leads to are disjoint).
pub(crate) struct SendPtr<T>(pub(crate) *mut T);
// SAFETY: used only by `for_each_chunk_mut`, which hands each thread a disjoint chunk of a
// `&mut [T]` with `T: Send`, and by `Kernels::matmul_repacked_pool`, whose tasks write disjoint
// columns of a `&mut [f32]`.
unsafe impl<T: Send> Sync for SendPtr<T> {}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        {
            let _g = self.shared.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.shared.wake.notify_all();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// Claims and runs tasks of `generation` until none are left (or a newer job started).
fn run_tasks(sh: &Shared, generation: u64) {
    loop {
        let cur = sh.counter.load(Ordering::Acquire);
        if cur >> 32 != generation {
            return;
        }
        // `n_tasks` may already belong to a newer job; then the claim below fails (its generation
        // differs) and we look again.
        let n = sh.n_tasks.load(Ordering::Acquire);
        let idx = (cur & 0xFFFF_FFFF) as usize;
        if idx >= n {
            return;
        }
        if sh
            .counter
            .compare_exchange_weak(cur, cur + 1, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            continue;
        }
        // Re-read the job after the claim: the claim succeeded for `generation`, so the job
        // pointer of that generation is current (a newer job cannot start while this task is
        // unfinished).
        let job = sh.job.load(Ordering::Acquire) as *const Job<'_>;
        if job.is_null() {
            return; // unreachable: a claimed, unfinished task keeps the job published
        }
        // SAFETY: `job` was stored before this generation was published (Release on `counter`,
        // Acquire in the claim above), and `run` keeps it alive and published until `done`
        // reaches its task count, which cannot happen before this claimed task finishes.
        let f = unsafe { (*job).f };
        if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(idx))) {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            if let Ok(mut p) = sh.panicked.lock() {
                p.get_or_insert(message);
            }
        }
        sh.done.fetch_add(1, Ordering::Release);
    }
}

fn worker(sh: &Shared) {
    let mut seen = 0u64;
    loop {
        // Spin for new work, then park.
        let start = Instant::now();
        let mut spins = 0u32;
        let generation = loop {
            if sh.stop.load(Ordering::Relaxed) {
                return;
            }
            let g = sh.counter.load(Ordering::Acquire) >> 32;
            if g != seen {
                break g;
            }
            spins = spins.wrapping_add(1);
            // Reading the clock costs more than a spin: look at it every 64 spins.
            if spins.is_multiple_of(64) && start.elapsed() > SPIN {
                let guard = sh.lock.lock().unwrap_or_else(|e| e.into_inner());
                sh.sleepers.fetch_add(1, Ordering::SeqCst);
                let g = sh.counter.load(Ordering::SeqCst) >> 32;
                if g == seen && !sh.stop.load(Ordering::SeqCst) {
                    let _unused = sh.wake.wait_timeout(guard, Duration::from_millis(50));
                }
                sh.sleepers.fetch_sub(1, Ordering::SeqCst);
            } else {
                std::hint::spin_loop();
            }
        };
        seen = generation;
        run_tasks(sh, generation);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_runs_exactly_once_across_many_jobs() {
        let pool = ThreadPool::new(3);
        for n in [1usize, 2, 7, 64, 1000] {
            let hits: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
            for _ in 0..50 {
                pool.run(n, &|i| {
                    hits[i].fetch_add(1, Ordering::Relaxed);
                });
            }
            assert!(
                hits.iter().all(|h| h.load(Ordering::Relaxed) == 50),
                "n = {n}"
            );
        }
    }

    #[test]
    fn chunks_are_disjoint_and_cover_the_slice() {
        let pool = ThreadPool::new(2);
        let mut v = vec![0usize; 1001];
        pool.for_each_chunk_mut(&mut v, 10, &|c, s| {
            for (j, x) in s.iter_mut().enumerate() {
                *x += c * 10 + j + 1;
            }
        });
        assert!(v.iter().enumerate().all(|(i, &x)| x == i + 1));
    }

    #[test]
    fn parked_workers_wake_up() {
        let pool = ThreadPool::new(2);
        std::thread::sleep(Duration::from_millis(20)); // past the spin window: workers park
        let count = AtomicUsize::new(0);
        pool.run(100, &|_| {
            count.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(count.load(Ordering::Relaxed), 100);
    }

    #[test]
    fn a_panicking_task_is_reported_to_the_caller() {
        let pool = ThreadPool::new(2);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.run(8, &|i| assert!(i != 5, "task five"));
        }));
        assert!(result.is_err());
        // The pool still works afterwards.
        let count = AtomicUsize::new(0);
        pool.run(4, &|_| {
            count.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(count.load(Ordering::Relaxed), 4);
    }
}
