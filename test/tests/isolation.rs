//! The hosted environment's isolation, tried from an app granted nothing (`prober`):
//! run as root, `kos run` starts each app under a user of its own with
//! `no_new_privs` and a seccomp filter, so the prober can neither signal, trace, read
//! the memory of nor take descriptors from the echo server beside it, read a file only
//! root may read, leave its memory group, nor make a user namespace — nor reach the
//! app granted `kos_root_protocol`, which keeps root's user. The same probes with
//! `--no-isolation` reach the server — what the defaults take away.

use std::os::unix::fs::PermissionsExt;

use kos_system_tests::RunningSystem;

const PROBES: [&str; 7] = [
    "signal",
    "ptrace",
    "process_vm_readv",
    "pidfd_getfd",
    "read secret",
    "leave memory group",
    "user namespace",
];

/// A file only root may read, in a directory anyone may enter (so only its own mode
/// keeps it).
fn secret() -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    std::fs::write(file.path(), "the device key\n").unwrap();
    std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
    file
}

/// The echo pair, an app granted `kos_root_protocol` (`fd_report`, which waits), and
/// a prober aimed at each.
fn with_prober(secret: &std::path::Path) -> String {
    format!(
        r#"
    /include/ "fixtures/echo.dtsi"
    msg_servers {{ main {{ dir_access_control {{
        kos_root_protocol {{ servers = "_root"; clients = "admin"; }};
    }}; }}; }};
    apps {{
        admin {{ kind = "native"; binary = "fd_report"; msg_servers = "main"; heap_kib = <256>; }};
        prober {{ kind = "native"; binary = "prober"; heap_kib = <512>;
                  args = "echo_server", "{secret}"; }};
        prober_admin {{ kind = "native"; binary = "prober"; heap_kib = <512>;
                        args = "fd_report", "{secret}"; }};
    }};
"#,
        secret = secret.display()
    )
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn an_app_granted_nothing_cannot_reach_another_app_or_the_host() {
    let secret = secret();
    let mut sys = RunningSystem::boot(&with_prober(secret.path()));
    if !is_root() {
        // No other user to give the apps: the root server says so.
        sys.wait_event("_root", "not_isolated");
        assert!(sys.stop().success());
        return;
    }
    // The app granted kos_root_protocol keeps the server's user, and says why.
    sys.wait_event_where("_root", "isolated", |l| {
        l.message
            .contains("this server's user kept by admin (granted kos_root_protocol)")
    });
    let done = sys.wait_for(&["[prober]", "probes done"]);
    for probe in PROBES {
        let line = sys.wait_for(&["[prober]", &format!("probe {probe}:")]);
        assert!(line.contains(": refused ("), "{line}\n{:#?}", sys.log);
    }
    // Nor can it reach the administrator, which runs as root.
    sys.wait_for(&["[prober_admin]", "probes done"]);
    for probe in ["signal", "ptrace", "process_vm_readv", "pidfd_getfd"] {
        let line = sys.wait_for(&["[prober_admin]", &format!("probe {probe}:")]);
        assert!(line.contains(": refused ("), "{line}\n{:#?}", sys.log);
    }
    // The server went on serving its granted client meanwhile.
    sys.wait_for_after(&done, &["[echo_client]", "reply"]);
    assert!(sys.exits("echo_server").is_empty());
    assert!(sys.stop().success());
}

#[test]
fn without_isolation_the_same_probes_reach_the_other_app() {
    if !is_root() {
        return;
    }
    let secret = secret();
    let mut sys = RunningSystem::boot_args(&with_prober(secret.path()), &["--no-isolation"]);
    sys.wait_event_where("_root", "not_isolated", |l| {
        l.message.contains("--no-isolation")
    });
    sys.wait_for(&["[prober]", "probes done"]);
    for probe in ["signal", "process_vm_readv", "read secret"] {
        let line = sys.wait_for(&["[prober]", &format!("probe {probe}:")]);
        assert!(line.contains(": ALLOWED"), "{line}\n{:#?}", sys.log);
    }
    assert!(sys.stop().success());
}
