//! A running system: message servers, the root protocol, and the app supervisor.
//!
//! `boot` wires a system together; the pieces are apart: `options` (how to run, why a
//! boot fails, the image check), `supervisor` (the state machine of every app, over a
//! `Launcher`), `hosted` (the launcher that makes Linux processes) and `host` (the few
//! direct Linux calls).

mod host;
mod hosted;
mod options;
mod supervisor;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use kos_client::MsgServer;
use kos_manifest::{AppKind, Manifest, ROOT_APP, ROOT_PROTOCOL};
use kos_msg::root::AppState;
use kos_msg_server::hosted::HostedMsgServer;

use crate::policy::ManifestPolicy;
use crate::{root_protocol, Event, Logger};
use hosted::{HostedLauncher, Program};
pub use options::{check, BootError, RunOptions};
use supervisor::Supervisor;

/// An idle tuned VM holds about 14 MiB that nothing can reclaim (measured: 8.8 MiB
/// private plus 5.2 MiB of JIT code); a smaller budget kills it at start.
const SMALLEST_COMFORTABLE_VM_MIB: u32 = 16;

/// Log name of the root server itself.
const ROOT: &str = "_root";

/// One app's line of a STATUS report, owned (the supervisor's answer crosses threads).
pub(crate) struct AppReport {
    pub name: String,
    pub state: AppState,
    pub pid: Option<u32>,
    pub rss_kib: Option<u64>,
    pub restarts: u32,
}

impl AppReport {
    /// The record `kos_root_protocol` sends.
    pub fn record(&self) -> kos_msg::root::AppStatus<'_> {
        kos_msg::root::AppStatus {
            name: &self.name,
            state: self.state,
            pid: self.pid,
            rss_kib: self.rss_kib,
            restarts: self.restarts,
        }
    }
}

/// What the supervisor is asked to do.
pub(crate) enum Control {
    Exited {
        slot: usize,
        generation: u64,
        status: std::io::Result<ExitStatus>,
    },
    RestartAll {
        asked_by: String,
    },
    RestartApp {
        app: String,
        asked_by: String,
    },
    Shutdown {
        reason: String,
    },
    Status {
        reply: Sender<Vec<AppReport>>,
    },
    /// Stop every app and end with [`Outcome::Switch`].
    Switch {
        image: PathBuf,
        asked_by: String,
    },
    /// Stop every app and end with [`Outcome::RollBack`].
    RollBack {
        reason: String,
    },
    Health {
        reply: Sender<Health>,
    },
}

/// How a system ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Asked to stop (a signal, `--stop-after`).
    Stopped,
    /// Asked (through `kos_root_protocol`) to switch to the image in this directory.
    Switch(PathBuf),
    /// Its trial failed: the previous system should run again.
    RollBack(String),
}

/// Whether a system's apps are all up and have stayed up since boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// Every app that is not `temporary` runs, none has been restarted.
    pub up: bool,
    /// The apps that are not, and how.
    pub detail: String,
}

/// A booted system. Dropping it does not stop it: call [`System::shutdown`] and
/// [`System::wait`].
pub struct System {
    control: Sender<Control>,
    supervisor: JoinHandle<Outcome>,
}

/// A handle that asks a running system to stop (from a signal handler thread, say).
#[derive(Clone)]
pub struct ShutdownHandle(Sender<Control>);

impl ShutdownHandle {
    /// Asks the system to stop every app and end.
    pub fn shutdown(&self, reason: &str) {
        let _ = self.0.send(Control::Shutdown {
            reason: reason.to_string(),
        });
    }

    /// Asks the system to stop every app and end with [`Outcome::RollBack`].
    pub fn roll_back(&self, reason: &str) {
        let _ = self.0.send(Control::RollBack {
            reason: reason.to_string(),
        });
    }

    /// The system's health now; `None` once it has ended.
    pub fn health(&self) -> Option<Health> {
        let (reply, answer) = mpsc::channel();
        self.0.send(Control::Health { reply }).ok()?;
        answer.recv_timeout(Duration::from_secs(5)).ok()
    }
}

/// Why `app` keeps the root server's user when the others get their own, if it does:
/// it is granted `kos_root_protocol` (it may restart and upgrade everything, and holds
/// the device's Orbit key), or it drives a bus's hardware (registers through
/// `/dev/mem`, or a Linux bus device) rather than the simulation.
fn why_privileged(manifest: &Manifest, app: &kos_manifest::App) -> Option<String> {
    if app
        .msg_servers
        .iter()
        .any(|ms| manifest.may_use(ms, &app.name, ROOT_PROTOCOL))
    {
        return Some(format!("{} (granted {ROOT_PROTOCOL})", app.name));
    }
    [&app.i2c_bus, &app.can_bus]
        .into_iter()
        .flatten()
        .find(|bus| bus.backend != kos_manifest::Backend::Sim)
        .map(|bus| format!("{} (drives a {} bus)", app.name, bus.backend))
}

impl System {
    /// Boots `manifest`: message servers, the root protocol, then every app in start
    /// order.
    pub fn boot(
        manifest: Manifest,
        options: RunOptions,
        logger: Logger,
    ) -> Result<System, BootError> {
        let manifest = Arc::new(manifest);
        host::raise_descriptor_limit();
        let (mut apps, mut programs) = (Vec::new(), Vec::new());
        let mut any_beam = false;
        for app in manifest.start_order() {
            let program = match &app.kind {
                AppKind::Native { binary, .. } => {
                    let binary = options.bin_dir.join(binary);
                    if !binary.is_file() {
                        return Err(BootError::MissingBinary {
                            app: app.name.clone(),
                            path: binary,
                        });
                    }
                    Program::Native(binary)
                }
                AppKind::Beam {
                    app: otp_app,
                    memory_mib,
                } => {
                    any_beam = true;
                    if *memory_mib < SMALLEST_COMFORTABLE_VM_MIB {
                        logger.event(
                            &app.name,
                            Event::LowMemoryBudget {
                                memory_mib: *memory_mib,
                                comfortable_mib: SMALLEST_COMFORTABLE_VM_MIB,
                            },
                        );
                    }
                    let paths =
                        beam_host::locate_app(&options.beam_dir, otp_app).map_err(|error| {
                            BootError::BeamApp {
                                app: app.name.clone(),
                                error,
                            }
                        })?;
                    Program::Beam(
                        beam_host::BeamLaunch::new(otp_app, paths, *memory_mib, options.vm_profile)
                            .with_config(beam_host::locate_config(&options.beam_dir, otp_app))
                            .with_env(&app.env),
                    )
                }
            };
            apps.push(app.clone());
            programs.push(program);
        }
        let cgroups = if any_beam {
            if !host::erl_installed() {
                return Err(BootError::NoErlang);
            }
            match beam_host::budget::Cgroups::create() {
                Ok(c) => Some(c),
                Err(e) => {
                    logger.event(
                        ROOT,
                        Event::NoMemoryGroups {
                            error: e.to_string(),
                        },
                    );
                    None
                }
            }
        } else {
            None
        };

        let msg_servers: HashMap<String, HostedMsgServer<ManifestPolicy>> = manifest
            .msg_servers
            .iter()
            .map(|m| {
                let policy = ManifestPolicy::new(manifest.clone(), &m.name);
                let sink = logger.sink(&format!("msg:{}", m.name));
                (
                    m.name.clone(),
                    HostedMsgServer::new(&m.name, policy, options.max_tokens, sink),
                )
            })
            .collect();
        for name in msg_servers.keys() {
            logger.event(
                ROOT,
                Event::MsgServerUp {
                    server: name.clone(),
                },
            );
        }

        let (control, inbox) = mpsc::channel();
        for name in manifest.root_servers() {
            let channels = msg_servers[name].attach(ROOT_APP).map_err(BootError::Io)?;
            let connection = MsgServer::new(name, channels.request, channels.event);
            connection
                .publish(ROOT_PROTOCOL)
                .map_err(|e| BootError::Io(std::io::Error::other(e.to_string())))?;
            let server = connection
                .serve()
                .map_err(|e| BootError::Io(std::io::Error::other(e.to_string())))?;
            let (control, manifest, logger) = (control.clone(), manifest.clone(), logger.clone());
            let opts = options.clone();
            std::thread::Builder::new()
                .name(format!("root-protocol-{name}"))
                .spawn(move || root_protocol::serve(server, control, manifest, opts, logger))
                .map_err(BootError::Io)?;
        }

        let stop_timeout = options.stop_timeout;
        // Apps that administer the system or drive real hardware keep this server's
        // user (crate::isolation).
        let privileged = apps.iter().map(|a| why_privileged(&manifest, a)).collect();
        let launcher = HostedLauncher::new(
            programs,
            privileged,
            cgroups,
            msg_servers,
            options,
            logger.clone(),
            control.clone(),
        );
        let mut supervisor = Supervisor::new(apps, launcher, stop_timeout, logger);
        let thread = std::thread::Builder::new()
            .name("supervisor".into())
            .spawn(move || supervisor.run(inbox))
            .map_err(BootError::Io)?;
        Ok(System {
            control,
            supervisor: thread,
        })
    }

    /// A handle to stop the system from another thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.control.clone())
    }

    /// Asks the system to stop.
    pub fn shutdown(&self, reason: &str) {
        self.shutdown_handle().shutdown(reason);
    }

    /// Waits until the system has stopped every app; says why it ended.
    pub fn wait(self) -> Outcome {
        self.supervisor.join().unwrap_or(Outcome::Stopped)
    }
}
