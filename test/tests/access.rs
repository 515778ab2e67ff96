//! Booting a system from a manifest: who may talk to whom.

use kos_system_tests::RunningSystem;

const ECHO_WITH_INTRUDER: &str = r#"
    /include/ "fixtures/echo.dtsi"
    apps {
        intruder    { kind = "native"; binary = "intruder"; msg_servers = "main"; heap_kib = <512>;
                      args = "--interval-ms", "100"; };
    };
"#;

#[test]
fn a_granted_client_is_served_and_a_denied_one_is_refused_while_the_server_lives_on() {
    let mut sys = RunningSystem::boot(ECHO_WITH_INTRUDER);
    sys.wait_all(&[
        &["[echo_client]", "reply 1:", "hello #1"],
        &["[intruder]", "connect kos_echo_protocol", "not granted"],
        &["[intruder]", "publish kos_echo_protocol", "not granted"],
    ]);
    sys.wait_event_where("msg:main", "msg_server", |l| {
        l.message
            .contains("intruder: refused connect kos_echo_protocol")
    });
    // After several refusals the server still serves its granted client.
    sys.wait_for(&["[intruder]", "connect kos_echo_protocol", "not granted"]);
    sys.wait_for(&["[echo_client]", "reply 10:"]);
    assert!(sys.seen(&["UNEXPECTED"]).is_empty(), "{:#?}", sys.log);
    assert!(
        sys.exits("echo_server").is_empty(),
        "the server never went down"
    );
    assert!(sys.stop().success());
}

#[test]
fn the_server_sees_a_distinct_badge_for_each_client() {
    let mut sys = RunningSystem::boot(
        r#"
    msg_servers { main { dir_access_control {
        kos_echo_protocol { servers = "echo_server"; clients = "client_a", "client_b"; };
    }; }; };
    apps {
        echo_server { kind = "native"; binary = "echo_server"; msg_servers = "main"; heap_kib = <1024>; };
        client_a { kind = "native"; binary = "echo_client"; msg_servers = "main"; heap_kib = <1024>; args = "--interval-ms", "50"; };
        client_b { kind = "native"; binary = "echo_client"; msg_servers = "main"; heap_kib = <1024>; args = "--interval-ms", "50"; };
    };
"#,
    );
    let [a, b]: [String; 2] = sys
        .wait_all(&[
            &["[echo_server]", "client client_a connected"],
            &["[echo_server]", "client client_b connected"],
        ])
        .try_into()
        .unwrap();
    assert_ne!(a.split("badge").nth(1), b.split("badge").nth(1));
    sys.wait_all(&[&["[client_a]", "reply 3:"], &["[client_b]", "reply 3:"]]);
    assert!(sys.stop().success());
}

#[test]
fn an_app_holds_only_the_channels_of_the_message_servers_its_manifest_lists() {
    let mut sys = RunningSystem::boot(
        r#"
    msg_servers {
        main { dir_access_control { }; };
        secure { dir_access_control { }; };
    };
    apps {
        on_main { kind = "native"; binary = "fd_report"; msg_servers = "main"; heap_kib = <256>; };
        on_both { kind = "native"; binary = "fd_report"; msg_servers = "main", "secure"; heap_kib = <256>; };
        on_none { kind = "native"; binary = "fd_report"; heap_kib = <256>; };
    };
"#,
    );
    let line = sys.wait_for(&["[on_main]", "KOS_MSG_SERVERS="]);
    assert!(line.ends_with("KOS_MSG_SERVERS=main=3:4"), "{line}");
    let line = sys.wait_for(&["[on_both]", "KOS_MSG_SERVERS="]);
    assert!(
        line.ends_with("KOS_MSG_SERVERS=main=3:4,secure=5:6"),
        "{line}"
    );
    let line = sys.wait_for(&["[on_none]", "KOS_MSG_SERVERS="]);
    assert!(line.ends_with("KOS_MSG_SERVERS="), "{line}");
    // Descriptors: stdin/stdout/stderr, then exactly the listed channels, nothing else.
    let fds = |app: &str| -> Vec<String> {
        let line = sys.seen(&[&format!("[{app}]"), "fds:"])[0].clone();
        line.split("fds: ")
            .nth(1)
            .unwrap()
            .split(' ')
            .map(|f| f.split('=').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(fds("on_main"), ["0", "1", "2", "3", "4"]);
    assert_eq!(fds("on_both"), ["0", "1", "2", "3", "4", "5", "6"]);
    assert_eq!(fds("on_none"), ["0", "1", "2"]);
    let heap = sys.wait_for(&["[on_main]", "KOS_HEAP_KIB="]);
    assert!(heap.ends_with("KOS_HEAP_KIB=256"), "{heap}");
    assert!(sys.stop().success());
}

#[test]
fn an_app_not_granted_the_root_protocol_cannot_restart_anything() {
    let mut sys = RunningSystem::boot(
        r#"
    msg_servers { main { dir_access_control {
        kos_root_protocol { servers = "_root"; clients = "admin"; };
    }; }; };
    apps {
        admin    { kind = "native"; binary = "fd_report"; msg_servers = "main"; heap_kib = <256>; };
        pretender { kind = "native"; binary = "root_caller"; msg_servers = "main"; heap_kib = <512>;
                    args = "--after-ms", "10", "restart-all"; };
    };
"#,
    );
    sys.wait_for(&[
        "[pretender]",
        "no access to kos_root_protocol",
        "not granted",
    ]);
    // Refused at the message server, the request never reached `_root`.
    assert!(
        sys.events("_root", "restart_all_asked").is_empty(),
        "{:#?}",
        sys.log
    );
    assert_eq!(sys.events("*", "started").len(), 2, "nothing was restarted");
    assert!(sys.stop().success());
}
