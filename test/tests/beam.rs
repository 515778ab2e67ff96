//! BEAM apps under KOS: one Erlang VM per app, supervised like any other app.

use kos_system_tests::{all_gone, started_pid, RunningSystem};

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
        first  { kind = "beam"; app = "idle_app"; memory_mib = <64>; args = "200"; };
        second { kind = "beam"; app = "idle_app"; memory_mib = <64>; args = "200"; };
        native { kind = "native"; binary = "fd_report"; heap_kib = <256>; };
    };
"#,
    );
    let lines = sys.wait_all(&[
        &["[first]", "started (pid"],
        &["[second]", "started (pid"],
        &["[first]", "up (os pid"],
        &["[second]", "up (os pid"],
        &["[first]", "heartbeat 2"],
        &["[second]", "heartbeat 2"],
    ]);
    let (first, second) = (started_pid(&lines[0]), started_pid(&lines[1]));
    assert_ne!(first, second, "one OS process per app");
    // The VM is the very process the root server supervises (erl execs beam.smp).
    assert!(
        lines[2].contains(&format!("os pid {first},")),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].contains(&format!("os pid {second},")),
        "{}",
        lines[3]
    );
    let comm = std::fs::read_to_string(format!("/proc/{first}/comm")).unwrap();
    assert_eq!(comm.trim(), "beam.smp");

    assert!(sys.stop().success());
    assert!(all_gone(&[first, second]), "no beam.smp left behind");
    assert!(sys.seen(&["restarting"]).is_empty(), "{:#?}", sys.log);
    let new_epmd: Vec<u32> = epmd_pids()
        .into_iter()
        .filter(|p| !epmd_before.contains(p))
        .collect();
    assert!(new_epmd.is_empty(), "no epmd started: {new_epmd:?}");
}

#[test]
fn a_crashing_beam_app_is_restarted_until_the_intensity_limit() {
    let mut sys = RunningSystem::boot(
        r#"
    apps {
        crashy { kind = "beam"; app = "crash_app"; memory_mib = <64>; args = "100";
                 max_restarts = <2>; max_seconds = <60>; backoff_ms = <10>; };
        steady { kind = "beam"; app = "idle_app"; memory_mib = <64>; args = "100"; };
    };
"#,
    );
    sys.wait_all(&[
        &["[crashy]", "up; crashing in 100 ms"],
        &[
            "[crashy]",
            "exited with status 1; restarting in 10 ms (restart 1 of 2",
        ],
        &[
            "[crashy]",
            "exited with status 1; restarting in 20 ms (restart 2 of 2",
        ],
        &["[crashy]", "giving up"],
    ]);
    assert_eq!(sys.seen(&["[crashy]", "started (pid"]).len(), 3);
    let beats = sys.seen(&["[steady]", "heartbeat"]).len();
    sys.wait_for(&["[steady]", &format!("heartbeat {}", beats + 2)]);
    assert!(
        sys.seen(&["[steady]", "exited"]).is_empty(),
        "the neighbour runs on"
    );
    assert!(sys.stop().success());
}

#[test]
fn an_instance_over_its_memory_budget_is_stopped_alone_and_restarted() {
    let mut sys = RunningSystem::boot(
        r#"
    apps {
        hog   { kind = "beam"; app = "hog_app"; memory_mib = <96>; max_restarts = <1>; max_seconds = <60>; };
        quiet { kind = "beam"; app = "idle_app"; memory_mib = <64>; args = "100"; };
    };
"#,
    );
    sys.wait_for(&["[quiet]", "up (os pid"]);
    if !sys
        .seen(&["memory budgets are not enforced by the kernel here"])
        .is_empty()
    {
        eprintln!("skipped: no writable cgroup v1 memory controller on this machine");
        return;
    }
    sys.wait_for(&[
        "[hog]",
        "exceeded its memory budget of 96 MiB and was killed by the kernel",
        "restarting",
    ]);
    let line = sys.wait_for(&["[hog]", "exceeded its memory budget of 96 MiB", "giving up"]);
    assert!(line.contains("killed by signal 9"), "{line}");
    let beats = sys.seen(&["[quiet]", "heartbeat"]).len();
    sys.wait_for(&["[quiet]", &format!("heartbeat {}", beats + 2)]);
    assert!(
        sys.seen(&["[quiet]", "exited"]).is_empty(),
        "the neighbour was untouched"
    );
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
        vm_a { kind = "beam"; app = "idle_app"; memory_mib = <64>; args = "100"; };
        vm_b { kind = "beam"; app = "idle_app"; memory_mib = <64>; args = "100"; };
        admin { kind = "native"; binary = "root_caller"; msg_servers = "main"; heap_kib = <512>;
                restart = "temporary"; args = "--after-ms", "800", "restart-all"; };
    };
"#,
    );
    let before = sys.wait_all(&[&["[vm_a]", "up (os pid"], &["[vm_b]", "up (os pid"]]);
    sys.wait_for(&["[_root]", "all apps stopped; starting them again"]);
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
    let vm = started_pid(&sys.wait_for(&["[vm]", "started (pid"]));
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
