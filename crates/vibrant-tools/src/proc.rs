//! A command's own session, and killing its process group (the `unsafe` calls outside the
//! sandbox module).

#![allow(unsafe_code)]

/// Sends SIGKILL to the process group `pgid` (a command started as its own group leader).
pub(crate) fn kill_process_group(pgid: u32) {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return;
    };
    if pgid <= 1 {
        return;
    }
    // SAFETY: kill(2) takes plain integers and touches no memory; a negative pid addresses
    // the process group, which is the command's own (its session leader, see `new_session`).
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

/// Makes the command the leader of a new session (and of a process group whose id is its pid):
/// it has no controlling terminal, so it cannot open `/dev/tty` to read the user's keystrokes
/// or push input into the next approval prompt (TIOCSTI), and killing its group kills what it
/// started.
pub(crate) fn new_session(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the hook runs in the child between fork and exec and only calls setsid(2), which
    // takes no arguments, touches no memory and is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
