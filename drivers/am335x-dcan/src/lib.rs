//! Register-level driver for the TI AM335x D_CAN controller (BeagleBone Black; TRM
//! SPRUH73, chapter 23 "DCAN"), with a register model of the controller to test it on
//! the host.
//!
//! [`Dcan`] implements [`embedded_can::nb::Can`] with its own [`CanFrame`]. It reaches
//! the hardware only through [`Registers`] — [`Mmio`] on the board,
//! [`model::DcanModel`] in tests — and owns the message objects: a receive FIFO of
//! chained objects with one acceptance filter, then a run of transmit objects.
//!
//! ```
//! use am335x_dcan::{model::DcanModel, CanFrame, Config, Dcan};
//! use embedded_can::{nb::Can, Frame, StandardId};
//!
//! let mut can = Dcan::new(DcanModel::new(), Config::new(500_000));
//! can.init().unwrap();
//! let id = StandardId::new(0x123).unwrap();
//! can.transmit(&CanFrame::new(id, &[1, 2, 3]).unwrap()).unwrap();
//! let sent = can.registers_mut().pop_wire().unwrap();
//! assert_eq!(sent.frame.data(), &[1, 2, 3]);
//! ```
#![no_std]
#![deny(missing_docs)]

mod config;
mod driver;
mod error;
mod frame;
pub mod model;
mod registers;
pub mod regs;
mod status;
mod timing;

pub use config::{Config, ConfigError, Filter, BBB_DCAN_CLOCK_HZ};
pub use driver::Dcan;
pub use error::{Error, Wait};
pub use frame::CanFrame;
pub use registers::{Mmio, Registers};
pub use status::{BusState, Lec};
pub use timing::{BitTiming, BitTimingError};
