//! When conversions run: one after a forced-mode trigger, or a train of them in normal
//! mode with t_measure + t_standby between starts (datasheet §3.3). The schedule is
//! evaluated lazily: whoever asks at `now_us` learns which conversions have finished
//! since the last question.

use super::timing::{measurement_time_typ_us, standby_us};

/// Normal mode can fall far behind when nobody talks to the sensor for hours; only the
/// most recent conversions can still show in the data (the 16-tap IIR filter forgets
/// an old sample to below one LSB within 256 steps), so older ones are skipped.
const MAX_CATCH_UP: u64 = 256;

/// The oversampling and filter settings latched when a conversion is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) osrs_t: u8,
    pub(crate) osrs_p: u8,
    pub(crate) osrs_h: u8,
    pub(crate) filter: u8,
    pub(crate) t_sb: u8,
}

impl Settings {
    /// The time one conversion takes with these settings.
    pub(crate) fn measure_us(&self) -> u64 {
        measurement_time_typ_us(self.osrs_t, self.osrs_p, self.osrs_h)
    }
}

/// The conversion plan in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Schedule {
    /// Sleep mode, or a forced conversion that has finished.
    Idle,
    /// One conversion from `start_us` to `end_us`.
    Forced {
        start_us: u64,
        end_us: u64,
        settings: Settings,
    },
    /// Conversion `k` runs from `origin_us + k·period_us` for `measure_us`; the first
    /// `completed` of them have been reported.
    Normal {
        origin_us: u64,
        period_us: u64,
        measure_us: u64,
        completed: u64,
        settings: Settings,
    },
}

impl Schedule {
    /// A forced conversion starting now.
    pub(crate) fn forced(now_us: u64, settings: Settings) -> Self {
        Self::Forced {
            start_us: now_us,
            end_us: now_us.saturating_add(settings.measure_us()),
            settings,
        }
    }

    /// Normal mode entered now: the first conversion starts at once.
    pub(crate) fn normal(now_us: u64, settings: Settings) -> Self {
        let measure_us = settings.measure_us();
        Self::Normal {
            origin_us: now_us,
            period_us: measure_us + standby_us(settings.t_sb),
            measure_us,
            completed: 0,
            settings,
        }
    }

    /// Whether a conversion is running at `now_us` (status.measuring).
    pub(crate) fn measuring(&self, now_us: u64) -> bool {
        match *self {
            Self::Idle => false,
            Self::Forced {
                start_us, end_us, ..
            } => (start_us..end_us).contains(&now_us),
            Self::Normal {
                origin_us,
                period_us,
                measure_us,
                ..
            } => now_us >= origin_us && (now_us - origin_us) % period_us.max(1) < measure_us,
        }
    }

    /// Reports, oldest first, each conversion that has finished by `now_us` and was not
    /// reported before, as `(start_us, settings)`. A finished forced conversion leaves
    /// the schedule idle; the return value says so (the mode field then reads sleep).
    pub(crate) fn complete_until(
        &mut self,
        now_us: u64,
        mut finished: impl FnMut(u64, Settings),
    ) -> bool {
        match *self {
            Self::Idle => false,
            Self::Forced {
                start_us,
                end_us,
                settings,
            } => {
                if now_us < end_us {
                    return false;
                }
                finished(start_us, settings);
                *self = Self::Idle;
                true
            }
            Self::Normal {
                origin_us,
                period_us,
                measure_us,
                ref mut completed,
                settings,
            } => {
                let first_end = origin_us.saturating_add(measure_us);
                if now_us < first_end {
                    return false;
                }
                let done = (now_us - first_end) / period_us.max(1) + 1;
                let from = (*completed).max(done.saturating_sub(MAX_CATCH_UP));
                for k in from..done {
                    finished(
                        origin_us.saturating_add(k.saturating_mul(period_us)),
                        settings,
                    );
                }
                *completed = done;
                false
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use alloc::vec::Vec;

    const X1: Settings = Settings {
        osrs_t: 1,
        osrs_p: 1,
        osrs_h: 1,
        filter: 0,
        t_sb: 0,
    };

    #[test]
    fn a_forced_conversion_finishes_once() {
        let mut schedule = Schedule::forced(1_000, X1);
        assert!(schedule.measuring(1_000));
        let mut starts = Vec::new();
        assert!(!schedule.complete_until(8_999, |s, _| starts.push(s)));
        assert!(schedule.complete_until(9_000, |s, _| starts.push(s)));
        assert!(!schedule.complete_until(20_000, |s, _| starts.push(s)));
        assert_eq!(starts, [1_000]);
        assert!(!schedule.measuring(9_000));
    }

    #[test]
    fn normal_mode_repeats_with_standby() {
        // 8 ms measuring + 0.5 ms standby.
        let mut schedule = Schedule::normal(0, X1);
        assert!(schedule.measuring(7_999));
        assert!(!schedule.measuring(8_000));
        assert!(schedule.measuring(8_500));
        let mut starts = Vec::new();
        schedule.complete_until(25_000, |s, _| starts.push(s));
        assert_eq!(starts, [0, 8_500, 17_000]);
        starts.clear();
        schedule.complete_until(33_999, |s, _| starts.push(s));
        assert_eq!(starts, [25_500]);
    }

    #[test]
    fn hours_of_normal_mode_catch_up_in_bounded_steps() {
        let mut schedule = Schedule::normal(0, X1);
        let mut count = 0u64;
        schedule.complete_until(10 * 3_600_000_000, |_, _| count += 1);
        assert_eq!(count, MAX_CATCH_UP);
    }
}
