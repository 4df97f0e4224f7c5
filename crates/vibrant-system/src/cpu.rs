//! CPU facts: model name, cores (physical, logical, usable) and SIMD features.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::cgroup::Cgroups;

/// The CPU as far as this process is concerned.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CpuInfo {
    /// The model name (`model name` on x86, `Model`/`Hardware` on ARM), if the OS tells.
    pub model: Option<String>,
    /// Online logical CPUs (hardware threads) of the machine.
    pub logical_cores: usize,
    /// Distinct physical cores among the CPUs this process may run on.
    pub physical_cores: usize,
    /// Logical CPUs this process may run on (its affinity mask).
    pub usable_cores: usize,
    /// The cgroup CPU quota in CPUs (`cpu.max` / `cpu.cfs_quota_us`), if one is set.
    pub cgroup_cpu_quota: Option<f64>,
    /// SIMD instruction sets available.
    pub features: SimdFeatures,
}

/// One processor entry of `/proc/cpuinfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Processor {
    /// The `processor` number (the logical CPU id).
    pub index: usize,
    /// `physical id` (the socket).
    pub physical_id: Option<u32>,
    /// `core id` (the core within the socket).
    pub core_id: Option<u32>,
    /// `model name`.
    pub model_name: Option<String>,
    /// `flags` (x86) or `Features` (ARM).
    pub flags: Vec<String>,
}

/// Parses `/proc/cpuinfo` into its processor entries, plus a machine-wide model name found
/// outside them (`Model` or `Hardware` lines on ARM boards).
pub fn parse_cpuinfo(contents: &str) -> (Vec<Processor>, Option<String>) {
    let mut processors = Vec::new();
    let mut current: Option<Processor> = None;
    let mut machine_model = None;
    for line in contents.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "processor" => {
                if let Some(p) = current.take() {
                    processors.push(p);
                }
                if let Ok(index) = value.parse() {
                    current = Some(Processor {
                        index,
                        ..Processor::default()
                    });
                }
            }
            "physical id" => set(&mut current, |p| p.physical_id = value.parse().ok()),
            "core id" => set(&mut current, |p| p.core_id = value.parse().ok()),
            "model name" if !value.is_empty() => {
                set(&mut current, |p| p.model_name = Some(value.to_owned()));
            }
            "flags" | "Features" => set(&mut current, |p| {
                p.flags = value.split_whitespace().map(str::to_owned).collect();
            }),
            "Model" | "Hardware" if machine_model.is_none() && !value.is_empty() => {
                machine_model = Some(value.to_owned());
            }
            _ => {}
        }
    }
    processors.extend(current);
    (processors, machine_model)
}

fn set(current: &mut Option<Processor>, f: impl FnOnce(&mut Processor)) {
    if let Some(p) = current.as_mut() {
        f(p);
    }
}

/// Parses a kernel CPU list such as `0-3,8,10-11` (as in `Cpus_allowed_list`).
/// Returns `None` when the list is malformed.
pub fn parse_cpu_list(list: &str) -> Option<BTreeSet<usize>> {
    let mut cpus = BTreeSet::new();
    for part in list.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                if b < a || b - a > 1 << 16 {
                    return None;
                }
                cpus.extend(a..=b);
            }
            None => {
                cpus.insert(part.trim().parse().ok()?);
            }
        }
    }
    Some(cpus)
}

/// Counts distinct physical cores among `processors` (restricted to `allowed` when given), by
/// their `(physical id, core id)`. When the topology is not reported, every logical CPU counts.
pub fn physical_cores(processors: &[Processor], allowed: Option<&BTreeSet<usize>>) -> usize {
    let usable: Vec<&Processor> = processors
        .iter()
        .filter(|p| allowed.is_none_or(|a| a.contains(&p.index)))
        .collect();
    if usable.iter().any(|p| p.core_id.is_none()) {
        return usable.len();
    }
    usable
        .iter()
        .map(|p| (p.physical_id.unwrap_or(0), p.core_id.unwrap_or(0)))
        .collect::<BTreeSet<_>>()
        .len()
}

pub(crate) fn detect(cpuinfo: Option<&str>, status: Option<&str>, cgroups: &Cgroups) -> CpuInfo {
    let (processors, machine_model) = cpuinfo.map(parse_cpuinfo).unwrap_or_default();
    let allowed = status.and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .and_then(parse_cpu_list)
    });
    let logical = processors.len();
    let usable = match &allowed {
        Some(a) if logical > 0 => processors.iter().filter(|p| a.contains(&p.index)).count(),
        Some(a) => a.len(),
        None => logical,
    };
    let model = processors
        .iter()
        .find_map(|p| p.model_name.clone())
        .or(machine_model);
    let features = processors
        .first()
        .map(|p| SimdFeatures::from_flags(&p.flags))
        .unwrap_or_default();
    CpuInfo {
        model,
        logical_cores: logical,
        physical_cores: physical_cores(&processors, allowed.as_ref()),
        usable_cores: usable,
        cgroup_cpu_quota: cgroups.cpu_quota(),
        features,
    }
}

/// SIMD instruction sets the kernels can use. On x86-64 the `avx*`/`fma`/`f16c`/`amx_*` fields
/// apply, on aarch64 `neon`/`dotprod`/`i8mm`/`sve`; the others are `false`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SimdFeatures {
    pub avx2: bool,
    pub fma: bool,
    pub f16c: bool,
    pub avx512f: bool,
    pub avx512bw: bool,
    pub avx512vl: bool,
    pub avx512vnni: bool,
    pub avxvnni: bool,
    pub avx512bf16: bool,
    pub amx_tile: bool,
    pub amx_int8: bool,
    pub amx_bf16: bool,
    pub neon: bool,
    pub dotprod: bool,
    pub i8mm: bool,
    pub sve: bool,
}

impl SimdFeatures {
    /// Reads the features from a cpuinfo `flags` (x86) or `Features` (ARM) list.
    pub fn from_flags<S: AsRef<str>>(flags: &[S]) -> Self {
        let has = |name: &str| flags.iter().any(|f| f.as_ref() == name);
        Self {
            avx2: has("avx2"),
            fma: has("fma"),
            f16c: has("f16c"),
            avx512f: has("avx512f"),
            avx512bw: has("avx512bw"),
            avx512vl: has("avx512vl"),
            avx512vnni: has("avx512_vnni"),
            avxvnni: has("avx_vnni"),
            avx512bf16: has("avx512_bf16"),
            amx_tile: has("amx_tile"),
            amx_int8: has("amx_int8"),
            amx_bf16: has("amx_bf16"),
            neon: has("asimd"),
            dotprod: has("asimddp"),
            i8mm: has("i8mm"),
            sve: has("sve"),
        }
    }

    /// Asks the CPU (and the OS, for the register state it must save) at runtime. Features the
    /// standard library cannot query on this toolchain are taken from `fallback` (the cpuinfo flags).
    pub fn detect_runtime(fallback: &Self) -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as x86;
            Self {
                avx2: x86!("avx2"),
                fma: x86!("fma"),
                f16c: x86!("f16c"),
                avx512f: x86!("avx512f"),
                avx512bw: x86!("avx512bw"),
                avx512vl: x86!("avx512vl"),
                avx512vnni: x86!("avx512vnni"),
                avxvnni: x86!("avxvnni"),
                avx512bf16: x86!("avx512bf16"),
                ..*fallback
            }
        }
        #[cfg(target_arch = "aarch64")]
        {
            use std::arch::is_aarch64_feature_detected as arm;
            Self {
                neon: arm!("neon"),
                dotprod: arm!("dotprod"),
                i8mm: arm!("i8mm"),
                sve: arm!("sve"),
                ..*fallback
            }
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        {
            *fallback
        }
    }

    /// The names of the features present, in a fixed order (`avx2`, `fma`, …, `sve`).
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.avx2, "avx2"),
            (self.fma, "fma"),
            (self.f16c, "f16c"),
            (self.avx512f, "avx512f"),
            (self.avx512bw, "avx512bw"),
            (self.avx512vl, "avx512vl"),
            (self.avx512vnni, "avx512vnni"),
            (self.avxvnni, "avxvnni"),
            (self.avx512bf16, "avx512bf16"),
            (self.amx_tile, "amx-tile"),
            (self.amx_int8, "amx-int8"),
            (self.amx_bf16, "amx-bf16"),
            (self.neon, "neon"),
            (self.dotprod, "dotprod"),
            (self.i8mm, "i8mm"),
            (self.sve, "sve"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}
