//! A BEAM app's output until its application has started. An Erlang VM whose
//! application fails to start prints the whole story — Logger's report of the
//! exception and its stack, the kernel's `Kernel pid terminated` term, twice — tens of
//! lines a start, again at every restart. So its lines are held until the VM says its
//! application started (`beam_host::STARTED_MARKER`): then they are logged as they
//! came; if its streams end first, they go to the app's recent lines only (`kos logs
//! APP` shows them) and the log gets one line with the reason
//! ([`crate::Event::StartFailed`]). Held lines are let through after [`HOLD_AT_MOST`]
//! or [`MAX_HELD`] lines, so an app slow to start is not silent for long.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::{Event, Logger};

/// Longest a line is held.
pub const HOLD_AT_MOST: Duration = Duration::from_secs(10);
/// Most lines held.
const MAX_HELD: usize = 400;
/// Longest reason shown on the one line.
const MAX_REASON: usize = 300;

enum State {
    /// Holding these lines; this many streams are still open.
    Holding { lines: Vec<String>, open: usize },
    /// Lines go straight to the log.
    Open,
}

/// The gate for one start of one app, shared by its output's readers.
#[derive(Clone)]
pub struct StartGate {
    app: Arc<str>,
    logger: Logger,
    state: Arc<Mutex<State>>,
}

impl StartGate {
    /// A closed gate for `app`'s `streams` output streams, opened by a timer after
    /// [`HOLD_AT_MOST`].
    pub fn new(app: &str, logger: Logger, streams: usize) -> StartGate {
        let gate = StartGate {
            app: app.into(),
            logger,
            state: Arc::new(Mutex::new(State::Holding {
                lines: Vec::new(),
                open: streams,
            })),
        };
        let timer = gate.clone();
        let _ = std::thread::Builder::new()
            .name(format!("start-gate-{app}"))
            .spawn(move || {
                std::thread::sleep(HOLD_AT_MOST);
                timer.open();
            });
        gate
    }

    /// A line the app printed.
    pub fn line(&self, text: &str) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *state {
            State::Open => {
                drop(state);
                self.logger.app_output(&self.app, text);
            }
            State::Holding { lines, .. } => {
                if text == beam_host::STARTED_MARKER {
                    drop(state);
                    self.open();
                } else {
                    lines.push(text.to_string());
                    if lines.len() >= MAX_HELD {
                        drop(state);
                        self.open();
                    }
                }
            }
        }
    }

    /// One of the app's streams ended: when the last one does with the gate still
    /// closed, the start failed.
    pub fn stream_ended(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let State::Holding { lines, open } = &mut *state else {
            return;
        };
        *open = open.saturating_sub(1);
        if *open > 0 {
            return;
        }
        let lines = std::mem::take(lines);
        *state = State::Open;
        drop(state);
        for line in &lines {
            self.logger.app_output_kept(&self.app, line);
        }
        self.logger.event(
            &self.app,
            Event::StartFailed {
                reason: start_failure_reason(&lines),
            },
        );
    }

    /// Lets the held lines, and every later one, through.
    fn open(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let State::Holding { lines, .. } = &mut *state else {
            return;
        };
        let lines = std::mem::take(lines);
        *state = State::Open;
        // Logged under the lock, so a line that comes meanwhile waits its turn.
        for line in &lines {
            self.logger.app_output(&self.app, line);
        }
    }
}

/// The reason in a failed start's output: the exception Elixir's report names
/// (`** (RuntimeError) text`), else the start expression's own `cannot start` line,
/// else the kernel's `Kernel pid terminated` line, else the last line.
pub fn start_failure_reason(lines: &[String]) -> String {
    let trimmed = lines.iter().map(|l| l.trim());
    let reason = trimmed
        .clone()
        .rev()
        .find_map(|l| {
            let rest = l.strip_prefix("** (")?;
            let (kind, text) = rest.split_once(") ")?;
            (kind != "EXIT").then(|| format!("{kind}: {text}"))
        })
        .or_else(|| {
            trimmed
                .clone()
                .find(|l| l.starts_with("cannot start "))
                .map(str::to_string)
        })
        .or_else(|| {
            trimmed
                .clone()
                .find(|l| l.starts_with("Kernel pid terminated"))
                .map(str::to_string)
        })
        .or_else(|| {
            trimmed
                .clone()
                .rev()
                .find(|l| !l.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "it printed nothing".to_string());
    match reason.char_indices().nth(MAX_REASON) {
        Some((cut, _)) => format!("{}…", &reason[..cut]),
        None => reason,
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn the_exception_is_the_reason() {
        let out = lines(
            "notice: Application device_admin exited: DeviceAdmin.Application.start(:normal, []) returned an error: shutdown: failed to start child: DeviceAdmin.Link
    ** (EXIT) an exception was raised:
        ** (RuntimeError) device_admin: cannot read key /k.pem: permission denied
            (device_admin 0.1.0) lib/device_admin/link.ex:42: DeviceAdmin.Link.init/1
Kernel pid terminated (application_controller) ({application_start_failure,device_admin,{...}})",
        );
        assert_eq!(
            start_failure_reason(&out),
            "RuntimeError: device_admin: cannot read key /k.pem: permission denied"
        );
    }

    #[test]
    fn without_an_exception_the_start_line_or_the_kernel_line_or_the_last_line() {
        assert_eq!(
            start_failure_reason(&lines("x\ncannot start hog: {bad,1}\ny")),
            "cannot start hog: {bad,1}"
        );
        assert_eq!(
            start_failure_reason(&lines("a\nKernel pid terminated (x) (y)\n")),
            "Kernel pid terminated (x) (y)"
        );
        assert_eq!(start_failure_reason(&lines("one\ntwo\n\n")), "two");
        assert_eq!(start_failure_reason(&[]), "it printed nothing");
        let long = "z".repeat(1000);
        assert_eq!(
            start_failure_reason(&[long]).chars().count(),
            MAX_REASON + 1
        );
    }

    #[test]
    fn lines_wait_for_the_start_and_then_come_in_order() {
        let (logger, captured) = Logger::capturing();
        let gate = StartGate::new("app", logger, 2);
        gate.line("one");
        gate.line("two");
        assert!(captured.lock().unwrap().is_empty());
        gate.line(beam_host::STARTED_MARKER);
        gate.line("three");
        assert_eq!(
            *captured.lock().unwrap(),
            ["[app] one", "[app] two", "[app] three"]
        );
        // A stream ending after the start says nothing more.
        gate.stream_ended();
        gate.stream_ended();
        assert_eq!(captured.lock().unwrap().len(), 3);
    }

    #[test]
    fn a_start_that_fails_is_one_line() {
        let (logger, captured) = Logger::capturing();
        let gate = StartGate::new("app", logger, 2);
        gate.line("    ** (ArgumentError) bad key");
        gate.line("        lib/x.ex:1");
        gate.stream_ended();
        assert!(
            captured.lock().unwrap().is_empty(),
            "one stream is still open"
        );
        gate.stream_ended();
        let shown = captured.lock().unwrap().clone();
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert!(shown[0].contains("ArgumentError: bad key"), "{shown:?}");
    }
}
