//! `i2c_server`: the KOS I2C server. It drives the bus its manifest entry's `i2c_bus`
//! node selects and serves `kos_i2c_protocol` to the apps the manifest allows, each
//! limited to its `i2c_addresses`.

use std::path::PathBuf;

use clap::Parser;
use kos_board::{fail, say, serve_or_exit, Settings, UnplugFile};
use kos_i2c::protocol::PROTOCOL;
use kos_i2c::{BusInfo, I2cService};
use kos_i2c_server::{backend, policy, serve::serve, sim};
use kos_manifest::Backend;
use kos_sim_devices::bme280::ADDRESS_PRIMARY;

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
    let (server, msg_server) = serve_or_exit(PROTOCOL);
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
            let mut unplug = UnplugFile::new(args.unplug_file);
            say(&format!(
                "serving {PROTOCOL} on {}: simulated bus at {} Hz, BME280 at 0x76",
                msg_server, bus.speed
            ));
            serve(
                server,
                &mut service,
                |s| {
                    if let Some(unplugged) = unplug.changed() {
                        s.bus_mut().set_connected(ADDRESS_PRIMARY, !unplugged);
                        say(if unplugged {
                            "sim: BME280 unplugged (the unplug file exists)"
                        } else {
                            "sim: BME280 plugged in again"
                        });
                    }
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
