//! Sandboxed command execution: the policy, what this machine supports, and the setup of a
//! [`std::process::Command`].
//!
//! On Linux a command runs in new user, network and mount namespaces (no network; `.git/hooks`
//! and `.git/config` read-only) under Landlock (writes only beneath the workspace, the sandbox
//! temp dir and any extra directories the user allowed; no TCP; no signals to outside
//! processes). Each layer the kernel refuses is dropped with a warning, which
//! [`SandboxStatus::warnings`] lists. Elsewhere commands run unconfined, with a warning.

#[cfg(target_os = "linux")]
mod linux;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The paths commands may not change: `.git/hooks` and `.git/config` of the workspace's own
/// repository (they could make git run code the next time the user runs it).
fn git_read_only(root: &Path) -> Vec<PathBuf> {
    let git = root.join(".git");
    if git.is_dir() {
        vec![git.join("hooks"), git.join("config")]
    } else {
        Vec::new()
    }
}

/// What the user allows commands to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPolicy {
    /// Confine commands at all (off: commands run like in the user's shell).
    pub enabled: bool,
    /// Let commands use the network.
    pub allow_network: bool,
    /// Directories writable besides the workspace and the sandbox temp dir (for example a
    /// build tool's cache such as `~/.cargo/registry`).
    pub extra_writable: Vec<PathBuf>,
    /// Remove environment variables that look like credentials (see [`is_secret_env`]) from
    /// commands' environment.
    pub scrub_secrets: bool,
    /// Use at most this Landlock ABI (tests of older kernels; a kernel whose newer ABI
    /// misbehaves). `None`: the kernel's.
    pub max_landlock_abi: Option<i32>,
}

impl Default for SandboxPolicy {
    fn default() -> Self {
        SandboxPolicy {
            enabled: true,
            allow_network: false,
            extra_writable: Vec::new(),
            scrub_secrets: true,
            max_landlock_abi: None,
        }
    }
}

/// An environment variable name that looks like it holds a credential: it contains `TOKEN`,
/// `SECRET`, `PASSWORD`, `PASSWD`, `CREDENTIAL`, `API_KEY`, `APIKEY`, `PRIVATE_KEY` or
/// `ACCESS_KEY` (case-insensitive), or ends in `_KEY` or `_PAT`.
pub fn is_secret_env(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "CREDENTIAL",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
    ]
    .iter()
    .any(|p| n.contains(p))
        || n.ends_with("_KEY")
        || n.ends_with("_PAT")
}

/// What the sandbox enforces on this machine (measured once by starting a probe process).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxStatus {
    /// The kernel's Landlock ABI version, if any.
    pub landlock_abi: Option<i32>,
    /// Filesystem writes are confined (Landlock is active).
    pub fs_confined: bool,
    /// Commands cannot reach the network (network namespace, or Landlock's TCP rules).
    pub network_blocked: bool,
    /// `.git/hooks` and `.git/config` are read-only for commands.
    pub git_protected: bool,
    /// Commands run in a user namespace (no capabilities outside it).
    pub user_namespace: bool,
    /// Each command runs in its own pid namespace: what it leaves running (even after `setsid`)
    /// is killed when it ends.
    pub pid_namespace: bool,
    /// Each layer that could not be applied, and why.
    pub warnings: Vec<String>,
}

impl SandboxStatus {
    /// Everything the policy asked for is enforced.
    pub fn complete(&self, policy: &SandboxPolicy) -> bool {
        policy.enabled
            && self.fs_confined
            && (policy.allow_network || self.network_blocked)
            && self.warnings.is_empty()
    }

    /// A one-line description for approval prompts and tool results.
    pub fn describe(&self, policy: &SandboxPolicy) -> String {
        if !policy.enabled {
            return "no sandbox (disabled by the user)".to_owned();
        }
        let mut parts = Vec::new();
        if self.fs_confined {
            parts.push(format!(
                "landlock ABI {} (writes only in the workspace and temp dir)",
                self.landlock_abi.unwrap_or(0)
            ));
        }
        if policy.allow_network {
            parts.push("network allowed by the user".to_owned());
        } else if self.network_blocked {
            parts.push("no network, no Unix sockets".to_owned());
        }
        if self.git_protected {
            parts.push(".git hooks/config read-only".to_owned());
        }
        let mut s = if parts.is_empty() {
            "no sandbox".to_owned()
        } else {
            format!("sandbox: {}", parts.join(", "))
        };
        if !self.warnings.is_empty() {
            s.push_str(&format!(" [warning: {}]", self.warnings.join("; ")));
        }
        s
    }
}

/// What an older Landlock ABI leaves open, as warnings (each makes the sandbox incomplete, so
/// full-auto asks before commands).
pub fn landlock_gaps(abi: Option<i32>) -> Vec<String> {
    let Some(v) = abi else {
        return Vec::new();
    };
    let mut gaps = Vec::new();
    if v < 2 {
        gaps.push(format!(
            "Landlock ABI {v} cannot stop commands from renaming or linking files out of the workspace (ABI 2 can)"
        ));
    }
    if v < 3 {
        gaps.push(format!(
            "Landlock ABI {v} cannot stop commands from truncating your files outside the workspace (ABI 3 can)"
        ));
    }
    if v < 6 {
        gaps.push(format!(
            "Landlock ABI {v} cannot stop commands from signalling your other processes (ABI 6 can)"
        ));
    }
    gaps
}

/// A sandbox for one workspace.
#[derive(Debug, Clone)]
pub struct Sandbox {
    policy: SandboxPolicy,
    root: PathBuf,
    temp_dir: PathBuf,
    status: SandboxStatus,
    #[cfg(target_os = "linux")]
    plan: Option<linux::ChildPlan>,
}

impl Sandbox {
    /// Measures what this machine supports for `policy` (starts up to four tiny probe
    /// processes) and prepares the setup. `temp_dir` is writable for commands and becomes
    /// their `TMPDIR`.
    pub fn new(policy: SandboxPolicy, root: &Path, temp_dir: &Path) -> Self {
        let root = root.to_path_buf();
        let temp_dir = temp_dir.to_path_buf();
        let mut status = SandboxStatus {
            landlock_abi: None,
            fs_confined: false,
            network_blocked: false,
            git_protected: false,
            user_namespace: false,
            pid_namespace: false,
            warnings: Vec::new(),
        };
        #[cfg(target_os = "linux")]
        {
            let plan = if policy.enabled {
                Self::probe(&policy, &root, &temp_dir, &mut status)
            } else {
                None
            };
            Sandbox {
                policy,
                root,
                temp_dir,
                status,
                plan,
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            if policy.enabled {
                status.warnings.push(
                    "command sandboxing is only implemented on Linux; commands run unconfined"
                        .to_owned(),
                );
            }
            Sandbox {
                policy,
                root,
                temp_dir,
                status,
            }
        }
    }

    #[cfg(target_os = "linux")]
    fn probe(
        policy: &SandboxPolicy,
        root: &Path,
        temp_dir: &Path,
        status: &mut SandboxStatus,
    ) -> Option<linux::ChildPlan> {
        use linux::{ChildPlan, LandlockPlan, Namespaces};
        status.landlock_abi = linux::landlock_abi()
            .map(|v| policy.max_landlock_abi.map_or(v, |m| v.min(m)))
            .filter(|&v| v >= 1);
        let mut writable = vec![root.to_path_buf(), temp_dir.to_path_buf()];
        writable.extend(policy.extra_writable.iter().cloned());
        let landlock = status.landlock_abi.map(|abi| LandlockPlan {
            writable,
            deny_network: !policy.allow_network,
            abi,
        });
        if landlock.is_none() {
            status.warnings.push(
                "the kernel has no Landlock: commands can write anywhere the user can".to_owned(),
            );
        }
        let read_only = git_read_only(root);
        let namespaces = [Namespaces::User, Namespaces::Privileged, Namespaces::None];
        let mut ns_errors = Vec::new();
        for ns in namespaces {
            // With a network namespace, Landlock's TCP rules would only break local servers.
            let landlock = landlock.clone().map(|l| LandlockPlan {
                deny_network: !policy.allow_network && ns == Namespaces::None,
                ..l
            });
            let plan = ChildPlan {
                namespaces: ns,
                new_net: !policy.allow_network,
                read_only: read_only.clone(),
                landlock,
                deny_unix_sockets: !policy.allow_network,
            };
            match Self::try_plan(&plan, root) {
                Ok(()) => {
                    let isolated_ns = ns != Namespaces::None;
                    status.fs_confined = plan.landlock.is_some();
                    let tcp_rules = status.landlock_abi.is_some_and(|v| v >= 4);
                    status.network_blocked = !policy.allow_network && (isolated_ns || tcp_rules);
                    status.git_protected = isolated_ns;
                    status.user_namespace = ns == Namespaces::User;
                    status.pid_namespace = isolated_ns;
                    if !isolated_ns {
                        status.warnings.push(format!(
                            "the kernel refused new namespaces ({}): .git hooks/config are not protected{}",
                            ns_errors.join("; "),
                            if policy.allow_network || tcp_rules { "" } else { " and the network is not blocked" }
                        ));
                        if !policy.allow_network && tcp_rules {
                            status.warnings.push(
                                "network blocked for TCP only (Landlock); UDP is still possible"
                                    .to_owned(),
                            );
                        }
                    }
                    if !policy.allow_network && !status.network_blocked {
                        tracing::warn!("sandbox cannot block the network on this machine");
                    }
                    status.warnings.extend(landlock_gaps(status.landlock_abi));
                    tracing::debug!(?status, "sandbox probe");
                    return Some(plan);
                }
                Err(e) => ns_errors.push(format!("{ns:?}: {e}")),
            }
        }
        status.warnings.push(format!(
            "the sandbox could not start on this machine ({}); commands run unconfined",
            ns_errors.join("; ")
        ));
        tracing::warn!(errors = ?ns_errors, "sandbox unavailable");
        None
    }

    #[cfg(target_os = "linux")]
    fn try_plan(plan: &linux::ChildPlan, root: &Path) -> Result<(), String> {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "exit 0"]).current_dir(root);
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        linux::install(&mut cmd, plan)?;
        let status = cmd.status().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("probe exited with {status}"))
        }
    }

    /// The policy.
    pub fn policy(&self) -> &SandboxPolicy {
        &self.policy
    }

    /// What is enforced here.
    pub fn status(&self) -> &SandboxStatus {
        &self.status
    }

    /// The temp dir commands may write (their `TMPDIR`).
    pub fn temp_dir(&self) -> &Path {
        &self.temp_dir
    }

    /// The workspace root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether commands may write under `dir` (the workspace, the temp dir, or an extra
    /// writable directory). Relative paths are taken from the workspace root.
    fn is_writable(&self, dir: &Path) -> bool {
        let dir = if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            self.root.join(dir)
        };
        std::iter::once(&self.root)
            .chain(std::iter::once(&self.temp_dir))
            .chain(self.policy.extra_writable.iter())
            .any(|w| dir.starts_with(w))
    }

    /// Applies the sandbox to `cmd` (call before spawning it).
    pub fn apply(&self, cmd: &mut Command) -> Result<(), String> {
        cmd.env("TMPDIR", &self.temp_dir);
        if self.policy.enabled {
            // Caches that would otherwise go to a directory commands cannot write (the home
            // directory, or wherever the user's environment points them).
            for (var, sub) in [
                ("XDG_CACHE_HOME", "cache"),
                ("npm_config_cache", "npm"),
                ("GOCACHE", "cache/go-build"),
            ] {
                match std::env::var_os(var) {
                    Some(dir) if self.is_writable(Path::new(&dir)) => {}
                    _ => {
                        cmd.env(var, self.temp_dir.join(sub));
                    }
                }
            }
            // A cargo target dir outside the writable paths would make every build fail: fall
            // back to cargo's default (`target/` in the workspace).
            if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR")
                && !self.is_writable(Path::new(&dir))
            {
                cmd.env_remove("CARGO_TARGET_DIR");
            }
        }
        if self.policy.enabled {
            // Addresses of the user's agents and buses (ssh-agent, D-Bus, X11/Wayland, docker):
            // a command has no business there.
            for name in SESSION_SOCKETS {
                cmd.env_remove(name);
            }
        }
        if self.policy.enabled && self.policy.scrub_secrets {
            for (name, _) in std::env::vars_os() {
                if is_secret_env(&name.to_string_lossy()) {
                    cmd.env_remove(&name);
                }
            }
        }
        #[cfg(target_os = "linux")]
        if let Some(plan) = &self.plan {
            let mut plan = plan.clone();
            if plan.namespaces != linux::Namespaces::None {
                // `.git` may have appeared since the probe (`git init`).
                plan.read_only = git_read_only(&self.root);
            }
            linux::install(cmd, &plan)?;
        }
        Ok(())
    }
}

/// Environment variables that point commands at the user's session services (sockets of
/// ssh-agent, gpg-agent, D-Bus, the display server, docker), removed in the sandbox.
pub const SESSION_SOCKETS: [&str; 9] = [
    "SSH_AUTH_SOCK",
    "SSH_AGENT_PID",
    "GPG_AGENT_INFO",
    "DBUS_SESSION_BUS_ADDRESS",
    "DBUS_SYSTEM_BUS_ADDRESS",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XAUTHORITY",
    "DOCKER_HOST",
];

#[cfg(test)]
mod tests {
    use super::is_secret_env;

    #[test]
    fn session_sockets_are_not_passed_to_sandboxed_commands() {
        let dir = tempfile::tempdir().unwrap();
        let sb = super::Sandbox::new(super::SandboxPolicy::default(), dir.path(), dir.path());
        let mut cmd = std::process::Command::new("true");
        sb.apply(&mut cmd).unwrap();
        let removed: Vec<String> = cmd
            .get_envs()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        for name in super::SESSION_SOCKETS {
            assert!(removed.iter().any(|r| r == name), "{name} is passed on");
        }
    }

    #[test]
    fn secret_looking_names() {
        for n in [
            "GITHUB_TOKEN",
            "HF_TOKEN",
            "OPENAI_API_KEY",
            "aws_secret_access_key",
            "AWS_ACCESS_KEY_ID",
            "DB_PASSWORD",
            "SSH_PRIVATE_KEY",
            "GITLAB_PAT",
            "MY_KEY",
        ] {
            assert!(is_secret_env(n), "{n}");
        }
        for n in [
            "PATH",
            "HOME",
            "CARGO_HOME",
            "RUST_LOG",
            "KEYBOARD_LAYOUT",
            "TERM",
            "SSH_AUTH_SOCK",
            "LANG",
        ] {
            assert!(!is_secret_env(n), "{n}");
        }
    }
}
