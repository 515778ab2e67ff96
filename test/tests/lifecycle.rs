//! Starting and stopping a whole system: clean shutdown, no orphans, clear boot errors.

use kos_system_tests::{all_gone, kos, manifest, started_pid, RunningSystem};

const THREE_APPS: &str = r#"
    msg_servers { main { dir_access_control {
        kos_echo_protocol { servers = "echo_server"; clients = "echo_client"; };
    }; }; };
    apps {
        echo_server { kind = "native"; binary = "echo_server"; msg_servers = "main"; heap_kib = <1024>; };
        echo_client { kind = "native"; binary = "echo_client"; msg_servers = "main"; heap_kib = <1024>;
                      args = "--interval-ms", "50"; };
        idle { kind = "native"; binary = "fd_report"; heap_kib = <256>; };
    };
"#;

fn app_pids(sys: &mut RunningSystem) -> Vec<u32> {
    sys.wait_all(&[
        &["[echo_server]", "started (pid"],
        &["[echo_client]", "started (pid"],
        &["[idle]", "started (pid"],
    ])
    .iter()
    .map(|line| started_pid(line))
    .collect()
}

#[test]
fn sigterm_stops_every_app_and_the_root_exits_cleanly() {
    let mut sys = RunningSystem::boot(THREE_APPS);
    let pids = app_pids(&mut sys);
    sys.wait_for(&["[echo_client]", "reply 2:"]);
    let status = sys.stop();
    assert!(status.success(), "{status:?}");
    assert!(!sys
        .seen(&["[_root]", "shutting down (SIGTERM received)"])
        .is_empty());
    assert!(!sys
        .seen(&["[_root]", "all apps stopped; system down"])
        .is_empty());
    assert!(all_gone(&pids), "no app outlives the system");
    assert!(
        sys.seen(&["restarting"]).is_empty(),
        "a shutdown is not a crash: {:#?}",
        sys.log
    );
}

#[test]
fn sigint_stops_the_system_like_ctrl_c() {
    let mut sys = RunningSystem::boot(THREE_APPS);
    let pids = app_pids(&mut sys);
    sys.signal(libc::SIGINT);
    assert!(sys.wait_exit().success());
    assert!(!sys
        .seen(&["[_root]", "shutting down (SIGINT received)"])
        .is_empty());
    assert!(all_gone(&pids));
}

#[test]
fn a_killed_root_server_leaves_no_orphans() {
    let mut sys = RunningSystem::boot(THREE_APPS);
    let pids = app_pids(&mut sys);
    sys.signal(libc::SIGKILL);
    sys.wait_exit();
    assert!(all_gone(&pids), "apps die with their root server");
}

#[test]
fn a_broken_manifest_names_the_node_and_the_rule_and_starts_nothing() {
    let bad = manifest(
        r#"
    msg_servers { main { dir_access_control {
        kos_echo_protocol { servers = "echo_server"; clients = "ghost"; };
    }; }; };
    apps {
        echo_server { kind = "native"; binary = "echo_server"; msg_servers = "main"; heap_kib = <1024>; };
    };
"#,
    );
    let path = bad.path.to_str().unwrap();
    let check = kos(&["manifest", "check", path]);
    assert!(!check.status.success());
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(
        err.contains("/msg_servers/main/dir_access_control/kos_echo_protocol"),
        "{err}"
    );
    assert!(err.contains("ghost"), "{err}");
    let run = kos(&["run", path]);
    assert!(!run.status.success());
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        !out.contains("started"),
        "nothing starts from a broken manifest: {out}"
    );
}

#[test]
fn a_missing_binary_is_reported_before_anything_starts() {
    let m = manifest(
        r#"
    apps {
        first { kind = "native"; binary = "fd_report"; heap_kib = <256>; };
        missing { kind = "native"; binary = "no_such_binary"; heap_kib = <256>; };
    };
"#,
    );
    let run = kos(&["run", m.path.to_str().unwrap()]);
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("app `missing`: binary") && err.contains("no_such_binary not found"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&run.stdout).contains("started"));
}

#[test]
fn manifest_check_and_show_describe_a_good_manifest() {
    let m = manifest(THREE_APPS);
    let path = m.path.to_str().unwrap();
    let check = kos(&["manifest", "check", path]);
    assert!(check.status.success());
    assert!(String::from_utf8_lossy(&check.stdout).contains("ok (3 apps, 1 message servers)"));
    let show = kos(&["manifest", "show", path]);
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(
        text.contains("kos_echo_protocol")
            && text.contains("served by echo_server")
            && text.contains("used by echo_client"),
        "{text}"
    );
    let server_line = text.find("  echo_server").unwrap();
    let client_line = text.find("  echo_client").unwrap();
    assert!(
        server_line < client_line,
        "start order puts the server first:\n{text}"
    );
}

#[test]
fn an_app_that_ignores_sigterm_is_killed_after_the_stop_timeout() {
    let mut sys = RunningSystem::boot(
        r#"
    apps {
        stubborn { kind = "native"; binary = "stubborn"; heap_kib = <256>; };
    };
"#,
    );
    let pid = started_pid(&sys.wait_for(&["[stubborn]", "started (pid"]));
    sys.wait_for(&["[stubborn]", "ignoring SIGTERM"]);
    let status = sys.stop();
    assert!(status.success(), "{status:?}");
    assert!(
        !sys.seen(&["[stubborn]", "did not stop within 3s; killing it"])
            .is_empty(),
        "{:#?}",
        sys.log
    );
    assert!(
        !sys.seen(&["[stubborn]", "stopped (killed by signal 9)"])
            .is_empty(),
        "{:#?}",
        sys.log
    );
    assert!(all_gone(&[pid]));
}

#[test]
fn an_app_that_outgrows_its_heap_fails_alone() {
    let mut sys = RunningSystem::boot(
        r#"
    apps {
        hog  { kind = "native"; binary = "kos-heap-probe"; heap_kib = <1024>; args = "8192"; restart = "temporary"; };
        lean { kind = "native"; binary = "kos-heap-probe"; heap_kib = <4096>; args = "1024"; restart = "temporary"; };
        bystander { kind = "native"; binary = "fd_report"; heap_kib = <256>; };
    };
"#,
    );
    sys.wait_all(&[
        &["[hog]", "memory allocation of"],
        &[
            "[hog]",
            "killed by signal 6",
            "temporary app: never restarted",
        ],
        &["[lean]", "allocated 1024 KiB within a budget of 4096 KiB"],
        &["[lean]", "exited normally"],
    ]);
    let bystander = started_pid(&sys.wait_for(&["[bystander]", "started (pid"]));
    assert!(
        kos_system_tests::process_alive(bystander),
        "the others are untouched"
    );
    assert!(sys.seen(&["[bystander]", "exited"]).is_empty());
    assert!(sys.stop().success());
}

#[test]
fn json_logs_are_one_object_a_line_saying_who_wrote_what() {
    let mut sys = RunningSystem::boot_args(THREE_APPS, &["--log-format", "json"]);
    // What the supervisor says about an app, and what the app prints itself.
    sys.wait_for(&[r#""app":"echo_client""#, r#""from":"app""#, "reply 2:"]);
    assert!(sys.stop().success());
    let events: Vec<serde_json::Value> = sys
        .log
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    for e in &events {
        for field in ["time", "app", "from", "message"] {
            assert!(e[field].is_string(), "{field} missing: {e}");
        }
        assert!(e["time"].as_str().unwrap().ends_with('Z'), "{e}");
    }
    let said = |app: &str, from: &str, start: &str| {
        events.iter().any(|e| {
            e["app"] == app
                && e["from"] == from
                && e["message"].as_str().unwrap().starts_with(start)
        })
    };
    assert!(said("echo_server", "kos", "started (pid "));
    assert!(said("echo_client", "app", "reply 1:"));
    assert!(said("_root", "kos", "all apps stopped; system down"));
    // An app's own line is never attributed to KOS, nor KOS's to the app.
    assert!(!said("echo_client", "kos", "reply 1:"));
    assert!(!said("echo_server", "app", "started (pid "));
}
