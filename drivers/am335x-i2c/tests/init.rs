//! Controller set-up: soft reset, dividers for 100 and 400 kHz, enable.

mod common;

use am335x_i2c::model::Am335xI2cModel;
use am335x_i2c::regs::{self, con, status, syss};
use am335x_i2c::{Am335xI2c, ClockSettings, Config, ConfigError, InitError, Registers};

#[test]
fn standard_mode_programs_a_12_mhz_internal_clock_and_5_us_halves() {
    let i2c = Am335xI2c::new(Am335xI2cModel::new(), Config::standard()).expect("init");
    let model = i2c.registers();
    // 48 MHz / (3 + 1) = 12 MHz; 120 periods of SCL: (53 + 7) low, (55 + 5) high.
    assert_eq!(model.peek(regs::PSC), 3);
    assert_eq!(model.peek(regs::SCLL), 53);
    assert_eq!(model.peek(regs::SCLH), 55);
    let clocks = i2c.clock_settings();
    assert_eq!(clocks.t_low_ns(48_000_000), 5_000);
    assert_eq!(clocks.t_high_ns(48_000_000), 5_000);
}

#[test]
fn fast_mode_meets_the_i2c_minimum_low_and_high_times() {
    let i2c = Am335xI2c::new(Am335xI2cModel::new(), Config::fast()).expect("init");
    let model = i2c.registers();
    // 30 periods of 12 MHz: 20 low (13 + 7), 10 high (5 + 5).
    assert_eq!(model.peek(regs::PSC), 3);
    assert_eq!(model.peek(regs::SCLL), 13);
    assert_eq!(model.peek(regs::SCLH), 5);
    let clocks = i2c.clock_settings();
    let (low, high) = (clocks.t_low_ns(48_000_000), clocks.t_high_ns(48_000_000));
    assert!(low >= 1_300, "tLOW {low} ns is under the fast-mode minimum");
    assert!(
        high >= 600,
        "tHIGH {high} ns is under the fast-mode minimum"
    );
    // 12 MHz / 400 kHz = 30 internal clock periods per SCL period at least.
    let periods = u32::from(clocks.scll) + 7 + u32::from(clocks.sclh) + 5;
    assert!(periods >= 30, "SCL faster than 400 kHz");
}

#[test]
fn other_functional_clocks_keep_the_internal_clock_at_most_12_mhz() {
    let clocks = ClockSettings::compute(96_000_000, 100_000).expect("96 MHz works");
    assert_eq!(clocks.psc, 7);
    assert_eq!(clocks.iclk_hz(96_000_000), 12_000_000);
    let clocks = ClockSettings::compute(50_000_000, 400_000).expect("50 MHz works");
    assert!(clocks.iclk_hz(50_000_000) <= 12_000_000);
    let periods = u32::from(clocks.scll) + 7 + u32::from(clocks.sclh) + 5;
    assert!(
        periods * 400_000 >= clocks.iclk_hz(50_000_000),
        "SCL faster than 400 kHz"
    );
}

#[test]
fn impossible_rates_are_refused_before_touching_the_controller() {
    for bus_hz in [0, 1_000_000, 10_000] {
        let config = Config {
            bus_hz,
            ..Config::standard()
        };
        let error = Am335xI2c::new(Am335xI2cModel::new(), config)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(error, InitError::Config(ConfigError::BusSpeed(bus_hz)));
    }
    let config = Config {
        functional_clock_hz: 0,
        ..Config::standard()
    };
    assert!(matches!(
        Am335xI2c::new(Am335xI2cModel::new(), config),
        Err(InitError::Config(ConfigError::FunctionalClock(0)))
    ));
}

#[test]
fn init_soft_resets_and_leaves_the_controller_enabled_and_polled() {
    let mut model = Am335xI2cModel::new();
    // Leftovers of an earlier user: interrupts enabled, a pending event.
    model.write(regs::IRQENABLE_SET, status::BF | status::GC);
    model.write(regs::IRQSTATUS_RAW, status::NACK);
    let i2c = Am335xI2c::new(model, Config::standard()).expect("init");
    let model = i2c.registers();
    assert_eq!(model.peek(regs::SYSS) & syss::RDONE, syss::RDONE);
    assert_eq!(model.peek(regs::CON), con::I2C_EN);
    // The polled events are enabled (see the driver), nothing else.
    let enabled = model.peek(regs::IRQENABLE_SET);
    let polled = status::AL | status::NACK | status::ARDY | status::RRDY | status::XRDY;
    assert_eq!(enabled & polled, polled);
    assert_eq!(
        enabled & (status::BF | status::GC | status::AAS | status::STC),
        0
    );
    assert_eq!(model.peek(regs::IRQSTATUS_RAW), 0);
}

/// A module that never finishes its reset (unclocked).
struct Unclocked;

impl Registers for Unclocked {
    fn read(&mut self, _offset: u32) -> u32 {
        0
    }

    fn write(&mut self, _offset: u32, _value: u32) {}
}

#[test]
fn a_reset_that_never_completes_is_a_bounded_failure() {
    let config = Config {
        timeout_polls: 10,
        ..Config::standard()
    };
    assert!(matches!(
        Am335xI2c::new(Unclocked, config),
        Err(InitError::ResetTimeout)
    ));
}
