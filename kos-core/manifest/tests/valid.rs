//! The valid fixtures, compiled with the real `dtc`, read into exactly the model they
//! describe.
#![cfg(feature = "std")]

mod common;

use kos_manifest::{
    AppKind, Backend, Bus, EnvEntry, EnvValue, Manifest, Network, RestartMode, RestartPolicy,
    Tracing, ROOT_APP, ROOT_PROTOCOL,
};

fn load(name: &str) -> Manifest {
    let blob = common::compile_fixture(&format!("valid/{name}.dts"));
    Manifest::from_dtb(&blob).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn names<'a>(apps: impl IntoIterator<Item = &'a kos_manifest::App>) -> Vec<&'a str> {
    apps.into_iter().map(|a| a.name.as_str()).collect()
}

#[test]
fn the_example_reads_as_written() {
    let m = load("example");
    assert_eq!(
        names(&m.apps),
        ["rng_server", "weatherstation", "device_admin"]
    );

    let rng = m.app("rng_server").unwrap();
    assert_eq!(
        rng.kind,
        AppKind::Native {
            binary: "rng_server".into(),
            heap_kib: 256
        }
    );
    assert_eq!(rng.msg_servers, ["main"]);
    assert_eq!(rng.restart, RestartPolicy::default());
    assert!(rng.args.is_empty() && rng.tracing.is_none() && rng.network.is_none());

    let ws = m.app("weatherstation").unwrap();
    assert_eq!(
        ws.kind,
        AppKind::Beam {
            app: "weatherstation".into(),
            memory_mib: 24
        }
    );
    assert_eq!(
        ws.tracing,
        Some(Tracing {
            categories: vec!["i2c".into(), "app".into()],
            buffer_kib: 64
        })
    );
    let env = |key: &str, value| EnvEntry {
        key: key.into(),
        value,
    };
    assert_eq!(
        ws.env,
        [
            env("interval_ms", EnvValue::Integer(5000)),
            env("address", EnvValue::Integer(0x76)),
            env("label", EnvValue::Text("garden".into())),
            env("thresholds", EnvValue::Integers(vec![10, 35])),
            env("units", EnvValue::Texts(vec!["C".into(), "hPa".into()])),
        ]
    );
    assert!(rng.env.is_empty());

    let admin = m.app("device_admin").unwrap();
    assert_eq!(
        admin.kind,
        AppKind::Beam {
            app: "device_admin".into(),
            memory_mib: 32
        }
    );
    assert_eq!(admin.restart, RestartPolicy::default());

    assert_eq!(m.msg_servers.len(), 1);
    let main = m.msg_server("main").unwrap();
    let rng_protocol = main.protocol("kos_rng_protocol").unwrap();
    assert_eq!(rng_protocol.servers, ["rng_server"]);
    assert_eq!(rng_protocol.clients, ["weatherstation", "device_admin"]);
    assert_eq!(main.protocol(ROOT_PROTOCOL).unwrap().servers, [ROOT_APP]);
    assert_eq!(
        main.members(),
        ["rng_server", "weatherstation", "device_admin", ROOT_APP]
    );

    assert_eq!(m.root_servers(), ["main"]);
    assert!(m.may_serve("main", "rng_server", "kos_rng_protocol"));
    assert!(m.may_use("main", "device_admin", ROOT_PROTOCOL));
    assert!(!m.may_use("main", "weatherstation", ROOT_PROTOCOL));
    assert_eq!(
        names(m.start_order()),
        ["rng_server", "weatherstation", "device_admin"]
    );
}

#[test]
fn two_message_servers_keep_separate_matrices() {
    let m = load("two_msg_servers");
    assert_eq!(
        m.msg_servers
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["main", "secure"]
    );
    assert_eq!(m.app("rng_server").unwrap().msg_servers, ["main", "secure"]);
    assert!(m.may_serve("secure", "rng_server", "kos_key_protocol"));
    assert!(m.may_use("secure", "device_admin", "kos_key_protocol"));
    assert!(!m.may_use("main", "device_admin", "kos_key_protocol"));
    assert!(!m.may_use("secure", "weatherstation", "kos_rng_protocol"));
    assert!(m.may_use("secure", "device_admin", ROOT_PROTOCOL));
    assert!(!m.may_use("main", "device_admin", ROOT_PROTOCOL));
    assert_eq!(m.root_servers(), ["main", "secure"]);
    assert_eq!(
        m.msg_server("main").unwrap().members(),
        ["rng_server", "weatherstation", ROOT_APP]
    );
    // rng_server is last in the manifest but serves both others.
    assert_eq!(
        names(m.start_order()),
        ["rng_server", "device_admin", "weatherstation"]
    );
}

#[test]
fn no_msg_servers_means_none() {
    let m = load("no_msg_servers");
    assert!(m.msg_servers.is_empty());
    assert!(m.root_servers().is_empty());
    let app = m.app("blinky").unwrap();
    assert!(app.msg_servers.is_empty());
    assert_eq!(
        app.kind,
        AppKind::Native {
            binary: "blinky".into(),
            heap_kib: 64
        }
    );
}

#[test]
fn every_optional_property_is_read_and_unknown_ones_ignored() {
    let m = load("all_properties");
    let logger = m.app("logger").unwrap();
    assert_eq!(
        logger.kind,
        AppKind::Native {
            binary: "logger".into(),
            heap_kib: 1_048_576
        }
    );
    assert_eq!(logger.args, ["--level", "debug", ""]);
    assert_eq!(
        logger.restart,
        RestartPolicy {
            mode: RestartMode::Transient,
            max_restarts: 0,
            max_seconds: 1,
            backoff_ms: 250,
            backoff_max_ms: 250
        }
    );
    assert_eq!(
        logger.network,
        Some(Network {
            address: Some("10.1.0.2/24".into())
        })
    );
    assert_eq!(logger.tracing, None);

    let sensors = m.app("sensors").unwrap();
    assert_eq!(
        sensors.kind,
        AppKind::Beam {
            app: "sensors".into(),
            memory_mib: 8
        }
    );
    assert_eq!(sensors.restart.mode, RestartMode::Temporary);
    assert_eq!(sensors.restart.max_restarts, 3);
    assert_eq!(
        sensors.tracing,
        Some(Tracing {
            categories: vec!["i2c".into()],
            buffer_kib: kos_manifest::DEFAULT_TRACE_BUFFER_KIB
        })
    );
    assert_eq!(sensors.network, Some(Network { address: None }));
    assert!(sensors.msg_servers.is_empty());
    assert!(m.msg_server("main").unwrap().protocols.is_empty());
}

#[test]
fn buses_select_their_backend_and_clients_their_addresses() {
    let source = common::manifest_source(
        r#"
    apps {
        i2c_server { kind = "native"; binary = "i2c_server"; heap_kib = <256>;
                     i2c_bus { backend = "am335x"; speed_hz = <400000>; reg = <0x4819c000>; }; };
        can_server { kind = "native"; binary = "can_server"; heap_kib = <256>;
                     can_bus { backend = "linux"; device = "can0"; }; };
        sim_server { kind = "native"; binary = "i2c_server"; heap_kib = <256>; i2c_bus { }; };
        weather { kind = "beam"; app = "weather"; memory_mib = <32>; i2c_addresses = <0x76 0x77>; };
    };"#,
    );
    let m = Manifest::from_dtb(&common::compile_source("buses", &source)).unwrap();
    let i2c = m.app("i2c_server").unwrap().i2c_bus.clone().unwrap();
    assert_eq!(
        i2c,
        Bus {
            backend: Backend::Am335x,
            speed: 400_000,
            device: None,
            reg: Some(0x4819_c000)
        }
    );
    let can = m.app("can_server").unwrap().can_bus.clone().unwrap();
    assert_eq!(can.backend, Backend::Linux);
    assert_eq!(can.device.as_deref(), Some("can0"));
    assert_eq!(can.speed, kos_manifest::DEFAULT_CAN_BITRATE);
    // An empty bus node means the simulated bus at the default speed.
    let sim = m.app("sim_server").unwrap().i2c_bus.clone().unwrap();
    assert_eq!((sim.backend, sim.speed), (Backend::Sim, 100_000));
    assert_eq!(m.app("weather").unwrap().i2c_addresses, vec![0x76, 0x77]);
    assert!(m.app("weather").unwrap().i2c_bus.is_none());
}
