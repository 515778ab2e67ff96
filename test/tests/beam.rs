//! BEAM apps under KOS: one Erlang VM per app, supervised like any other app.

use kos_system_tests::{all_gone, RunningSystem};

fn epmd_pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "epmd")
        })
        .collect()
}

#[test]
fn several_beam_apps_boot_each_in_its_own_vm_and_stop_cleanly() {
    let epmd_before = epmd_pids();
    let mut sys = RunningSystem::boot(
        r#"
    apps {
        first  { kind = "beam"; app = "idle_app"; memory_mib = <64>; env { interval_ms = <200>; }; };
        second { kind = "beam"; app = "idle_app"; memory_mib = <64>; env { interval_ms = <200>; }; };
        native { kind = "native"; binary = "fd_report"; heap_kib = <256>; };
    };
"#,
    );
    let (first, second) = (sys.wait_started("first"), sys.wait_started("second"));
    let lines = sys.wait_all(&[
        &["[first]", "up (os pid"],
        &["[second]", "up (os pid"],
        &["[first]", "heartbeat 2"],
        &["[second]", "heartbeat 2"],
    ]);
    assert_ne!(first, second, "one OS process per app");
    // The VM is the very process the root server supervises (erl execs beam.smp).
    assert!(
        lines[0].contains(&format!("os pid {first},")),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(&format!("os pid {second},")),
        "{}",
        lines[1]
    );
    let comm = std::fs::read_to_string(format!("/proc/{first}/comm")).unwrap();
    assert_eq!(comm.trim(), "beam.smp");

    assert!(sys.stop().success());
    assert!(all_gone(&[first, second]), "no beam.smp left behind");
    assert!(sys.events("*", "restarting").is_empty(), "{:#?}", sys.log);
    let new_epmd: Vec<u32> = epmd_pids()
        .into_iter()
        .filter(|p| !epmd_before.contains(p))
        .collect();
    assert!(new_epmd.is_empty(), "no epmd started: {new_epmd:?}");
}

#[test]
fn the_env_node_is_the_apps_application_environment() {
    let mut sys = RunningSystem::boot(
        r#"
    apps {
        configured { kind = "beam"; app = "idle_app"; memory_mib = <64>;
                     env { interval_ms = <150>; label = "a \"quoted\" 'x', é"; pair = <1 2>; names = "x", "y"; }; };
        defaults { kind = "beam"; app = "idle_app"; memory_mib = <64>; };
    };
"#,
    );
    // Set over the app's own defaults (mix.exs), values typed as the manifest wrote them.
    let configured = sys.wait_for(&["[configured]", "env: "]);
    assert!(
        configured.ends_with(
            r#"env: [interval_ms: 150, label: "a \"quoted\" 'x', é", names: ["x", "y"], pair: [1, 2]]"#
        ),
        "{configured}"
    );
    let defaults = sys.wait_for(&["[defaults]", "env: "]);
    assert!(defaults.ends_with("env: [interval_ms: 5000]"), "{defaults}");
    assert!(sys.stop().success());
}

#[test]
fn a_crashing_beam_app_is_restarted_until_the_intensity_limit() {
    let mut sys = RunningSystem::boot(
        r#"
    apps {
        crashy { kind = "beam"; app = "crash_app"; memory_mib = <64>;
                 max_restarts = <2>; max_seconds = <60>; backoff_ms = <10>; env { delay_ms = <100>; }; };
        steady { kind = "beam"; app = "idle_app"; memory_mib = <64>; env { interval_ms = <100>; }; };
    };
"#,
    );
    sys.wait_for(&["[crashy]", "up; crashing in 100 ms"]);
    for (restart, in_ms) in [(1, 10), (2, 20)] {
        let line = sys.wait_event("crashy", "restarting");
        assert_eq!(line.exit_number("code"), Some(1), "{}", line.text());
        assert_eq!(
            (line.number("restart"), line.number("in_ms")),
            (restart, in_ms),
            "{}",
            line.text()
        );
        assert_eq!(line.number("max_restarts"), 2);
    }
    sys.wait_event("crashy", "gave_up");
    assert_eq!(sys.events("crashy", "started").len(), 3);
    let beats = sys.seen(&["[steady]", "heartbeat"]).len();
    sys.wait_for(&["[steady]", &format!("heartbeat {}", beats + 2)]);
    assert!(sys.exits("steady").is_empty(), "the neighbour runs on");
    assert!(sys.stop().success());
}

#[test]
fn an_instance_over_its_memory_budget_is_stopped_alone_and_restarted() {
    let mut sys = RunningSystem::boot(
        r#"
    apps {
        hog   { kind = "beam"; app = "hog_app"; memory_mib = <96>; max_restarts = <1>; max_seconds = <60>; };
        quiet { kind = "beam"; app = "idle_app"; memory_mib = <64>; env { interval_ms = <100>; }; };
    };
"#,
    );
    sys.wait_for(&["[quiet]", "up (os pid"]);
    if !sys.events("_root", "no_memory_groups").is_empty() {
        eprintln!("skipped: no writable cgroup v1 memory controller on this machine");
        return;
    }
    for event in ["restarting", "gave_up"] {
        let line = sys.wait_event("hog", event);
        assert_eq!(
            line.fields["exit"]["memory_limit_mib"],
            96,
            "{}",
            line.text()
        );
        assert_eq!(line.exit_number("signal"), Some(9), "{}", line.text());
    }
    let beats = sys.seen(&["[quiet]", "heartbeat"]).len();
    sys.wait_for(&["[quiet]", &format!("heartbeat {}", beats + 2)]);
    assert!(sys.exits("quiet").is_empty(), "the neighbour was untouched");
    assert!(sys.stop().success());
}

#[test]
fn a_beam_app_that_fails_at_start_is_one_line_with_its_reason_and_the_report_is_kept() {
    let mut sys = RunningSystem::boot(
        r#"
    apps {
        broken { kind = "beam"; app = "crash_app"; memory_mib = <64>;
                 max_restarts = <1>; max_seconds = <60>; backoff_ms = <10>; env { fail_at_start = <1>; }; };
    };
"#,
    );
    for _ in 0..2 {
        let line = sys.wait_event("broken", "start_failed");
        assert!(
            line.message
                .contains("failed to start: RuntimeError: told to fail at start"),
            "{}",
            line.text()
        );
    }
    sys.wait_event("broken", "gave_up");
    // None of the VM's own report reached the log...
    for noise in ["Kernel pid terminated", "** (RuntimeError)", "crash_app.ex"] {
        assert!(sys.seen(&["[broken]", noise]).is_empty(), "{:#?}", sys.log);
    }
    // ...but `kos logs` has it whole.
    let system = sys.manifest_path().to_str().unwrap().to_string();
    let out = kos_system_tests::kos(&["logs", "broken", "--system", &system]);
    let kept = String::from_utf8_lossy(&out.stdout);
    assert!(
        kept.contains("** (RuntimeError) told to fail at start"),
        "{kept}"
    );
    assert!(kept.contains("Kernel pid terminated"), "{kept}");
    assert!(sys.stop().success());
}

#[test]
fn a_beam_app_that_is_not_compiled_is_reported_before_anything_starts() {
    let m = kos_system_tests::manifest(
        r#"
    apps {
        ghost { kind = "beam"; app = "no_such_app"; memory_mib = <32>; };
    };
"#,
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../elixir");
    let out = kos_system_tests::kos(&[
        "run",
        m.path.to_str().unwrap(),
        "--beam-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("app `ghost`: no compiled `no_such_app`"),
        "{err}"
    );
}

#[test]
fn restart_all_gives_every_beam_app_a_new_vm() {
    let mut sys = RunningSystem::boot(
        r#"
    msg_servers { main { dir_access_control {
        kos_root_protocol { servers = "_root"; clients = "admin"; };
    }; }; };
    apps {
        vm_a { kind = "beam"; app = "idle_app"; memory_mib = <64>; env { interval_ms = <100>; }; };
        vm_b { kind = "beam"; app = "idle_app"; memory_mib = <64>; env { interval_ms = <100>; }; };
        admin { kind = "native"; binary = "root_caller"; msg_servers = "main"; heap_kib = <512>;
                restart = "temporary"; args = "--after-ms", "800", "restart-all"; };
    };
"#,
    );
    let before = sys.wait_all(&[&["[vm_a]", "up (os pid"], &["[vm_b]", "up (os pid"]]);
    sys.wait_event("_root", "restarting_all");
    let after = sys.wait_all(&[&["[vm_a]", "up (os pid"], &["[vm_b]", "up (os pid"]]);
    for (b, a) in before.iter().zip(&after) {
        assert_ne!(
            b.split("os pid").nth(1),
            a.split("os pid").nth(1),
            "a new VM: {b} / {a}"
        );
    }
    assert!(sys.stop().success());
}

#[test]
fn the_root_server_reports_each_apps_state_and_memory() {
    let mut sys = RunningSystem::boot(
        r#"
    msg_servers { main { dir_access_control {
        kos_root_protocol { servers = "_root"; clients = "admin"; };
    }; }; };
    apps {
        vm { kind = "beam"; app = "idle_app"; memory_mib = <64>; };
        once { kind = "native"; binary = "crasher"; heap_kib = <256>; restart = "temporary"; args = "--after-ms", "10"; };
        admin { kind = "native"; binary = "root_caller"; msg_servers = "main"; heap_kib = <512>;
                args = "--after-ms", "1500", "status"; };
    };
"#,
    );
    let vm = sys.wait_started("vm");
    let lines = sys.wait_all(&[
        &["[admin]", "status: vm running"],
        &["[admin]", "status: once down"],
        &["[admin]", "status: admin running"],
    ]);
    assert!(lines[0].contains(&format!("pid={vm} ")), "{}", lines[0]);
    let rss: u64 = lines[0]
        .split("rss_kib=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rss > 1024, "a running VM uses memory: {}", lines[0]);
    assert!(lines[0].ends_with("restarts=0"), "{}", lines[0]);
    assert!(sys.stop().success());
}
