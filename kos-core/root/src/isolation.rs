//! Keeping each hosted app out of the others' reach, with what Linux offers (on seL4
//! the capabilities are the isolation). A root server running as root starts every
//! app
//!
//! - under a user and group of its own ([`AppIdentity`], derived from the system's
//!   manifest and the app's name, so two KOS systems on one host never share one),
//!   with no supplementary groups and so no capabilities: it cannot signal, trace or
//!   take descriptors from another app or the root server (`kill`, `ptrace` and
//!   `pidfd_getfd` all need the same user or a capability), nor write the memory
//!   group files it was put under (root's);
//! - with `no_new_privs`, so no set-user-ID program gives it back what it lost;
//! - under a seccomp filter ([`Filter`]) that refuses, with `EPERM`, the system calls
//!   no app needs and an escape would: tracing and reading other processes, kernel
//!   modules and `kexec`, mounts and namespaces, BPF and perf events, the kernel
//!   keyring, handles to files by inode, changing the clock, rebooting.
//!
//! The exceptions keep the root server's user and get `no_new_privs` and the filter
//! alone: an app the manifest grants `kos_root_protocol` (the device admin: it may
//! restart and upgrade the whole system, and holds the device's Orbit key, which so
//! stays a file only root may read), and a bus server driving hardware (registers
//! through `/dev/mem`, `/dev/i2c-N`). A user and state directory of their own for
//! them too is the next step.
//!
//! A root server that is not root has no other user to give its apps; it says so
//! once ([`crate::events::Event::NotIsolated`]) and starts them as itself.

use std::collections::BTreeMap;
use std::io;

use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, TargetArch};

/// The first user id KOS gives an app; app ids lie in the 2^24 from here (far above
/// the ids Debian gives people and system services, below 2^31).
pub const FIRST_APP_UID: u32 = 0x4b00_0000;
/// How many ids the apps of all systems share.
const APP_UIDS: u32 = 1 << 24;

/// The user and group an app runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppIdentity {
    pub uid: u32,
    pub gid: u32,
}

impl AppIdentity {
    /// The identity of app `app` of the system whose manifest is `system` (its
    /// canonical path): the same at every start, different for another app or system
    /// (FNV-1a over both, into the app range).
    pub fn of(system: &str, app: &str) -> AppIdentity {
        let mut hash: u32 = 0x811c_9dc5;
        for b in system.bytes().chain([0]).chain(app.bytes()) {
            hash ^= u32::from(b);
            hash = hash.wrapping_mul(0x0100_0193);
        }
        let uid = FIRST_APP_UID + hash % APP_UIDS;
        AppIdentity { uid, gid: uid }
    }
}

/// The first of `paths` an app with a user of its own could not use — a directory on
/// the way that others may not enter, or the path itself that others may not read —
/// with why. Its own user is in no group and owns none of these, so only the
/// permissions for others count. (A checkout in root's home, mode 0700, is the usual
/// case: the root server then starts that app as itself and says so.)
pub fn unreachable(paths: &[&std::path::Path]) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    for path in paths {
        let Ok(full) = std::fs::canonicalize(path) else {
            continue;
        };
        for dir in full.ancestors().skip(1) {
            match std::fs::metadata(dir) {
                Ok(m) if m.permissions().mode() & 0o001 == 0 => {
                    return Some(format!(
                        "{} is closed to other users (it needs o+x for {})",
                        dir.display(),
                        full.display()
                    ));
                }
                _ => {}
            }
        }
        match std::fs::metadata(&full) {
            Ok(m) if m.permissions().mode() & 0o004 == 0 => {
                return Some(format!("{} is not readable by other users", full.display()));
            }
            _ => {}
        }
    }
    None
}

/// The system calls an app is refused: nothing a KOS app does, everything that reads
/// or controls another process or the kernel.
const REFUSED: &[(i64, &str)] = &[
    (libc::SYS_ptrace, "ptrace"),
    (libc::SYS_process_vm_readv, "process_vm_readv"),
    (libc::SYS_process_vm_writev, "process_vm_writev"),
    (libc::SYS_pidfd_getfd, "pidfd_getfd"),
    (libc::SYS_kcmp, "kcmp"),
    (libc::SYS_kexec_load, "kexec_load"),
    (libc::SYS_kexec_file_load, "kexec_file_load"),
    (libc::SYS_init_module, "init_module"),
    (libc::SYS_finit_module, "finit_module"),
    (libc::SYS_delete_module, "delete_module"),
    (libc::SYS_mount, "mount"),
    (libc::SYS_umount2, "umount2"),
    (libc::SYS_pivot_root, "pivot_root"),
    (libc::SYS_chroot, "chroot"),
    (libc::SYS_setns, "setns"),
    (libc::SYS_unshare, "unshare"),
    (libc::SYS_open_by_handle_at, "open_by_handle_at"),
    (libc::SYS_name_to_handle_at, "name_to_handle_at"),
    (libc::SYS_bpf, "bpf"),
    (libc::SYS_perf_event_open, "perf_event_open"),
    (libc::SYS_userfaultfd, "userfaultfd"),
    (libc::SYS_keyctl, "keyctl"),
    (libc::SYS_add_key, "add_key"),
    (libc::SYS_request_key, "request_key"),
    (libc::SYS_reboot, "reboot"),
    (libc::SYS_swapon, "swapon"),
    (libc::SYS_swapoff, "swapoff"),
    (libc::SYS_syslog, "syslog"),
    (libc::SYS_acct, "acct"),
    (libc::SYS_iopl, "iopl"),
    (libc::SYS_ioperm, "ioperm"),
    (libc::SYS_settimeofday, "settimeofday"),
    (libc::SYS_clock_settime, "clock_settime"),
    (libc::SYS_clock_adjtime, "clock_adjtime"),
    (libc::SYS_adjtimex, "adjtimex"),
    (libc::SYS_sethostname, "sethostname"),
    (libc::SYS_setdomainname, "setdomainname"),
];

/// The names of the refused system calls, for the README and the logs.
pub fn refused_calls() -> impl Iterator<Item = &'static str> {
    REFUSED.iter().map(|(_, name)| *name)
}

/// The compiled seccomp filter, made before the fork: the child only installs it.
#[derive(Clone)]
pub struct Filter(BpfProgram);

impl Filter {
    /// Every app's filter: the [`REFUSED`] calls fail with `EPERM`, the rest run.
    pub fn new() -> io::Result<Filter> {
        let rules: BTreeMap<i64, Vec<seccompiler::SeccompRule>> =
            REFUSED.iter().map(|&(nr, _)| (nr, Vec::new())).collect();
        let filter = SeccompFilter::new(
            rules,
            SeccompAction::Allow,
            SeccompAction::Errno(libc::EPERM as u32),
            TargetArch::x86_64,
        )
        .map_err(|e| io::Error::other(format!("seccomp filter: {e}")))?;
        let program: BpfProgram = filter
            .try_into()
            .map_err(|e| io::Error::other(format!("seccomp filter: {e:?}")))?;
        Ok(Filter(program))
    }
}

/// What the child does before exec, prepared in the parent.
pub struct Confinement {
    /// Its own user, or `None` for an app that keeps the root server's.
    pub identity: Option<AppIdentity>,
    pub filter: Filter,
}

/// The home an app with a user of its own is given: none (the root server's would be
/// unreadable, and an Erlang VM looks there for `.erlang` at start).
pub const APP_HOME: &str = "/nonexistent";

impl Confinement {
    /// Becomes the app's user and group (if it has its own), with `no_new_privs` and
    /// the filter.
    ///
    /// # Safety
    /// For a forked child before exec: it makes only async-signal-safe system calls
    /// on memory prepared in the parent.
    pub unsafe fn enter(&self) -> io::Result<()> {
        let check = |r: libc::c_int| {
            if r < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(())
            }
        };
        if let Some(AppIdentity { uid, gid }) = self.identity {
            check(libc::setgroups(0, std::ptr::null()))?;
            check(libc::setresgid(gid, gid, gid))?;
            check(libc::setresuid(uid, uid, uid))?;
        }
        check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))?;
        let program = libc::sock_fprog {
            len: self.filter.0.len() as libc::c_ushort,
            // seccompiler's sock_filter is the kernel's struct, field for field.
            filter: self.filter.0.as_ptr() as *mut libc::sock_filter,
        };
        check(libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &program as *const libc::sock_fprog,
        ))
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn identities_differ_by_app_and_by_system_and_stay_in_their_range() {
        let a = AppIdentity::of("/srv/a.dts", "echo_server");
        assert_eq!(a, AppIdentity::of("/srv/a.dts", "echo_server"));
        assert_ne!(a, AppIdentity::of("/srv/a.dts", "echo_client"));
        assert_ne!(a, AppIdentity::of("/srv/b.dts", "echo_server"));
        for app in ["a", "b", "device_admin", "x".repeat(64).as_str()] {
            let id = AppIdentity::of("/m.dts", app);
            assert!((FIRST_APP_UID..FIRST_APP_UID + APP_UIDS).contains(&id.uid));
        }
    }

    #[test]
    fn a_path_behind_a_closed_directory_is_unreachable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("inner");
        std::fs::create_dir(&inner).unwrap();
        let file = inner.join("program");
        std::fs::write(&file, "x").unwrap();
        let mode = |p: &std::path::Path, m| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        };
        mode(dir.path(), 0o755);
        mode(&inner, 0o755);
        mode(&file, 0o755);
        assert_eq!(unreachable(&[&file]), None);
        mode(&inner, 0o700);
        let why = unreachable(&[&file]).unwrap();
        assert!(why.contains("inner is closed to other users"), "{why}");
        mode(&inner, 0o755);
        mode(&file, 0o700);
        assert!(unreachable(&[&file])
            .unwrap()
            .contains("not readable by other users"));
    }

    #[test]
    fn the_filter_compiles_for_every_refused_call() {
        let filter = Filter::new().unwrap();
        // One comparison per call at least, and within the kernel's 4096 limit.
        assert!(filter.0.len() > REFUSED.len() && filter.0.len() < 4096);
    }
}
