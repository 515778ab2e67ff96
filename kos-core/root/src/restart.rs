//! Restart decisions, OTP style: restart types, backoff and restart intensity.
//!
//! Kept free of processes and clocks (the caller passes `now`) so every rule is
//! unit-tested.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use kos_manifest::{RestartMode, RestartPolicy};

/// How an app's process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// Exit status 0.
    Normal,
    /// A non-zero status or a signal.
    Abnormal,
}

/// What the root server does after an app exits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Start it again after `after`; this is restart number `count` in the window.
    Restart {
        /// Backoff before the restart.
        after: Duration,
        /// Restarts within the intensity window, this one included.
        count: u32,
    },
    /// Leave it stopped, as its restart type says.
    Stay(&'static str),
    /// Leave it stopped: restarting again would exceed the restart intensity.
    GiveUp {
        /// Restarts already made within the window.
        restarts: u32,
        /// The window.
        within: Duration,
    },
}

/// Restart history of one app.
#[derive(Debug, Clone)]
pub struct RestartTracker {
    policy: RestartPolicy,
    recent: VecDeque<Instant>,
}

impl RestartTracker {
    /// A tracker for an app with `policy`.
    pub fn new(policy: RestartPolicy) -> Self {
        RestartTracker {
            policy,
            recent: VecDeque::new(),
        }
    }

    /// Decides what to do about an exit at `now`.
    pub fn on_exit(&mut self, exit: ExitKind, now: Instant) -> Decision {
        match (self.policy.mode, exit) {
            (RestartMode::Temporary, _) => return Decision::Stay("temporary app: never restarted"),
            (RestartMode::Transient, ExitKind::Normal) => {
                return Decision::Stay("transient app exited normally: not restarted")
            }
            _ => {}
        }
        let within = Duration::from_secs(u64::from(self.policy.max_seconds));
        while self
            .recent
            .front()
            .is_some_and(|&t| now.duration_since(t) >= within)
        {
            self.recent.pop_front();
        }
        let restarts = self.recent.len() as u32;
        if restarts >= self.policy.max_restarts {
            return Decision::GiveUp { restarts, within };
        }
        self.recent.push_back(now);
        let count = restarts + 1;
        let doubling = 1u64.checked_shl(count - 1).unwrap_or(u64::MAX);
        let after_ms = u64::from(self.policy.backoff_ms)
            .saturating_mul(doubling)
            .min(u64::from(self.policy.backoff_max_ms));
        Decision::Restart {
            after: Duration::from_millis(after_ms),
            count,
        }
    }

    /// Forgets the history (after an intentional restart of the whole system).
    pub fn reset(&mut self) {
        self.recent.clear();
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn policy(mode: RestartMode) -> RestartPolicy {
        RestartPolicy {
            mode,
            max_restarts: 3,
            max_seconds: 5,
            backoff_ms: 100,
            backoff_max_ms: 300,
        }
    }

    #[test]
    fn restart_types_follow_otp() {
        let now = Instant::now();
        let mut temporary = RestartTracker::new(policy(RestartMode::Temporary));
        assert!(matches!(
            temporary.on_exit(ExitKind::Abnormal, now),
            Decision::Stay(_)
        ));
        let mut transient = RestartTracker::new(policy(RestartMode::Transient));
        assert!(matches!(
            transient.on_exit(ExitKind::Normal, now),
            Decision::Stay(_)
        ));
        assert!(matches!(
            transient.on_exit(ExitKind::Abnormal, now),
            Decision::Restart { .. }
        ));
        let mut permanent = RestartTracker::new(policy(RestartMode::Permanent));
        assert!(matches!(
            permanent.on_exit(ExitKind::Normal, now),
            Decision::Restart { .. }
        ));
    }

    #[test]
    fn backoff_doubles_up_to_its_ceiling() {
        let t0 = Instant::now();
        let mut t = RestartTracker::new(policy(RestartMode::Permanent));
        let delays: Vec<_> = (0..3)
            .map(
                |i| match t.on_exit(ExitKind::Abnormal, t0 + Duration::from_millis(i)) {
                    Decision::Restart { after, .. } => after.as_millis(),
                    d => panic!("{d:?}"),
                },
            )
            .collect();
        assert_eq!(delays, [100, 200, 300]);
    }

    #[test]
    fn more_than_max_restarts_in_the_window_gives_up() {
        let t0 = Instant::now();
        let mut t = RestartTracker::new(policy(RestartMode::Permanent));
        for i in 0..3 {
            assert!(matches!(
                t.on_exit(ExitKind::Abnormal, t0 + Duration::from_secs(i)),
                Decision::Restart { count, .. } if count == i as u32 + 1
            ));
        }
        assert_eq!(
            t.on_exit(ExitKind::Abnormal, t0 + Duration::from_secs(3)),
            Decision::GiveUp {
                restarts: 3,
                within: Duration::from_secs(5)
            }
        );
    }

    #[test]
    fn restarts_older_than_the_window_are_forgotten() {
        let t0 = Instant::now();
        let mut t = RestartTracker::new(policy(RestartMode::Permanent));
        for i in 0..3 {
            t.on_exit(ExitKind::Abnormal, t0 + Duration::from_secs(i * 2));
        }
        // At t0+6 s the restart at t0 has left the 5 s window: room for one more.
        assert!(matches!(
            t.on_exit(ExitKind::Abnormal, t0 + Duration::from_secs(6)),
            Decision::Restart { count: 3, .. }
        ));
    }
}
