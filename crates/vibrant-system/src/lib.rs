//! Machine facts for Vibrant: how much memory there is to use (respecting cgroup v1/v2 limits),
//! the CPU model, physical/logical cores (respecting the affinity mask and cgroup CPU quota) and the
//! SIMD features the CPU offers, detected at runtime.
//!
//! Model selection (`vibrant-models`) and the engine's thread count start from [`SystemInfo::detect`].
//! Everything is read from `/proc` and `/sys` without extra dependencies; each file format has a
//! pure parsing function (taking the file's contents) so it can be tested on fake inputs, and
//! [`SystemInfo::detect_from_root`] reads the same files under another root directory. On systems
//! without those files (macOS, Windows) the figures that cannot be known are `None` and detection
//! never fails.
//!
//! ```
//! let info = vibrant_system::SystemInfo::detect();
//! assert!(info.cpu.logical_cores >= 1);
//! assert!(info.recommended_threads() >= 1);
//! ```

mod bandwidth;
mod cgroup;
mod cpu;
mod memory;

use std::path::Path;

use serde::Serialize;

pub use bandwidth::read_bandwidth;
pub use cgroup::{
    CgroupMembership, CgroupMount, CgroupVersion, parse_cpu_max, parse_memory_limit,
    parse_mountinfo_cgroups, parse_proc_self_cgroup, parse_v1_cfs_quota,
};
pub use cpu::{CpuInfo, Processor, SimdFeatures, parse_cpu_list, parse_cpuinfo, physical_cores};
pub use memory::{MemInfo, MemoryInfo, parse_meminfo, parse_memory_stat_inactive_file};

/// Everything Vibrant knows about the machine it runs on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemInfo {
    /// Operating system, as `std::env::consts::OS` (`linux`, `macos`, `windows`, …).
    pub os: String,
    /// CPU architecture, as `std::env::consts::ARCH` (`x86_64`, `aarch64`, …).
    pub arch: String,
    /// CPU model, cores and SIMD features.
    pub cpu: CpuInfo,
    /// Memory, host-wide and as limited by the cgroup this process runs in.
    pub memory: MemoryInfo,
}

impl SystemInfo {
    /// Detects the machine this process runs on. Never fails: what cannot be read is `None`.
    pub fn detect() -> Self {
        let mut info = Self::detect_from_root(Path::new("/"));
        // The runtime check is authoritative for what this process may execute; the cpuinfo flags
        // only fill in what `is_x86_feature_detected!` cannot name (AMX).
        info.cpu.features = SimdFeatures::detect_runtime(&info.cpu.features);
        // Without /proc (macOS, Windows) the standard library's count is all there is.
        if info.cpu.logical_cores == 0 {
            let parallelism = std::thread::available_parallelism().map_or(1, usize::from);
            info.cpu.logical_cores = parallelism;
            info.cpu.usable_cores = parallelism;
        }
        if info.cpu.physical_cores == 0 {
            info.cpu.physical_cores = info.cpu.usable_cores.max(1);
        }
        info
    }

    /// Reads the Linux files (`proc/meminfo`, `proc/cpuinfo`, `proc/self/status`, `proc/self/cgroup`,
    /// `proc/self/mountinfo` and the cgroup controller files they point to) under `root` instead of
    /// `/`. SIMD features come from the `flags` line of the cpuinfo file only. Used by tests with a
    /// fake root; [`SystemInfo::detect`] calls it with `/`.
    pub fn detect_from_root(root: &Path) -> Self {
        let read = |rel: &str| std::fs::read_to_string(root.join(rel)).ok();
        let cgroups = cgroup::Cgroups::locate(
            root,
            read("proc/self/cgroup").as_deref(),
            read("proc/self/mountinfo").as_deref(),
        );
        let memory = memory::detect(read("proc/meminfo").as_deref(), &cgroups);
        let cpu = cpu::detect(
            read("proc/cpuinfo").as_deref(),
            read("proc/self/status").as_deref(),
            &cgroups,
        );
        Self {
            os: std::env::consts::OS.to_owned(),
            arch: std::env::consts::ARCH.to_owned(),
            cpu,
            memory,
        }
    }

    /// The number of threads the engine should use by default: the physical cores this process may
    /// run on, capped by the cgroup CPU quota (rounded up), at least 1.
    pub fn recommended_threads(&self) -> usize {
        let mut n = self.cpu.physical_cores.min(self.cpu.usable_cores).max(1);
        if let Some(quota) = self.cpu.cgroup_cpu_quota {
            // A quota of 1.5 CPUs still benefits from 2 threads; never round down to 0.
            let cap = quota.ceil().max(1.0) as usize;
            n = n.min(cap);
        }
        n
    }
}

#[cfg(test)]
mod tests;
