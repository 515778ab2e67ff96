//! The root server keeps a system running: restarts by policy, restart intensity,
//! restart on request.

use std::collections::HashMap;

use kos_system_tests::RunningSystem;

#[test]
fn a_crashed_server_is_restarted_and_its_client_recovers() {
    let mut sys = RunningSystem::boot(
        r#"
    /include/ "fixtures/echo.dtsi"
    apps {
        echo_server { args = "--crash-on-call", "3"; };
    };
"#,
    );
    let first = sys.wait_started("echo_server");
    sys.wait_for(&["[echo_client]", "reply 2:"]);
    let crash = sys.wait_event("echo_server", "restarting");
    assert_eq!(crash.exit_number("code"), Some(3), "{}", crash.text());
    assert_eq!(
        (crash.number("in_ms"), crash.number("restart")),
        (100, 1),
        "{}",
        crash.text()
    );
    assert_eq!(crash.number("max_restarts"), 3);
    sys.wait_for(&["[echo_client]", "connection lost; reconnecting"]);
    let second = sys.wait_started("echo_server");
    assert_ne!(first, second, "a new process");
    sys.wait_for(&["[echo_client]", "connected to kos_echo_protocol"]);
    // The client's third reply comes from the restarted server.
    sys.wait_for(&["[echo_client]", "reply 3:"]);
    assert!(
        sys.exits("echo_client").is_empty(),
        "the client rode it out"
    );
    assert!(sys.stop().success());
}

#[test]
fn a_crash_loop_stops_at_the_restart_intensity_limit_and_the_rest_runs_on() {
    let mut sys = RunningSystem::boot(
        r#"
    /include/ "fixtures/echo.dtsi"
    apps {
        crasher { kind = "native"; binary = "crasher"; heap_kib = <256>; args = "--after-ms", "30";
                  max_restarts = <2>; max_seconds = <30>; backoff_ms = <10>; backoff_max_ms = <20>; };
    };
"#,
    );
    let gave_up = sys.wait_event("crasher", "gave_up");
    assert_eq!(
        (
            gave_up.number("restarts"),
            gave_up.number("within_s"),
            gave_up.number("max_restarts"),
            gave_up.number("max_seconds")
        ),
        (2, 30, 2, 30),
        "{}",
        gave_up.text()
    );
    // Two more replies after the last word on the crasher: the others run on.
    let replies = sys.seen(&["[echo_client]", "reply"]).len();
    sys.wait_for(&["[echo_client]", &format!("reply {}:", replies + 2)]);
    assert_eq!(
        sys.events("crasher", "started").len(),
        3,
        "first start and 2 restarts, then no more"
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
    let once = sys.wait_event("once", "stays_down");
    assert_eq!(once.exit_number("code"), Some(3), "{}", once.text());
    assert_eq!(once.string("why"), "temporary app: never restarted");
    let clean = sys.wait_event("clean", "stays_down");
    assert_eq!(clean.exit_how(), "normal", "{}", clean.text());
    assert_eq!(
        clean.string("why"),
        "transient app exited normally: not restarted"
    );
    let failing = sys.wait_event("failing", "restarting");
    assert_eq!(failing.exit_number("code"), Some(3), "{}", failing.text());
    sys.wait_event("failing", "gave_up");
    assert!(sys.stop().success());
}

#[test]
fn restart_all_from_a_granted_app_gives_every_app_a_new_process() {
    let mut sys = RunningSystem::boot(
        r#"
    /include/ "fixtures/echo.dtsi"
    msg_servers { main { dir_access_control {
        kos_root_protocol { servers = "_root"; clients = "admin"; };
    }; }; };
    apps {
        admin { kind = "native"; binary = "root_caller"; msg_servers = "main"; heap_kib = <512>;
                args = "--after-ms", "500", "restart-all"; };
    };
"#,
    );
    let mut before = HashMap::new();
    for app in ["echo_server", "echo_client", "admin"] {
        before.insert(app, sys.wait_started(app));
    }
    let asked = sys.wait_event("_root", "restart_all_asked");
    assert_eq!(asked.string("by"), "admin");
    sys.wait_for(&["[admin]", "_root accepted"]);
    sys.wait_event("_root", "restarting_all");
    for app in ["echo_server", "echo_client", "admin"] {
        assert_ne!(
            before[app],
            sys.wait_started(app),
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
    /include/ "fixtures/echo.dtsi"
    msg_servers { main { dir_access_control {
        kos_root_protocol { servers = "_root"; clients = "admin"; };
    }; }; };
    apps {
        admin { kind = "native"; binary = "root_caller"; msg_servers = "main"; heap_kib = <512>; restart = "temporary";
                args = "--after-ms", "300", "restart-app", "echo_server"; };
    };
"#,
    );
    sys.wait_for(&["[echo_client]", "connected to kos_echo_protocol"]);
    let asked = sys.wait_event("_root", "restart_app_asked");
    assert_eq!(
        (asked.string("target"), asked.string("by")),
        ("echo_server", "admin")
    );
    let stopped = sys.wait_event("echo_server", "stopped");
    assert_eq!(
        stopped.exit_number("signal"),
        Some(15),
        "{}",
        stopped.text()
    );
    sys.wait_started("echo_server");
    sys.wait_started("echo_server");
    sys.wait_all(&[
        &["[echo_client]", "connection lost; reconnecting"],
        &["[echo_client]", "connected to kos_echo_protocol"],
    ]);
    assert_eq!(
        sys.events("echo_client", "started").len(),
        1,
        "the client was not restarted"
    );
    assert_eq!(sys.events("admin", "started").len(), 1);
    assert!(sys.stop().success());
}
