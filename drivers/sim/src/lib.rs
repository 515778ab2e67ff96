//! Simulated buses and devices for the `sim` board: an I2C bus with a Bosch BME280 and a
//! CAN bus shared by several nodes, with a simulated engine ECU among them.
//!
//! The models follow the datasheets' registers and timing rather than returning canned
//! answers, so the I2C and CAN servers (and the apps above them) behave on a developer's
//! machine as they do on hardware. Nothing here reads a clock: time comes in as `now_us`
//! or through a [`Clock`] the owner supplies, which keeps the crate `no_std` (portable to
//! seL4) and the tests deterministic.
//!
//! ```
//! use embedded_can::nb::Can;
//! use embedded_hal::i2c::I2c;
//! use kos_sim_devices::bme280::{Bme280, ADDRESS_PRIMARY};
//! use kos_sim_devices::can::{devices::Ecu, CanFrame, SimCanBus};
//! use kos_sim_devices::i2c::{SimI2cBus, FAST_MODE_HZ};
//! use kos_sim_devices::ManualClock;
//!
//! // I2C: a BME280 at 0x76, read as any embedded-hal driver reads it.
//! let clock = ManualClock::new(0);
//! let mut i2c = SimI2cBus::new(&clock, FAST_MODE_HZ);
//! i2c.attach(ADDRESS_PRIMARY, Bme280::new(42, 0)).unwrap();
//! let mut id = [0u8];
//! i2c.write_read(ADDRESS_PRIMARY, &[0xD0], &mut id).unwrap();
//! assert_eq!(id, [0x60]);
//!
//! // CAN: a node and a simulated ECU at 500 kbit/s; time moves when told to.
//! let mut can = SimCanBus::new(500_000);
//! let node = can.add_node();
//! can.add_device(Ecu::new(7, 0));
//! can.node(node).unwrap().transmit(&CanFrame::standard(0x123, &[1, 2]).unwrap()).unwrap();
//! can.advance_to(150_000);
//! let broadcast = can.node(node).unwrap().receive().unwrap();
//! assert_eq!(broadcast.raw_id(), 0x0C0);
//! ```
#![no_std]
#![deny(missing_docs)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod bme280;
pub mod can;
mod clock;
pub mod i2c;
mod prng;

pub use clock::{Clock, ManualClock};
