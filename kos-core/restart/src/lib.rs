//! Restart decisions, OTP style: restart types, backoff and restart intensity — and
//! crash loops: an app whose every start fails within one intensity window, more than
//! `max_restarts` times in a row, is given up on even when its restarts are spaced
//! too far apart (by a long backoff) for the intensity limit ever to count them.
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
    /// Leave it stopped: a crash loop — this many starts in a row each ended, abnormally,
    /// before it had run for one window.
    CrashLoop {
        /// The failed starts in a row, this one included.
        failures: u32,
        /// The window none of them outlived.
        within: Duration,
    },
}

/// Restart history of one app.
#[derive(Debug, Clone)]
pub struct RestartTracker<T: Moment> {
    policy: RestartPolicy,
    recent: VecDeque<T>,
    /// When the current process started, if the caller said ([`RestartTracker::started`]).
    started_at: Option<T>,
    /// Abnormal exits in a row that came within a window of their start.
    failed_starts: u32,
}

impl<T: Moment> RestartTracker<T> {
    /// A tracker for an app with `policy`.
    pub fn new(policy: RestartPolicy) -> Self {
        RestartTracker {
            policy,
            recent: VecDeque::new(),
            started_at: None,
            failed_starts: 0,
        }
    }

    /// The app's process started at `now` (for crash-loop detection).
    pub fn started(&mut self, now: T) {
        self.started_at = Some(now);
    }

    /// Decides what to do about an exit at `now`.
    pub fn on_exit(&mut self, exit: ExitKind, now: T) -> Decision {
        let within = Duration::from_secs(u64::from(self.policy.max_seconds));
        let short = exit == ExitKind::Abnormal
            && self
                .started_at
                .take()
                .is_some_and(|t| now.since(t) < within);
        self.failed_starts = if short { self.failed_starts + 1 } else { 0 };
        match (self.policy.mode, exit) {
            (RestartMode::Temporary, _) => return Decision::Stay("temporary app: never restarted"),
            (RestartMode::Transient, ExitKind::Normal) => {
                return Decision::Stay("transient app exited normally: not restarted")
            }
            _ => {}
        }

        while self.recent.front().is_some_and(|&t| now.since(t) >= within) {
            self.recent.pop_front();
        }
        let restarts = self.recent.len() as u32;
        if restarts >= self.policy.max_restarts {
            return Decision::GiveUp { restarts, within };
        }
        // The intensity limit did not see them (too far apart), but none of these
        // starts outlived a window.
        if self.failed_starts > self.policy.max_restarts {
            return Decision::CrashLoop {
                failures: self.failed_starts,
                within,
            };
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
        self.failed_starts = 0;
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

    #[test]
    fn starts_that_never_outlive_a_window_are_a_crash_loop_however_far_apart() {
        // Restarts 6 s apart never meet in a 5 s window: the intensity limit alone
        // would restart this app forever.
        let mut t = RestartTracker::new(RestartPolicy {
            mode: RestartMode::Permanent,
            max_restarts: 2,
            max_seconds: 5,
            backoff_ms: 6_000,
            backoff_max_ms: 6_000,
        });
        let mut clock = 0;
        let mut decisions = Vec::new();
        for _ in 0..3 {
            t.started(Ms(clock));
            clock += 1_000; // it dies a second after each start
            decisions.push(t.on_exit(ExitKind::Abnormal, Ms(clock)));
            clock += 6_000;
        }
        assert!(matches!(decisions[0], Decision::Restart { count: 1, .. }));
        assert!(matches!(decisions[1], Decision::Restart { count: 1, .. }));
        assert_eq!(
            decisions[2],
            Decision::CrashLoop {
                failures: 3,
                within: Duration::from_secs(5)
            }
        );
    }

    #[test]
    fn a_start_that_outlives_a_window_ends_the_count() {
        let mut t = RestartTracker::new(RestartPolicy {
            mode: RestartMode::Permanent,
            max_restarts: 1,
            max_seconds: 5,
            backoff_ms: 6_000,
            backoff_max_ms: 6_000,
        });
        t.started(secs(0));
        assert!(matches!(
            t.on_exit(ExitKind::Abnormal, secs(1)),
            Decision::Restart { .. }
        ));
        // This one ran 10 s: not a failed start, so the next short one is the first again.
        t.started(secs(7));
        assert!(matches!(
            t.on_exit(ExitKind::Abnormal, secs(17)),
            Decision::Restart { .. }
        ));
        t.started(secs(23));
        assert!(matches!(
            t.on_exit(ExitKind::Abnormal, secs(24)),
            Decision::Restart { .. }
        ));
        // A tracker never told of starts knows no uptimes: no crash loop from it.
        let mut blind = RestartTracker::new(policy(RestartMode::Permanent));
        for s in [0, 10, 20, 30, 40] {
            assert!(matches!(
                blind.on_exit(ExitKind::Abnormal, secs(s)),
                Decision::Restart { .. }
            ));
        }
    }
}
