//! The supervisor: one state machine over every app of a system, apart from how apps
//! are started. It decides when an app starts, stops, restarts (by its manifest
//! policy, through `kos_restart::RestartTracker`) or stays down, answers STATUS and
//! health, and ends the system; a [`Launcher`] does the starting and signalling, so
//! the same decisions are tested here with a fake one and run hosted with
//! `hosted::HostedLauncher`.

use std::process::ExitStatus;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use std::os::unix::process::ExitStatusExt;

use kos_manifest::App;
use kos_msg::root::AppState;

use super::{AppReport, Control, Health, Outcome, ROOT};
use crate::events::{Event, Exit, How};
use crate::Logger;
use kos_restart::{Decision, ExitKind, RestartTracker};

/// A signal the supervisor sends an app's process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Please stop (SIGTERM).
    Ask,
    /// Stop now (SIGKILL), after the stop timeout.
    Kill,
}

/// How apps are started, for the supervisor.
pub(crate) trait Launcher {
    /// Starts the app of slot `slot` as its `generation`th process and returns its
    /// pid; its exit must come back to the supervisor as `Control::Exited` with the
    /// same slot and generation. On failure the launcher has logged why.
    fn start(&mut self, slot: usize, generation: u64, app: &App) -> std::io::Result<u32>;
    /// The process of `slot` has ended: release what its start took. Returns the
    /// memory budget in MiB if the kernel killed it for exceeding it.
    fn ended(&mut self, slot: usize) -> Option<u64>;
    /// Sends `stop` to a process this launcher started.
    fn signal(&mut self, pid: u32, stop: Stop);
    /// A running process's resident memory in KiB (0 if unknown).
    fn resident_kib(&self, pid: u32) -> u64;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Running,
    RestartingAll,
    ShuttingDown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

struct Slot {
    app: App,
    tracker: RestartTracker<Instant>,
    state: State,
    /// Bumped at every start, so a late exit report of an old process is ignored.
    generation: u64,
}

impl Slot {
    fn is_alive(&self) -> bool {
        matches!(self.state, State::Running { .. } | State::Stopping { .. })
    }
}

/// Every app's state, and what the system is doing as a whole.
pub(crate) struct Supervisor<L: Launcher> {
    slots: Vec<Slot>,
    launcher: L,
    stop_timeout: Duration,
    logger: Logger,
    mode: Mode,
    /// How this system ends once every app has stopped.
    outcome: Outcome,
}

fn describe(status: &std::io::Result<ExitStatus>) -> (ExitKind, How) {
    match status {
        Ok(s) if s.success() => (ExitKind::Normal, How::Normal),
        Ok(s) => match (s.code(), s.signal()) {
            (Some(code), _) => (ExitKind::Abnormal, How::Status { code }),
            (None, Some(signal)) => (ExitKind::Abnormal, How::Signal { signal }),
            _ => (
                ExitKind::Abnormal,
                How::Other {
                    detail: s.to_string(),
                },
            ),
        },
        Err(e) => (
            ExitKind::Abnormal,
            How::WaitFailed {
                error: e.to_string(),
            },
        ),
    }
}

/// A duration in whole milliseconds, for events.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl<L: Launcher> Supervisor<L> {
    /// A supervisor of `apps` (in start order); nothing starts before [`Self::run`] or
    /// [`Self::start_all`].
    pub(crate) fn new(apps: Vec<App>, launcher: L, stop_timeout: Duration, logger: Logger) -> Self {
        let slots = apps
            .into_iter()
            .map(|app| Slot {
                tracker: RestartTracker::new(app.restart),
                app,
                state: State::Down,
                generation: 0,
            })
            .collect();
        Supervisor {
            slots,
            launcher,
            stop_timeout,
            logger,
            mode: Mode::Running,
            outcome: Outcome::Stopped,
        }
    }

    /// Starts every app, then handles `inbox` and timers until the system ends.
    pub(crate) fn run(&mut self, inbox: Receiver<Control>) -> Outcome {
        self.start_all();
        loop {
            if let Some(outcome) = self.ended() {
                return outcome;
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
            if let Some(message) = message {
                self.handle(message);
            }
            self.fire_timers(Instant::now());
        }
    }

    /// Starts every app in order.
    pub(crate) fn start_all(&mut self) {
        for i in 0..self.slots.len() {
            self.start(i);
        }
    }

    /// `Some(outcome)` once the system is shutting down and no app is alive.
    pub(crate) fn ended(&self) -> Option<Outcome> {
        if self.mode == Mode::ShuttingDown && !self.slots.iter().any(Slot::is_alive) {
            self.logger.event(ROOT, Event::SystemDown);
            return Some(self.outcome.clone());
        }
        None
    }

    /// Acts on one message.
    pub(crate) fn handle(&mut self, message: Control) {
        match message {
            Control::Exited {
                slot,
                generation,
                status,
            } => self.exited(slot, generation, status),
            Control::RestartAll { asked_by } => self.restart_all(&asked_by),
            Control::RestartApp { app, asked_by } => self.restart_app(&app, &asked_by),
            Control::Shutdown { reason } => self.shutdown(&reason),
            Control::Status { reply } => {
                let _ = reply.send(self.status());
            }
            Control::Switch { image, asked_by } if self.mode != Mode::ShuttingDown => {
                self.logger.event(
                    ROOT,
                    Event::SwitchAsked {
                        image: image.display().to_string(),
                        by: asked_by.clone(),
                    },
                );
                let why = format!(
                    "switching to the system in {} (asked by {asked_by})",
                    image.display()
                );
                self.outcome = Outcome::Switch(image);
                self.shutdown(&why);
            }
            Control::RollBack { reason } if self.mode != Mode::ShuttingDown => {
                self.outcome = Outcome::RollBack(reason.clone());
                self.shutdown(&format!("rolling back: {reason}"));
            }
            Control::Switch { .. } | Control::RollBack { .. } => {}
            Control::Health { reply } => {
                let _ = reply.send(self.health());
            }
        }
    }

    /// The earliest restart or kill timer, if any.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter_map(|s| match s.state {
                State::Waiting { until } => Some(until),
                State::Stopping { deadline, .. } => Some(deadline),
                _ => None,
            })
            .min()
    }

    /// Starts the apps whose backoff has passed by `now` and kills those that did not
    /// stop in time.
    pub(crate) fn fire_timers(&mut self, now: Instant) {
        for i in 0..self.slots.len() {
            match self.slots[i].state {
                State::Waiting { until } if until <= now => self.start(i),
                State::Stopping {
                    pid,
                    deadline,
                    then_start,
                } if deadline <= now => {
                    self.logger.event(
                        &self.slots[i].app.name,
                        Event::Killing {
                            stop_timeout_ms: millis(self.stop_timeout),
                        },
                    );
                    self.launcher.signal(pid, Stop::Kill);
                    // Wait for its exit report; give it a fresh deadline in case even
                    // that is slow, so the timer does not spin.
                    self.slots[i].state = State::Stopping {
                        pid,
                        deadline: now + self.stop_timeout,
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
        match self.launcher.start(i, generation, &slot.app) {
            Ok(pid) => {
                slot.state = State::Running { pid };
                slot.tracker.started(Instant::now());
                self.logger.event(&slot.app.name, Event::Started { pid });
            }
            Err(e) => self.exited(i, generation, Err(e)),
        }
    }

    fn exited(&mut self, i: usize, generation: u64, status: std::io::Result<ExitStatus>) {
        let mode = self.mode;
        if generation != self.slots[i].generation {
            return;
        }
        let (kind, how) = describe(&status);
        let exit = Exit {
            how,
            memory_limit_mib: self.launcher.ended(i),
        };
        let slot = &mut self.slots[i];
        let was_stopping = match slot.state {
            State::Stopping { then_start, .. } => Some(then_start),
            _ => None,
        };
        slot.state = State::Down;
        match (mode, was_stopping) {
            (Mode::Running, Some(then_start)) => {
                self.logger.event(&slot.app.name, Event::Stopped { exit });
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
                        self.logger.event(
                            &name,
                            Event::Restarting {
                                exit,
                                in_ms: millis(after),
                                restart: count,
                                max_restarts: policy.max_restarts,
                                max_seconds: policy.max_seconds,
                            },
                        );
                        slot.state = State::Waiting {
                            until: Instant::now() + after,
                        };
                    }
                    Decision::Stay(why) => self.logger.event(
                        &name,
                        Event::StaysDown {
                            exit,
                            why: why.to_string(),
                        },
                    ),
                    Decision::CrashLoop { failures, within } => self.logger.event(
                        &name,
                        Event::CrashLoop {
                            exit,
                            failures,
                            within_s: within.as_secs(),
                        },
                    ),
                    Decision::GiveUp { restarts, within } => self.logger.event(
                        &name,
                        Event::GaveUp {
                            exit,
                            restarts,
                            within_s: within.as_secs(),
                            max_restarts: policy.max_restarts,
                            max_seconds: policy.max_seconds,
                        },
                    ),
                }
            }
            (Mode::RestartingAll | Mode::ShuttingDown, _) => {
                self.logger.event(&slot.app.name, Event::Stopped { exit });
            }
        }
        if self.mode == Mode::RestartingAll && !self.slots.iter().any(Slot::is_alive) {
            self.mode = Mode::Running;
            self.logger.event(ROOT, Event::RestartingAll);
            self.start_all();
        }
    }

    /// Every app's state, pid and resident memory while it runs, and restarts.
    pub(crate) fn status(&self) -> Vec<AppReport> {
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
                    rss_kib: pid.map(|p| self.launcher.resident_kib(p)),
                    restarts: u32::try_from(slot.generation.saturating_sub(1)).unwrap_or(u32::MAX),
                }
            })
            .collect()
    }

    /// Up: every app that is not `temporary` runs in its first process.
    pub(crate) fn health(&self) -> Health {
        let mut down = Vec::new();
        for slot in &self.slots {
            if slot.app.restart.mode == kos_manifest::RestartMode::Temporary {
                continue;
            }
            let restarts = slot.generation.saturating_sub(1);
            match slot.state {
                State::Running { .. } if restarts == 0 => {}
                State::Running { .. } => down.push(match restarts {
                    1 => format!("{} restarted once", slot.app.name),
                    n => format!("{} restarted {n} times", slot.app.name),
                }),
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

    /// Asks every live app to stop; waiting ones are cancelled.
    fn stop_all(&mut self) {
        let deadline = Instant::now() + self.stop_timeout;
        for slot in &mut self.slots {
            match slot.state {
                State::Running { pid } => {
                    self.launcher.signal(pid, Stop::Ask);
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
        self.logger.event(
            ROOT,
            Event::RestartAllAsked {
                by: asked_by.to_string(),
            },
        );
        self.mode = Mode::RestartingAll;
        for slot in &mut self.slots {
            slot.tracker.reset();
        }
        self.stop_all();
        if !self.slots.iter().any(Slot::is_alive) {
            self.mode = Mode::Running;
            self.start_all();
        }
    }

    fn restart_app(&mut self, app: &str, asked_by: &str) {
        if self.mode != Mode::Running {
            return;
        }
        let Some(i) = self.slots.iter().position(|s| s.app.name == app) else {
            return;
        };
        self.logger.event(
            ROOT,
            Event::RestartAppAsked {
                target: app.to_string(),
                by: asked_by.to_string(),
            },
        );
        match self.slots[i].state {
            State::Running { pid } => {
                self.launcher.signal(pid, Stop::Ask);
                self.slots[i].state = State::Stopping {
                    pid,
                    deadline: Instant::now() + self.stop_timeout,
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
        self.logger.event(
            ROOT,
            Event::ShuttingDown {
                reason: reason.to_string(),
            },
        );
        self.mode = Mode::ShuttingDown;
        self.stop_all();
    }

    /// The launcher, for tests to look at what it was asked.
    #[cfg(test)]
    pub(crate) fn launcher(&self) -> &L {
        &self.launcher
    }

    /// The launcher, for tests to script what it reports.
    #[cfg(test)]
    pub(crate) fn launcher_mut(&mut self) -> &mut L {
        &mut self.launcher
    }
}
