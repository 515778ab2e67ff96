//! One program source, two environments: KOS's seL4 programs (`sel4/native/apps`,
//! written against `kos-sel4-sdk`) built as hosted processes with the SDK's `hosted`
//! feature and run by the real `kos run` — the same manifests the seL4 tests boot in
//! QEMU, with the same results.

use std::path::PathBuf;

use kos_system_tests::RunningSystem;

/// The hosted build of the seL4 programs, kept between runs.
fn hosted_programs() -> PathBuf {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sel4-programs-hosted");
    kos_sel4_build::programs::build_hosted(&out).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_sel4_echo_programs_run_hosted_with_the_same_answers() {
    let bin = hosted_programs();
    let mut system = RunningSystem::boot_from(
        r#"
    msg_servers { main { dir_access_control {
        kos_echo_protocol { servers = "echo_server"; clients = "echo_client"; };
    }; }; };
    apps {
        echo_server { kind = "native"; binary = "echo_server"; msg_servers = "main"; heap_kib = <1024>; };
        echo_client {
            kind = "native"; binary = "echo_client"; msg_servers = "main"; heap_kib = <1024>;
            restart = "transient";
        };
    };
"#,
        &bin,
    );
    for n in 1..=3 {
        system.wait_for(&[
            "[echo_client]",
            &format!("reply {n}: hello #{n} (label 7, badge "),
        ]);
    }
    for line in [
        "944 bytes: echoed whole",
        "945 bytes: echoed whole",
        "4096 bytes: echoed whole",
        "4097 bytes: refused, too large",
    ] {
        system.wait_for(&["[echo_client]", line]);
    }
    system.wait_for(&[
        "[echo_server]",
        "call from echo_client (badge ",
        "): 4096 bytes",
    ]);
    let end = system.wait_event("echo_client", "stays_down");
    assert!(end.message.contains("exited normally"), "{}", end.message);
    system.stop();
}

#[test]
fn the_sel4_server_crash_test_runs_hosted_with_the_same_story() {
    let bin = hosted_programs();
    let dts = kos_sel4_build::checkout().join("test/fixtures/sel4-server-dies.dts");
    let mut system = RunningSystem::boot_file(&dts, &bin);
    system.wait_for(&["[steady]", "before: before (badge "]);
    // The server panics on the fatal label; the call in flight ends, it does not hang.
    system.wait_for(&["[steady]", "fatal: the server is gone (ServerGone)"]);
    system.wait_for(&["[steady]", "stale: still gone, as it should be"]);
    system.wait_for(&["[flaky]", "told to fail on label 99"]);
    system.wait_event("flaky", "restarting");
    // A new connect waits for the restarted server and reaches it.
    system.wait_for(&["[steady]", "after: after (badge "]);
    system.wait_for(&[
        "[steady]",
        "holds 64 tokens; one more is refused: the app holds the maximum number of tokens",
    ]);
    let end = system.wait_event("steady", "stays_down");
    assert!(end.message.contains("exited normally"), "{}", end.message);
    assert!(
        !system.seen(&["UNEXPECTED"]).iter().any(|_| true),
        "{:?}",
        system.log
    );
    system.stop();
}

#[test]
fn the_sel4_root_caller_runs_hosted_against_the_hosted_root() {
    let bin = hosted_programs();
    let dts = kos_sel4_build::checkout().join("test/fixtures/sel4-root-protocol.dts");
    let mut system = RunningSystem::boot_file(&dts, &bin);
    system.wait_for(&[
        "[nosy]",
        "no access to kos_root_protocol: not granted by the manifest's dir_access_control",
    ]);
    system.wait_for(&["[ops]", "asking _root to restart echo_server"]);
    system.wait_for(&["[ops]", "_root accepted"]);
    // Hosted apps run at once, so what `nosy` is doing at that moment varies.
    for app in [
        "status: echo_server ",
        "status: ops running",
        "status: nosy ",
    ] {
        system.wait_for(&["[ops]", app]);
    }
    system.wait_for(&["[ops]", "_root refused with status 4: "]);
    let end = system.wait_event("ops", "stays_down");
    assert!(end.message.contains("exited normally"), "{}", end.message);
    system.stop();
}
