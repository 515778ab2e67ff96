//! Restart decisions, OTP style: restart types, backoff and restart intensity.
//!
//! Kept free of processes and clocks (the caller passes `now`, of any [`Moment`]
//! type) so every rule is unit-tested, and so the hosted root server (`kos-root`, with
//! `std::time::Instant`) and the seL4 root task (with the TSC) take the same
//! decisions from the same manifest policy. `no_std` with `alloc`.
#![no_std]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

use alloc::collections::VecDeque;
use core::time::Duration;

use kos_manifest::{RestartMode, RestartPolicy};

/// A point in time: all the tracker needs is how long ago another one was.
pub trait Moment: Copy {
    /// The time from `earlier` to `self` (zero if `earlier` is later).
    fn since(self, earlier: Self) -> Duration;
}

#[cfg(feature = "std")]
impl Moment for std::time::Instant {
    fn since(self, earlier: Self) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

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
pub struct RestartTracker<T: Moment> {
    policy: RestartPolicy,
    recent: VecDeque<T>,
}

impl<T: Moment> RestartTracker<T> {
    /// A tracker for an app with `policy`.
    pub fn new(policy: RestartPolicy) -> Self {
        RestartTracker {
            policy,
            recent: VecDeque::new(),
        }
    }

    /// Decides what to do about an exit at `now`.
    pub fn on_exit(&mut self, exit: ExitKind, now: T) -> Decision {
        match (self.policy.mode, exit) {
            (RestartMode::Temporary, _) => return Decision::Stay("temporary app: never restarted"),
            (RestartMode::Transient, ExitKind::Normal) => {
                return Decision::Stay("transient app exited normally: not restarted")
            }
            _ => {}
        }
        let within = Duration::from_secs(u64::from(self.policy.max_seconds));
        while self.recent.front().is_some_and(|&t| now.since(t) >= within) {
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
    use std::vec::Vec;

    /// Milliseconds on a test's own clock.
    #[derive(Debug, Clone, Copy)]
    struct Ms(u64);

    impl Moment for Ms {
        fn since(self, earlier: Self) -> Duration {
            Duration::from_millis(self.0.saturating_sub(earlier.0))
        }
    }

    fn secs(s: u64) -> Ms {
        Ms(s * 1000)
    }

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
        let now = Ms(0);
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
        let mut t = RestartTracker::new(policy(RestartMode::Permanent));
        let delays: Vec<_> = (0..3)
            .map(|i| match t.on_exit(ExitKind::Abnormal, Ms(i)) {
                Decision::Restart { after, .. } => after.as_millis(),
                d => panic!("{d:?}"),
            })
            .collect();
        assert_eq!(delays, [100, 200, 300]);
    }

    #[test]
    fn more_than_max_restarts_in_the_window_gives_up() {
        let mut t = RestartTracker::new(policy(RestartMode::Permanent));
        for i in 0..3 {
            assert!(matches!(
                t.on_exit(ExitKind::Abnormal, secs(i)),
                Decision::Restart { count, .. } if count == i as u32 + 1
            ));
        }
        assert_eq!(
            t.on_exit(ExitKind::Abnormal, secs(3)),
            Decision::GiveUp {
                restarts: 3,
                within: Duration::from_secs(5)
            }
        );
    }

    #[test]
    fn restarts_older_than_the_window_are_forgotten() {
        let mut t = RestartTracker::new(policy(RestartMode::Permanent));
        for i in 0..3 {
            t.on_exit(ExitKind::Abnormal, secs(i * 2));
        }
        // At t0+6 s the restart at t0 has left the 5 s window: room for one more.
        assert!(matches!(
            t.on_exit(ExitKind::Abnormal, secs(6)),
            Decision::Restart { count: 3, .. }
        ));
    }
}
