//! The datasheet's integer compensation formulas (BST-BME280-DS002 §4.2.3 and §8.2),
//! as a reader applies them to the raw ADC values. The simulation inverts exactly
//! these functions, so a reader using them gets the environment back; an Elixir app
//! implements the same three formulas.
//!
//! The C code relies on two's-complement wrap-around and arithmetic right shifts; the
//! Rust keeps both (`wrapping_*`, `>>` on signed integers), so it returns the
//! datasheet's numbers for every input and never panics on a nonsense ADC value.

use super::Calibration;

/// Temperature from `adc_t` (20-bit): `(t_fine, temperature in 0.01 °C)`.
/// `t_fine` carries the temperature into the pressure and humidity formulas.
pub fn temperature(adc_t: i32, calibration: &Calibration) -> (i32, i32) {
    let t1 = i32::from(calibration.dig_t1);
    let t2 = i32::from(calibration.dig_t2);
    let t3 = i32::from(calibration.dig_t3);
    let var1 = ((adc_t >> 3).wrapping_sub(t1 << 1)).wrapping_mul(t2) >> 11;
    let x = (adc_t >> 4).wrapping_sub(t1);
    let var2 = ((x.wrapping_mul(x) >> 12).wrapping_mul(t3)) >> 14;
    let t_fine = var1.wrapping_add(var2);
    let centi_celsius = (t_fine.wrapping_mul(5).wrapping_add(128)) >> 8;
    (t_fine, centi_celsius)
}

/// Pressure from `adc_p` (20-bit) in Pa as Q24.8 (divide by 256 for Pa), using the
/// 64-bit formula.
pub fn pressure(adc_p: i32, t_fine: i32, calibration: &Calibration) -> u32 {
    let c = calibration;
    let mut var1 = i64::from(t_fine) - 128_000;
    let mut var2 = var1.wrapping_mul(var1).wrapping_mul(i64::from(c.dig_p6));
    var2 = var2.wrapping_add(var1.wrapping_mul(i64::from(c.dig_p5)) << 17);
    var2 = var2.wrapping_add(i64::from(c.dig_p4) << 35);
    var1 = (var1.wrapping_mul(var1).wrapping_mul(i64::from(c.dig_p3)) >> 8)
        .wrapping_add(var1.wrapping_mul(i64::from(c.dig_p2)) << 12);
    var1 = ((1i64 << 47).wrapping_add(var1)).wrapping_mul(i64::from(c.dig_p1)) >> 33;
    if var1 == 0 {
        // The datasheet's guard against dividing by zero.
        return 0;
    }
    let mut p = 1_048_576i64 - i64::from(adc_p);
    p = ((p << 31).wrapping_sub(var2))
        .wrapping_mul(3125)
        .wrapping_div(var1);
    var1 = i64::from(c.dig_p9)
        .wrapping_mul(p >> 13)
        .wrapping_mul(p >> 13)
        >> 25;
    var2 = i64::from(c.dig_p8).wrapping_mul(p) >> 19;
    p = (p.wrapping_add(var1).wrapping_add(var2) >> 8).wrapping_add(i64::from(c.dig_p7) << 4);
    p as u32
}

/// Relative humidity from `adc_h` (16-bit) in %RH as Q22.10 (divide by 1024 for %RH).
pub fn humidity(adc_h: i32, t_fine: i32, calibration: &Calibration) -> u32 {
    let c = calibration;
    let h1 = i32::from(c.dig_h1);
    let h2 = i32::from(c.dig_h2);
    let h3 = i32::from(c.dig_h3);
    let h4 = i32::from(c.dig_h4);
    let h5 = i32::from(c.dig_h5);
    let h6 = i32::from(c.dig_h6);
    let mut v = t_fine.wrapping_sub(76_800);
    let left = ((adc_h << 14)
        .wrapping_sub(h4 << 20)
        .wrapping_sub(h5.wrapping_mul(v)))
    .wrapping_add(16_384)
        >> 15;
    let right = (((((v.wrapping_mul(h6) >> 10)
        .wrapping_mul((v.wrapping_mul(h3) >> 11).wrapping_add(32_768)))
        >> 10)
        .wrapping_add(2_097_152))
    .wrapping_mul(h2)
    .wrapping_add(8192))
        >> 14;
    v = left.wrapping_mul(right);
    v = v.wrapping_sub((((v >> 15).wrapping_mul(v >> 15) >> 7).wrapping_mul(h1)) >> 4);
    v = v.clamp(0, 419_430_400);
    (v >> 12) as u32
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn bmp280_datasheet_temperature_example() {
        // BST-BMP280-DS001 §3.12: adc_T = 519888 → t_fine = 128422, T = 25.08 °C.
        let (t_fine, t) = temperature(519_888, &Calibration::TYPICAL);
        assert_eq!(t_fine, 128_422);
        assert_eq!(t, 2508);
    }

    #[test]
    fn bmp280_datasheet_pressure_example() {
        // The same example: adc_P = 415148 at t_fine 128422 → 100653 Pa.
        let p = pressure(415_148, 128_422, &Calibration::TYPICAL);
        assert_eq!(p / 256, 100_653);
    }

    #[test]
    fn humidity_is_clamped_to_0_and_100_percent() {
        let c = Calibration::TYPICAL;
        assert_eq!(humidity(0, 128_422, &c), 0);
        assert_eq!(humidity(0xFFFF, 128_422, &c), 100 * 1024);
    }

    #[test]
    fn nonsense_adc_values_do_not_panic() {
        let c = Calibration::TYPICAL;
        for adc in [i32::MIN, -1, 0, 0xFFFFF, i32::MAX] {
            let (t_fine, _) = temperature(adc, &c);
            let _ = pressure(adc, t_fine, &c);
            let _ = humidity(adc, t_fine, &c);
        }
    }
}
