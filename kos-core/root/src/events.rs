//! Every line KOS itself writes about a system, as a typed event.
//!
//! Each event has a stable snake_case name and typed fields, and reads as one English
//! sentence. `kos run` writes the sentence (`--log-format text`) or one JSON object
//! with the name under `event`, the fields beside it and the sentence under `message`
//! (`--log-format json`). Tools and tests match on names and fields, so rewording a
//! sentence breaks nobody. The names are part of KOS's interface: add events freely,
//! rename none.

use std::fmt;

use serde::Serialize;

/// How an app's process ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exit {
    /// What ended it.
    #[serde(flatten)]
    pub how: How,
    /// The app's memory budget when the kernel killed it for going over it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_limit_mib: Option<u64>,
}

/// What ended a process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum How {
    /// Exit status 0.
    Normal,
    /// A non-zero exit status.
    Status {
        /// The status.
        code: i32,
    },
    /// Killed by a signal.
    Signal {
        /// The signal's number.
        signal: i32,
    },
    /// Something else the operating system reported.
    Other {
        /// What it reported.
        detail: String,
    },
    /// The process could not be waited for.
    WaitFailed {
        /// Why.
        error: String,
    },
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match &self.how {
            How::Normal => "exited normally".to_string(),
            How::Status { code } => format!("exited with status {code}"),
            How::Signal { signal } => format!("killed by signal {signal}"),
            How::Other { detail } => format!("ended: {detail}"),
            How::WaitFailed { error } => format!("could not be waited for: {error}"),
        };
        match self.memory_limit_mib {
            Some(limit) => write!(
                f,
                "exceeded its memory budget of {limit} MiB and was killed by the kernel ({how})"
            ),
            None => f.write_str(&how),
        }
    }
}

/// One thing KOS reports about a system or one of its apps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// `kos run` boots a system image.
    Booting {
        /// The manifest.
        manifest: String,
        /// How many apps it has.
        apps: usize,
        /// How many message servers.
        msg_servers: usize,
        /// Where native binaries come from.
        bin_dir: String,
    },
    /// A message server is serving.
    MsgServerUp {
        /// Its name.
        server: String,
    },
    /// Something a message server noticed (refusals, disconnections).
    MsgServer {
        /// What.
        detail: String,
    },
    /// A BEAM app's budget is below what an idle VM needs.
    LowMemoryBudget {
        /// The budget.
        memory_mib: u32,
        /// About what an idle VM needs.
        comfortable_mib: u32,
    },
    /// Apps run under users of their own, `no_new_privs` and the seccomp filter.
    Isolated {
        /// How many system calls the filter refuses.
        refused_calls: usize,
        /// The apps that keep the server's user, each with why.
        privileged: Vec<String>,
    },
    /// Apps run as the root server's own user: nothing keeps one from another.
    NotIsolated {
        /// Why.
        why: String,
    },
    /// One app runs as the server's own user: its program is out of other users' reach.
    NotIsolatedApp {
        /// Which path, and what it lacks.
        why: String,
    },
    /// Memory budgets cannot be enforced on this machine.
    NoMemoryGroups {
        /// Why.
        error: String,
    },
    /// An app's process started.
    Started {
        /// Its process id.
        pid: u32,
    },
    /// An app could not be given a channel to a message server it is granted.
    CannotAttach {
        /// The message server.
        server: String,
        /// Why.
        error: String,
    },
    /// An app runs without its memory budget enforced.
    NoMemoryGroup {
        /// Why.
        error: String,
    },
    /// A BEAM app's VM ended before its application started: the reason from its
    /// output, which is kept whole in the app's recent lines.
    StartFailed {
        /// The exception or error that stopped it.
        reason: String,
    },
    /// An app's program could not be started.
    FailedToStart {
        /// The program.
        binary: String,
        /// Why.
        error: String,
    },
    /// `_root` cannot learn when a process ends.
    CannotWatch {
        /// The process.
        pid: u32,
        /// Why.
        error: String,
    },
    /// An app stopped because it was asked to (restart, shutdown).
    Stopped {
        /// How it ended.
        exit: Exit,
    },
    /// An app ended by itself and will be started again.
    Restarting {
        /// How it ended.
        exit: Exit,
        /// In how many milliseconds it starts again.
        in_ms: u64,
        /// Which restart this is within the window.
        restart: u32,
        /// The manifest's restart limit.
        max_restarts: u32,
        /// The manifest's window, in seconds.
        max_seconds: u32,
    },
    /// An app ended by itself and its restart policy keeps it down.
    StaysDown {
        /// How it ended.
        exit: Exit,
        /// Why it stays down.
        why: String,
    },
    /// An app crashed too often: it stays down.
    GaveUp {
        /// How it ended the last time.
        exit: Exit,
        /// Restarts within the window.
        restarts: u32,
        /// The window that was reached, in seconds.
        within_s: u64,
        /// The manifest's restart limit.
        max_restarts: u32,
        /// The manifest's window, in seconds.
        max_seconds: u32,
    },
    /// An app's starts keep failing within one intensity window, more than its
    /// `max_restarts` in a row, however far apart: it stays down.
    CrashLoop {
        /// How it ended the last time.
        exit: Exit,
        /// Failed starts in a row.
        failures: u32,
        /// The window none of them outlived, in seconds.
        within_s: u64,
    },
    /// An app did not stop in time and is killed.
    Killing {
        /// How long it was given, in milliseconds.
        stop_timeout_ms: u64,
    },
    /// Somebody asked for every app to be restarted.
    RestartAllAsked {
        /// Who asked.
        by: String,
    },
    /// Every app has stopped for a restart of all; they start again now.
    RestartingAll,
    /// Somebody asked for one app to be restarted.
    RestartAppAsked {
        /// The app.
        target: String,
        /// Who asked.
        by: String,
    },
    /// Somebody asked for the system to switch to an upgrade image.
    SwitchAsked {
        /// The image directory.
        image: String,
        /// Who asked.
        by: String,
    },
    /// The system is stopping every app.
    ShuttingDown {
        /// Why.
        reason: String,
    },
    /// Every app has stopped; the system is down.
    SystemDown,
    /// `_root` stopped serving its protocol.
    RootProtocolStopped {
        /// Why.
        error: String,
    },
    /// `_root` refused an app's request.
    RequestRefused {
        /// The request's label.
        label: u64,
        /// The app that asked.
        by: String,
        /// The status it got.
        status: String,
    },
    /// `_root` refused an upgrade image.
    UpgradeRefused {
        /// The image directory.
        image: String,
        /// The app that asked.
        by: String,
        /// Why.
        reason: String,
    },
    /// An upgrade image boots, on trial.
    UpgradeOnTrial {
        /// The image directory.
        image: String,
        /// The trial window, in milliseconds.
        trial_ms: u64,
    },
    /// The upgrade image did not boot; the previous system comes back.
    UpgradeFailedToBoot {
        /// Why.
        error: String,
    },
    /// Every app of the upgraded system stayed up through the trial.
    UpgradeKept,
    /// The command line's system boots from a copy taken now.
    BootingCopy {
        /// Its manifest.
        of: String,
        /// The copy of the compiled manifest.
        copy: String,
        /// The BEAM builds it boots from (copied when they lay in the manifest's
        /// directory).
        beam_dir: String,
    },
    /// `kos run` boots the kept upgrade its boot target names, not its command line's.
    BootingKeptUpgrade {
        /// The image directory.
        image: String,
        /// The boot target file.
        boot_target: String,
    },
    /// The boot target's image cannot boot (gone, or it no longer checks out): the
    /// command line's system boots.
    BootTargetUnusable {
        /// The image directory (or the boot target file, if unreadable).
        image: String,
        /// Why.
        error: String,
    },
    /// A kept upgrade is the boot target now.
    BootTargetSet {
        /// The image directory.
        image: String,
        /// The boot target file.
        boot_target: String,
    },
    /// A kept upgrade could not be made the boot target.
    BootTargetNotSet {
        /// The boot target file.
        boot_target: String,
        /// Why.
        error: String,
    },
    /// The upgraded system was given up; the previous system comes back.
    UpgradeRolledBack {
        /// Why.
        reason: String,
    },
}

/// `1 app`, `2 apps`: a count with its noun.
pub fn count(n: usize, one: &str, many: &str) -> String {
    let noun = if n == 1 { one } else { many };
    format!("{n} {noun}")
}

impl Event {
    /// The event's name, as written under `event`.
    pub fn name(&self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => match map.get("event") {
                Some(serde_json::Value::String(name)) => name.clone(),
                _ => String::new(),
            },
            _ => String::new(),
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Booting {
                manifest,
                apps,
                msg_servers,
                bin_dir,
            } => write!(
                f,
                "booting {manifest} ({}, {}; binaries from {bin_dir})",
                count(*apps, "app", "apps"),
                count(*msg_servers, "message server", "message servers")
            ),
            Event::MsgServerUp { server } => write!(f, "message server `{server}` up"),
            Event::MsgServer { detail } => f.write_str(detail),
            Event::LowMemoryBudget {
                memory_mib,
                comfortable_mib,
            } => write!(
                f,
                "warning: memory_mib = {memory_mib} is below what an idle Erlang VM needs \
                 (about {comfortable_mib} MiB); it may be killed at start"
            ),
            Event::Isolated {
                refused_calls,
                privileged,
            } => {
                write!(
                    f,
                    "each app runs under a user of its own (uids from {:#x}), with no_new_privs and a seccomp filter refusing {refused_calls} system calls",
                    crate::isolation::FIRST_APP_UID
                )?;
                if !privileged.is_empty() {
                    write!(f, "; this server's user kept by {}", privileged.join(", "))?;
                }
                Ok(())
            }
            Event::NotIsolated { why } => write!(
                f,
                "apps run as this server's own user, not isolated from one another: {why}"
            ),
            Event::NotIsolatedApp { why } => write!(
                f,
                "runs as this server's own user, not isolated: {why} (move the checkout or project out of a private home directory, or open it with chmod o+x)"
            ),
            Event::NoMemoryGroups { error } => f.write_str(error),
            Event::Started { pid } => write!(f, "started (pid {pid})"),
            Event::CannotAttach { server, error } => {
                write!(f, "cannot attach to `{server}`: {error}")
            }
            Event::NoMemoryGroup { error } => write!(f, "runs without a memory group: {error}"),
            Event::StartFailed { reason } => write!(
                f,
                "its application failed to start: {reason} (the whole report: kos logs)"
            ),
            Event::FailedToStart { binary, error } => {
                write!(f, "failed to start {binary}: {error}")
            }
            Event::CannotWatch { pid, error } => write!(f, "cannot watch pid {pid}: {error}"),
            // SIGTERM is how an app is asked to stop: dying of it is a stop as asked.
            Event::Stopped {
                exit:
                    Exit {
                        how: How::Signal { signal: 15 },
                        memory_limit_mib: None,
                    },
            } => f.write_str("stopped (on SIGTERM, as asked)"),
            Event::Stopped { exit } => write!(f, "stopped ({exit})"),
            Event::Restarting {
                exit,
                in_ms,
                restart,
                max_restarts,
                max_seconds,
            } => write!(
                f,
                "{exit}; restarting in {in_ms} ms (restart {restart} of {max_restarts} allowed within {max_seconds} s)"
            ),
            Event::StaysDown { exit, why } => write!(f, "{exit}; {why}"),
            Event::GaveUp {
                exit,
                restarts,
                within_s,
                max_restarts,
                max_seconds,
            } => write!(
                f,
                "{exit}; giving up: {restarts} restarts within {within_s} s reached the restart \
                 intensity limit (max_restarts = {max_restarts}, max_seconds = {max_seconds}); it stays down"
            ),
            Event::CrashLoop {
                exit,
                failures,
                within_s,
            } => write!(
                f,
                "{exit}; giving up: a crash loop — {failures} starts in a row each ended within {within_s} s; it stays down"
            ),
            Event::Killing { stop_timeout_ms } => write!(
                f,
                "did not stop within {stop_timeout_ms} ms; killing it"
            ),
            Event::RestartAllAsked { by } => write!(f, "{by} asked to restart all applications"),
            Event::RestartingAll => f.write_str("all apps stopped; starting them again"),
            Event::RestartAppAsked { target, by } => write!(f, "{by} asked to restart {target}"),
            Event::SwitchAsked { image, by } => {
                write!(f, "{by} asked to switch to the system in {image}")
            }
            Event::ShuttingDown { reason } => {
                write!(f, "shutting down ({reason}): stopping all apps")
            }
            Event::SystemDown => f.write_str("all apps stopped; system down"),
            Event::RootProtocolStopped { error } => write!(f, "root protocol stopped: {error}"),
            Event::RequestRefused { label, by, status } => {
                write!(f, "refused request {label} from {by}: {status}")
            }
            Event::UpgradeRefused { image, by, reason } => {
                write!(f, "refused upgrade to {image} from {by}: {reason}")
            }
            Event::UpgradeOnTrial { image, trial_ms } => write!(
                f,
                "upgrade: booting {image} on trial for {}",
                humantime::format_duration(std::time::Duration::from_millis(*trial_ms))
            ),
            Event::UpgradeFailedToBoot { error } => {
                write!(f, "upgrade failed to boot: {error}; rolling back")
            }
            Event::UpgradeKept => f.write_str("upgrade kept: every app stayed up through the trial"),
            Event::UpgradeRolledBack { reason } => write!(f, "upgrade rolled back: {reason}"),
            Event::BootingCopy { of, copy, beam_dir } => write!(
                f,
                "booting a copy of {of} ({copy}, BEAM builds from {beam_dir}): rebuilding its files changes neither what runs nor what a rollback boots"
            ),
            Event::BootingKeptUpgrade { image, boot_target } => write!(
                f,
                "booting the kept upgrade {image} (the boot target in {boot_target}), not the command line's system"
            ),
            Event::BootTargetUnusable { image, error } => write!(
                f,
                "the boot target {image} cannot boot ({error}); booting the command line's system"
            ),
            Event::BootTargetSet { image, boot_target } => {
                write!(f, "{image} is the boot target now ({boot_target})")
            }
            Event::BootTargetNotSet { boot_target, error } => write!(
                f,
                "could not make the kept upgrade the boot target ({boot_target}): {error}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_its_name_its_fields_and_a_sentence() {
        let event = Event::Restarting {
            exit: Exit {
                how: How::Status { code: 3 },
                memory_limit_mib: None,
            },
            in_ms: 200,
            restart: 2,
            max_restarts: 3,
            max_seconds: 5,
        };
        assert_eq!(event.name(), "restarting");
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({
                "event": "restarting",
                "exit": {"how": "status", "code": 3},
                "in_ms": 200, "restart": 2, "max_restarts": 3, "max_seconds": 5,
            })
        );
        assert_eq!(
            event.to_string(),
            "exited with status 3; restarting in 200 ms (restart 2 of 3 allowed within 5 s)"
        );
    }

    #[test]
    fn a_kill_for_memory_says_the_budget() {
        let exit = Exit {
            how: How::Signal { signal: 9 },
            memory_limit_mib: Some(96),
        };
        assert_eq!(
            serde_json::to_value(Event::Stopped { exit: exit.clone() }).unwrap(),
            serde_json::json!({
                "event": "stopped",
                "exit": {"how": "signal", "signal": 9, "memory_limit_mib": 96},
            })
        );
        assert_eq!(
            exit.to_string(),
            "exceeded its memory budget of 96 MiB and was killed by the kernel (killed by signal 9)"
        );
    }

    #[test]
    fn sentences_read_as_people_write_them() {
        let asked = Event::Stopped {
            exit: Exit {
                how: How::Signal { signal: 15 },
                memory_limit_mib: None,
            },
        };
        assert_eq!(asked.to_string(), "stopped (on SIGTERM, as asked)");
        let killed = Event::Stopped {
            exit: Exit {
                how: How::Signal { signal: 9 },
                memory_limit_mib: None,
            },
        };
        assert_eq!(killed.to_string(), "stopped (killed by signal 9)");
        let boot = Event::Booting {
            manifest: "s.dts".into(),
            apps: 1,
            msg_servers: 2,
            bin_dir: "bin".into(),
        };
        assert_eq!(
            boot.to_string(),
            "booting s.dts (1 app, 2 message servers; binaries from bin)"
        );
    }

    #[test]
    fn a_crash_loop_says_so() {
        let event = Event::CrashLoop {
            exit: Exit {
                how: How::Status { code: 3 },
                memory_limit_mib: None,
            },
            failures: 4,
            within_s: 5,
        };
        assert_eq!(event.name(), "crash_loop");
        assert_eq!(
            event.to_string(),
            "exited with status 3; giving up: a crash loop — 4 starts in a row each ended within 5 s; it stays down"
        );
    }

    #[test]
    fn events_without_fields_are_their_name() {
        assert_eq!(
            serde_json::to_value(Event::UpgradeKept).unwrap(),
            serde_json::json!({"event": "upgrade_kept"})
        );
        assert_eq!(Event::SystemDown.name(), "system_down");
    }
}
