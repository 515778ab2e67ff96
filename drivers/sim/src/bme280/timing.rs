//! Measurement and standby times (datasheet BST-BME280-DS002 §9.1 and table 27).

/// The number of samples an osrs_x setting averages: 0 (skipped), 1, 2, 4, 8, 16.
pub fn oversampling(setting: u8) -> u32 {
    match setting & 0x07 {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => 4,
        4 => 8,
        _ => 16,
    }
}

/// Typical measurement time in µs:
/// 1 + 2·T_os + (2·P_os + 0.5) + (2·H_os + 0.5) ms, each term only if measured.
pub fn measurement_time_typ_us(osrs_t: u8, osrs_p: u8, osrs_h: u8) -> u64 {
    measurement_time(osrs_t, osrs_p, osrs_h, 1000, 2000, 500)
}

/// Maximum measurement time in µs:
/// 1.25 + 2.3·T_os + (2.3·P_os + 0.575) + (2.3·H_os + 0.575) ms.
pub fn measurement_time_max_us(osrs_t: u8, osrs_p: u8, osrs_h: u8) -> u64 {
    measurement_time(osrs_t, osrs_p, osrs_h, 1250, 2300, 575)
}

fn measurement_time(
    osrs_t: u8,
    osrs_p: u8,
    osrs_h: u8,
    base: u64,
    per_sample: u64,
    setup: u64,
) -> u64 {
    let term = |setting: u8, extra: u64| match u64::from(oversampling(setting)) {
        0 => 0,
        samples => per_sample * samples + extra,
    };
    base + term(osrs_t, 0) + term(osrs_p, setup) + term(osrs_h, setup)
}

/// Standby time between normal-mode conversions for config.t_sb, in µs (BME280 values;
/// the BMP280 differs for 110 and 111).
pub fn standby_us(t_sb: u8) -> u64 {
    match t_sb & 0x07 {
        0 => 500,
        1 => 62_500,
        2 => 125_000,
        3 => 250_000,
        4 => 500_000,
        5 => 1_000_000,
        6 => 10_000,
        _ => 20_000,
    }
}

/// The IIR filter coefficient for config.filter: 1 means off (table 6).
pub fn filter_coefficient(filter: u8) -> i64 {
    match filter & 0x07 {
        0 => 1,
        1 => 2,
        2 => 4,
        3 => 8,
        _ => 16,
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn weather_monitoring_settings_match_the_datasheet() {
        // §3.5.1, 1x oversampling of all three: 1 + 2 + 2.5 + 2.5 = 8.0 ms typical,
        // 1.25 + 2.3 + 2.875 + 2.875 = 9.3 ms maximum.
        assert_eq!(measurement_time_max_us(1, 1, 1), 9_300);
        assert_eq!(measurement_time_typ_us(1, 1, 1), 8_000);
    }

    #[test]
    fn skipped_measurements_cost_nothing() {
        assert_eq!(measurement_time_typ_us(0, 0, 0), 1_000);
        assert_eq!(measurement_time_typ_us(1, 0, 0), 3_000);
    }

    #[test]
    fn indoor_navigation_settings_match_the_datasheet() {
        // §3.5.3, T x2, P x16, H x1: 1 + 4 + 32.5 + 2.5 = 40.0 ms typical, which with
        // 0.5 ms standby gives the table's 25 Hz; 1.25 + 4.6 + 37.375 + 2.875 = 46.1 max.
        assert_eq!(measurement_time_typ_us(2, 5, 1), 40_000);
        assert_eq!(measurement_time_max_us(2, 5, 1), 46_100);
    }
}
