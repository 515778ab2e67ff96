//! The engine behind the simulated ECU: a deterministic drive cycle (idle, pull away,
//! cruise, slow down, idle, every two minutes) with a cold start whose coolant warms
//! toward the thermostat's 90 °C and whose idle speed falls as it does, plus seeded
//! wander so no two cycles read the same.

use core::f64::consts::PI;

use crate::prng::value_noise;

/// Ambient and cold-start coolant temperature.
const AMBIENT_C: f64 = 20.0;
/// Where the thermostat holds the coolant.
const THERMOSTAT_C: f64 = 90.0;
/// Warm-up time constant.
const WARM_UP_S: f64 = 240.0;
/// Length of one drive cycle.
const CYCLE_S: f64 = 120.0;
const WARM_IDLE_RPM: f64 = 800.0;
const COLD_IDLE_EXTRA_RPM: f64 = 350.0;
const CRUISE_RPM: f64 = 2500.0;
const CRUISE_KMH: f64 = 80.0;

const RPM_WANDER: u64 = 11;
const RPM_JITTER: u64 = 12;
const SPEED_WANDER: u64 = 13;

/// What the engine is doing at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineState {
    /// Crankshaft speed in rpm.
    pub rpm: f64,
    /// Coolant temperature in °C.
    pub coolant_c: f64,
    /// Vehicle speed in km/h.
    pub speed_kmh: f64,
}

/// The engine `elapsed_s` seconds after start.
pub(crate) fn engine_at(seed: u64, elapsed_s: f64) -> EngineState {
    let warm = 1.0 - libm::exp(-elapsed_s / WARM_UP_S);
    let thermostat_swing = 1.5 * warm * libm::sin(2.0 * PI * elapsed_s / 90.0);
    let coolant_c = AMBIENT_C + (THERMOSTAT_C - AMBIENT_C) * warm + thermostat_swing;
    let drive = drive_fraction(elapsed_s % CYCLE_S);
    let idle = WARM_IDLE_RPM + COLD_IDLE_EXTRA_RPM * (1.0 - warm);
    let cruise = CRUISE_RPM + 200.0 * value_noise(seed, RPM_WANDER, elapsed_s / 10.0);
    let jitter = 15.0 * value_noise(seed, RPM_JITTER, elapsed_s * 4.0);
    let rpm = idle + (cruise - idle) * drive + jitter;
    let speed_kmh = drive * (CRUISE_KMH + 6.0 * value_noise(seed, SPEED_WANDER, elapsed_s / 10.0));
    EngineState {
        rpm: rpm.max(0.0),
        coolant_c,
        speed_kmh: speed_kmh.max(0.0),
    }
}

/// 0 at idle, 1 at cruise, with smooth (half-cosine) changes in between:
/// idle 0–20 s, pull away 20–30 s, cruise 30–90 s, slow down 90–100 s, idle to 120 s.
fn drive_fraction(t: f64) -> f64 {
    let ease = |x: f64| 0.5 - 0.5 * libm::cos(PI * x.clamp(0.0, 1.0));
    if t < 20.0 {
        0.0
    } else if t < 30.0 {
        ease((t - 20.0) / 10.0)
    } else if t < 90.0 {
        1.0
    } else if t < 100.0 {
        1.0 - ease((t - 90.0) / 10.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn the_engine_warms_up_and_stays_plausible() {
        let cold = engine_at(1, 0.0);
        assert!((cold.coolant_c - AMBIENT_C).abs() < 0.1);
        assert!(cold.rpm > 1000.0 && cold.speed_kmh == 0.0);
        for second in 0..3600u32 {
            let state = engine_at(1, f64::from(second));
            assert!((600.0..=3000.0).contains(&state.rpm), "{state:?}");
            assert!((15.0..=95.0).contains(&state.coolant_c), "{state:?}");
            assert!((0.0..=90.0).contains(&state.speed_kmh), "{state:?}");
        }
        let warm = engine_at(1, 1800.0 + 60.0);
        assert!(warm.coolant_c > 85.0 && warm.speed_kmh > 70.0);
    }
}
