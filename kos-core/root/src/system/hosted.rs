//! The hosted launcher: an app is a Linux process holding exactly the channels its
//! manifest entry grants (attached to the system's message servers), a BEAM app in
//! its own memory group, and a thread per process that reports its exit to the
//! supervisor.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::Sender;

use kos_manifest::{App, AppKind};
use kos_msg_server::hosted::HostedMsgServer;
use kos_msg_server::ConnId;

use super::supervisor::{Launcher, Stop};
use super::{host, Control, RunOptions, ROOT};
use crate::app_process::{self, Launch};
use crate::isolation::{self, AppIdentity, Confinement, Filter};
use crate::policy::ManifestPolicy;
use crate::{Event, Logger};

/// What runs for an app.
pub(super) enum Program {
    /// A native binary.
    Native(PathBuf),
    /// An Erlang VM running an OTP application.
    Beam(beam_host::BeamLaunch),
}

/// What a running process holds that its end releases.
#[derive(Default)]
struct Held {
    /// Its memory group, if budgets are enforced.
    group: Option<beam_host::budget::Group>,
    /// Its message-server connections: (server, connection).
    conns: Vec<(String, ConnId)>,
}

/// Starts apps as Linux processes.
pub(super) struct HostedLauncher {
    /// Indexed like the supervisor's slots.
    programs: Vec<Program>,
    held: Vec<Held>,
    /// Memory groups for BEAM instances; `None` where the kernel offers none.
    cgroups: Option<beam_host::budget::Cgroups>,
    msg_servers: HashMap<String, HostedMsgServer<ManifestPolicy>>,
    options: RunOptions,
    logger: Logger,
    control: Sender<Control>,
    /// The apps' seccomp filter, when they are isolated (`crate::isolation`).
    filter: Option<Filter>,
    /// Indexed like `programs`: why the app keeps the root server's user, if it does
    /// (`super::why_privileged`).
    privileged: Vec<Option<String>>,
}

impl HostedLauncher {
    pub(super) fn new(
        programs: Vec<Program>,
        privileged: Vec<Option<String>>,
        cgroups: Option<beam_host::budget::Cgroups>,
        msg_servers: HashMap<String, HostedMsgServer<ManifestPolicy>>,
        options: RunOptions,
        logger: Logger,
        control: Sender<Control>,
    ) -> Self {
        let filter = isolation_filter(&options, &logger, &privileged);
        HostedLauncher {
            held: programs.iter().map(|_| Held::default()).collect(),
            programs,
            cgroups,
            msg_servers,
            options,
            logger,
            control,
            filter,
            privileged,
        }
    }
}

/// The filter every app gets, if apps are isolated here: only a root server that is
/// root has other users to give them. Says which, once.
fn isolation_filter(
    options: &RunOptions,
    logger: &Logger,
    privileged: &[Option<String>],
) -> Option<Filter> {
    let why_not = if !options.isolate {
        Some("isolation turned off (--no-isolation)".to_string())
    } else if !host::is_root() {
        Some("the root server is not root, so it has no other user to give them".to_string())
    } else {
        None
    };
    if let Some(why) = why_not {
        logger.event(ROOT, Event::NotIsolated { why });
        return None;
    }
    match Filter::new() {
        Ok(filter) => {
            logger.event(
                ROOT,
                Event::Isolated {
                    refused_calls: isolation::refused_calls().count(),
                    privileged: privileged.iter().flatten().cloned().collect(),
                },
            );
            Some(filter)
        }
        Err(e) => {
            logger.event(ROOT, Event::NotIsolated { why: e.to_string() });
            None
        }
    }
}

impl HostedLauncher {
    /// The user app `i` runs under: its own, unless it keeps the root server's
    /// (`super::why_privileged`) or its program is out of other users' reach (said
    /// once per start, with the fix).
    fn identity(&self, i: usize, app: &App, program: &Program) -> Option<AppIdentity> {
        if self.privileged[i].is_some() {
            return None;
        }
        let needed: Vec<&std::path::Path> = match program {
            Program::Native(binary) => vec![binary.as_path()],
            Program::Beam(beam) => beam
                .code_paths
                .iter()
                .map(PathBuf::as_path)
                .chain(beam.config.as_deref())
                .chain([self.options.bin_dir.as_path()])
                .collect(),
        };
        if let Some(why) = isolation::unreachable(&needed) {
            self.logger.event(&app.name, Event::NotIsolatedApp { why });
            return None;
        }
        Some(AppIdentity::of(&self.options.system, &app.name))
    }
}

impl Launcher for HostedLauncher {
    fn start(&mut self, i: usize, generation: u64, app: &App) -> std::io::Result<u32> {
        let held = &mut self.held[i];
        let mut channels = Vec::new();
        for name in &app.msg_servers {
            match self.msg_servers[name].attach(&app.name) {
                Ok(c) => {
                    held.conns.push((name.clone(), c.conn));
                    channels.push((name.clone(), c));
                }
                Err(e) => {
                    self.logger.event(
                        &app.name,
                        Event::CannotAttach {
                            server: name.clone(),
                            error: e.to_string(),
                        },
                    );
                    return Err(e);
                }
            }
        }
        let heap_kib = match app.kind {
            AppKind::Native { heap_kib, .. } => heap_kib,
            AppKind::Beam { memory_mib, .. } => memory_mib * 1024,
        };
        let program = &self.programs[i];
        let (binary, args, env): (PathBuf, Vec<String>, Vec<(&str, String)>) = match program {
            Program::Native(binary) => (binary.clone(), app.args.clone(), Vec::new()),
            Program::Beam(beam) => {
                let mut args = beam.args();
                if !app.args.is_empty() {
                    // What follows -extra is the app's System.argv().
                    args.push("-extra".into());
                    args.extend(app.args.iter().cloned());
                }
                let env = vec![
                    // A crashing VM must not litter the working directory with dumps.
                    ("ERL_CRASH_DUMP_SECONDS", "0".to_string()),
                    // Where the `kos` library finds the KOS NIF library.
                    (
                        beam_host::ENV_NIF_DIR,
                        self.options.bin_dir.display().to_string(),
                    ),
                ];
                (PathBuf::from(beam_host::ERL), args, env)
            }
        };
        held.group = match (&self.cgroups, program, &app.kind) {
            (Some(cgroups), Program::Beam(_), AppKind::Beam { memory_mib, .. }) => {
                match cgroups.group(
                    &format!("{}-{generation}", app.name),
                    u64::from(*memory_mib) << 20,
                ) {
                    Ok(g) => Some(g),
                    Err(e) => {
                        self.logger.event(
                            &app.name,
                            Event::NoMemoryGroup {
                                error: e.to_string(),
                            },
                        );
                        None
                    }
                }
            }
            _ => None,
        };
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let identity = self
            .filter
            .is_some()
            .then(|| self.identity(i, app, program))
            .flatten();
        let held = &mut self.held[i];
        let launch = Launch {
            app: &app.name,
            binary: &binary,
            args: &args,
            heap_kib,
            env: &env,
            cgroup_procs: held.group.as_ref().map(|g| g.procs_file()),
            channels,
            confinement: self.filter.as_ref().map(|filter| Confinement {
                identity,
                filter: filter.clone(),
            }),
            beam: matches!(program, Program::Beam(_)),
        };
        let mut child = app_process::spawn(launch, &self.logger).inspect_err(|e| {
            self.logger.event(
                &app.name,
                Event::FailedToStart {
                    binary: binary.display().to_string(),
                    error: e.to_string(),
                },
            );
        })?;
        let pid = child.id();
        let control = self.control.clone();
        let waiter = std::thread::Builder::new()
            .name(format!("wait-{}", app.name))
            .spawn(move || {
                let status = child.wait();
                let _ = control.send(Control::Exited {
                    slot: i,
                    generation,
                    status,
                });
            });
        if let Err(e) = waiter {
            self.logger.event(
                ROOT,
                Event::CannotWatch {
                    pid,
                    error: e.to_string(),
                },
            );
        }
        Ok(pid)
    }

    fn ended(&mut self, i: usize) -> Option<u64> {
        let held = std::mem::take(&mut self.held[i]);
        // Its process is gone: void its directory entries now, so that a restart can
        // publish again without waiting for the message server to notice.
        for (name, conn) in held.conns {
            self.msg_servers[&name].detach(conn);
        }
        let group = held.group?;
        let killed = group.oom_killed().then(|| group.limit_bytes() >> 20);
        group.remove();
        killed
    }

    fn signal(&mut self, pid: u32, stop: Stop) {
        let sig = match stop {
            Stop::Ask => libc::SIGTERM,
            Stop::Kill => libc::SIGKILL,
        };
        host::signal(pid, sig);
    }

    fn resident_kib(&self, pid: u32) -> u64 {
        host::resident_kib(pid)
    }
}
