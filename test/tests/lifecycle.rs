//! Starting and stopping a whole system: clean shutdown, no orphans, clear boot errors.

use kos_system_tests::{all_gone, kos, manifest, RunningSystem};

const THREE_APPS: &str = r#"
    /include/ "fixtures/echo.dtsi"
    apps {
        idle { kind = "native"; binary = "fd_report"; heap_kib = <256>; };
    };
"#;

fn app_pids(sys: &mut RunningSystem) -> Vec<u32> {
    ["echo_server", "echo_client", "idle"]
        .iter()
        .map(|app| sys.wait_started(app))
        .collect()
}

#[test]
fn sigterm_stops_every_app_and_the_root_exits_cleanly() {
    let mut sys = RunningSystem::boot(THREE_APPS);
    let pids = app_pids(&mut sys);
    sys.wait_for(&["[echo_client]", "reply 2:"]);
    let status = sys.stop();
    assert!(status.success(), "{status:?}");
    let shutdown = sys.events("_root", "shutting_down");
    assert_eq!(shutdown.len(), 1, "{:#?}", sys.log);
    assert_eq!(shutdown[0].string("reason"), "SIGTERM received");
    assert_eq!(sys.events("_root", "system_down").len(), 1);
    assert!(all_gone(&pids), "no app outlives the system");
    assert!(
        sys.events("*", "restarting").is_empty(),
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
    let shutdown = sys.events("_root", "shutting_down");
    assert_eq!(shutdown.len(), 1, "{:#?}", sys.log);
    assert_eq!(shutdown[0].string("reason"), "SIGINT received");
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
    assert!(String::from_utf8_lossy(&check.stdout).contains("ok (3 apps, 1 message server)"));
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
    let pid = sys.wait_started("stubborn");
    sys.wait_for(&["[stubborn]", "ignoring SIGTERM"]);
    let status = sys.stop();
    assert!(status.success(), "{status:?}");
    let killing = sys.events("stubborn", "killing");
    assert_eq!(killing.len(), 1, "{:#?}", sys.log);
    assert_eq!(killing[0].number("stop_timeout_ms"), 3000);
    let stopped = sys.events("stubborn", "stopped");
    assert_eq!(stopped.len(), 1, "{:#?}", sys.log);
    assert_eq!(stopped[0].exit_number("signal"), Some(9));
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
        &["[lean]", "allocated 1024 KiB within a budget of 4096 KiB"],
    ]);
    let hog = sys.wait_event("hog", "stays_down");
    assert_eq!(hog.exit_number("signal"), Some(6), "{}", hog.text());
    assert_eq!(hog.string("why"), "temporary app: never restarted");
    let lean = sys.wait_event("lean", "stays_down");
    assert_eq!(lean.exit_how(), "normal", "{}", lean.text());
    let bystander = sys.wait_started("bystander");
    assert!(
        kos_system_tests::process_alive(bystander),
        "the others are untouched"
    );
    assert!(sys.exits("bystander").is_empty());
    assert!(sys.stop().success());
}

#[test]
fn json_logs_are_one_object_a_line_saying_who_wrote_what() {
    // The harness boots every system with `--log-format json`.
    let mut sys = RunningSystem::boot(THREE_APPS);
    let server = sys.wait_started("echo_server");
    sys.wait_for(&["[echo_client]", "reply 2:"]);
    assert!(sys.stop().success());
    for line in &sys.lines {
        for field in ["time", "app", "from", "event", "message"] {
            assert!(line.fields[field].is_string(), "{field} missing: {line:?}");
        }
        assert!(line.string("time").ends_with('Z'), "{line:?}");
    }
    let started = sys.events("echo_server", "started");
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].pid(), server);
    assert_eq!(started[0].message, format!("started (pid {server})"));
    // An app's own line is the event `output`, never attributed to KOS.
    let reply = sys
        .lines
        .iter()
        .find(|l| l.app == "echo_client" && l.message.starts_with("reply 1:"))
        .expect("the client's first reply");
    assert_eq!(reply.fields["from"], "app");
    assert_eq!(reply.event, "output");
    let down = sys.events("_root", "system_down");
    assert_eq!(down.len(), 1);
    assert_eq!(down[0].message, "all apps stopped; system down");
}

#[test]
fn text_logs_are_a_time_the_app_and_the_sentence() {
    let mut sys = RunningSystem::boot_args(THREE_APPS, &["--log-format", "text"]);
    // Text lines are not JSON: the harness keeps each whole, as output of `?`.
    let line = sys.wait_for(&["[echo_server] started (pid "]);
    let text = line.trim_start_matches("[?] ");
    let (time, rest) = text.split_once(' ').unwrap();
    assert!(
        time.len() == "2026-11-25T02:30:01.123Z".len() && time.ends_with('Z'),
        "{line}"
    );
    assert!(rest.starts_with("[echo_server] started (pid "), "{line}");
    assert!(sys.stop().success());
}

#[test]
fn a_second_run_on_the_same_device_state_is_refused_naming_the_first() {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().to_str().unwrap();
    let mut first = RunningSystem::boot_args(THREE_APPS, &["--state-dir", dir]);
    first.wait_started("echo_server");
    let mut second = RunningSystem::boot_args(THREE_APPS, &["--state-dir", dir]);
    assert!(!second.wait_exit().success());
    let refusal = second
        .log
        .iter()
        .find(|l| l.contains("another kos run"))
        .unwrap_or_else(|| panic!("{:#?}", second.log));
    assert!(
        refusal.contains(&format!("(pid {})", first.pid())) && refusal.contains("kos-run.lock"),
        "{refusal}"
    );
    assert!(
        second.events("*", "started").is_empty(),
        "the second started nothing"
    );
    // The first is untouched; once it is gone, the device is free again.
    assert!(first.stop().success());
    let mut third = RunningSystem::boot_args(THREE_APPS, &["--state-dir", dir]);
    third.wait_started("echo_server");
    assert!(third.stop().success());
}
