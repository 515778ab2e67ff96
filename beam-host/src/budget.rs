//! The memory budget as a hard limit: one memory cgroup per BEAM instance.
//!
//! On seL4 an app cannot use more memory than it was given. Here the kernel's memory
//! controller (cgroup v1) does the same: each instance runs in its own group, below
//! the root server's own group, with `memory.limit_in_bytes` set to its budget. An
//! instance that outgrows it is killed by the kernel inside that group alone, and the
//! root server restarts it by policy. Where no writable memory controller exists
//! (not root, cgroup v2 only), [`Cgroups::create`] says why and the budget is then only
//! what the emulator flags aim for.

use std::ffi::CString;
use std::fmt;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Where the cgroup v1 memory controller is mounted.
const MEMORY_MOUNT: &str = "/sys/fs/cgroup/memory";

/// The root server's own subtree of memory groups.
#[derive(Debug)]
pub struct Cgroups {
    base: PathBuf,
}

/// No memory cgroups here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable(pub String);

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "memory budgets are not enforced by the kernel here: {}",
            self.0
        )
    }
}

impl std::error::Error for Unavailable {}

/// This process's memory cgroup path, from `/proc/self/cgroup` (`N:memory:/path`).
fn own_memory_group() -> Result<PathBuf, Unavailable> {
    let text = std::fs::read_to_string("/proc/self/cgroup")
        .map_err(|e| Unavailable(format!("/proc/self/cgroup: {e}")))?;
    text.lines()
        .find_map(|line| {
            let mut parts = line.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            controllers
                .split(',')
                .any(|c| c == "memory")
                .then(|| path.to_string())
        })
        .map(|p| Path::new(MEMORY_MOUNT).join(p.trim_start_matches('/')))
        .ok_or_else(|| Unavailable("no cgroup v1 memory controller".into()))
}

impl Cgroups {
    /// Makes `kos-<pid>` under this process's own memory group.
    pub fn create() -> Result<Cgroups, Unavailable> {
        let own = own_memory_group()?;
        remove_stale(&own);
        let base = own.join(format!("kos-{}", std::process::id()));
        std::fs::create_dir(&base)
            .map_err(|e| Unavailable(format!("cannot create {}: {e}", base.display())))?;
        Ok(Cgroups { base })
    }

    /// A group `name` limited to `limit_bytes`. Callers give each start its own name
    /// (the app and its generation), so a new instance never waits on, or runs outside
    /// of, a group its predecessor's leftovers still occupy.
    pub fn group(&self, name: &str, limit_bytes: u64) -> io::Result<Group> {
        let dir = self.base.join(name);
        if dir.exists() {
            kill_members(&dir);
            let _ = std::fs::remove_dir(&dir);
        }
        std::fs::create_dir(&dir)?;
        std::fs::write(dir.join("memory.limit_in_bytes"), limit_bytes.to_string())?;
        // Without swap accounting the limit already covers all memory; where swap is
        // accounted, cap memory plus swap too, or the instance would swap past it.
        let memsw = dir.join("memory.memsw.limit_in_bytes");
        if memsw.exists() {
            let _ = std::fs::write(memsw, limit_bytes.to_string());
        }
        let procs = CString::new(dir.join("cgroup.procs").as_os_str().as_bytes())
            .map_err(|_| io::Error::other("cgroup path with a NUL byte"))?;
        Ok(Group {
            dir,
            procs,
            limit_bytes,
        })
    }
}

/// Removes the subtrees of root servers that are gone (killed before they could
/// clean up). A group still holding a process cannot be removed and is left alone.
fn remove_stale(own: &Path) {
    let Ok(entries) = std::fs::read_dir(own) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("kos-")) else {
            continue;
        };
        if Path::new("/proc").join(pid).exists() {
            continue;
        }
        remove_tree(&entry.path());
    }
}

/// Removes a group and its child groups (cgroup directories are removed with rmdir),
/// killing whatever still runs in them first.
fn remove_tree(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().is_dir() {
                kill_members(&e.path());
                let _ = std::fs::remove_dir(e.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// SIGKILLs every process left in a group (a VM's `erl_child_setup`, port programs
/// it started) and waits briefly until the group is empty, so it can be removed and
/// nothing the app started outlives it. cgroup v1 has no `cgroup.kill`.
fn kill_members(dir: &Path) {
    let procs = dir.join("cgroup.procs");
    for _ in 0..50 {
        let pids: Vec<i32> = std::fs::read_to_string(&procs)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        if pids.is_empty() {
            return;
        }
        for pid in pids {
            // SAFETY: kill(2) on processes of a group this root server made for its app.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        // Only empty groups can be removed; by now every instance has exited.
        remove_tree(&self.base);
    }
}

/// One instance's memory group.
#[derive(Debug)]
pub struct Group {
    dir: PathBuf,
    procs: CString,
    limit_bytes: u64,
}

impl Group {
    /// Path of the group's `cgroup.procs`, which a child writes its pid to before it
    /// execs (see [`join_from_child`]).
    pub fn procs_file(&self) -> &CString {
        &self.procs
    }

    /// The limit in bytes.
    pub fn limit_bytes(&self) -> u64 {
        self.limit_bytes
    }

    /// Did the kernel kill a process of this group for exceeding the limit?
    pub fn oom_killed(&self) -> bool {
        let control =
            std::fs::read_to_string(self.dir.join("memory.oom_control")).unwrap_or_default();
        let kills = control
            .lines()
            .find_map(|l| l.strip_prefix("oom_kill "))
            .and_then(|n| n.trim().parse::<u64>().ok());
        match kills {
            Some(n) => n > 0,
            // Older kernels: the limit was hit at least once.
            None => {
                self.read_u64("memory.failcnt") > 0
                    && self.read_u64("memory.max_usage_in_bytes") >= self.limit_bytes
            }
        }
    }

    /// Highest memory use seen, in bytes.
    pub fn peak_bytes(&self) -> u64 {
        self.read_u64("memory.max_usage_in_bytes")
    }

    fn read_u64(&self, file: &str) -> u64 {
        std::fs::read_to_string(self.dir.join(file))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Removes the group once its processes have exited.
    pub fn remove(self) {
        kill_members(&self.dir);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Moves the calling process into the group whose `cgroup.procs` is `procs`. Meant for
/// a forked child before exec: only async-signal-safe calls, no allocation.
///
/// # Safety
/// Call only in a forked child (e.g. from `CommandExt::pre_exec`).
pub unsafe fn join_from_child(procs: &CString) -> io::Result<()> {
    let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut digits = [0u8; 20];
    let mut n = libc::getpid() as u64;
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let written = libc::write(fd, digits[start..].as_ptr().cast(), digits.len() - start);
    let error = (written < 0).then(io::Error::last_os_error);
    libc::close(fd);
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
