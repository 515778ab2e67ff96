//! What one conversion produces: the environment sampled, turned into raw ADC values by
//! inverting the compensation, passed through the IIR filter (temperature and
//! pressure only, §3.4.4), cut to the output resolution, or replaced by the "skipped"
//! value when a measurement is switched off.

use super::environment::Conditions;
use super::registers::{SKIPPED_16, SKIPPED_20};
use super::schedule::Settings;
use super::timing::filter_coefficient;
use super::{adc, Calibration};

/// The raw results as the data registers hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Raw {
    pub(crate) pressure: u32,
    pub(crate) temperature: u32,
    pub(crate) humidity: u16,
}

impl Raw {
    /// The power-on value of the data registers: every measurement "skipped".
    pub(crate) const RESET: Self = Self {
        pressure: SKIPPED_20,
        temperature: SKIPPED_20,
        humidity: SKIPPED_16,
    };

    /// press_msb..hum_lsb (0xF7..0xFE): 20-bit values left-aligned in three bytes.
    pub(crate) fn to_registers(self) -> [u8; 8] {
        let p = self.pressure;
        let t = self.temperature;
        let [h_msb, h_lsb] = self.humidity.to_be_bytes();
        [
            (p >> 12) as u8,
            (p >> 4) as u8,
            ((p & 0x0F) << 4) as u8,
            (t >> 12) as u8,
            (t >> 4) as u8,
            ((t & 0x0F) << 4) as u8,
            h_msb,
            h_lsb,
        ]
    }
}

/// The IIR filter's memory for one quantity (§3.4.4):
/// x_filt[n] = (x_filt[n−1]·(c−1) + x[n]) / c.
#[derive(Debug, Clone, Copy, Default)]
struct Iir {
    /// The filtered value with 8 fraction bits, so repeated division does not bias it.
    state_q8: Option<i64>,
}

impl Iir {
    fn apply(&mut self, sample: i32, coefficient: i64) -> i32 {
        let x = i64::from(sample) << 8;
        // The first sample after reset seeds the filter rather than ramping from zero.
        let state = match self.state_q8 {
            Some(previous) => (previous * (coefficient - 1) + x) / coefficient.max(1),
            None => x,
        };
        self.state_q8 = Some(state);
        ((state + 128) >> 8) as i32
    }
}

/// The sensor's signal path from the air to the data registers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Converter {
    temperature: Iir,
    pressure: Iir,
}

impl Converter {
    /// One conversion of `conditions` with `settings`.
    pub(crate) fn convert(
        &mut self,
        conditions: &Conditions,
        calibration: &Calibration,
        settings: Settings,
    ) -> Raw {
        let coefficient = filter_coefficient(settings.filter);
        // Pressure and humidity depend on the die temperature whether or not it is
        // reported, so t_fine comes from the true temperature.
        let (adc_t, t_fine) = adc::temperature(conditions.temperature_c, calibration);
        let adc_p = adc::pressure(conditions.pressure_pa, t_fine, calibration);
        let adc_h = adc::humidity(conditions.humidity_pct, t_fine, calibration);
        let temperature = match settings.osrs_t {
            0 => SKIPPED_20,
            osrs => resolution(
                self.temperature.apply(adc_t, coefficient),
                osrs,
                coefficient,
            ),
        };
        let pressure = match settings.osrs_p {
            0 => SKIPPED_20,
            osrs => resolution(self.pressure.apply(adc_p, coefficient), osrs, coefficient),
        };
        let humidity = match settings.osrs_h {
            0 => SKIPPED_16,
            _ => adc_h.clamp(0, 0xFFFF) as u16,
        };
        Raw {
            pressure,
            temperature,
            humidity,
        }
    }
}

/// Cuts a 20-bit result to the resolution the settings give: 20 bits with the filter
/// on, otherwise 16 + (osrs − 1) bits (§3.4.2, §3.4.3), the rest reading zero.
fn resolution(value: i32, osrs: u8, coefficient: i64) -> u32 {
    let value = value.clamp(0, (1 << 20) - 1) as u32;
    if coefficient > 1 {
        return value;
    }
    let dropped = 5 - u32::from(osrs.clamp(1, 5));
    value & !((1u32 << dropped) - 1)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn registers_hold_20_bit_values_left_aligned() {
        let raw = Raw {
            pressure: 0x6_5A3B,
            temperature: 0x7_EED0,
            humidity: 0x6C2A,
        };
        assert_eq!(
            raw.to_registers(),
            [0x65, 0xA3, 0xB0, 0x7E, 0xED, 0x00, 0x6C, 0x2A]
        );
    }

    #[test]
    fn one_times_oversampling_without_filter_gives_16_bits() {
        assert_eq!(resolution(0x7_EED7, 1, 1), 0x7_EED0);
        assert_eq!(resolution(0x7_EED7, 3, 1), 0x7_EED4);
        assert_eq!(resolution(0x7_EED7, 5, 1), 0x7_EED7);
        assert_eq!(resolution(0x7_EED7, 1, 4), 0x7_EED7);
    }

    #[test]
    fn the_filter_approaches_a_step_at_its_coefficient() {
        let mut iir = Iir::default();
        assert_eq!(iir.apply(1000, 4), 1000);
        // (1000·3 + 2000) / 4 = 1250, then 1437.5, …
        assert_eq!(iir.apply(2000, 4), 1250);
        assert_eq!(iir.apply(2000, 4), 1438);
        for _ in 0..100 {
            iir.apply(2000, 4);
        }
        assert_eq!(iir.apply(2000, 4), 2000);
    }
}
