//! CAN through Linux SocketCAN, for boards that run Linux: [`SocketCan`] opens a raw
//! CAN socket on an interface (`can0`, `vcan0`), implements [`embedded_can::nb::Can`]
//! on it, installs kernel acceptance filters, and turns the kernel's error frames into
//! a bus state and error counters.
//!
//! Everything here is Linux only; on other systems the crate is empty.
//!
//! ```no_run
//! # #[cfg(target_os = "linux")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use embedded_can::{nb::Can, Frame, StandardId};
//! use kos_socketcan::{CanFrame, SocketCan};
//!
//! let mut can = SocketCan::open("can0")?;
//! can.set_filters(&[(0x100, 0x700, false)])?; // standard ids 0x100..=0x1FF
//! let id = StandardId::new(0x123).ok_or("bad id")?;
//! let frame = CanFrame::new(id, &[1, 2, 3]).ok_or("bad frame")?;
//! nb::block!(can.transmit(&frame))?;
//! let reply = nb::block!(can.receive())?;
//! println!("{:?} {:?}", reply.id(), reply.data());
//! # Ok(())
//! # }
//! # #[cfg(not(target_os = "linux"))]
//! # fn main() {}
//! ```
#![deny(missing_docs)]

#[cfg(target_os = "linux")]
mod error;
#[cfg(target_os = "linux")]
mod filter;
#[cfg(target_os = "linux")]
mod open;
#[cfg(target_os = "linux")]
mod socket;
#[cfg(target_os = "linux")]
mod status;

#[cfg(target_os = "linux")]
pub use error::{Error, OpenError};
#[cfg(target_os = "linux")]
pub use socket::SocketCan;
#[cfg(target_os = "linux")]
pub use socketcan::CanFrame;
#[cfg(target_os = "linux")]
pub use status::{BusState, BusStatus};
