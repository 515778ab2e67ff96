//! The air around the simulated sensor: temperature, pressure and humidity as smooth,
//! deterministic functions of time.
//!
//! A day-long temperature swing with humidity moving against it (relative humidity
//! falls as air warms), a multi-day weather cycle plus the semi-diurnal atmospheric tide
//! in pressure, and seeded value noise on top of each for the wander that a real room
//! shows. Everything is a function of time alone, so a reading does not depend on how
//! often the sensor was polled. Ranges stay within about 16–29 °C, 994–1026 hPa and
//! 34–66 %RH.

use core::f64::consts::TAU;

use crate::prng::value_noise;

const US_PER_HOUR: f64 = 3_600_000_000.0;

/// One sample of the environment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conditions {
    /// Air temperature in °C.
    pub temperature_c: f64,
    /// Barometric pressure in Pa.
    pub pressure_pa: f64,
    /// Relative humidity in %.
    pub humidity_pct: f64,
}

/// How the environment evolves.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Drifting { seed: u64, day_phase_h: f64 },
    Fixed(Conditions),
}

/// The environment a simulated sensor measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Environment {
    kind: Kind,
}

// Noise channels, one per quantity and scale.
const TEMP_SLOW: u64 = 1;
const TEMP_FAST: u64 = 2;
const PRESS_SLOW: u64 = 3;
const PRESS_FAST: u64 = 4;
const HUM_SLOW: u64 = 5;
const HUM_FAST: u64 = 6;

impl Environment {
    /// A room whose conditions drift slowly; the seed picks the noise and the time of
    /// day at `now_us = 0`.
    pub fn drifting(seed: u64) -> Self {
        let day_phase_h = (crate::prng::mix(seed) % 24) as f64;
        Self {
            kind: Kind::Drifting { seed, day_phase_h },
        }
    }

    /// Conditions that never change, for tests and demonstrations.
    pub fn fixed(conditions: Conditions) -> Self {
        Self {
            kind: Kind::Fixed(conditions),
        }
    }

    /// The conditions at `now_us`.
    pub fn at(&self, now_us: u64) -> Conditions {
        match self.kind {
            Kind::Fixed(conditions) => conditions,
            Kind::Drifting { seed, day_phase_h } => {
                drifting(seed, day_phase_h, now_us as f64 / US_PER_HOUR)
            }
        }
    }
}

fn drifting(seed: u64, day_phase_h: f64, hours: f64) -> Conditions {
    let day = libm::sin(TAU * (hours + day_phase_h) / 24.0);
    let temperature_c = 22.5
        + 5.0 * day
        + 1.2 * value_noise(seed, TEMP_SLOW, hours * 6.0) // knots every 10 min
        + 0.03 * value_noise(seed, TEMP_FAST, hours * 120.0); // every 30 s
    let weather = libm::sin(TAU * hours / 89.0); // a front every few days
    let tide = libm::sin(TAU * hours / 12.0); // the semi-diurnal atmospheric tide
    let pressure_pa = 101_000.0
        + 1200.0 * weather
        + 100.0 * tide
        + 250.0 * value_noise(seed, PRESS_SLOW, hours / 2.0)
        + 3.0 * value_noise(seed, PRESS_FAST, hours * 120.0);
    let humidity_pct = 50.0 - 10.0 * day
        + 5.5 * value_noise(seed, HUM_SLOW, hours * 3.0)
        + 0.2 * value_noise(seed, HUM_FAST, hours * 60.0);
    Conditions {
        temperature_c,
        pressure_pa,
        humidity_pct,
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_week_stays_in_plausible_ranges() {
        let env = Environment::drifting(42);
        for minute in 0..7 * 24 * 60u64 {
            let c = env.at(minute * 60_000_000);
            assert!((15.0..=30.0).contains(&c.temperature_c), "{c:?}");
            assert!((99_000.0..=103_000.0).contains(&c.pressure_pa), "{c:?}");
            assert!((30.0..=70.0).contains(&c.humidity_pct), "{c:?}");
        }
    }

    #[test]
    fn a_second_changes_little() {
        let env = Environment::drifting(3);
        let a = env.at(1_000_000_000);
        let b = env.at(1_001_000_000);
        assert!((a.temperature_c - b.temperature_c).abs() < 0.01);
        assert!((a.pressure_pa - b.pressure_pa).abs() < 1.0);
        assert!((a.humidity_pct - b.humidity_pct).abs() < 0.05);
    }
}
