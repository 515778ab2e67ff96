//! Why a transaction or the controller set-up failed.
//!
//! The variants that also exist in `kos-linux-i2c` (`Nack`, `ArbitrationLoss`, `BusBusy`,
//! `Timeout`) carry the same names and meaning, so a server over either backend reports
//! faults the same way.

use core::fmt;

use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};

use crate::config::ConfigError;

/// A failed transaction. The driver has already put the controller back in a usable
/// state when it returns one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The target did not acknowledge its address, or a byte written to it.
    Nack(NoAcknowledgeSource),
    /// Another master won the bus; nothing of this transaction after that point happened.
    ArbitrationLoss,
    /// The bus stayed busy (`BB`) for the whole poll budget before the first START.
    BusBusy,
    /// The controller stopped making progress mid-transfer for the whole poll budget
    /// (typically a target holding SCL low); the controller was reset.
    Timeout,
    /// The controller reported a receive overrun (`ROVR`); the controller was reset.
    Overrun,
    /// The controller reported a transmit underflow (`XUDF`); the controller was reset.
    Underrun,
    /// A run of same-direction operations holds more than 65535 bytes, the most one
    /// `CNT` transfer can move without a repeated START. Nothing was sent.
    TransferTooLong,
    /// The address does not fit in 7 bits. Nothing was sent.
    InvalidAddress(u8),
}

impl embedded_hal::i2c::Error for Error {
    fn kind(&self) -> ErrorKind {
        match *self {
            Self::Nack(source) => ErrorKind::NoAcknowledge(source),
            Self::ArbitrationLoss => ErrorKind::ArbitrationLoss,
            // The bus itself is unusable: held by someone, or stuck.
            Self::BusBusy => ErrorKind::Bus,
            Self::Overrun => ErrorKind::Overrun,
            Self::Timeout | Self::Underrun | Self::TransferTooLong | Self::InvalidAddress(_) => {
                ErrorKind::Other
            }
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
            Self::BusBusy => f.write_str("bus stayed busy before START"),
            Self::Timeout => f.write_str("transfer made no progress (SCL held low?)"),
            Self::Overrun => f.write_str("receive overrun"),
            Self::Underrun => f.write_str("transmit underflow"),
            Self::TransferTooLong => {
                f.write_str("more than 65535 bytes in one direction without a repeated START")
            }
            Self::InvalidAddress(address) => write!(f, "address {address:#04x} is not 7-bit"),
        }
    }
}

impl core::error::Error for Error {}

/// Why [`crate::Am335xI2c::new`] could not bring the controller up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitError {
    /// The configuration cannot be programmed.
    Config(ConfigError),
    /// The soft reset did not report done (`SYSS.RDONE`) within the poll budget:
    /// the module is probably not clocked.
    ResetTimeout,
}

impl From<ConfigError> for InitError {
    fn from(error: ConfigError) -> Self {
        Self::Config(error)
    }
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(error) => write!(f, "invalid I2C configuration: {error}"),
            Self::ResetTimeout => {
                f.write_str("I2C soft reset did not complete (is the module clocked?)")
            }
        }
    }
}

impl core::error::Error for InitError {}
