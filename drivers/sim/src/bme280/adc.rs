//! Raw ADC values for physical quantities: the datasheet's compensation run backwards.
//!
//! Each compensation formula is monotonic in its ADC input over the 20-bit (16-bit for
//! humidity) range for realistic calibration constants, so bisection finds the ADC
//! value whose compensated reading is nearest the target. Inverting the integer code
//! itself, rather than a float approximation of it, is what guarantees a reader using
//! [`compensate`](super::compensate) gets the environment back within the resolution.

use super::{compensate, Calibration};

/// The largest 20-bit ADC value.
const ADC20_MAX: i32 = (1 << 20) - 1;
/// The largest 16-bit ADC value.
const ADC16_MAX: i32 = (1 << 16) - 1;

/// `adc_T` whose `t_fine` is nearest `celsius` (t_fine is 1/5120 °C), and that `t_fine`.
pub(crate) fn temperature(celsius: f64, calibration: &Calibration) -> (i32, i32) {
    let target = to_i64(celsius * 5120.0);
    let t_fine = |adc| i64::from(compensate::temperature(adc, calibration).0);
    let adc = nearest(0, ADC20_MAX, target, t_fine, Slope::Rising);
    (adc, compensate::temperature(adc, calibration).0)
}

/// `adc_P` whose compensated pressure is nearest `pascal` at temperature `t_fine`.
pub(crate) fn pressure(pascal: f64, t_fine: i32, calibration: &Calibration) -> i32 {
    let target = to_i64(pascal * 256.0);
    let q24_8 = |adc| i64::from(compensate::pressure(adc, t_fine, calibration));
    // More ADC counts mean less pressure (the formula starts from 2^20 − adc_P).
    nearest(0, ADC20_MAX, target, q24_8, Slope::Falling)
}

/// `adc_H` whose compensated humidity is nearest `percent` at temperature `t_fine`.
pub(crate) fn humidity(percent: f64, t_fine: i32, calibration: &Calibration) -> i32 {
    let target = to_i64(percent * 1024.0);
    let q22_10 = |adc| i64::from(compensate::humidity(adc, t_fine, calibration));
    nearest(0, ADC16_MAX, target, q22_10, Slope::Rising)
}

/// Which way a compensation formula moves as its ADC input grows.
#[derive(Clone, Copy)]
enum Slope {
    Rising,
    Falling,
}

/// The input in `[low, high]` whose output is nearest `target`, for a monotonic `f`.
fn nearest(low: i32, high: i32, target: i64, f: impl Fn(i32) -> i64, slope: Slope) -> i32 {
    // Normalise to a rising function so one bisection serves both slopes.
    let g = |x: i32| match slope {
        Slope::Rising => f(x),
        Slope::Falling => -f(x),
    };
    let target = match slope {
        Slope::Rising => target,
        Slope::Falling => -target,
    };
    // Smallest x with g(x) >= target; 32 halvings cover any i32 interval.
    let (mut lo, mut hi) = (low, high);
    for _ in 0..32 {
        if lo >= hi {
            break;
        }
        let mid = lo + (hi - lo) / 2;
        if g(mid) >= target {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    if lo > low && (target - g(lo - 1)).abs() < (g(lo) - target).abs() {
        lo - 1
    } else {
        lo
    }
}

/// Rounds to the nearest integer; out-of-range values saturate (`as` does).
fn to_i64(x: f64) -> i64 {
    libm::round(x) as i64
}

#[cfg(test)]
mod test {
    use super::*;

    const C: Calibration = Calibration::TYPICAL;

    #[test]
    fn temperature_round_trips_within_resolution() {
        for tenth in -400..=850 {
            let celsius = f64::from(tenth) / 10.0;
            let (adc, t_fine) = temperature(celsius, &C);
            let (_, centi) = compensate::temperature(adc, &C);
            assert!(
                (f64::from(centi) / 100.0 - celsius).abs() <= 0.01,
                "{celsius}"
            );
            // The formula drops adc_T's low 3 bits, so t_fine moves in steps of
            // dig_T2 / 2048 ≈ 13–14 (0.0027 °C); the nearest is within half a step.
            assert!(
                (f64::from(t_fine) / 5120.0 - celsius).abs() < 0.0014,
                "{celsius}"
            );
        }
    }

    #[test]
    fn pressure_round_trips_within_resolution() {
        let (_, t_fine) = temperature(21.5, &C);
        for hpa in 300..=1100 {
            let pascal = f64::from(hpa) * 100.0 + 37.0;
            let adc = pressure(pascal, t_fine, &C);
            let got = f64::from(compensate::pressure(adc, t_fine, &C)) / 256.0;
            // One ADC count is about 0.2 Pa at sea level.
            assert!((got - pascal).abs() < 0.3, "{pascal}: {got}");
        }
    }

    #[test]
    fn humidity_round_trips_within_resolution() {
        let (_, t_fine) = temperature(24.0, &C);
        for tenth in 0..=1000 {
            let percent = f64::from(tenth) / 10.0;
            let adc = humidity(percent, t_fine, &C);
            let got = f64::from(compensate::humidity(adc, t_fine, &C)) / 1024.0;
            assert!((got - percent).abs() < 0.02, "{percent}: {got}");
        }
    }
}
