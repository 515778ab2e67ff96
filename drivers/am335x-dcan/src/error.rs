//! The driver's error type and its mapping onto [`embedded_can::ErrorKind`].

use core::fmt;

use embedded_can::ErrorKind;

use crate::config::ConfigError;

/// Which bounded wait ran out of budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Wait {
    /// CTL.Init did not read back as set.
    EnterInit,
    /// CTL.Init did not read back as clear.
    LeaveInit,
    /// CTL.SWR did not clear after a software reset.
    SoftwareReset,
    /// An IF1/IF2 transfer kept IFxCMD.Busy set.
    InterfaceBusy,
}

/// A driver error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The configuration cannot be applied.
    Config(ConfigError),
    /// A register did not reach the expected state within the poll budget.
    Timeout(Wait),
    /// BTR did not read back the value written (Init/CCE not honoured).
    BitTimingRejected {
        /// Value written.
        written: u32,
        /// Value read back.
        read: u32,
    },
    /// The controller is bus-off; call `recover` and let the bus go idle.
    BusOff,
    /// Received frames were lost because the receive FIFO was full (MsgLst).
    Overrun,
    /// `init` has not completed.
    NotInitialised,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(e) => write!(f, "configuration: {e}"),
            Self::Timeout(wait) => write!(f, "timed out waiting: {wait:?}"),
            Self::BitTimingRejected { written, read } => write!(
                f,
                "BTR reads {read:#x} after writing {written:#x} (Init/CCE not honoured)"
            ),
            Self::BusOff => f.write_str("the controller is bus-off"),
            Self::Overrun => f.write_str("receive FIFO overrun: frames were lost"),
            Self::NotInitialised => f.write_str("the controller is not initialised"),
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}

impl embedded_can::Error for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Overrun => ErrorKind::Overrun,
            _ => ErrorKind::Other,
        }
    }
}
