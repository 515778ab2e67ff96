//! Shared set-up of the integration tests: an EEPROM on the model's bus and a driver.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use core::cell::RefCell;

use am335x_i2c::model::{Am335xI2cModel, BusEvent, Eeprom};
use am335x_i2c::{Am335xI2c, Config};

/// Where the test EEPROM answers (a 24C02's usual address).
pub const EEPROM: u8 = 0x50;
/// An address nothing answers at.
pub const NOBODY: u8 = 0x23;

/// The test driver type.
pub type Driver<'t> = Am335xI2c<Am335xI2cModel<'t>>;

/// Standard mode with a small poll budget, so stuck-bus tests end quickly.
pub fn config() -> Config {
    Config {
        timeout_polls: 64,
        ..Config::standard()
    }
}

/// An erased 256-byte EEPROM.
pub fn eeprom() -> RefCell<Eeprom<256>> {
    RefCell::new(Eeprom::new())
}

/// A driver whose bus has `eeprom` at [`EEPROM`].
pub fn driver_with(eeprom: &RefCell<Eeprom<256>>) -> Driver<'_> {
    let mut model = Am335xI2cModel::new();
    model.attach(EEPROM, eeprom).expect("attach the EEPROM");
    Am335xI2c::new(model, config()).expect("controller comes up")
}

/// The bus trace so far, then cleared.
pub fn take_trace(i2c: &mut Driver<'_>) -> std::vec::Vec<BusEvent> {
    let trace = i2c.registers().trace().to_vec();
    i2c.registers_mut().clear_trace();
    trace
}

/// A START event.
pub fn start(address: u8, read: bool, repeated: bool, ack: bool) -> BusEvent {
    BusEvent::Start {
        address,
        read,
        repeated,
        ack,
    }
}

/// An acknowledged written byte.
pub fn wrote(byte: u8) -> BusEvent {
    BusEvent::Write { byte, ack: true }
}

/// A read byte, acknowledged by the controller unless it is the last.
pub fn got(byte: u8, ack: bool) -> BusEvent {
    BusEvent::Read { byte, ack }
}
