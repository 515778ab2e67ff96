//! The supervisor's decisions with a fake launcher: no process is started; the test
//! plays each app's exits and reads what the supervisor asked the launcher to do.

use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use kos_manifest::{App, AppKind, RestartMode, RestartPolicy};
use kos_msg::root::AppState;

use super::supervisor::{Launcher, Stop, Supervisor};
use super::{Control, Outcome};
use crate::Logger;

/// What the fake was asked, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Asked {
    Start { app: String, generation: u64 },
    Signal { pid: u32, stop: Stop },
}

#[derive(Default)]
struct Fake {
    asked: Vec<Asked>,
    /// pid → slot of every process started.
    pids: HashMap<u32, usize>,
    next_pid: u32,
    /// Apps whose next start fails.
    failing: Vec<String>,
    /// Slots whose process the kernel killed for memory (budget in MiB).
    oom: HashMap<usize, u64>,
}

impl Launcher for Fake {
    fn start(&mut self, slot: usize, generation: u64, app: &App) -> std::io::Result<u32> {
        self.asked.push(Asked::Start {
            app: app.name.clone(),
            generation,
        });
        if let Some(at) = self.failing.iter().position(|a| *a == app.name) {
            self.failing.remove(at);
            return Err(std::io::Error::other("no such binary"));
        }
        self.next_pid += 1;
        self.pids.insert(self.next_pid + 1000, slot);
        Ok(self.next_pid + 1000)
    }

    fn ended(&mut self, slot: usize) -> Option<u64> {
        self.oom.remove(&slot)
    }

    fn signal(&mut self, pid: u32, stop: Stop) {
        self.asked.push(Asked::Signal { pid, stop });
    }

    fn resident_kib(&self, _pid: u32) -> u64 {
        4096
    }
}

fn app(name: &str, mode: RestartMode, max_restarts: u32) -> App {
    App {
        name: name.into(),
        kind: AppKind::Native {
            binary: name.into(),
            heap_kib: 256,
        },
        msg_servers: vec![],
        restart: RestartPolicy {
            mode,
            max_restarts,
            max_seconds: 60,
            backoff_ms: 100,
            backoff_max_ms: 400,
        },
        args: vec![],
        env: vec![],
        tracing: None,
        network: None,
        i2c_bus: None,
        can_bus: None,
        i2c_addresses: vec![],
    }
}

struct Harness {
    sup: Supervisor<Fake>,
    log: Arc<Mutex<Vec<String>>>,
}

const STOP_TIMEOUT: Duration = Duration::from_secs(5);

impl Harness {
    fn new(apps: Vec<App>) -> Self {
        let (logger, log) = Logger::capturing();
        let mut sup = Supervisor::new(apps, Fake::default(), STOP_TIMEOUT, logger);
        sup.start_all();
        Harness { sup, log }
    }

    fn asked(&self) -> &[Asked] {
        &self.sup.launcher().asked
    }

    /// The pid of the app's running process.
    fn pid(&self, name: &str) -> u32 {
        let report = self.sup.status();
        let r = report.iter().find(|r| r.name == name).unwrap();
        r.pid
            .unwrap_or_else(|| panic!("{name} has no process: {:?}", r.state))
    }

    fn state(&self, name: &str) -> AppState {
        self.sup
            .status()
            .into_iter()
            .find(|r| r.name == name)
            .unwrap()
            .state
    }

    fn generation(&self, name: &str) -> u64 {
        u64::from(
            self.sup
                .status()
                .into_iter()
                .find(|r| r.name == name)
                .unwrap()
                .restarts,
        ) + 1
    }

    /// The app's current process exits with the raw wait status `raw`.
    fn exit(&mut self, name: &str, raw: i32) {
        let slot = self
            .sup
            .status()
            .iter()
            .position(|r| r.name == name)
            .unwrap();
        let generation = self.generation(name);
        self.sup.handle(Control::Exited {
            slot,
            generation,
            status: Ok(ExitStatus::from_raw(raw)),
        });
    }

    /// Runs every timer that is due within `after` from now.
    fn wait(&mut self, after: Duration) {
        self.sup.fire_timers(Instant::now() + after);
    }

    fn logged(&self, text: &str) -> bool {
        self.log.lock().unwrap().iter().any(|l| l.contains(text))
    }
}

const CRASH: i32 = 1 << 8; // exit status 1
const CLEAN: i32 = 0;
const KILLED: i32 = libc::SIGKILL;

fn started(app: &str, generation: u64) -> Asked {
    Asked::Start {
        app: app.into(),
        generation,
    }
}

#[test]
fn every_app_starts_in_order() {
    let h = Harness::new(vec![
        app("server", RestartMode::Permanent, 3),
        app("client", RestartMode::Permanent, 3),
    ]);
    assert_eq!(h.asked(), [started("server", 1), started("client", 1)]);
    assert!(h.sup.health().up);
}

#[test]
fn a_crashed_permanent_app_restarts_after_its_backoff() {
    let mut h = Harness::new(vec![app("echo", RestartMode::Permanent, 3)]);
    h.exit("echo", CRASH);
    assert_eq!(h.state("echo"), AppState::Restarting);
    assert!(h.logged("exited with status 1; restarting in 100 ms (restart 1 of 3"));
    assert!(!h.sup.health().up);
    // Not before the backoff...
    h.wait(Duration::ZERO);
    assert_eq!(h.asked().len(), 1);
    // ...and after it, as its second process.
    h.wait(Duration::from_millis(150));
    assert_eq!(h.asked().last(), Some(&started("echo", 2)));
    assert_eq!(h.state("echo"), AppState::Running);
    assert_eq!(h.sup.status()[0].restarts, 1);
}

#[test]
fn the_restart_intensity_limit_leaves_an_app_down_and_the_others_running() {
    let mut h = Harness::new(vec![
        app("crasher", RestartMode::Permanent, 2),
        app("steady", RestartMode::Permanent, 2),
    ]);
    for _ in 0..2 {
        h.exit("crasher", CRASH);
        h.wait(Duration::from_secs(1));
    }
    h.exit("crasher", KILLED);
    assert!(h.logged("killed by signal 9; giving up: 2 restarts within 60 s"));
    assert_eq!(h.state("crasher"), AppState::Down);
    h.wait(Duration::from_secs(10));
    assert_eq!(h.generation("crasher"), 3, "no fourth start");
    assert_eq!(h.state("steady"), AppState::Running);
    assert!(h.sup.health().detail.contains("crasher is down"));
}

#[test]
fn transient_and_temporary_apps_stay_down_when_their_policy_says_so() {
    let mut h = Harness::new(vec![
        app("job", RestartMode::Transient, 3),
        app("once", RestartMode::Temporary, 3),
    ]);
    h.exit("job", CLEAN);
    h.exit("once", CRASH);
    h.wait(Duration::from_secs(10));
    assert_eq!(h.state("job"), AppState::Down);
    assert_eq!(h.state("once"), AppState::Down);
    assert_eq!(h.asked().len(), 2, "neither started again");
    // A temporary app does not count against the system's health; the transient does.
    let health = h.sup.health();
    assert_eq!(health.detail, "job is down");
}

#[test]
fn an_exit_report_of_an_older_process_is_ignored() {
    let mut h = Harness::new(vec![app("echo", RestartMode::Permanent, 3)]);
    h.exit("echo", CRASH);
    h.wait(Duration::from_secs(1));
    // The first process's exit, reported again late: the second process runs on.
    h.sup.handle(Control::Exited {
        slot: 0,
        generation: 1,
        status: Ok(ExitStatus::from_raw(CRASH)),
    });
    assert_eq!(h.state("echo"), AppState::Running);
}

#[test]
fn a_start_that_fails_counts_as_a_crash() {
    let mut fake = Fake::default();
    fake.failing.push("echo".into());
    let (logger, log) = Logger::capturing();
    let mut sup = Supervisor::new(
        vec![app("echo", RestartMode::Permanent, 3)],
        fake,
        STOP_TIMEOUT,
        logger,
    );
    sup.start_all();
    assert_eq!(sup.status()[0].state, AppState::Restarting);
    assert!(log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("could not be waited for: no such binary; restarting")));
    sup.fire_timers(Instant::now() + Duration::from_secs(1));
    assert_eq!(sup.status()[0].state, AppState::Running);
}

#[test]
fn a_memory_kill_is_named_in_the_log() {
    let mut h = Harness::new(vec![app("vm", RestartMode::Permanent, 3)]);
    // The launcher finds, when the process ends, that the kernel killed it for memory.
    h.sup.launcher_mut().oom.insert(0, 48);
    h.exit("vm", KILLED);
    assert!(h.logged(
        "exceeded its memory budget of 48 MiB and was killed by the kernel (killed by signal 9)"
    ));
    assert_eq!(h.state("vm"), AppState::Restarting);
}

#[test]
fn restarting_one_app_asks_it_to_stop_then_starts_it_again() {
    let mut h = Harness::new(vec![
        app("a", RestartMode::Permanent, 3),
        app("b", RestartMode::Permanent, 3),
    ]);
    let pid = h.pid("a");
    h.sup.handle(Control::RestartApp {
        app: "a".into(),
        asked_by: "device_admin".into(),
    });
    assert_eq!(
        h.asked().last(),
        Some(&Asked::Signal {
            pid,
            stop: Stop::Ask
        })
    );
    assert_eq!(h.state("a"), AppState::Stopping);
    h.exit("a", CLEAN);
    assert_eq!(h.asked().last(), Some(&started("a", 2)));
    assert!(h.logged("[_root] device_admin asked to restart a"));
    // An unknown app is no request at all.
    h.sup.handle(Control::RestartApp {
        app: "nobody".into(),
        asked_by: "device_admin".into(),
    });
    assert_eq!(h.generation("b"), 1);
}

#[test]
fn restarting_all_stops_every_app_and_starts_them_once_all_are_down() {
    let mut h = Harness::new(vec![
        app("a", RestartMode::Permanent, 3),
        app("b", RestartMode::Permanent, 3),
    ]);
    let (pa, pb) = (h.pid("a"), h.pid("b"));
    h.sup.handle(Control::RestartAll {
        asked_by: "orbit".into(),
    });
    assert!(h.asked().contains(&Asked::Signal {
        pid: pa,
        stop: Stop::Ask
    }));
    assert!(h.asked().contains(&Asked::Signal {
        pid: pb,
        stop: Stop::Ask
    }));
    h.exit("a", CLEAN);
    // One still stopping: nothing starts yet.
    assert_eq!(h.generation("a"), 1);
    assert_eq!(h.state("a"), AppState::Down);
    h.exit("b", KILLED);
    assert_eq!(h.generation("a"), 2);
    assert_eq!(h.generation("b"), 2);
    assert_eq!(h.state("b"), AppState::Running);
}

#[test]
fn an_app_that_ignores_its_stop_is_killed_after_the_stop_timeout() {
    let mut h = Harness::new(vec![app("stubborn", RestartMode::Permanent, 3)]);
    let pid = h.pid("stubborn");
    h.sup.handle(Control::Shutdown {
        reason: "Ctrl-C".into(),
    });
    assert_eq!(
        h.asked().last(),
        Some(&Asked::Signal {
            pid,
            stop: Stop::Ask
        })
    );
    h.wait(STOP_TIMEOUT / 2);
    assert_eq!(h.asked().len(), 2, "not killed early");
    h.wait(STOP_TIMEOUT + Duration::from_millis(1));
    assert_eq!(
        h.asked().last(),
        Some(&Asked::Signal {
            pid,
            stop: Stop::Kill
        })
    );
    assert!(h.sup.ended().is_none(), "it has not exited yet");
    h.exit("stubborn", KILLED);
    assert_eq!(h.sup.ended(), Some(Outcome::Stopped));
}

#[test]
fn a_switch_ends_the_system_with_the_new_image_and_cancels_pending_restarts() {
    let mut h = Harness::new(vec![
        app("a", RestartMode::Permanent, 3),
        app("b", RestartMode::Permanent, 3),
    ]);
    h.exit("b", CRASH); // waiting to restart
    h.sup.handle(Control::Switch {
        image: "/images/image-1".into(),
        asked_by: "device_admin".into(),
    });
    // A rollback asked for during the switch changes nothing.
    h.sup.handle(Control::RollBack {
        reason: "late".into(),
    });
    h.exit("a", CLEAN);
    h.wait(Duration::from_secs(10));
    assert_eq!(h.generation("b"), 1, "the pending restart was cancelled");
    assert_eq!(
        h.sup.ended(),
        Some(Outcome::Switch("/images/image-1".into()))
    );
}

#[test]
fn status_and_health_answer_through_their_channels() {
    let mut h = Harness::new(vec![app("a", RestartMode::Permanent, 3)]);
    let (reply, answer) = mpsc::channel();
    h.sup.handle(Control::Status { reply });
    let report = answer.recv().unwrap();
    assert_eq!(report[0].name, "a");
    assert_eq!(report[0].state, AppState::Running);
    assert_eq!(report[0].rss_kib, Some(4096));
    let (reply, answer) = mpsc::channel();
    h.sup.handle(Control::Health { reply });
    assert!(answer.recv().unwrap().up);
}
