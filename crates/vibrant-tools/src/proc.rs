//! Killing a command's process group (the one `unsafe` call outside the sandbox module).

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
    // the process group, which is the command's own (it was spawned with process_group(0)).
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}
