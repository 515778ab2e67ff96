//! The RNG server in a booted system: Rust and C clients, access control, bounded
//! memory under a large stream, and recovery from a server crash.

use std::path::Path;
use std::process::Command;

use kos_system_tests::{bin_dir, peak_rss_kib, RunningSystem};

#[test]
fn a_256_mib_stream_through_the_server_completes_with_bounded_server_memory() {
    let mut sys = RunningSystem::boot(
        r#"
    /include/ "services/rng_server.dtsi"
    msg_servers { main { dir_access_control {
        kos_rng_protocol { clients = "rng_client"; };
    }; }; };
    apps {
        rng_client { kind = "native"; binary = "rng_client"; msg_servers = "main"; heap_kib = <1024>;
                     args = "--server-bytes", "268435456"; };
    };
"#,
    );
    let server = sys.wait_started("rng_server");
    sys.wait_for(&["[rng_client]", "read 268435456 bytes from the server"]);
    // A 256 KiB heap is a hard cap: buffering the stream would have aborted the server.
    assert!(sys.exits("rng_server").is_empty(), "{:#?}", sys.log);
    let peak = peak_rss_kib(server);
    assert!(
        peak < 16 * 1024,
        "rng_server peaked at {peak} KiB for a 256 MiB stream"
    );
    assert!(sys.stop().success());
}

#[test]
fn a_crashed_rng_server_is_restarted_and_its_client_reconnects() {
    let mut sys = RunningSystem::boot(
        r#"
    /include/ "services/rng_server.dtsi"
    msg_servers { main { dir_access_control {
        kos_rng_protocol { clients = "rng_client"; };
    }; }; };
    apps {
        rng_client { kind = "native"; binary = "rng_client"; msg_servers = "main"; heap_kib = <1024>;
                     args = "--interval-ms", "100"; };
    };
"#,
    );
    let server = sys.wait_started("rng_server");
    sys.wait_for(&["[rng_client]", "random:"]);
    // SAFETY: kill(2) on a process of the system under test.
    unsafe {
        libc::kill(server as libc::pid_t, libc::SIGKILL);
    }
    let crash = sys.wait_event("rng_server", "restarting");
    assert_eq!(crash.exit_number("signal"), Some(9), "{}", crash.text());
    assert_ne!(sys.wait_started("rng_server"), server);
    let back = sys.wait_all(&[
        &["[rng_client]", "connection lost; reconnecting"],
        &["[rng_client]", "connected to kos_rng_protocol"],
    ]);
    sys.wait_for_after(&back[1], &["[rng_client]", "random:"]);
    assert!(sys.exits("rng_client").is_empty(), "the client rode it out");
    assert!(sys.stop().success());
}

/// Compiles the C example against `libkos_rng_client.a` into `dir/rng_demo`.
fn build_c_demo(dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let lib = bin_dir().join("libkos_rng_client.a");
    assert!(
        lib.is_file(),
        "{} is missing: run `cargo build --workspace`",
        lib.display()
    );
    let status = Command::new("cc")
        .arg(root.join("services/rng-client/examples/c/rng_demo.c"))
        .arg("-I")
        .arg(root.join("services/rng-client/include"))
        .arg(&lib)
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(dir.join("rng_demo"))
        .status()
        .expect("run cc");
    assert!(
        status.success(),
        "the C example must compile against the header and library"
    );
}

#[test]
fn a_c_app_gets_random_bytes_through_kos_request_rng_stream_and_a_denied_one_a_clear_status() {
    let dir = tempfile::tempdir().unwrap();
    build_c_demo(dir.path());
    std::os::unix::fs::symlink(bin_dir().join("rng_server"), dir.path().join("rng_server"))
        .unwrap();
    let mut sys = RunningSystem::boot_from(
        r#"
    /include/ "services/rng_server.dtsi"
    msg_servers { main { dir_access_control {
        kos_rng_protocol { clients = "c_app"; };
    }; }; };
    apps {
        c_app      { kind = "native"; binary = "rng_demo"; msg_servers = "main"; heap_kib = <1024>; };
        c_denied   { kind = "native"; binary = "rng_demo"; msg_servers = "main"; heap_kib = <1024>; };
    };
"#,
        dir.path(),
    );
    let lines = sys.wait_all(&[
        &["[c_app]", "random:"],
        &["[c_app]", "4194304 bytes: ok"],
        &["[c_app]", "NULL buffer: -5"],
        &[
            "[c_denied]",
            "kos_request_rng_stream failed: -3",
            "not granted",
        ],
    ]);
    let hex: Vec<&str> = lines[0]
        .split("random:")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(hex.len(), 16);
    assert!(hex.iter().any(|b| *b != "00"));
    assert!(sys.stop().success());
}
