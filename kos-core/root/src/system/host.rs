//! What the hosted supervisor asks of Linux directly: signals, the descriptor limit,
//! whether Erlang is installed, a process's resident memory, and whether this one is root.

pub(super) fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) on a child we started and have not yet seen exit.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

/// Every channel and every granted token costs the root server descriptors (message
/// servers run in this process), so take the whole hard limit rather than the usual
/// soft 1024.
pub(super) fn raise_descriptor_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to an rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// Is Erlang's launcher on the PATH?
pub(super) fn erl_installed() -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| dir.join(beam_host::ERL).is_file())
    })
}

/// Resident memory of a process (`VmRSS`), in KiB; 0 if it cannot be read.
pub(super) fn resident_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Is this process root (and so able to give its apps other users)?
pub(super) fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
