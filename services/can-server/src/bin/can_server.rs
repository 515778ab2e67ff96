//! `can_server`: the KOS CAN server. It drives the controller its manifest entry's
//! `can_bus` node selects and serves `kos_can_protocol` to the apps the manifest
//! allows, each with its own acceptance filters, send queue and receive queue.

use std::path::PathBuf;

use clap::Parser;
use kos_board::{fail, say, serve_or_exit, Settings, UnplugFile};
use kos_can::protocol::PROTOCOL;
use kos_can::{CanService, Config};
use kos_can_server::{am335x, serve::serve, sim, socketcan};
use kos_manifest::Backend;

kos_heap::global_heap!();

/// The KOS CAN server (started by `kos run` from a manifest entry with a `can_bus` node).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// With the `sim` backend: while this file exists, the simulated ECU is off the
    /// bus (frames go unacknowledged, as with a broken cable).
    #[arg(long, value_name = "PATH")]
    unplug_file: Option<PathBuf>,
}

fn main() {
    let unplug_file = Args::parse().unplug_file;
    let settings = Settings::from_env().unwrap_or_else(|e| fail(&e.to_string()));
    let bus = settings.me().can_bus.clone().unwrap_or(kos_manifest::Bus {
        backend: Backend::Sim,
        speed: kos_manifest::DEFAULT_CAN_BITRATE,
        device: None,
        reg: None,
    });
    let (server, msg_server) = serve_or_exit(PROTOCOL);
    let config = Config::new(bus.speed);
    let log = |l: &str| say(l);
    let error = match bus.backend {
        Backend::Sim => {
            let mut service = Box::new(CanService::new(
                sim::SimCan::new(bus.speed, std::process::id().into()),
                config,
            ));
            let mut unplug = UnplugFile::new(unplug_file);
            say(&format!(
                "serving {PROTOCOL} on {}: simulated bus at {} bit/s with an engine ECU",
                msg_server, bus.speed
            ));
            serve(
                server,
                &mut service,
                |s, now_us| {
                    if let Some(unplugged) = unplug.changed() {
                        s.controller_mut().set_ecu_connected(!unplugged);
                        say(if unplugged {
                            "sim: ECU off the bus (the unplug file exists)"
                        } else {
                            "sim: ECU back on the bus"
                        });
                    }
                    s.controller_mut().bus.advance_to(now_us);
                },
                log,
            )
        }
        Backend::Am335x => {
            let base = bus.reg.unwrap_or(am335x::DCAN0_BASE);
            let can = am335x::Am335xCan::open(base, bus.speed)
                .unwrap_or_else(|e| fail(&format!("am335x D_CAN at {base:#x}: {e}")));
            let mut service = Box::new(CanService::new(can, config));
            say(&format!(
                "serving {PROTOCOL}: AM335x D_CAN at {base:#x}, {} bit/s",
                bus.speed
            ));
            serve(server, &mut service, |_, _| {}, log)
        }
        Backend::Linux => {
            let device = bus.device.clone().unwrap_or_default();
            let can =
                kos_socketcan::SocketCan::open(&device).unwrap_or_else(|e| fail(&e.to_string()));
            let mut service =
                Box::new(CanService::new(socketcan::SocketCanController(can), config));
            say(&format!("serving {PROTOCOL}: SocketCAN {device}"));
            serve(server, &mut service, |_, _| {}, log)
        }
    };
    fail(&format!("stopped serving: {error}"))
}
