//! The weatherstation in a booted system: it reads the simulated BME280 through the
//! I2C server (backend `sim`), converts with the datasheet's compensation and logs
//! plausible readings that drift, which another app reads through `weather_protocol`;
//! a sensor unplugged meanwhile gives errors, and the station recovers by itself when
//! it is plugged in again.

use kos_system_tests::RunningSystem;

/// `weatherstation: 21.85 °C, 1009.28 hPa, 55.7 %RH` → the three numbers.
fn reading(line: &str) -> (f64, f64, f64) {
    let text = line.split("weatherstation: ").last().unwrap();
    let numbers: Vec<f64> = text
        .split([',', ' '])
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 3, "not a reading: {line}");
    (numbers[0], numbers[1], numbers[2])
}

#[test]
fn readings_are_plausible_and_survive_an_unplugged_sensor() {
    let dir = tempfile::tempdir().unwrap();
    let unplug = dir.path().join("bme280.unplugged");
    let mut sys = RunningSystem::boot(&format!(
        r#"
    /include/ "services/i2c_server.dtsi"
    msg_servers {{ main {{ dir_access_control {{
        kos_i2c_protocol {{ clients = "weatherstation"; }};
        weather_protocol {{ servers = "weatherstation"; clients = "display"; }};
    }}; }}; }};
    apps {{
        i2c_server {{ args = "--unplug-file", "{}"; }};
        weatherstation {{ kind = "beam"; app = "weatherstation"; msg_servers = "main"; memory_mib = <48>;
                         i2c_addresses = <0x76>; env {{ interval_ms = <300>; }}; }};
        display {{ kind = "beam"; app = "kos_demo"; msg_servers = "main"; memory_mib = <48>;
                  env {{ mode = "weather"; interval_ms = <400>; }}; }};
    }};
"#,
        unplug.display()
    ));
    let readings: Vec<_> = (0..3)
        .map(|_| reading(&sys.wait_for(&["[weatherstation]", "°C,", "hPa,", "%RH"])))
        .collect();
    // Another app reads what the station publishes, through the manifest's grant.
    let shown = sys.wait_for(&["[display]", "weather: ", "°C,", "ms old"]);
    let (t, _, _) = reading(&shown.replace("weather: ", "weatherstation: "));
    assert!((10.0..=35.0).contains(&t), "{shown}");
    for &(t, p, h) in &readings {
        assert!((10.0..=35.0).contains(&t), "temperature {t} °C");
        assert!((950.0..=1050.0).contains(&p), "pressure {p} hPa");
        assert!((20.0..=80.0).contains(&h), "humidity {h} %RH");
    }

    std::fs::write(&unplug, b"").unwrap();
    sys.wait_for(&["[i2c_server]", "BME280 unplugged"]);
    sys.wait_for(&["[weatherstation]", "sensor error: :nack_address"]);
    std::fs::remove_file(&unplug).unwrap();
    let again = sys.wait_for(&["[weatherstation]", "sensor answers again"]);
    // The reading logged right after the recovery, not an older one.
    let after = reading(&sys.wait_for_after(&again, &["[weatherstation]", "°C,", "hPa,"]));
    assert!((10.0..=35.0).contains(&after.0), "{after:?}");
    // One outage is one error line, not one per retry.
    assert_eq!(sys.seen(&["[weatherstation]", "sensor error"]).len(), 1);
    // The station's VM never died along the way.
    assert!(sys.exits("weatherstation").is_empty(), "{:#?}", sys.log);
    assert!(sys.stop().success());
}
