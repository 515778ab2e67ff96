//! can_example in a booted system: through the CAN server on the simulated bus it
//! hears the engine ECU's broadcasts, gets answers to its OBD-II requests, and is told
//! of the bus errors when the ECU is taken off the bus (its frames go unacknowledged)
//! and of the recovery when it is back.

use kos_system_tests::RunningSystem;

#[test]
fn frames_flow_and_bus_errors_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let unplug = dir.path().join("ecu.unplugged");
    let mut sys = RunningSystem::boot(&format!(
        r#"
    /include/ "services/can_server.dtsi"
    msg_servers {{ main {{ dir_access_control {{
        kos_can_protocol {{ clients = "can_example"; }};
    }}; }}; }};
    apps {{
        can_server {{ args = "--unplug-file", "{}"; can_bus {{ bitrate = <250000>; }}; }};
        can_example {{ kind = "beam"; app = "can_example"; msg_servers = "main"; memory_mib = <48>; env {{ interval_ms = <300>; }}; }};
    }};
"#,
        unplug.display()
    ));
    sys.wait_for(&["[can_server]", "simulated bus at 250000 bit/s"]);
    let ecu = sys.wait_for(&["[can_example]", "ECU:", "rpm, coolant"]);
    let rpm: f64 = ecu
        .split("ECU: ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((500.0..=7000.0).contains(&rpm), "{ecu}");
    let reply = sys.wait_for(&["[can_example]", "OBD reply: engine speed"]);
    assert!(reply.ends_with(" rpm"), "{reply}");

    std::fs::write(&unplug, b"").unwrap();
    sys.wait_for(&["[can_server]", "ECU off the bus"]);
    // Alone on the bus, every request goes unacknowledged until the node is passive.
    let passive = sys.wait_for(&["[can_example]", "bus event: error_passive"]);
    assert!(passive.contains("tec 128"), "{passive}");
    std::fs::remove_file(&unplug).unwrap();
    let active = sys.wait_for(&["[can_example]", "bus event: error_active"]);
    // Requests are answered again after the recovery.
    sys.wait_for_after(&active, &["[can_example]", "OBD reply: engine speed"]);
    assert!(sys.exits("can_example").is_empty(), "{:#?}", sys.log);
    assert!(sys.stop().success());
}
