//! Register-level driver for the AM335x I2C controller (BeagleBone Black), with a
//! register model of its behaviour.
//!
//! [`Am335xI2c`] is a polled master implementing [`embedded_hal::i2c::I2c`] over any
//! [`Registers`]: [`Mmio`] on the board, [`model::Am335xI2cModel`] in tests. Register
//! names and semantics follow the AM335x TRM (SPRUH73), chapter 21 "I2C".
//!
//! ```no_run
//! use am335x_i2c::{regs, Am335xI2c, Config, Mmio};
//! use embedded_hal::i2c::I2c;
//!
//! // SAFETY: I2C2 is mapped, clocked and pinmuxed, and nothing else drives it.
//! let mmio = unsafe { Mmio::new(regs::I2C2_BASE) };
//! let mut i2c = Am335xI2c::new(mmio, Config::fast()).expect("I2C2 comes up");
//! let mut id = [0u8; 1];
//! i2c.write_read(0x76, &[0xD0], &mut id).expect("BME280 answers");
//! ```
#![no_std]
#![deny(missing_docs)]

mod config;
mod driver;
mod error;
pub mod model;
mod plan;
mod registers;
pub mod regs;

pub use config::{ClockSettings, Config, ConfigError, FAST_MODE_HZ, STANDARD_MODE_HZ};
pub use driver::Am335xI2c;
pub use error::{Error, InitError};
pub use registers::{Mmio, Registers};
