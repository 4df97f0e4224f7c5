use std::path::Path;

use super::*;

const GIB: u64 = 1 << 30;

fn write(root: &Path, rel: &str, contents: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// Two sockets, two cores each, two threads per core: 8 logical CPUs, 4 physical cores.
fn x86_cpuinfo() -> String {
    let mut s = String::new();
    let mut index = 0;
    for socket in 0..2 {
        for _thread in 0..2 {
            for core in 0..2 {
                s.push_str(&format!(
                    "processor\t: {index}\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\n\
                     physical id\t: {socket}\ncore id\t\t: {core}\n\
                     flags\t\t: fpu sse2 avx f16c fma avx2 avx512f avx512bw avx512vl avx512_vnni amx_tile\n\n"
                ));
                index += 1;
            }
        }
    }
    s
}

const MEMINFO: &str = "MemTotal:       16384000 kB\nMemFree:         1000000 kB\nMemAvailable:   12000000 kB\nBuffers:           10000 kB\nCached:          2000000 kB\n";

#[test]
fn meminfo_in_bytes_with_fallback_for_old_kernels() {
    let m = parse_meminfo(MEMINFO);
    assert_eq!(m.total, Some(16_384_000 * 1024));
    assert_eq!(m.available, Some(12_000_000 * 1024));
    let old = parse_meminfo("MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 1 kB\nCached: 5 kB\n");
    assert_eq!(old.available, Some(16 * 1024));
    assert_eq!(parse_meminfo("garbage\n"), MemInfo::default());
}

#[test]
fn cpu_lists() {
    let set = |v: &[usize]| v.iter().copied().collect::<std::collections::BTreeSet<_>>();
    assert_eq!(
        parse_cpu_list("0-3,8,10-11\n"),
        Some(set(&[0, 1, 2, 3, 8, 10, 11]))
    );
    assert_eq!(parse_cpu_list("5"), Some(set(&[5])));
    assert_eq!(parse_cpu_list("3-1"), None);
    assert_eq!(parse_cpu_list("a-b"), None);
}

#[test]
fn physical_cores_count_distinct_socket_core_pairs() {
    let (procs, _) = parse_cpuinfo(&x86_cpuinfo());
    assert_eq!(procs.len(), 8);
    assert_eq!(physical_cores(&procs, None), 4);
    // Allowed to run on CPUs 0 and 2 only: those are threads of cores 0 and 0 of socket 0.
    let allowed = parse_cpu_list("0,2").unwrap();
    assert_eq!(physical_cores(&procs, Some(&allowed)), 1);
    let allowed = parse_cpu_list("0-1").unwrap();
    assert_eq!(physical_cores(&procs, Some(&allowed)), 2);
}

#[test]
fn x86_flags_map_to_features() {
    let (procs, _) = parse_cpuinfo(&x86_cpuinfo());
    let f = SimdFeatures::from_flags(&procs[0].flags);
    assert!(f.avx2 && f.fma && f.f16c && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni);
    assert!(f.amx_tile && !f.amx_int8 && !f.avxvnni && !f.avx512bf16 && !f.neon);
    assert_eq!(
        f.names(),
        [
            "avx2",
            "fma",
            "f16c",
            "avx512f",
            "avx512bw",
            "avx512vl",
            "avx512vnni",
            "amx-tile"
        ]
    );
}

#[test]
fn arm_cpuinfo_features_and_board_model() {
    let cpuinfo = "processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm aes crc32 asimddp i8mm\nCPU implementer\t: 0x41\n\n\
                   processor\t: 1\nFeatures\t: fp asimd evtstrm aes crc32 asimddp i8mm\n\nModel\t\t: Raspberry Pi 5 Model B Rev 1.0\n";
    let (procs, model) = parse_cpuinfo(cpuinfo);
    assert_eq!(procs.len(), 2);
    assert_eq!(model.as_deref(), Some("Raspberry Pi 5 Model B Rev 1.0"));
    let f = SimdFeatures::from_flags(&procs[0].flags);
    assert!(f.neon && f.dotprod && f.i8mm && !f.sve && !f.avx2);
    // No core ids reported: every logical CPU counts as a core.
    assert_eq!(physical_cores(&procs, None), 2);
}

#[test]
fn cgroup_limit_files() {
    assert_eq!(parse_memory_limit("max\n"), None);
    assert_eq!(parse_memory_limit("8589934592\n"), Some(8 * GIB));
    assert_eq!(
        parse_memory_limit("9223372036854771712\n"),
        None,
        "v1 unlimited"
    );
    assert_eq!(parse_cpu_max("max 100000\n"), None);
    assert_eq!(parse_cpu_max("150000 100000\n"), Some(1.5));
    assert_eq!(parse_v1_cfs_quota("-1\n", "100000\n"), None);
    assert_eq!(parse_v1_cfs_quota("200000\n", "100000\n"), Some(2.0));
}

#[test]
fn proc_self_cgroup_and_mountinfo() {
    let m = parse_proc_self_cgroup(
        "12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n0::/user.slice\n",
    );
    assert_eq!(m.len(), 3);
    assert_eq!(m[0].controllers, ["cpu", "cpuacct"]);
    assert_eq!(m[2].hierarchy_id, 0);
    assert!(m[2].controllers.is_empty());
    assert_eq!(m[2].path, "/user.slice");

    let mounts = parse_mountinfo_cgroups(
        "24 1 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n\
         35 31 0:32 /docker /sys/fs/cgroup/my\\040memory rw - cgroup cgroup rw,memory\n\
         22 1 0:21 / /proc rw - proc proc rw\n",
    );
    assert_eq!(mounts.len(), 2);
    assert_eq!(mounts[0].version, CgroupVersion::V2);
    assert_eq!(mounts[1].mount_point, Path::new("/sys/fs/cgroup/my memory"));
    assert_eq!(mounts[1].root, "/docker");
    assert_eq!(mounts[1].controllers, ["memory"]);
}

#[test]
fn cgroup_v2_limits_apply_along_the_hierarchy() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(r, "proc/meminfo", MEMINFO);
    write(r, "proc/cpuinfo", &x86_cpuinfo());
    write(
        r,
        "proc/self/status",
        "Name:\tvibrant\nCpus_allowed_list:\t0-7\n",
    );
    write(r, "proc/self/cgroup", "0::/app.slice/vibrant.service\n");
    write(
        r,
        "proc/self/mountinfo",
        "24 1 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
    );
    // The parent slice limits to 4 GiB; the service itself only to 6 GiB.
    write(r, "sys/fs/cgroup/app.slice/memory.max", "4294967296\n");
    write(r, "sys/fs/cgroup/app.slice/cpu.max", "max 100000\n");
    let svc = "sys/fs/cgroup/app.slice/vibrant.service";
    write(r, &format!("{svc}/memory.max"), "6442450944\n");
    write(r, &format!("{svc}/memory.current"), &(3 * GIB).to_string());
    write(
        r,
        &format!("{svc}/memory.stat"),
        &format!("anon 1000\ninactive_file {GIB}\n"),
    );
    write(r, &format!("{svc}/cpu.max"), "250000 100000\n");

    let info = SystemInfo::detect_from_root(r);
    assert_eq!(info.memory.cgroup_limit_bytes, Some(4 * GIB));
    assert_eq!(info.memory.cgroup_version, Some(CgroupVersion::V2));
    assert_eq!(info.memory.total_bytes, Some(4 * GIB));
    // 4 GiB limit - (3 GiB used - 1 GiB reclaimable cache) = 2 GiB.
    assert_eq!(info.memory.available_bytes, Some(2 * GIB));
    assert_eq!(info.memory.host_total_bytes, Some(16_384_000 * 1024));
    assert_eq!(info.cpu.cgroup_cpu_quota, Some(2.5));
    assert_eq!(info.cpu.logical_cores, 8);
    assert_eq!(info.cpu.physical_cores, 4);
    assert_eq!(
        info.cpu.model.as_deref(),
        Some("Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz")
    );
    assert_eq!(
        info.recommended_threads(),
        3,
        "quota 2.5 rounds up, below 4 physical cores"
    );
}

#[test]
fn cgroup_v1_hybrid_layout_and_unlimited_v1() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(r, "proc/meminfo", MEMINFO);
    write(r, "proc/cpuinfo", &x86_cpuinfo());
    write(r, "proc/self/status", "Cpus_allowed_list:\t0-3\n");
    write(
        r,
        "proc/self/cgroup",
        "4:memory:/job/42\n1:cpu,cpuacct:/job/42\n0::/\n",
    );
    write(
        r,
        "proc/self/mountinfo",
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n\
         35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n\
         41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n",
    );
    write(r, "sys/fs/cgroup/unified/cgroup.procs", "1\n");
    write(
        r,
        "sys/fs/cgroup/memory/memory.limit_in_bytes",
        "9223372036854771712\n",
    );
    write(
        r,
        "sys/fs/cgroup/memory/job/42/memory.limit_in_bytes",
        &(2 * GIB).to_string(),
    );
    write(
        r,
        "sys/fs/cgroup/memory/job/42/memory.usage_in_bytes",
        &GIB.to_string(),
    );
    write(
        r,
        "sys/fs/cgroup/memory/job/42/memory.stat",
        "cache 5\ntotal_inactive_file 0\n",
    );
    write(
        r,
        "sys/fs/cgroup/cpu,cpuacct/job/42/cpu.cfs_quota_us",
        "-1\n",
    );
    write(
        r,
        "sys/fs/cgroup/cpu,cpuacct/job/42/cpu.cfs_period_us",
        "100000\n",
    );

    let info = SystemInfo::detect_from_root(r);
    assert_eq!(info.memory.cgroup_version, Some(CgroupVersion::V1));
    assert_eq!(info.memory.total_bytes, Some(2 * GIB));
    assert_eq!(info.memory.available_bytes, Some(GIB));
    assert_eq!(info.cpu.cgroup_cpu_quota, None);
    assert_eq!(info.cpu.usable_cores, 4);
    assert_eq!(
        info.cpu.physical_cores, 2,
        "CPUs 0-3 are cores 0,1 of socket 0, twice"
    );
    assert_eq!(info.recommended_threads(), 2);

    // Remove the job's limit: the v1 "unlimited" value at the root is no limit.
    std::fs::remove_file(r.join("sys/fs/cgroup/memory/job/42/memory.limit_in_bytes")).unwrap();
    let info = SystemInfo::detect_from_root(r);
    assert_eq!(info.memory.cgroup_limit_bytes, None);
    assert_eq!(info.memory.cgroup_version, None);
    assert_eq!(info.memory.total_bytes, Some(16_384_000 * 1024));
    assert_eq!(info.memory.available_bytes, Some(12_000_000 * 1024));
}

#[test]
fn limit_above_host_ram_is_ignored() {
    let host = MemInfo {
        total: Some(8 * GIB),
        available: Some(6 * GIB),
    };
    let m = memory::combine(host, Some(64 * GIB), Some(GIB), Some(CgroupVersion::V2));
    assert_eq!(m.total_bytes, Some(8 * GIB));
    assert_eq!(m.available_bytes, Some(6 * GIB));
    assert_eq!(m.cgroup_limit_bytes, None);
}

#[test]
fn missing_files_give_unknowns_not_errors() {
    let root = tempfile::tempdir().unwrap();
    let info = SystemInfo::detect_from_root(root.path());
    assert_eq!(info.memory, MemoryInfo::default());
    assert_eq!(info.cpu.model, None);
    assert_eq!(info.cpu.logical_cores, 0);
    assert_eq!(info.recommended_threads(), 1);
}

#[test]
fn detects_this_machine_consistently_with_proc() {
    let info = SystemInfo::detect();
    assert!(info.cpu.usable_cores >= 1 && info.cpu.usable_cores <= info.cpu.logical_cores);
    assert!(info.cpu.physical_cores >= 1 && info.cpu.physical_cores <= info.cpu.usable_cores);
    assert!(info.recommended_threads() <= info.cpu.usable_cores);
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["cpu"]["physical_cores"], info.cpu.physical_cores);
    assert!(json["cpu"]["features"]["avx2"].is_boolean());
    if let Ok(meminfo) = std::fs::read_to_string("/proc/meminfo") {
        let host = parse_meminfo(&meminfo);
        let total = info.memory.total_bytes.unwrap();
        assert!(total <= host.total.unwrap());
        assert!(info.memory.available_bytes.unwrap() <= total);
    }
    #[cfg(target_arch = "x86_64")]
    assert_eq!(
        info.cpu.features.avx2,
        std::arch::is_x86_feature_detected!("avx2")
    );
}
