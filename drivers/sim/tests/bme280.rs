//! The BME280 model read through the simulated bus exactly as a driver reads it.
// Binary literals are grouped by register field (osrs_t_osrs_p_mode, t_sb_filter_spi).
#![allow(clippy::unusual_byte_groupings)]

use embedded_hal::i2c::{I2c, NoAcknowledgeSource};
use kos_sim_devices::bme280::registers as reg;
use kos_sim_devices::bme280::{
    compensate, timing, Bme280, Calibration, Conditions, Environment, ADDRESS_PRIMARY,
};
use kos_sim_devices::i2c::{Error, SimI2cBus, FAST_MODE_HZ};
use kos_sim_devices::{Clock, ManualClock};

const ADDR: u8 = ADDRESS_PRIMARY;
/// osrs_t = x1, osrs_p = x1, forced.
const FORCED_X1: u8 = 0b001_001_01;
const HOUR_US: u64 = 3_600_000_000;
/// Long enough for the NVM copy after power-on or reset.
const NVM_WAIT_US: u64 = 5_000;

type Bus<'a> = SimI2cBus<&'a ManualClock>;

/// The bus computes wire time but never sleeps; a real clock would have moved on by the
/// time a transaction returns, so the tests' clock catches up after each one.
fn settle(bus: &Bus<'_>) {
    let clock = bus.clock();
    clock.set(clock.now_us().max(bus.wire_free_us()));
}

fn write(bus: &mut Bus<'_>, bytes: &[u8]) {
    bus.write(ADDR, bytes).unwrap();
    settle(bus);
}

fn bus_with_sensor(clock: &ManualClock, sensor: Bme280) -> Bus<'_> {
    let mut bus = SimI2cBus::new(clock, FAST_MODE_HZ);
    bus.attach(ADDR, sensor).unwrap();
    bus
}

fn read_register(bus: &mut Bus<'_>, register: u8) -> u8 {
    let mut value = [0u8];
    bus.write_read(ADDR, &[register], &mut value).unwrap();
    settle(bus);
    value[0]
}

/// A driver's calibration read: two bursts with auto-increment.
fn read_calibration(bus: &mut Bus<'_>) -> Calibration {
    let mut tp = [0u8; reg::CALIB_TP_LEN];
    bus.write_read(ADDR, &[reg::CALIB_TP], &mut tp).unwrap();
    let mut hum = [0u8; reg::CALIB_HUM_LEN];
    bus.write_read(ADDR, &[reg::CALIB_HUM], &mut hum).unwrap();
    settle(bus);
    Calibration::from_registers(&tp, &hum)
}

/// The raw (adc_P, adc_T, adc_H) from one 8-byte burst at 0xF7.
fn read_raw(bus: &mut Bus<'_>) -> (i32, i32, i32) {
    let mut d = [0u8; 8];
    bus.write_read(ADDR, &[reg::DATA], &mut d).unwrap();
    settle(bus);
    let p = (i32::from(d[0]) << 12) | (i32::from(d[1]) << 4) | (i32::from(d[2]) >> 4);
    let t = (i32::from(d[3]) << 12) | (i32::from(d[4]) << 4) | (i32::from(d[5]) >> 4);
    let h = (i32::from(d[6]) << 8) | i32::from(d[7]);
    (p, t, h)
}

/// Compensated (°C, Pa, %RH) as an application computes them.
fn read_compensated(bus: &mut Bus<'_>, calibration: &Calibration) -> (f64, f64, f64) {
    let (adc_p, adc_t, adc_h) = read_raw(bus);
    let (t_fine, centi) = compensate::temperature(adc_t, calibration);
    let pa = f64::from(compensate::pressure(adc_p, t_fine, calibration)) / 256.0;
    let rh = f64::from(compensate::humidity(adc_h, t_fine, calibration)) / 1024.0;
    (f64::from(centi) / 100.0, pa, rh)
}

/// One forced measurement with x1 oversampling of all three, waited out.
fn measure(bus: &mut Bus<'_>, clock: &ManualClock, calibration: &Calibration) -> (f64, f64, f64) {
    write(bus, &[reg::CTRL_HUM, 0x01, reg::CTRL_MEAS, FORCED_X1]);
    clock.advance(timing::measurement_time_max_us(1, 1, 1));
    read_compensated(bus, calibration)
}

#[test]
fn chip_id_is_0x60() {
    let clock = ManualClock::new(0);
    let mut bus = bus_with_sensor(&clock, Bme280::new(1, 0));
    assert_eq!(read_register(&mut bus, reg::ID), 0x60);
}

#[test]
fn calibration_reads_back_through_burst_reads() {
    let clock = ManualClock::new(0);
    let mut bus = bus_with_sensor(&clock, Bme280::new(1, 0));
    let mut tp = [0u8; 26];
    bus.write_read(ADDR, &[0x88], &mut tp).unwrap();
    // dig_T1 = 27504 = 0x6B70, little-endian at 0x88; dig_H1 = 75 at 0xA1.
    assert_eq!(&tp[..2], &[0x70, 0x6B]);
    assert_eq!(tp[25], 75);
    assert_eq!(read_calibration(&mut bus), Calibration::TYPICAL);
    let model = *bus.device::<Bme280>(ADDR).unwrap().calibration();
    assert_eq!(read_calibration(&mut bus), model);
}

#[test]
fn another_parts_calibration_reads_back_too() {
    let clock = ManualClock::new(0);
    let calibration = Calibration {
        dig_h4: -300,
        dig_h5: -42,
        dig_h6: -5,
        ..Calibration::TYPICAL
    };
    let sensor = Bme280::new(1, 0).with_calibration(calibration);
    let mut bus = bus_with_sensor(&clock, sensor);
    assert_eq!(read_calibration(&mut bus), calibration);
}

#[test]
fn forced_mode_converts_once_then_sleeps() {
    let clock = ManualClock::new(10 * HOUR_US);
    let mut bus = bus_with_sensor(&clock, Bme280::new(7, 0));
    let calibration = read_calibration(&mut bus);
    // Before any conversion the data registers hold their reset values.
    assert_eq!(read_raw(&mut bus), (0x80000, 0x80000, 0x8000));

    write(&mut bus, &[reg::CTRL_HUM, 0x01, reg::CTRL_MEAS, FORCED_X1]);
    let status = read_register(&mut bus, reg::STATUS);
    assert_eq!(status & reg::STATUS_MEASURING, reg::STATUS_MEASURING);
    // Still converting: the old values.
    assert_eq!(read_raw(&mut bus), (0x80000, 0x80000, 0x8000));

    clock.advance(timing::measurement_time_typ_us(1, 1, 1));
    assert_eq!(read_register(&mut bus, reg::STATUS), 0);
    // Back to sleep: the mode field reads 00.
    assert_eq!(read_register(&mut bus, reg::CTRL_MEAS), FORCED_X1 & !0x03);

    let (t, p, h) = read_compensated(&mut bus, &calibration);
    let truth = bus
        .device::<Bme280>(ADDR)
        .unwrap()
        .environment()
        .at(clock.now_us());
    // Within the output resolution: 0.01 °C; 16-bit pressure at x1 without the filter
    // is 2.6 Pa (§3.4.2); humidity to a few thousandths of a percent.
    assert!((t - truth.temperature_c).abs() <= 0.011, "{t} vs {truth:?}");
    assert!((p - truth.pressure_pa).abs() <= 3.0, "{p} vs {truth:?}");
    assert!((h - truth.humidity_pct).abs() <= 0.02, "{h} vs {truth:?}");
    assert_eq!(bus.device::<Bme280>(ADDR).unwrap().conversions(), 1);
}

#[test]
fn sixteen_times_oversampling_gives_20_bit_pressure() {
    let clock = ManualClock::new(0);
    let mut bus = bus_with_sensor(&clock, Bme280::new(3, 0));
    let calibration = read_calibration(&mut bus);
    // osrs_t x16, osrs_p x16, forced.
    write(
        &mut bus,
        &[reg::CTRL_HUM, 0x05, reg::CTRL_MEAS, 0b101_101_01],
    );
    // 1 + 32 + 32.5 + 32.5 = 98 ms typical; the status byte is read some 70 µs into
    // the transaction, so look a little before the end.
    assert_eq!(timing::measurement_time_typ_us(5, 5, 5), 98_000);
    clock.advance(timing::measurement_time_typ_us(5, 5, 5) - 100);
    assert_ne!(
        read_register(&mut bus, reg::STATUS) & reg::STATUS_MEASURING,
        0
    );
    clock.advance(1_000);
    let (_, p, _) = read_compensated(&mut bus, &calibration);
    let truth = bus
        .device::<Bme280>(ADDR)
        .unwrap()
        .environment()
        .at(clock.now_us());
    assert!((p - truth.pressure_pa).abs() <= 0.3, "{p} vs {truth:?}");
}

#[test]
fn readings_drift_plausibly_over_hours() {
    let clock = ManualClock::new(0);
    let mut bus = bus_with_sensor(&clock, Bme280::new(2024, 0));
    let calibration = read_calibration(&mut bus);
    let mut temperatures = Vec::new();
    let mut pressures = Vec::new();
    let mut humidities = Vec::new();
    for _ in 0..(48 * 2) {
        clock.advance(HOUR_US / 2);
        let (t, p, h) = measure(&mut bus, &clock, &calibration);
        assert!((15.0..=30.0).contains(&t), "{t} °C");
        assert!((99_000.0..=103_000.0).contains(&p), "{p} Pa");
        assert!((30.0..=70.0).contains(&h), "{h} %RH");
        temperatures.push(t);
        pressures.push(p);
        humidities.push(h);
    }
    let span = |v: &[f64]| {
        v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
    };
    assert!(span(&temperatures) > 4.0, "a day has a temperature swing");
    assert!(span(&pressures) > 100.0, "pressure moves over two days");
    assert!(span(&humidities) > 5.0, "humidity moves with temperature");
    // A minute apart, the air has hardly changed.
    let (t1, p1, _) = measure(&mut bus, &clock, &calibration);
    clock.advance(60_000_000);
    let (t2, p2, _) = measure(&mut bus, &clock, &calibration);
    assert!((t1 - t2).abs() < 0.2 && (p1 - p2).abs() < 20.0);
}

#[test]
fn skipped_measurements_read_0x80000_and_0x8000() {
    let clock = ManualClock::new(0);
    let mut bus = bus_with_sensor(&clock, Bme280::new(5, 0));
    // Measure everything once, so the registers hold real values first.
    let calibration = read_calibration(&mut bus);
    measure(&mut bus, &clock, &calibration);
    assert_ne!(read_raw(&mut bus).0, 0x80000);
    // Temperature only: pressure and humidity skipped.
    write(
        &mut bus,
        &[reg::CTRL_HUM, 0x00, reg::CTRL_MEAS, 0b001_000_01],
    );
    clock.advance(timing::measurement_time_typ_us(1, 0, 0));
    let (p, t, h) = read_raw(&mut bus);
    assert_eq!((p, h), (0x80000, 0x8000));
    assert_ne!(t, 0x80000);
    // Everything skipped.
    write(&mut bus, &[reg::CTRL_MEAS, 0b000_000_01]);
    clock.advance(timing::measurement_time_typ_us(0, 0, 0));
    assert_eq!(read_raw(&mut bus), (0x80000, 0x80000, 0x8000));
}

#[test]
fn ctrl_hum_takes_effect_on_the_next_ctrl_meas_write() {
    let clock = ManualClock::new(0);
    let mut bus = bus_with_sensor(&clock, Bme280::new(5, 0));
    // Normal mode without humidity, 0.5 ms standby.
    write(&mut bus, &[reg::CTRL_MEAS, 0b001_001_11]);
    clock.advance(20_000);
    assert_eq!(read_raw(&mut bus).2, 0x8000);
    // ctrl_hum alone changes nothing yet, though it reads back at once.
    write(&mut bus, &[reg::CTRL_HUM, 0x01]);
    assert_eq!(read_register(&mut bus, reg::CTRL_HUM), 0x01);
    clock.advance(50_000);
    assert_eq!(read_raw(&mut bus).2, 0x8000);
    // The ctrl_meas write latches it.
    write(&mut bus, &[reg::CTRL_MEAS, 0b001_001_11]);
    clock.advance(20_000);
    assert_ne!(read_raw(&mut bus).2, 0x8000);
}

#[test]
fn normal_mode_repeats_conversions_with_the_standby_time() {
    let clock = ManualClock::new(0);
    let mut bus = bus_with_sensor(&clock, Bme280::new(5, 0));
    // t_sb = 62.5 ms (001), filter off; then x1/x1 normal mode with humidity x1.
    write(
        &mut bus,
        &[
            reg::CONFIG,
            0b001_000_00,
            reg::CTRL_HUM,
            0x01,
            reg::CTRL_MEAS,
            0b001_001_11,
        ],
    );
    let period = timing::measurement_time_typ_us(1, 1, 1) + timing::standby_us(1);
    assert_eq!(period, 70_500);
    clock.advance(10 * period + 30_000);
    let sensor_conversions = bus.device::<Bme280>(ADDR).unwrap().conversions();
    // Conversions 0..=10 have finished by 10·period + 8 ms.
    read_register(&mut bus, reg::STATUS);
    assert_eq!(bus.device::<Bme280>(ADDR).unwrap().conversions(), 11);
    assert_eq!(
        sensor_conversions, 0,
        "the model is lazy until the bus asks"
    );
    // In standby now (30 ms into the cycle): not measuring; at the next start, measuring.
    assert_eq!(
        read_register(&mut bus, reg::STATUS) & reg::STATUS_MEASURING,
        0
    );
    clock.set(11 * period + 100);
    assert_ne!(
        read_register(&mut bus, reg::STATUS) & reg::STATUS_MEASURING,
        0
    );
    // Config writes in normal mode are ignored (§5.4.6).
    write(&mut bus, &[reg::CONFIG, 0b111_100_00]);
    assert_eq!(read_register(&mut bus, reg::CONFIG), 0b001_000_00);
}

#[test]
fn the_iir_filter_smooths_a_step() {
    let clock = ManualClock::new(0);
    let cool = Conditions {
        temperature_c: 20.0,
        pressure_pa: 100_000.0,
        humidity_pct: 40.0,
    };
    let warm = Conditions {
        temperature_c: 24.0,
        pressure_pa: 100_400.0,
        humidity_pct: 60.0,
    };
    let mut bus = bus_with_sensor(
        &clock,
        Bme280::with_environment(Environment::fixed(cool), 0),
    );
    let calibration = read_calibration(&mut bus);
    // Filter coefficient 4.
    write(&mut bus, &[reg::CONFIG, 0b000_010_00]);
    let (t, _, _) = measure(&mut bus, &clock, &calibration);
    assert!((t - 20.0).abs() <= 0.01);
    bus.device_mut::<Bme280>(ADDR)
        .unwrap()
        .set_environment(Environment::fixed(warm));
    let (t, p, h) = measure(&mut bus, &clock, &calibration);
    // A quarter of the step in T and P. Humidity is not filtered, but the reader
    // compensates it with the filtered temperature, so it is a little off until T
    // settles — as on the real part.
    assert!((t - 21.0).abs() < 0.05, "{t}");
    assert!((p - 100_100.0).abs() < 5.0, "{p}");
    assert!((h - 60.0).abs() < 0.3, "{h}");
    for _ in 0..40 {
        measure(&mut bus, &clock, &calibration);
    }
    let (t, p, _) = measure(&mut bus, &clock, &calibration);
    assert!(
        (t - 24.0).abs() <= 0.01 && (p - 100_400.0).abs() < 0.5,
        "{t} {p}"
    );
}

#[test]
fn writes_are_register_value_pairs() {
    let clock = ManualClock::new(0);
    let mut bus = bus_with_sensor(&clock, Bme280::new(5, 0));
    clock.advance(NVM_WAIT_US);
    write(&mut bus, &[reg::CTRL_HUM, 0x03, reg::CONFIG, 0b101_011_00]);
    assert_eq!(read_register(&mut bus, reg::CTRL_HUM), 0x03);
    assert_eq!(read_register(&mut bus, reg::CONFIG), 0b101_011_00);
    // Reads auto-increment: 0xF2..0xF5 in one burst.
    let mut block = [0u8; 4];
    bus.write_read(ADDR, &[reg::CTRL_HUM], &mut block).unwrap();
    assert_eq!(block, [0x03, 0x00, 0x00, 0b101_011_00]);
    // A read without a register write starts at the last written pointer again.
    let mut again = [0u8; 1];
    bus.read(ADDR, &mut again).unwrap();
    assert_eq!(again[0], 0x03);
}

#[test]
fn soft_reset_restores_defaults_and_copies_the_nvm() {
    let clock = ManualClock::new(0);
    let mut bus = bus_with_sensor(&clock, Bme280::new(5, 0));
    clock.advance(5_000);
    assert_eq!(read_register(&mut bus, reg::STATUS), 0);
    let calibration = read_calibration(&mut bus);
    write(&mut bus, &[reg::CONFIG, 0b010_001_00]);
    measure(&mut bus, &clock, &calibration);
    write(&mut bus, &[reg::CTRL_MEAS, 0b001_001_11]);

    write(&mut bus, &[reg::RESET, reg::RESET_COMMAND]);
    assert_eq!(read_register(&mut bus, reg::STATUS), reg::STATUS_IM_UPDATE);
    for register in [reg::CTRL_HUM, reg::CTRL_MEAS, reg::CONFIG] {
        assert_eq!(
            read_register(&mut bus, register),
            0,
            "register 0x{register:02x}"
        );
    }
    assert_eq!(read_raw(&mut bus), (0x80000, 0x80000, 0x8000));
    clock.advance(2_000);
    assert_eq!(read_register(&mut bus, reg::STATUS), 0);
    assert_eq!(read_register(&mut bus, reg::ID), 0x60);
    // Writing anything but 0xB6 does nothing.
    write(&mut bus, &[reg::CTRL_HUM, 0x01, reg::RESET, 0x00]);
    assert_eq!(read_register(&mut bus, reg::CTRL_HUM), 0x01);
}

#[test]
fn an_unplugged_sensor_nacks_and_works_again_when_plugged_back() {
    let clock = ManualClock::new(0);
    let mut bus = bus_with_sensor(&clock, Bme280::new(5, 0));
    bus.set_connected(ADDR, false);
    let mut id = [0u8];
    assert_eq!(
        bus.write_read(ADDR, &[reg::ID], &mut id),
        Err(Error::Nack(NoAcknowledgeSource::Address))
    );
    bus.set_connected(ADDR, true);
    assert_eq!(read_register(&mut bus, reg::ID), 0x60);
    let calibration = read_calibration(&mut bus);
    let (t, _, _) = measure(&mut bus, &clock, &calibration);
    assert!((15.0..=30.0).contains(&t));
}

#[test]
fn the_secondary_address_works_alongside() {
    let clock = ManualClock::new(0);
    let mut bus = bus_with_sensor(&clock, Bme280::new(5, 0));
    bus.attach(
        kos_sim_devices::bme280::ADDRESS_SECONDARY,
        Bme280::new(6, 0),
    )
    .unwrap();
    let mut id = [0u8];
    bus.write_read(0x77, &[reg::ID], &mut id).unwrap();
    assert_eq!(id[0], 0x60);
}
