//! The Linux child-side sandbox setup: everything here runs in the forked child between
//! `fork` and `exec` (a `pre_exec` hook), so it uses only raw system calls on memory prepared
//! before the fork — no allocation, no locks.
//!
//! Steps, in order: a new user namespace (so the command holds no capabilities outside it),
//! a new network namespace (no interfaces but a down loopback: no network at all), a new
//! mount namespace in which `.git/hooks` and `.git/config` are bind-mounted read-only, then
//! Landlock (filesystem writes only beneath the allowed directories, no TCP bind/connect,
//! no signals or abstract sockets to processes outside), and, without the network, a seccomp
//! filter that refuses new Unix sockets (`socket(AF_UNIX, …)`): Landlock does not govern
//! `connect`, and a socket file (the user's ssh-agent, session bus, docker daemon) is reachable
//! from any network namespace. Socket pairs and pipes are not affected.

#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, Ruleset, RulesetAttr,
    RulesetCreated, RulesetCreatedAttr, Scope, path_beneath_rules,
};

/// Which namespaces the child enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Namespaces {
    /// User + mount (+ network) namespaces (works unprivileged where user namespaces are on).
    User,
    /// Mount (+ network) namespaces without a user namespace (needs CAP_SYS_ADMIN).
    Privileged,
    /// None: network isolation only through Landlock's TCP rules, no `.git` protection.
    None,
}

/// What the child does before `exec`.
#[derive(Debug, Clone)]
pub(crate) struct ChildPlan {
    pub namespaces: Namespaces,
    /// Enter a new network namespace (no network).
    pub new_net: bool,
    /// Directories (and files) that stay read-only (bind-mounted read-only inside the
    /// mount namespace).
    pub read_only: Vec<PathBuf>,
    /// Landlock: `None` for no Landlock.
    pub landlock: Option<LandlockPlan>,
    /// Refuse `socket(AF_UNIX, …)` with a seccomp filter.
    pub deny_unix_sockets: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct LandlockPlan {
    pub writable: Vec<PathBuf>,
    /// Deny TCP bind/connect (used when there is no network namespace to do it).
    pub deny_network: bool,
    /// The Landlock ABI to use (the kernel's, or lower when the policy caps it).
    pub abi: i32,
}

/// The kernel's Landlock ABI version, or `None` where Landlock is unavailable.
pub(crate) fn landlock_abi() -> Option<i32> {
    // SAFETY: landlock_create_ruleset with a NULL attribute, size 0 and the VERSION flag
    // only returns the ABI version (or an error); it reads and writes no memory.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            1u32,
        )
    };
    (v > 0).then_some(v as i32)
}

/// Mount flags of the filesystem holding `path`, which a read-only remount inside a user
/// namespace must repeat (the kernel refuses to drop locked flags).
fn locked_mount_flags(path: &Path) -> libc::c_ulong {
    let Ok(c) = CString::new(path.as_os_str().as_encoded_bytes()) else {
        return 0;
    };
    // SAFETY: `c` is a valid NUL-terminated string and `st` a properly sized, writable
    // statvfs that the call fills in.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return 0;
    }
    let f = st.f_flag;
    let mut out = 0;
    for (st_flag, ms_flag) in [
        (libc::ST_NOSUID, libc::MS_NOSUID),
        (libc::ST_NODEV, libc::MS_NODEV),
        (libc::ST_NOEXEC, libc::MS_NOEXEC),
        (libc::ST_NOATIME, libc::MS_NOATIME),
        (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
        (libc::ST_RELATIME, libc::MS_RELATIME),
    ] {
        if f & st_flag != 0 {
            out |= ms_flag;
        }
    }
    out
}

fn build_ruleset(plan: &LandlockPlan) -> Result<RulesetCreated, String> {
    let abi = match plan.abi {
        ..=1 => ABI::V1,
        2 => ABI::V2,
        3 => ABI::V3,
        4 => ABI::V4,
        5 => ABI::V5,
        _ => ABI::V6,
    };
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(abi))
        .map_err(|e| e.to_string())?;
    if plan.deny_network && plan.abi >= 4 {
        ruleset = ruleset
            .handle_access(AccessNet::from_all(abi))
            .map_err(|e| e.to_string())?;
    }
    if plan.abi >= 6 {
        ruleset = ruleset
            .scope(Scope::from_all(abi))
            .map_err(|e| e.to_string())?;
    }
    // No /dev/tty: commands have no controlling terminal (their own session) and no business
    // with the user's.
    let devices = ["/dev/null", "/dev/zero", "/dev/full"];
    let created = ruleset
        .create()
        .map_err(|e| e.to_string())?
        .add_rules(path_beneath_rules(["/"], AccessFs::from_read(abi)))
        .map_err(|e| e.to_string())?
        .add_rules(path_beneath_rules(
            devices.iter().filter(|d| Path::new(d).exists()),
            AccessFs::from_file(abi),
        ))
        .map_err(|e| e.to_string())?
        .add_rules(path_beneath_rules(
            plan.writable.iter().filter(|p| p.exists()),
            AccessFs::from_all(abi),
        ))
        .map_err(|e| e.to_string())?;
    Ok(created)
}

struct Prepared {
    flags: libc::c_int,
    user: bool,
    uid_map: CString,
    gid_map: CString,
    mounts: Vec<(CString, libc::c_ulong)>,
    ruleset: Option<RulesetCreated>,
    /// The seccomp program ([`unix_socket_filter`]), built before the fork.
    seccomp: Option<Vec<libc::sock_filter>>,
}

/// `AUDIT_ARCH_*` of this build's architecture (from `linux/audit.h`); `None` where the filter
/// is not written for the architecture.
const NATIVE_ARCH: Option<u32> = if cfg!(target_arch = "x86_64") {
    Some(0xC000_003E)
} else if cfg!(target_arch = "aarch64") {
    Some(0xC000_00B7)
} else {
    None
};

/// A seccomp program that makes `socket(AF_UNIX, …)` fail with `EACCES` and allows every other
/// system call. A system call of another architecture (a 32-bit program, which could reach
/// `socket` through `socketcall`) and x32 calls fail with `EACCES` too. `None` on architectures
/// the program is not written for.
fn unix_socket_filter() -> Option<Vec<libc::sock_filter>> {
    let arch = NATIVE_ARCH?;
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let jump = |code: u32, k: u32, jt: u8, jf: u8| libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    };
    let deny = libc::SECCOMP_RET_ERRNO | (libc::EACCES as u32 & libc::SECCOMP_RET_DATA);
    // struct seccomp_data: nr at 0, arch at 4, args[0] at 16 (its low half on little-endian
    // machines, which both architectures above are).
    let x32 = if cfg!(target_arch = "x86_64") {
        0x4000_0000
    } else {
        u32::MAX
    };
    Some(vec![
        stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 4),
        jump(libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K, arch, 1, 0),
        stmt(libc::BPF_RET | libc::BPF_K, deny),
        stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0),
        jump(libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K, x32, 0, 1),
        stmt(libc::BPF_RET | libc::BPF_K, deny),
        jump(
            libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
            libc::SYS_socket as u32,
            0,
            2,
        ),
        stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 16),
        jump(
            libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
            libc::AF_UNIX as u32,
            1,
            0,
        ),
        stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW),
        stmt(libc::BPF_RET | libc::BPF_K, deny),
    ])
}

/// Installs the plan on `cmd` as a `pre_exec` hook. The ruleset is built here, in the parent.
pub(crate) fn install(cmd: &mut Command, plan: &ChildPlan) -> Result<(), String> {
    let ruleset = match &plan.landlock {
        Some(l) => Some(build_ruleset(l)?),
        None => None,
    };
    // SAFETY: getuid/getgid cannot fail and touch no memory.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let cstr = |s: String| CString::new(s).map_err(|e| e.to_string());
    let mounts = plan
        .read_only
        .iter()
        .filter(|p| p.exists())
        .map(|p| {
            Ok((
                CString::new(p.as_os_str().as_encoded_bytes()).map_err(|e| e.to_string())?,
                locked_mount_flags(p),
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut prepared =
        Prepared {
            // A new pid namespace too: the command runs as its pid 1 (see `child_setup`).
            flags: match plan.namespaces {
                Namespaces::User => libc::CLONE_NEWUSER | libc::CLONE_NEWNS | libc::CLONE_NEWPID,
                Namespaces::Privileged => libc::CLONE_NEWNS | libc::CLONE_NEWPID,
                Namespaces::None => 0,
            } | if plan.new_net && plan.namespaces != Namespaces::None {
                libc::CLONE_NEWNET
            } else {
                0
            },
            user: plan.namespaces == Namespaces::User,
            uid_map: cstr(format!("{uid} {uid} 1"))?,
            gid_map: cstr(format!("{gid} {gid} 1"))?,
            mounts,
            ruleset,
            seccomp: if plan.deny_unix_sockets {
                Some(unix_socket_filter().ok_or(
                    "no seccomp filter for this architecture: Unix sockets cannot be refused",
                )?)
            } else {
                None
            },
        };
    // SAFETY: the hook runs in the single-threaded child after fork. `child_setup` only makes
    // system calls on data prepared above (no allocation, no locks); `restrict_self` makes
    // two system calls (prctl and landlock_restrict_self) and builds its result without
    // allocating on the success path.
    unsafe {
        cmd.pre_exec(move || child_setup(&mut prepared));
    }
    Ok(())
}

fn write_proc(path: &std::ffi::CStr, data: &[u8]) -> io::Result<()> {
    // SAFETY: `path` is NUL-terminated; `data` is a valid slice for its length; the fd is
    // closed on every path.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = libc::write(fd, data.as_ptr().cast(), data.len());
        let err = io::Error::last_os_error();
        libc::close(fd);
        if n < 0 || n as usize != data.len() {
            return Err(err);
        }
    }
    Ok(())
}

/// Brings `lo` up in the child's new network namespace (errors ignored).
fn loopback_up() {
    // SAFETY: a zeroed ifreq is a valid value (plain integers, arrays and a union of them);
    // the socket is closed on every path; the ioctls read and write only `ifr`.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return;
        }
        let mut ifr: libc::ifreq = std::mem::zeroed();
        ifr.ifr_name[0] = b'l' as libc::c_char;
        ifr.ifr_name[1] = b'o' as libc::c_char;
        if libc::ioctl(fd, libc::SIOCGIFFLAGS as _, &mut ifr) == 0 {
            ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            libc::ioctl(fd, libc::SIOCSIFFLAGS as _, &ifr);
        }
        libc::close(fd);
    }
}

/// Forks once more after `unshare(CLONE_NEWPID)`: the new child goes on to exec the command as
/// pid 1 of the new pid namespace, while this process (the one Vibrant started, the leader of
/// the command's process group) closes every descriptor, waits for it and exits as it did.
/// When the command ends, or its process group is killed, the kernel kills every process left
/// in the namespace — also those that left the group with `setsid`, which a group kill misses.
/// Where the fork fails the command is not started (the error is the spawn's): run outside the
/// namespace's init, its second child would find the namespace gone.
fn run_as_namespace_init() -> io::Result<()> {
    // SAFETY: fork, waitpid, close_range/close and _exit are async-signal-safe and touch no
    // memory but `status`; this runs in the single-threaded child between fork and exec.
    unsafe {
        let pid = libc::fork();
        if pid < 0 {
            return Err(io::Error::last_os_error());
        }
        if pid == 0 {
            return Ok(()); // the command's side
        }
        // Holding Rust's exec-error pipe (or the output pipes) would keep the parent waiting.
        if libc::syscall(libc::SYS_close_range, 0u32, u32::MAX, 0u32) != 0 {
            for fd in 0..1024 {
                libc::close(fd);
            }
        }
        let mut status = 0;
        loop {
            let r = libc::waitpid(pid, &mut status, 0);
            if r == pid {
                break;
            }
            if r < 0 && *libc::__errno_location() != libc::EINTR {
                libc::_exit(127);
            }
        }
        let code = if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else if libc::WIFSIGNALED(status) {
            128 + libc::WTERMSIG(status)
        } else {
            127
        };
        libc::_exit(code);
    }
}

fn child_setup(p: &mut Prepared) -> io::Result<()> {
    if p.flags != 0 {
        // SAFETY: unshare takes flags only; the child is single-threaded as CLONE_NEWUSER requires.
        if unsafe { libc::unshare(p.flags) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if p.user {
            write_proc(c"/proc/self/setgroups", b"deny")?;
            write_proc(c"/proc/self/uid_map", p.uid_map.as_bytes())?;
            write_proc(c"/proc/self/gid_map", p.gid_map.as_bytes())?;
        }
        // SAFETY: all pointers are NUL-terminated strings prepared before fork, or NULL where
        // mount(2) accepts NULL; the mounts only affect this child's private mount namespace.
        unsafe {
            if libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            for (path, locked) in &p.mounts {
                if libc::mount(
                    path.as_ptr(),
                    path.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND,
                    std::ptr::null(),
                ) != 0
                {
                    return Err(io::Error::last_os_error());
                }
                let flags = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | *locked;
                if libc::mount(
                    std::ptr::null(),
                    path.as_ptr(),
                    std::ptr::null(),
                    flags,
                    std::ptr::null(),
                ) != 0
                {
                    return Err(io::Error::last_os_error());
                }
            }
        }
    }
    if p.flags & libc::CLONE_NEWNET != 0 {
        // Best effort: without loopback, tests that talk to a local server fail. Nothing
        // outside the namespace is reachable through it.
        loopback_up();
    }
    if let Some(ruleset) = p.ruleset.take() {
        ruleset
            .restrict_self()
            .map_err(|_| io::Error::from_raw_os_error(libc::EPERM))?;
    }
    if p.flags & libc::CLONE_NEWPID != 0 {
        run_as_namespace_init()?;
    }
    if let Some(filter) = &p.seccomp {
        let prog = libc::sock_fprog {
            len: filter.len() as u16,
            filter: filter.as_ptr().cast_mut(),
        };
        // SAFETY: prctl takes integers only; `prog` points at the filter prepared before the
        // fork, which outlives these calls (the kernel copies it). Without privileges, seccomp
        // needs no_new_privs (Landlock set it already where it ran; setting it twice is fine).
        unsafe {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                0,
                &prog as *const libc::sock_fprog,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}
