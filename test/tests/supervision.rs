//! The root server keeps a system running: restarts by policy, restart intensity,
//! restart on request.

use std::collections::HashMap;

use kos_system_tests::{started_pid, RunningSystem};

#[test]
fn a_crashed_server_is_restarted_and_its_client_recovers() {
    let mut sys = RunningSystem::boot(
        r#"
    msg_servers { main { dir_access_control {
        kos_echo_protocol { servers = "echo_server"; clients = "echo_client"; };
    }; }; };
    apps {
        echo_server { kind = "native"; binary = "echo_server"; msg_servers = "main"; heap_kib = <1024>;
                      args = "--crash-on-call", "3"; };
        echo_client { kind = "native"; binary = "echo_client"; msg_servers = "main"; heap_kib = <1024>;
                      args = "--interval-ms", "50"; };
    };
"#,
    );
    let first = started_pid(&sys.wait_for(&["[echo_server]", "started (pid"]));
    sys.wait_for(&["[echo_client]", "reply 2:"]);
    sys.wait_for(&[
        "[echo_server]",
        "exited with status 3; restarting in 100 ms (restart 1 of 3",
    ]);
    sys.wait_for(&["[echo_client]", "connection lost; reconnecting"]);
    let second = started_pid(&sys.wait_for(&["[echo_server]", "started (pid"]));
    assert_ne!(first, second, "a new process");
    sys.wait_for(&["[echo_client]", "connected to kos_echo_protocol"]);
    // The client's third reply comes from the restarted server.
    sys.wait_for(&["[echo_client]", "reply 3:"]);
    assert!(
        sys.seen(&["[echo_client]", "exited"]).is_empty(),
        "the client rode it out"
    );
    assert!(sys.stop().success());
}

#[test]
fn a_crash_loop_stops_at_the_restart_intensity_limit_and_the_rest_runs_on() {
    let mut sys = RunningSystem::boot(
        r#"
    msg_servers { main { dir_access_control {
        kos_echo_protocol { servers = "echo_server"; clients = "echo_client"; };
    }; }; };
    apps {
        crasher { kind = "native"; binary = "crasher"; heap_kib = <256>; args = "--after-ms", "30";
                  max_restarts = <2>; max_seconds = <30>; backoff_ms = <10>; backoff_max_ms = <20>; };
        echo_server { kind = "native"; binary = "echo_server"; msg_servers = "main"; heap_kib = <1024>; };
        echo_client { kind = "native"; binary = "echo_client"; msg_servers = "main"; heap_kib = <1024>;
                      args = "--interval-ms", "50"; };
    };
"#,
    );
    let line = sys.wait_for(&["[crasher]", "giving up"]);
    assert!(
        line.contains("2 restarts within 30 s reached the restart intensity limit (max_restarts = 2, max_seconds = 30)"),
        "{line}"
    );
    let replies_before = sys.seen(&["[echo_client]", "reply"]).len();
    sys.idle(std::time::Duration::from_millis(500));
    assert_eq!(
        sys.seen(&["[crasher]", "started (pid"]).len(),
        3,
        "first start and 2 restarts"
    );
    assert!(
        sys.seen(&["[echo_client]", "reply"]).len() > replies_before,
        "the others run on"
    );
    assert!(sys.stop().success());
}

#[test]
fn temporary_and_transient_apps_follow_their_restart_type() {
    let mut sys = RunningSystem::boot(
        r#"
    apps {
        once    { kind = "native"; binary = "crasher"; heap_kib = <256>; restart = "temporary"; args = "--after-ms", "10"; };
        clean   { kind = "native"; binary = "crasher"; heap_kib = <256>; restart = "transient";
                  args = "--after-ms", "10", "--status", "0"; };
        failing { kind = "native"; binary = "crasher"; heap_kib = <256>; restart = "transient";
                  args = "--after-ms", "10"; max_restarts = <1>; backoff_ms = <10>; };
    };
"#,
    );
    sys.wait_for(&[
        "[once]",
        "exited with status 3; temporary app: never restarted",
    ]);
    sys.wait_for(&[
        "[clean]",
        "exited normally; transient app exited normally: not restarted",
    ]);
    sys.wait_for(&["[failing]", "exited with status 3; restarting"]);
    sys.wait_for(&["[failing]", "giving up"]);
    assert!(sys.stop().success());
}

#[test]
fn restart_all_from_a_granted_app_gives_every_app_a_new_process() {
    let mut sys = RunningSystem::boot(
        r#"
    msg_servers { main { dir_access_control {
        kos_echo_protocol { servers = "echo_server"; clients = "echo_client"; };
        kos_root_protocol { servers = "_root"; clients = "admin"; };
    }; }; };
    apps {
        echo_server { kind = "native"; binary = "echo_server"; msg_servers = "main"; heap_kib = <1024>; };
        echo_client { kind = "native"; binary = "echo_client"; msg_servers = "main"; heap_kib = <1024>;
                      args = "--interval-ms", "50"; };
        admin { kind = "native"; binary = "root_caller"; msg_servers = "main"; heap_kib = <512>;
                args = "--after-ms", "500", "restart-all"; };
    };
"#,
    );
    let mut before = HashMap::new();
    for app in ["echo_server", "echo_client", "admin"] {
        before.insert(
            app,
            started_pid(&sys.wait_for(&[&format!("[{app}]"), "started (pid"])),
        );
    }
    sys.wait_all(&[
        &["[_root]", "admin asked to restart all applications"],
        &["[admin]", "_root accepted"],
    ]);
    sys.wait_for(&["[_root]", "all apps stopped; starting them again"]);
    let apps = ["echo_server", "echo_client", "admin"];
    let tags: Vec<String> = apps.iter().map(|a| format!("[{a}]")).collect();
    let patterns: Vec<[&str; 2]> = tags.iter().map(|t| [t.as_str(), "started (pid"]).collect();
    let pattern_refs: Vec<&[&str]> = patterns.iter().map(|p| p.as_slice()).collect();
    let restarted = sys.wait_all(&pattern_refs);
    for (app, line) in apps.iter().zip(&restarted) {
        assert_ne!(
            before[app],
            started_pid(line),
            "{app} runs as a new process"
        );
    }
    // The restarted client is served again.
    sys.wait_for(&["[echo_client]", "reply 1:"]);
    assert!(sys.stop().success());
}

#[test]
fn restart_app_restarts_only_the_named_app() {
    let mut sys = RunningSystem::boot(
        r#"
    msg_servers { main { dir_access_control {
        kos_echo_protocol { servers = "echo_server"; clients = "echo_client"; };
        kos_root_protocol { servers = "_root"; clients = "admin"; };
    }; }; };
    apps {
        echo_server { kind = "native"; binary = "echo_server"; msg_servers = "main"; heap_kib = <1024>; };
        echo_client { kind = "native"; binary = "echo_client"; msg_servers = "main"; heap_kib = <1024>;
                      args = "--interval-ms", "50"; };
        admin { kind = "native"; binary = "root_caller"; msg_servers = "main"; heap_kib = <512>; restart = "temporary";
                args = "--after-ms", "300", "restart-app", "echo_server"; };
    };
"#,
    );
    sys.wait_for(&["[echo_client]", "connected to kos_echo_protocol"]);
    sys.wait_all(&[
        &["[_root]", "admin asked to restart echo_server"],
        &["[echo_server]", "stopped (killed by signal 15)"],
        &["[echo_server]", "started (pid"],
        &["[echo_client]", "connection lost; reconnecting"],
        &["[echo_client]", "connected to kos_echo_protocol"],
    ]);
    assert_eq!(
        sys.seen(&["[echo_client]", "started (pid"]).len(),
        1,
        "the client was not restarted"
    );
    assert_eq!(sys.seen(&["[admin]", "started (pid"]).len(), 1);
    assert!(sys.stop().success());
}
