//! Elixir apps calling KOS through the `kos` library and the KOS NIF library.

use kos_system_tests::RunningSystem;

#[test]
fn an_elixir_app_gets_random_bytes_and_root_status_through_the_nif() {
    let mut sys = RunningSystem::boot(
        r#"
    /include/ "services/rng_server.dtsi"
    msg_servers { main { dir_access_control {
        kos_rng_protocol  { clients = "granted"; };
        kos_root_protocol { servers = "_root"; clients = "granted"; };
    }; }; };
    apps {
        granted { kind = "beam"; app = "kos_demo"; msg_servers = "main"; memory_mib = <64>; env { mode = "sample"; interval_ms = <200>; }; };
        denied  { kind = "beam"; app = "kos_demo"; msg_servers = "main"; memory_mib = <64>; env { mode = "sample"; interval_ms = <200>; }; };
    };
"#,
    );
    let lines = sys.wait_all(&[
        &["[granted]", "random bytes: "],
        &["[granted]", "random bytes: "],
        &["[granted]", "app rng_server: running"],
        &["[denied]", "random bytes: {:error, :not_granted}"],
        &["[denied]", "root status: {:error, :not_granted}"],
    ]);
    let hex = |l: &String| l.split("random bytes: ").nth(1).unwrap().to_string();
    let (a, b) = (hex(&lines[0]), hex(&lines[1]));
    assert_eq!(a.len(), 32, "{a}");
    assert!(a.chars().all(|c| c.is_ascii_hexdigit()), "{a}");
    assert_ne!(a, b, "fresh bytes each time");
    assert!(
        sys.seen(&["warning: KOS NIF library not loaded"])
            .is_empty(),
        "{:#?}",
        sys.log
    );
    assert!(sys.stop().success());
}

#[test]
fn a_genserver_serves_a_protocol_to_another_beam_app() {
    let mut sys = RunningSystem::boot(
        r#"
    msg_servers { main { dir_access_control {
        demo_protocol { servers = "upcase"; clients = "caller"; };
    }; }; };
    apps {
        upcase   { kind = "beam"; app = "kos_demo"; msg_servers = "main"; memory_mib = <64>; env { mode = "serve"; interval_ms = <0>; }; };
        caller   { kind = "beam"; app = "kos_demo"; msg_servers = "main"; memory_mib = <64>; env { mode = "call"; interval_ms = <100>; }; };
        stranger { kind = "beam"; app = "kos_demo"; msg_servers = "main"; memory_mib = <64>; env { mode = "call"; interval_ms = <100>; }; };
    };
"#,
    );
    let lines = sys.wait_all(&[
        &["[upcase]", "serving demo_protocol"],
        &["[upcase]", "client caller connected"],
        &["[caller]", "reply 1: HELLO 1 (label 7, badge "],
        &["[caller]", "reply 3: HELLO 3"],
        &["[stranger]", "connect failed: :not_granted"],
    ]);
    let badge = lines[1]
        .split("badge ")
        .nth(1)
        .unwrap()
        .trim_end_matches(')');
    assert!(
        lines[2].ends_with(&format!("badge {badge})")),
        "the server saw the caller's badge: {}",
        lines[2]
    );
    assert!(sys.exits("upcase").is_empty(), "{:#?}", sys.log);
    assert!(sys.stop().success());
}

#[test]
fn a_caller_whose_server_dies_gets_closed_and_recovers_when_it_returns() {
    let mut sys = RunningSystem::boot(
        r#"
    msg_servers { main { dir_access_control {
        demo_protocol { servers = "upcase"; clients = "caller"; };
    }; }; };
    apps {
        upcase { kind = "beam"; app = "kos_demo"; msg_servers = "main"; memory_mib = <64>; env { mode = "serve"; interval_ms = <0>; }; };
        caller { kind = "beam"; app = "kos_demo"; msg_servers = "main"; memory_mib = <64>; env { mode = "call"; interval_ms = <50>; }; };
    };
"#,
    );
    let server = sys.wait_started("upcase");
    sys.wait_all(&[
        &["[upcase]", "serving demo_protocol"],
        &["[caller]", "reply 2:"],
    ]);
    // SAFETY: kill(2) on a process of the system under test.
    unsafe {
        libc::kill(server as libc::pid_t, libc::SIGKILL);
    }
    sys.wait_for(&["[caller]", "call failed: :closed"]);
    let crash = sys.wait_event("upcase", "restarting");
    assert_eq!(crash.exit_number("signal"), Some(9), "{}", crash.text());
    assert_ne!(sys.wait_started("upcase"), server);
    sys.wait_for(&["[upcase]", "serving demo_protocol"]);
    let before = sys.seen(&["[caller]", "reply "]).len();
    sys.wait_for(&["[caller]", &format!("reply {}:", before + 2)]);
    assert!(
        sys.exits("caller").is_empty(),
        "the caller's VM lived: {:#?}",
        sys.log
    );
    assert!(sys.stop().success());
}

#[test]
fn the_kos_library_exunit_suite_passes_inside_a_booted_system() {
    let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../elixir/kos/test");
    let tests = std::fs::canonicalize(tests).unwrap();
    let mut sys = RunningSystem::boot(&format!(
        r#"
    /include/ "services/rng_server.dtsi"
    /include/ "services/i2c_server.dtsi"
    /include/ "services/can_server.dtsi"
    msg_servers {{ main {{ dir_access_control {{
        kos_rng_protocol  {{ clients = "tests"; }};
        kos_root_protocol {{ servers = "_root"; clients = "tests"; }};
        demo_protocol     {{ servers = "upcase"; clients = "tests"; }};
        kos_i2c_protocol  {{ clients = "tests"; }};
        kos_can_protocol  {{ clients = "tests"; }};
        tests_protocol    {{ servers = "tests"; clients = "tests"; }};
    }}; }}; }};
    apps {{
        i2c_server {{ i2c_bus {{ speed_hz = <400000>; }}; }};
        can_server {{ can_bus {{ bitrate = <500000>; }}; }};
        upcase {{ kind = "beam"; app = "kos_demo"; msg_servers = "main"; memory_mib = <64>; env {{ mode = "serve"; interval_ms = <0>; }}; }};
        tests {{ kind = "beam"; app = "kos_test_runner"; msg_servers = "main"; memory_mib = <128>;
                 restart = "temporary"; i2c_addresses = <0x76 0x77>; env {{ dir = "{}"; }}; }};
    }};
"#,
        tests.display()
    ));
    let summary = sys.wait_for(&["[tests]", "kos_test_runner:", "failures"]);
    let report = sys
        .seen(&["[tests]", "tests,"])
        .first()
        .map(|l| l.to_string())
        .unwrap_or_default();
    assert!(
        summary.ends_with("kos_test_runner: 0 failures"),
        "{:#?}",
        sys.log
    );
    // Every test runs but those about life outside KOS (kos_host_test.exs, :host).
    let host_only = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../elixir/kos/test/kos_host_test.exs"),
    )
    .unwrap()
    .matches("\n  test \"")
    .count();
    assert!(host_only > 0);
    assert!(
        report.contains("0 failures") && report.contains(&format!("{host_only} excluded")),
        "{report}"
    );
    assert!(sys.stop().success());
}
