//! A running system: message servers, the root protocol, and the app supervisor.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kos_client::MsgServer;
use kos_manifest::{App, AppKind, Manifest, ROOT_APP, ROOT_PROTOCOL};
use kos_msg::root::AppState;
use kos_msg_server::hosted::HostedMsgServer;
use kos_msg_server::ConnId;
use std::os::unix::process::ExitStatusExt;

use crate::app_process::{self, Launch};
use crate::policy::ManifestPolicy;
use crate::restart::{Decision, ExitKind, RestartTracker};
use crate::{root_protocol, Logger};

/// An idle tuned VM holds about 14 MiB that nothing can reclaim (measured: 8.8 MiB
/// private plus 5.2 MiB of JIT code); a smaller budget kills it at start.
const SMALLEST_COMFORTABLE_VM_MIB: u32 = 16;

/// Log name of the root server itself.
const ROOT: &str = "_root";

/// How to run a system.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Where native apps' binaries are found (`binary = "rng_server"` → `bin_dir/rng_server`).
    pub bin_dir: PathBuf,
    /// How long an app has to exit after SIGTERM before it is killed.
    pub stop_timeout: Duration,
    /// Tokens each app may hold per message server.
    pub max_tokens: usize,
    /// Where BEAM apps' mix projects are (`app = "idle_app"` → `beam_dir/idle_app`).
    pub beam_dir: PathBuf,
    /// How BEAM instances are tuned.
    pub vm_profile: erts_port::Profile,
}

impl RunOptions {
    /// Defaults with binaries looked up in `bin_dir`.
    pub fn new(bin_dir: &Path) -> Self {
        RunOptions {
            bin_dir: bin_dir.to_path_buf(),
            stop_timeout: Duration::from_secs(5),
            max_tokens: kos_msg::TOKEN_SLOTS,
            beam_dir: PathBuf::from("elixir"),
            vm_profile: erts_port::Profile::default(),
        }
    }
}

/// Why a system could not boot. Nothing has been started when this is returned.
#[derive(Debug)]
pub enum BootError {
    /// A native app's binary is not in the binary directory.
    MissingBinary {
        /// The app.
        app: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A BEAM app whose compiled code is missing.
    BeamApp {
        /// The app.
        app: String,
        /// What is missing.
        error: beam_host::LocateError,
    },
    /// A BEAM app, but no Erlang/OTP to run it.
    NoErlang,
    /// The operating system refused something while booting.
    Io(std::io::Error),
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootError::MissingBinary { app, path } => write!(
                f,
                "app `{app}`: binary {} not found (build it with `cargo build`, or pass --bin-dir)",
                path.display()
            ),
            BootError::BeamApp { app, error } => write!(f, "app `{app}`: {error}"),
            BootError::NoErlang => f.write_str(
                "BEAM apps need Erlang/OTP: `erl` is not on the PATH (install Debian's erlang-base)",
            ),
            BootError::Io(e) => write!(f, "boot failed: {e}"),
        }
    }
}

impl std::error::Error for BootError {}

/// What the supervisor is asked to do.
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

/// Checks that `manifest` could boot with `options` — every native binary and BEAM
/// app present — without starting anything (for an upgrade's image).
pub fn check(manifest: &Manifest, options: &RunOptions) -> Result<(), BootError> {
    for app in manifest.start_order() {
        match &app.kind {
            AppKind::Native { binary, .. } => {
                let binary = options.bin_dir.join(binary);
                if !binary.is_file() {
                    return Err(BootError::MissingBinary {
                        app: app.name.clone(),
                        path: binary,
                    });
                }
            }
            AppKind::Beam { app: otp_app, .. } => {
                beam_host::locate_app(&options.beam_dir, otp_app).map_err(|error| {
                    BootError::BeamApp {
                        app: app.name.clone(),
                        error,
                    }
                })?;
            }
        }
    }
    Ok(())
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
        raise_descriptor_limit();
        let mut slots = Vec::new();
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
                        logger.line(
                            &app.name,
                            &format!(
                                "warning: memory_mib = {memory_mib} is below what an idle Erlang VM needs \
                                 (about {SMALLEST_COMFORTABLE_VM_MIB} MiB); it may be killed at start"
                            ),
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
                            .with_config(beam_host::locate_config(&options.beam_dir, otp_app)),
                    )
                }
            };
            slots.push(Slot::new(app.clone(), program));
        }
        let cgroups = if any_beam {
            if !erl_installed() {
                return Err(BootError::NoErlang);
            }
            match beam_host::budget::Cgroups::create() {
                Ok(c) => Some(c),
                Err(e) => {
                    logger.line(ROOT, &e.to_string());
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
            logger.line(ROOT, &format!("message server `{name}` up"));
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

        let mut supervisor = Supervisor {
            slots,
            cgroups,
            msg_servers,
            options,
            logger,
            control: control.clone(),
            mode: Mode::Running,
            outcome: Outcome::Stopped,
        };
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Running,
    RestartingAll,
    ShuttingDown,
}

#[derive(Debug)]
enum State {
    Running {
        pid: u32,
    },
    Stopping {
        pid: u32,
        deadline: Instant,
        then_start: bool,
    },
    Waiting {
        until: Instant,
    },
    Down,
}

/// What runs for an app.
enum Program {
    /// A native binary.
    Native(PathBuf),
    /// An Erlang VM running an OTP application.
    Beam(beam_host::BeamLaunch),
}

struct Slot {
    app: App,
    program: Program,
    /// The memory group of the running BEAM instance, if budgets are enforced.
    group: Option<beam_host::budget::Group>,
    tracker: RestartTracker,
    state: State,
    /// Bumped at every start, so a late exit report of an old process is ignored.
    generation: u64,
    /// Message-server connections of the current process: (server, connection).
    conns: Vec<(String, ConnId)>,
}

impl Slot {
    fn new(app: App, program: Program) -> Slot {
        Slot {
            tracker: RestartTracker::new(app.restart),
            app,
            program,
            group: None,
            state: State::Down,
            generation: 0,
            conns: Vec::new(),
        }
    }

    fn is_alive(&self) -> bool {
        matches!(self.state, State::Running { .. } | State::Stopping { .. })
    }
}

struct Supervisor {
    slots: Vec<Slot>,
    /// Memory groups for BEAM instances; `None` where the kernel offers none.
    cgroups: Option<beam_host::budget::Cgroups>,
    msg_servers: HashMap<String, HostedMsgServer<ManifestPolicy>>,
    options: RunOptions,
    logger: Logger,
    control: Sender<Control>,
    mode: Mode,
    /// How this system ends once every app has stopped.
    outcome: Outcome,
}

fn describe(status: &std::io::Result<ExitStatus>) -> (ExitKind, String) {
    match status {
        Ok(s) if s.success() => (ExitKind::Normal, "exited normally".into()),
        Ok(s) => match (s.code(), s.signal()) {
            (Some(code), _) => (ExitKind::Abnormal, format!("exited with status {code}")),
            (None, Some(sig)) => (ExitKind::Abnormal, format!("killed by signal {sig}")),
            _ => (ExitKind::Abnormal, format!("ended: {s}")),
        },
        Err(e) => (ExitKind::Abnormal, format!("could not be waited for: {e}")),
    }
}

impl Supervisor {
    fn run(&mut self, inbox: Receiver<Control>) -> Outcome {
        for i in 0..self.slots.len() {
            self.start(i);
        }
        loop {
            if self.mode == Mode::ShuttingDown && !self.slots.iter().any(Slot::is_alive) {
                self.logger.line(ROOT, "all apps stopped; system down");
                return self.outcome.clone();
            }
            let message = match self.next_deadline() {
                Some(at) => {
                    match inbox.recv_timeout(at.saturating_duration_since(Instant::now())) {
                        Ok(m) => Some(m),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return self.outcome.clone(),
                    }
                }
                None => match inbox.recv() {
                    Ok(m) => Some(m),
                    Err(_) => return self.outcome.clone(),
                },
            };
            match message {
                Some(Control::Exited {
                    slot,
                    generation,
                    status,
                }) => self.exited(slot, generation, status),
                Some(Control::RestartAll { asked_by }) => self.restart_all(&asked_by),
                Some(Control::RestartApp { app, asked_by }) => self.restart_app(&app, &asked_by),
                Some(Control::Shutdown { reason }) => self.shutdown(&reason),
                Some(Control::Status { reply }) => {
                    let _ = reply.send(self.status());
                }
                Some(Control::Switch { image, asked_by }) if self.mode != Mode::ShuttingDown => {
                    let why = format!(
                        "switching to the system in {} (asked by {asked_by})",
                        image.display()
                    );
                    self.outcome = Outcome::Switch(image);
                    self.shutdown(&why);
                }
                Some(Control::RollBack { reason }) if self.mode != Mode::ShuttingDown => {
                    self.outcome = Outcome::RollBack(reason.clone());
                    self.shutdown(&format!("rolling back: {reason}"));
                }
                Some(Control::Switch { .. } | Control::RollBack { .. }) => {}
                Some(Control::Health { reply }) => {
                    let _ = reply.send(self.health());
                }
                None => {}
            }
            self.fire_timers();
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter_map(|s| match s.state {
                State::Waiting { until } => Some(until),
                State::Stopping { deadline, .. } => Some(deadline),
                _ => None,
            })
            .min()
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        for i in 0..self.slots.len() {
            match self.slots[i].state {
                State::Waiting { until } if until <= now => self.start(i),
                State::Stopping {
                    pid,
                    deadline,
                    then_start,
                } if deadline <= now => {
                    self.logger.line(
                        &self.slots[i].app.name,
                        &format!(
                            "did not stop within {:?}; killing it",
                            self.options.stop_timeout
                        ),
                    );
                    signal(pid, libc::SIGKILL);
                    // Wait for its exit report; give it a fresh deadline in case even
                    // that is slow, so the timer does not spin.
                    self.slots[i].state = State::Stopping {
                        pid,
                        deadline: now + self.options.stop_timeout,
                        then_start,
                    };
                }
                _ => {}
            }
        }
    }

    fn start(&mut self, i: usize) {
        let slot = &mut self.slots[i];
        slot.generation += 1;
        let generation = slot.generation;
        let mut channels = Vec::new();
        for name in &slot.app.msg_servers {
            match self.msg_servers[name].attach(&slot.app.name) {
                Ok(c) => {
                    slot.conns.push((name.clone(), c.conn));
                    channels.push((name.clone(), c));
                }
                Err(e) => {
                    self.logger
                        .line(&slot.app.name, &format!("cannot attach to `{name}`: {e}"));
                    return self.exited(i, generation, Err(e));
                }
            }
        }
        let heap_kib = match slot.app.kind {
            AppKind::Native { heap_kib, .. } => heap_kib,
            AppKind::Beam { memory_mib, .. } => memory_mib * 1024,
        };
        let (binary, args, env): (PathBuf, Vec<String>, Vec<(&str, String)>) = match &slot.program {
            Program::Native(binary) => (binary.clone(), slot.app.args.clone(), Vec::new()),
            Program::Beam(beam) => {
                let mut args = beam.args();
                if !slot.app.args.is_empty() {
                    // What follows -extra is the app's System.argv().
                    args.push("-extra".into());
                    args.extend(slot.app.args.iter().cloned());
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
        slot.group = match (&self.cgroups, &slot.program, &slot.app.kind) {
            (Some(cgroups), Program::Beam(_), AppKind::Beam { memory_mib, .. }) => {
                match cgroups.group(
                    &format!("{}-{}", slot.app.name, slot.generation),
                    u64::from(*memory_mib) << 20,
                ) {
                    Ok(g) => Some(g),
                    Err(e) => {
                        self.logger
                            .line(&slot.app.name, &format!("runs without a memory group: {e}"));
                        None
                    }
                }
            }
            _ => None,
        };
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let launch = Launch {
            app: &slot.app.name,
            binary: &binary,
            args: &args,
            heap_kib,
            env: &env,
            cgroup_procs: slot.group.as_ref().map(|g| g.procs_file()),
            channels,
        };
        match app_process::spawn(launch, &self.logger) {
            Ok(mut child) => {
                let pid = child.id();
                slot.state = State::Running { pid };
                self.logger
                    .line(&slot.app.name, &format!("started (pid {pid})"));
                let control = self.control.clone();
                let waiter = std::thread::Builder::new()
                    .name(format!("wait-{}", slot.app.name))
                    .spawn(move || {
                        let status = child.wait();
                        let _ = control.send(Control::Exited {
                            slot: i,
                            generation,
                            status,
                        });
                    });
                if let Err(e) = waiter {
                    self.logger
                        .line(ROOT, &format!("cannot watch pid {pid}: {e}"));
                }
            }
            Err(e) => {
                self.logger.line(
                    &slot.app.name,
                    &format!("failed to start {}: {e}", binary.display()),
                );
                self.exited(i, generation, Err(e));
            }
        }
    }

    fn exited(&mut self, i: usize, generation: u64, status: std::io::Result<ExitStatus>) {
        let mode = self.mode;
        let slot = &mut self.slots[i];
        if generation != slot.generation {
            return;
        }
        let (kind, mut how) = describe(&status);
        if let Some(group) = slot.group.take() {
            if group.oom_killed() {
                how = format!(
                    "exceeded its memory budget of {} MiB and was killed by the kernel ({how})",
                    group.limit_bytes() >> 20
                );
            }
            group.remove();
        }
        // Its process is gone: void its directory entries now, so that a restart can
        // publish again without waiting for the message server to notice.
        for (name, conn) in std::mem::take(&mut slot.conns) {
            self.msg_servers[&name].detach(conn);
        }
        let slot = &mut self.slots[i];
        let was_stopping = match slot.state {
            State::Stopping { then_start, .. } => Some(then_start),
            _ => None,
        };
        slot.state = State::Down;
        match (mode, was_stopping) {
            (Mode::Running, Some(then_start)) => {
                self.logger
                    .line(&slot.app.name, &format!("stopped ({how})"));
                if then_start {
                    self.start(i);
                }
            }
            (Mode::Running, None) => {
                let decision = slot.tracker.on_exit(kind, Instant::now());
                let name = slot.app.name.clone();
                let policy = slot.app.restart;
                match decision {
                    Decision::Restart { after, count } => {
                        self.logger.line(
                            &name,
                            &format!(
                                "{how}; restarting in {} ms (restart {count} of {} allowed within {} s)",
                                after.as_millis(),
                                policy.max_restarts,
                                policy.max_seconds
                            ),
                        );
                        slot.state = State::Waiting {
                            until: Instant::now() + after,
                        };
                    }
                    Decision::Stay(why) => self.logger.line(&name, &format!("{how}; {why}")),
                    Decision::GiveUp { restarts, within } => self.logger.line(
                        &name,
                        &format!(
                            "{how}; giving up: {restarts} restarts within {} s reached the restart intensity limit (max_restarts = {}, max_seconds = {}); it stays down",
                            within.as_secs(),
                            policy.max_restarts,
                            policy.max_seconds
                        ),
                    ),
                }
            }
            (Mode::RestartingAll | Mode::ShuttingDown, _) => {
                self.logger
                    .line(&slot.app.name, &format!("stopped ({how})"));
            }
        }
        if self.mode == Mode::RestartingAll && !self.slots.iter().any(Slot::is_alive) {
            self.mode = Mode::Running;
            self.logger
                .line(ROOT, "all apps stopped; starting them again");
            for j in 0..self.slots.len() {
                self.start(j);
            }
        }
    }

    /// Every app's state, pid and resident memory while it runs, and restarts.
    fn status(&self) -> Vec<AppReport> {
        self.slots
            .iter()
            .map(|slot| {
                let (state, pid) = match slot.state {
                    State::Running { pid } => (AppState::Running, Some(pid)),
                    State::Stopping { pid, .. } => (AppState::Stopping, Some(pid)),
                    State::Waiting { .. } => (AppState::Restarting, None),
                    State::Down => (AppState::Down, None),
                };
                AppReport {
                    name: slot.app.name.clone(),
                    state,
                    pid,
                    rss_kib: pid.map(resident_kib),
                    restarts: u32::try_from(slot.generation.saturating_sub(1)).unwrap_or(u32::MAX),
                }
            })
            .collect()
    }

    /// Up: every app that is not `temporary` runs in its first process.
    fn health(&self) -> Health {
        let mut down = Vec::new();
        for slot in &self.slots {
            if slot.app.restart.mode == kos_manifest::RestartMode::Temporary {
                continue;
            }
            let restarts = slot.generation.saturating_sub(1);
            match slot.state {
                State::Running { .. } if restarts == 0 => {}
                State::Running { .. } => {
                    down.push(format!("{} restarted {restarts} times", slot.app.name))
                }
                State::Waiting { .. } => {
                    down.push(format!("{} is restarting after a crash", slot.app.name))
                }
                State::Stopping { .. } => down.push(format!("{} is stopping", slot.app.name)),
                State::Down => down.push(format!("{} is down", slot.app.name)),
            }
        }
        Health {
            up: down.is_empty(),
            detail: down.join("; "),
        }
    }

    /// Sends SIGTERM to every live app; waiting ones are cancelled.
    fn stop_all(&mut self) {
        let deadline = Instant::now() + self.options.stop_timeout;
        for slot in &mut self.slots {
            match slot.state {
                State::Running { pid } => {
                    signal(pid, libc::SIGTERM);
                    slot.state = State::Stopping {
                        pid,
                        deadline,
                        then_start: false,
                    };
                }
                State::Waiting { .. } => slot.state = State::Down,
                State::Stopping { .. } | State::Down => {}
            }
        }
    }

    fn restart_all(&mut self, asked_by: &str) {
        if self.mode != Mode::Running {
            return;
        }
        self.logger.line(
            ROOT,
            &format!("{asked_by} asked to restart all applications"),
        );
        self.mode = Mode::RestartingAll;
        for slot in &mut self.slots {
            slot.tracker.reset();
        }
        self.stop_all();
        if !self.slots.iter().any(Slot::is_alive) {
            self.mode = Mode::Running;
            for j in 0..self.slots.len() {
                self.start(j);
            }
        }
    }

    fn restart_app(&mut self, app: &str, asked_by: &str) {
        if self.mode != Mode::Running {
            return;
        }
        let Some(i) = self.slots.iter().position(|s| s.app.name == app) else {
            return;
        };
        self.logger
            .line(ROOT, &format!("{asked_by} asked to restart {app}"));
        match self.slots[i].state {
            State::Running { pid } => {
                signal(pid, libc::SIGTERM);
                self.slots[i].state = State::Stopping {
                    pid,
                    deadline: Instant::now() + self.options.stop_timeout,
                    then_start: true,
                };
            }
            State::Waiting { .. } | State::Down => self.start(i),
            State::Stopping { .. } => {}
        }
    }

    fn shutdown(&mut self, reason: &str) {
        if self.mode == Mode::ShuttingDown {
            return;
        }
        self.logger.line(
            ROOT,
            &format!("shutting down ({reason}): stopping all apps"),
        );
        self.mode = Mode::ShuttingDown;
        self.stop_all();
    }
}

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) on a child we started and have not yet seen exit.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

/// Every channel and every granted token costs the root server descriptors (message
/// servers run in this process), so take the whole hard limit rather than the usual
/// soft 1024.
fn raise_descriptor_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to an rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// Is Erlang's launcher on the PATH?
fn erl_installed() -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| dir.join(beam_host::ERL).is_file())
    })
}

/// Resident memory of a process (`VmRSS`), in KiB; 0 if it cannot be read.
fn resident_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
