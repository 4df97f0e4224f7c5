//! Memory figures: `/proc/meminfo` for the host, the cgroup for this process's share of it.

use serde::Serialize;

use crate::cgroup::{CgroupVersion, Cgroups};

/// The fields of `/proc/meminfo` Vibrant uses, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemInfo {
    /// `MemTotal`.
    pub total: Option<u64>,
    /// `MemAvailable`, or `MemFree + Buffers + Cached` on kernels older than 3.14.
    pub available: Option<u64>,
}

/// Parses `/proc/meminfo` (values in kB) into bytes.
pub fn parse_meminfo(contents: &str) -> MemInfo {
    let field = |name: &str| -> Option<u64> {
        contents.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            let mut parts = rest.split_whitespace();
            let value: u64 = parts.next()?.parse().ok()?;
            let scale = match parts.next() {
                Some("kB") => 1024,
                None => 1,
                Some(_) => return None,
            };
            value.checked_mul(scale)
        })
    };
    let available = field("MemAvailable").or_else(|| {
        Some(field("MemFree")? + field("Buffers").unwrap_or(0) + field("Cached").unwrap_or(0))
    });
    MemInfo {
        total: field("MemTotal"),
        available,
    }
}

/// Reads one `key value` line of a cgroup `memory.stat` file.
pub(crate) fn stat_value(contents: &str, key: &str) -> Option<u64> {
    contents.lines().find_map(|line| {
        let (k, v) = line.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// The `inactive_file` figure of a cgroup v2 `memory.stat` file (page cache the kernel reclaims
/// first, so it counts as available), falling back to v1's `total_inactive_file`.
pub fn parse_memory_stat_inactive_file(contents: &str) -> Option<u64> {
    stat_value(contents, "inactive_file").or_else(|| stat_value(contents, "total_inactive_file"))
}

/// How much memory this process can count on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MemoryInfo {
    /// The memory this process may use in total: the host's RAM, or the cgroup limit if lower.
    pub total_bytes: Option<u64>,
    /// The memory available now: the host's `MemAvailable`, or what is left under the cgroup
    /// limit (limit minus usage, not counting reclaimable page cache) if lower.
    pub available_bytes: Option<u64>,
    /// The host's `MemTotal`.
    pub host_total_bytes: Option<u64>,
    /// The host's `MemAvailable`.
    pub host_available_bytes: Option<u64>,
    /// The cgroup memory limit (the smallest along the hierarchy), if one is set.
    pub cgroup_limit_bytes: Option<u64>,
    /// Which cgroup hierarchy the limit came from.
    pub cgroup_version: Option<CgroupVersion>,
}

pub(crate) fn detect(meminfo: Option<&str>, cgroups: &Cgroups) -> MemoryInfo {
    let host = meminfo.map(parse_meminfo).unwrap_or_default();
    let cgroup = cgroups.memory();
    combine(
        host,
        cgroup.and_then(|c| c.limit),
        cgroup.and_then(|c| c.used),
        cgroup.map(|c| c.version),
    )
}

/// Applies a cgroup limit (and its usage) to the host's figures.
pub(crate) fn combine(
    host: MemInfo,
    limit: Option<u64>,
    used: Option<u64>,
    version: Option<CgroupVersion>,
) -> MemoryInfo {
    // A "limit" at or above the host's RAM is no limit at all.
    let limit = limit.filter(|l| host.total.is_none_or(|t| *l < t));
    let min = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let total = min(host.total, limit);
    let left_in_cgroup = limit.map(|l| l.saturating_sub(used.unwrap_or(0)));
    let available = min(host.available, left_in_cgroup).map(|a| total.map_or(a, |t| a.min(t)));
    MemoryInfo {
        total_bytes: total,
        available_bytes: available,
        host_total_bytes: host.total,
        host_available_bytes: host.available,
        cgroup_limit_bytes: limit,
        cgroup_version: limit.and(version),
    }
}
