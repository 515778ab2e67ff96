//! `i2c_server`: the KOS I2C server. It drives the bus its manifest entry's `i2c_bus`
//! node selects and serves `kos_i2c_protocol` to the apps the manifest allows, each
//! limited to its `i2c_addresses`.

use std::io::Write;
use std::path::PathBuf;

use clap::Parser;
use kos_board::Settings;
use kos_client::Kos;
use kos_i2c::protocol::PROTOCOL;
use kos_i2c::{BusInfo, I2cService};
use kos_i2c_server::{backend, policy, serve::serve, sim};
use kos_manifest::Backend;

kos_heap::global_heap!();

/// The KOS I2C server (started by `kos run` from a manifest entry with an `i2c_bus` node).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// With the `sim` backend: while this file exists, the simulated BME280 is
    /// unplugged (it stops answering its address).
    #[arg(long, value_name = "PATH")]
    unplug_file: Option<PathBuf>,
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn fail(line: &str) -> ! {
    say(line);
    std::process::exit(1)
}

fn main() {
    let args = Args::parse();
    let settings = Settings::from_env().unwrap_or_else(|e| fail(&e.to_string()));
    let bus = settings.me().i2c_bus.clone().unwrap_or(kos_manifest::Bus {
        backend: Backend::Sim,
        speed: kos_manifest::DEFAULT_I2C_SPEED_HZ,
        device: None,
        reg: None,
    });
    let policy = policy::from_manifest(&settings.manifest)
        .unwrap_or_else(|(app, e)| fail(&format!("i2c_addresses of {app}: {e:?}")));
    let kos = Kos::from_env().unwrap_or_else(|e| fail(&e.to_string()));
    let msg_server = kos
        .msg_servers()
        .first()
        .cloned()
        .unwrap_or_else(|| fail("no message server in my manifest entry; nothing to serve on"));
    let server = msg_server
        .publish(PROTOCOL)
        .and_then(|_| msg_server.serve())
        .unwrap_or_else(|e| fail(&format!("cannot serve {PROTOCOL}: {e}")));
    let info = BusInfo {
        speed_hz: bus.speed,
        backend: bus.backend.as_str(),
    };
    let log = |l: &str| say(l);
    let error = match bus.backend {
        Backend::Sim => {
            let mut service = I2cService::new(
                sim::bus(bus.speed, std::process::id().into()),
                backend::classify_sim,
                info,
                policy,
            );
            let mut unplug = sim::UnplugSwitch::new(args.unplug_file);
            say(&format!(
                "serving {PROTOCOL} on {}: simulated bus at {} Hz, BME280 at 0x76",
                msg_server.name(),
                bus.speed
            ));
            serve(
                server,
                &mut service,
                |s| match unplug.apply(s.bus_mut()) {
                    Some(true) => say("sim: BME280 unplugged (the unplug file exists)"),
                    Some(false) => say("sim: BME280 plugged in again"),
                    None => {}
                },
                log,
            )
        }
        Backend::Am335x => {
            let base = bus.reg.unwrap_or(backend::AM335X_I2C2_BASE);
            let am = backend::Am335xBus::open(base, bus.speed)
                .unwrap_or_else(|e| fail(&format!("am335x I2C at {base:#x}: {e}")));
            let mut service = I2cService::new(am.driver, backend::classify_am335x, info, policy);
            say(&format!(
                "serving {PROTOCOL}: AM335x I2C at {base:#x}, {} Hz",
                bus.speed
            ));
            serve(server, &mut service, |_| {}, log)
        }
        Backend::Linux => {
            let device = bus.device.clone().unwrap_or_default();
            let linux =
                kos_linux_i2c::LinuxI2c::open(&device).unwrap_or_else(|e| fail(&e.to_string()));
            let mut service = I2cService::new(linux, backend::classify_linux, info, policy);
            say(&format!("serving {PROTOCOL}: {device}"));
            serve(server, &mut service, |_| {}, log)
        }
    };
    fail(&format!("stopped serving: {error}"))
}
