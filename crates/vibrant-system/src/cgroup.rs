//! Locating this process's cgroups (v1 and v2) and reading their memory and CPU limits.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// Which cgroup hierarchy a limit was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CgroupVersion {
    /// The legacy per-controller hierarchies (`memory.limit_in_bytes`, `cpu.cfs_quota_us`).
    V1,
    /// The unified hierarchy (`memory.max`, `cpu.max`).
    V2,
}

/// One line of `/proc/self/cgroup`: `hierarchy-id:controllers:path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMembership {
    /// `0` for the unified (v2) hierarchy.
    pub hierarchy_id: u32,
    /// The v1 controllers of this hierarchy (`["cpu", "cpuacct"]`); empty for v2.
    pub controllers: Vec<String>,
    /// The cgroup's path inside the hierarchy, e.g. `/user.slice/session-2.scope`.
    pub path: String,
}

/// A cgroup file system mount, from `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMount {
    /// `cgroup2` mounts are [`CgroupVersion::V2`], `cgroup` mounts [`CgroupVersion::V1`].
    pub version: CgroupVersion,
    /// The directory inside the hierarchy that is mounted (`/` unless in a nested namespace).
    pub root: String,
    /// Where it is mounted, e.g. `/sys/fs/cgroup/memory`.
    pub mount_point: PathBuf,
    /// The v1 controllers of the mount (from its super options); empty for v2.
    pub controllers: Vec<String>,
}

/// Parses `/proc/self/cgroup`. Malformed lines are skipped.
pub fn parse_proc_self_cgroup(contents: &str) -> Vec<CgroupMembership> {
    contents
        .lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ':');
            let hierarchy_id = parts.next()?.trim().parse().ok()?;
            let controllers = parts.next()?;
            let path = parts.next()?.to_owned();
            let controllers = controllers
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect();
            Some(CgroupMembership {
                hierarchy_id,
                controllers,
                path,
            })
        })
        .collect()
}

/// Parses the cgroup mounts out of `/proc/self/mountinfo`; other mounts are ignored.
pub fn parse_mountinfo_cgroups(contents: &str) -> Vec<CgroupMount> {
    contents
        .lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let left: Vec<&str> = left.split(' ').collect();
            let mut right = right.split(' ');
            let fstype = right.next()?;
            let _source = right.next()?;
            let super_options = right.next().unwrap_or("");
            let version = match fstype {
                "cgroup2" => CgroupVersion::V2,
                "cgroup" => CgroupVersion::V1,
                _ => return None,
            };
            let root = unescape_mount_field(left.get(3)?);
            let mount_point = PathBuf::from(unescape_mount_field(left.get(4)?));
            let controllers = match version {
                CgroupVersion::V2 => Vec::new(),
                CgroupVersion::V1 => super_options
                    .split(',')
                    .map(|o| o.strip_prefix("name=").unwrap_or(o))
                    .filter(|o| !matches!(*o, "rw" | "ro") && !o.contains('='))
                    .map(str::to_owned)
                    .collect(),
            };
            Some(CgroupMount {
                version,
                root,
                mount_point,
                controllers,
            })
        })
        .collect()
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo` octal.
fn unescape_mount_field(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && let Some(octal) = bytes.get(i + 1..i + 4)
            && let Some(b) = std::str::from_utf8(octal)
                .ok()
                .and_then(|o| u8::from_str_radix(o, 8).ok())
        {
            out.push(b);
            i += 4;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a memory limit file (`memory.max` for v2, `memory.limit_in_bytes` for v1).
/// `None` means unlimited (`max`, or v1's "no limit" value near `i64::MAX`) or unparseable.
pub fn parse_memory_limit(contents: &str) -> Option<u64> {
    let value: u64 = contents.trim().parse().ok()?;
    // v1 reports "unlimited" as i64::MAX rounded down to the page size.
    (value < 1 << 60).then_some(value)
}

/// Parses a v2 `cpu.max` file (`"$QUOTA $PERIOD"` or `"max $PERIOD"`) into a number of CPUs.
pub fn parse_cpu_max(contents: &str) -> Option<f64> {
    let mut parts = contents.split_whitespace();
    let quota = parts.next()?;
    let period: f64 = parts.next().map_or(Some(100_000.0), |p| p.parse().ok())?;
    if quota == "max" || period <= 0.0 {
        return None;
    }
    let quota: f64 = quota.parse().ok()?;
    (quota > 0.0).then(|| quota / period)
}

/// Parses v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us` into a number of CPUs (`-1` = no quota).
pub fn parse_v1_cfs_quota(quota_us: &str, period_us: &str) -> Option<f64> {
    let quota: i64 = quota_us.trim().parse().ok()?;
    let period: i64 = period_us.trim().parse().ok()?;
    (quota > 0 && period > 0).then(|| quota as f64 / period as f64)
}

/// A cgroup directory of one hierarchy and the mount point that bounds walking up from it.
#[derive(Debug, Clone)]
struct Located {
    dir: PathBuf,
    mount_point: PathBuf,
}

impl Located {
    /// The directories from this cgroup up to the hierarchy's mounted root, innermost first:
    /// a limit set on any ancestor applies too.
    fn ancestors(&self) -> impl Iterator<Item = &Path> {
        self.dir
            .ancestors()
            .take_while(|d| d.starts_with(&self.mount_point))
    }
}

/// The cgroup directories this process belongs to, for the controllers Vibrant reads.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cgroups {
    v2: Option<Located>,
    v1_memory: Option<Located>,
    v1_cpu: Option<Located>,
}

impl Cgroups {
    /// Finds this process's cgroup directories under `root` from the contents of
    /// `/proc/self/cgroup` and `/proc/self/mountinfo` (standard mount points are assumed when
    /// mountinfo is unavailable).
    pub(crate) fn locate(root: &Path, proc_cgroup: Option<&str>, mountinfo: Option<&str>) -> Self {
        let Some(proc_cgroup) = proc_cgroup else {
            return Self::default();
        };
        let memberships = parse_proc_self_cgroup(proc_cgroup);
        let mounts = match mountinfo {
            Some(m) => parse_mountinfo_cgroups(m),
            None => default_mounts(),
        };
        let under_root = |p: &Path| root.join(p.strip_prefix("/").unwrap_or(p));
        let locate = |version: CgroupVersion, controller: Option<&str>| -> Option<Located> {
            let membership = memberships.iter().find(|m| match controller {
                None => m.hierarchy_id == 0 && m.controllers.is_empty(),
                Some(c) => m.controllers.iter().any(|x| x == c),
            })?;
            let mount = mounts.iter().find(|m| {
                m.version == version
                    && controller.is_none_or(|c| m.controllers.iter().any(|x| x == c))
            })?;
            let mount_point = under_root(&mount.mount_point);
            // The membership path is relative to the hierarchy's root; the mount may expose a
            // sub-tree of it (`root` field), so strip that prefix.
            let relative = membership
                .path
                .strip_prefix(mount.root.trim_end_matches('/'))
                .unwrap_or(&membership.path)
                .trim_start_matches('/');
            let dir = mount_point.join(relative);
            // Inside a container without a cgroup namespace the path may not be visible; the
            // mounted root is then the container's own cgroup.
            let dir = if dir.is_dir() {
                dir
            } else {
                mount_point.clone()
            };
            Some(Located { dir, mount_point })
        };
        Self {
            v2: locate(CgroupVersion::V2, None),
            v1_memory: locate(CgroupVersion::V1, Some("memory")),
            v1_cpu: locate(CgroupVersion::V1, Some("cpu")),
        }
    }

    /// The memory limit in bytes (the smallest along the hierarchy), the memory in use
    /// excluding reclaimable inactive page cache, and which hierarchy they came from.
    pub(crate) fn memory(&self) -> Option<CgroupMemory> {
        if let Some(v2) = &self.v2
            && v2.dir.join("memory.max").is_file()
        {
            return Some(CgroupMemory {
                version: CgroupVersion::V2,
                limit: min_along(v2, "memory.max", parse_memory_limit),
                used: used_memory(&v2.dir, "memory.current", "inactive_file"),
            });
        }
        let v1 = self.v1_memory.as_ref()?;
        Some(CgroupMemory {
            version: CgroupVersion::V1,
            limit: min_along(v1, "memory.limit_in_bytes", parse_memory_limit),
            used: used_memory(&v1.dir, "memory.usage_in_bytes", "total_inactive_file"),
        })
    }

    /// The CPU quota in CPUs (the smallest along the hierarchy), if one is set.
    pub(crate) fn cpu_quota(&self) -> Option<f64> {
        if let Some(v2) = &self.v2
            && v2.dir.join("cpu.max").is_file()
        {
            return min_along(v2, "cpu.max", parse_cpu_max);
        }
        let v1 = self.v1_cpu.as_ref()?;
        v1.ancestors()
            .filter_map(|dir| {
                let quota = std::fs::read_to_string(dir.join("cpu.cfs_quota_us")).ok()?;
                let period = std::fs::read_to_string(dir.join("cpu.cfs_period_us")).ok()?;
                parse_v1_cfs_quota(&quota, &period)
            })
            .reduce(f64::min)
    }
}

/// Memory figures of the cgroup this process is in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CgroupMemory {
    pub(crate) version: CgroupVersion,
    pub(crate) limit: Option<u64>,
    pub(crate) used: Option<u64>,
}

fn min_along<T: PartialOrd + Copy>(
    located: &Located,
    file: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    located
        .ancestors()
        .filter_map(|dir| std::fs::read_to_string(dir.join(file)).ok())
        .filter_map(|s| parse(&s))
        .reduce(|a, b| if b < a { b } else { a })
}

fn used_memory(dir: &Path, usage_file: &str, inactive_key: &str) -> Option<u64> {
    let usage: u64 = std::fs::read_to_string(dir.join(usage_file))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let inactive = std::fs::read_to_string(dir.join("memory.stat"))
        .ok()
        .and_then(|s| crate::memory::stat_value(&s, inactive_key))
        .unwrap_or(0);
    Some(usage.saturating_sub(inactive))
}

fn default_mounts() -> Vec<CgroupMount> {
    let v1 = |name: &str, controllers: &[&str]| CgroupMount {
        version: CgroupVersion::V1,
        root: "/".to_owned(),
        mount_point: PathBuf::from("/sys/fs/cgroup").join(name),
        controllers: controllers.iter().map(|c| (*c).to_owned()).collect(),
    };
    vec![
        CgroupMount {
            version: CgroupVersion::V2,
            root: "/".to_owned(),
            mount_point: PathBuf::from("/sys/fs/cgroup"),
            controllers: Vec::new(),
        },
        v1("memory", &["memory"]),
        v1("cpu,cpuacct", &["cpu", "cpuacct"]),
    ]
}
