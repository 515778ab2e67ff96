//! Transfer errors, from the errno an adapter driver returns.
//!
//! Linux adapter drivers report bus faults with the errnos of the kernel's
//! `Documentation/i2c/fault-codes.rst`; this maps them onto the same variants as the
//! `am335x-i2c` driver (`Nack`, `ArbitrationLoss`, `BusBusy`, `Timeout`) and keeps any
//! other errno as it came.

use std::{fmt, io};

use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};

/// A failed transaction on a Linux I2C adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The target did not acknowledge: `ENXIO` is the address phase (fault-codes.rst);
    /// `EIO` is what i2c-algo-bit (GPIO buses) returns for a refused data byte once the
    /// address was acknowledged; `EREMOTEIO` is what i2c-omap, bcm2835 and designware
    /// return for either, so the source is unknown.
    Nack(NoAcknowledgeSource),
    /// `EAGAIN`: another master won the bus.
    ArbitrationLoss,
    /// `EBUSY` from a transfer: the bus stayed busy longer than the adapter waits.
    BusBusy,
    /// `ETIMEDOUT`: the transfer took too long and was aborted (SCL held low?).
    Timeout,
    /// `EBUSY` when selecting the address: a kernel driver owns that address, so i2c-dev
    /// refuses it (unbind the driver, or talk to the device through it).
    AddressInUse(u8),
    /// Any other errno (e.g. `EOPNOTSUPP` for a transfer the adapter cannot do, `EINVAL`
    /// for a message i2c-dev refuses).
    Io(i32),
}

impl Error {
    /// The fault a transfer's `errno` stands for.
    pub fn from_errno(errno: i32) -> Self {
        match errno {
            libc::ENXIO => Self::Nack(NoAcknowledgeSource::Address),
            libc::EIO => Self::Nack(NoAcknowledgeSource::Data),
            libc::EREMOTEIO => Self::Nack(NoAcknowledgeSource::Unknown),
            libc::EAGAIN => Self::ArbitrationLoss,
            libc::EBUSY => Self::BusBusy,
            libc::ETIMEDOUT => Self::Timeout,
            other => Self::Io(other),
        }
    }

    /// The errno of an I/O error; `EIO` when it carries none.
    pub(crate) fn errno_of(error: &io::Error) -> i32 {
        error.raw_os_error().unwrap_or(libc::EIO)
    }
}

impl embedded_hal::i2c::Error for Error {
    fn kind(&self) -> ErrorKind {
        match *self {
            Self::Nack(source) => ErrorKind::NoAcknowledge(source),
            Self::ArbitrationLoss => ErrorKind::ArbitrationLoss,
            Self::BusBusy => ErrorKind::Bus,
            Self::Timeout | Self::AddressInUse(_) | Self::Io(_) => ErrorKind::Other,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Nack(NoAcknowledgeSource::Address) => f.write_str("address not acknowledged"),
            Self::Nack(NoAcknowledgeSource::Data) => f.write_str("data byte not acknowledged"),
            Self::Nack(NoAcknowledgeSource::Unknown) => f.write_str("not acknowledged"),
            Self::ArbitrationLoss => f.write_str("arbitration lost to another master"),
            Self::BusBusy => f.write_str("bus busy"),
            Self::Timeout => f.write_str("transfer timed out (SCL held low?)"),
            Self::AddressInUse(address) => {
                write!(f, "address {address:#04x} is claimed by a kernel driver")
            }
            Self::Io(errno) => write!(
                f,
                "I2C transfer failed: {}",
                io::Error::from_raw_os_error(*errno)
            ),
        }
    }
}

impl std::error::Error for Error {}
