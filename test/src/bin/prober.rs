//! Test app granted nothing that tries to reach another app and the host: signal it,
//! trace it, read its memory, take its descriptors, read a file only root may read,
//! leave its memory group, make a user namespace. One line per attempt —
//! `probe NAME: refused (ERROR)` or `probe NAME: ALLOWED` — then `probes done`, then
//! it waits to be stopped. The victim is the process whose program is named by its
//! first argument; the secret file is its second.

use std::ffi::CString;
use std::io;

/// The result of one attempt: `Ok` if it worked.
fn report(name: &str, outcome: io::Result<()>) {
    match outcome {
        Ok(()) => println!("probe {name}: ALLOWED"),
        Err(e) => println!("probe {name}: refused ({e})"),
    }
}

fn check(r: libc::c_long) -> io::Result<libc::c_long> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// A process's parent (`/proc/PID/stat`'s fourth field, after the parenthesised name).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The pid of a process of this system — a child of the same root server — whose
/// program ends in `/name`.
fn find(name: &str) -> Option<libc::pid_t> {
    let me = std::process::id();
    let root_server = parent_of(me)?;
    std::fs::read_dir("/proc").ok()?.find_map(|e| {
        let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let program = cmdline.split(|&b| b == 0).next()?;
        (pid != me
            && program.ends_with(format!("/{name}").as_bytes())
            && parent_of(pid) == Some(root_server))
        .then_some(pid as libc::pid_t)
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(victim), Some(secret)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: prober VICTIM_PROGRAM SECRET_FILE");
        std::process::exit(64);
    };
    let Some(pid) = find(victim) else {
        println!("probe setup: no process runs {victim}");
        std::process::exit(1);
    };
    println!("probing {victim} (pid {pid})");
    // SAFETY (every block below): plain system calls on integers and on buffers that
    // live across the call.
    report("signal", unsafe {
        check(libc::kill(pid, 0).into()).map(drop)
    });
    report(
        "ptrace",
        unsafe { check(libc::ptrace(libc::PTRACE_SEIZE, pid, 0, 0)) }.map(drop),
    );
    report("process_vm_readv", {
        let mut byte = [0u8; 1];
        let local = libc::iovec {
            iov_base: byte.as_mut_ptr().cast(),
            iov_len: 1,
        };
        // The victim's first mapping, if its map can be read (else any address: the
        // call is refused before the address is looked at).
        let first_mapping = std::fs::read_to_string(format!("/proc/{pid}/maps"))
            .ok()
            .and_then(|maps| {
                let start = maps.split('-').next()?.to_string();
                usize::from_str_radix(&start, 16).ok()
            })
            .unwrap_or(0x1000);
        let remote = libc::iovec {
            iov_base: first_mapping as *mut libc::c_void,
            iov_len: 1,
        };
        unsafe { check(libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) as libc::c_long) }
            .map(drop)
    });
    report("pidfd_getfd", unsafe {
        check(libc::syscall(libc::SYS_pidfd_open, pid, 0)).and_then(|pidfd| {
            // Descriptor 3: the victim's first KOS channel.
            check(libc::syscall(libc::SYS_pidfd_getfd, pidfd, 3, 0)).map(drop)
        })
    });
    report("read secret", std::fs::read(secret).map(drop));
    report("leave memory group", leave_group());
    report("user namespace", unsafe {
        check(libc::unshare(libc::CLONE_NEWUSER).into()).map(drop)
    });
    println!("probes done");
    loop {
        std::thread::park();
    }
}

/// Writes this process into the memory group above its own (or its own group's
/// parent hierarchy root), as an app escaping its budget would.
fn leave_group() -> io::Result<()> {
    let groups = std::fs::read_to_string("/proc/self/cgroup")?;
    let path = groups
        .lines()
        .find_map(|l| {
            let mut parts = l.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            controllers
                .split(',')
                .any(|c| c == "memory")
                .then(|| path.to_string())
        })
        .ok_or_else(|| io::Error::other("no memory group"))?;
    let parent = std::path::Path::new(&path)
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let procs = format!("/sys/fs/cgroup/memory{parent}/cgroup.procs");
    let c = CString::new(procs.clone()).map_err(io::Error::other)?;
    // SAFETY: open/write/close on a path and a buffer that outlive the calls.
    unsafe {
        let fd = check(libc::open(c.as_ptr(), libc::O_WRONLY).into())? as libc::c_int;
        let me = format!("{}\n", std::process::id());
        let written = libc::write(fd, me.as_ptr().cast(), me.len());
        libc::close(fd);
        check(written as libc::c_long).map(drop)
    }
}
