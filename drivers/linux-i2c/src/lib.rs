//! I2C through Linux i2c-dev (linux-embedded-hal) for boards running Linux.
//!
//! [`LinuxI2c`] opens `/dev/i2c-N` and implements [`embedded_hal::i2c::I2c`] on top of
//! linux-embedded-hal's `I2cdev`. Its [`Error`] turns the errno an adapter driver returns
//! into the fault it stands for (the kernel's `Documentation/i2c/fault-codes.rst`), with
//! the same variant names as the `am335x-i2c` register-level driver, so a server reports
//! faults alike on either backend.
//!
//! i2c-dev exists only on Linux; on other systems this crate is empty.
//!
//! ```no_run
//! # #[cfg(target_os = "linux")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use embedded_hal::i2c::I2c;
//! use kos_linux_i2c::LinuxI2c;
//!
//! let mut i2c = LinuxI2c::open("/dev/i2c-2")?;
//! let mut id = [0u8; 1];
//! i2c.write_read(0x76, &[0xD0], &mut id)?;
//! # Ok(())
//! # }
//! # #[cfg(not(target_os = "linux"))]
//! # fn main() {}
//! ```
#![deny(missing_docs)]

#[cfg(target_os = "linux")]
mod device;
#[cfg(target_os = "linux")]
mod error;
#[cfg(target_os = "linux")]
mod merge;
#[cfg(target_os = "linux")]
mod open;

#[cfg(target_os = "linux")]
pub use device::LinuxI2c;
#[cfg(target_os = "linux")]
pub use error::Error;
#[cfg(target_os = "linux")]
pub use open::{OpenError, OpenErrorKind};
