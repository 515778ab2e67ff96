//! The errors of the simulated I2C bus. The variant names are shared with the other I2C
//! backends (`am335x-i2c`, `linux-i2c`) so the I2C server maps them the same way.

use core::fmt;
use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};

/// What went wrong on the simulated wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Nobody acknowledged: the address (no device, or unplugged) or a data byte.
    Nack(NoAcknowledgeSource),
    /// Another master won arbitration (injected with `inject_arbitration_loss`).
    ArbitrationLoss,
    /// SDA is held low, so no START can be sent (injected with `hold_bus`).
    BusBusy,
    /// A device stretched the clock past the bus timeout.
    Timeout,
}

impl embedded_hal::i2c::Error for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Nack(source) => ErrorKind::NoAcknowledge(*source),
            Self::ArbitrationLoss => ErrorKind::ArbitrationLoss,
            Self::BusBusy => ErrorKind::Bus,
            Self::Timeout => ErrorKind::Other,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Nack(source) => write!(f, "not acknowledged: {source}"),
            Self::ArbitrationLoss => write!(f, "arbitration lost to another master"),
            Self::BusBusy => write!(f, "bus busy: SDA held low"),
            Self::Timeout => write!(f, "clock stretched past the bus timeout"),
        }
    }
}

/// Why a device could not be attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachError {
    /// Not a 7-bit address, or one the I2C specification reserves (0x00–0x07, 0x78–0x7F).
    InvalidAddress(u8),
    /// Another device already answers at this address.
    AddressInUse(u8),
}

impl fmt::Display for AttachError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidAddress(a) => write!(f, "0x{a:02x} is not a usable 7-bit address"),
            Self::AddressInUse(a) => write!(f, "a device is already attached at 0x{a:02x}"),
        }
    }
}
