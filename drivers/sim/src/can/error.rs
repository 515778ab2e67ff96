//! Errors a node reports through `embedded_can`, and errors of setting the bus up.

use core::fmt;
use embedded_can::ErrorKind;

/// What `transmit` or `receive` on a node can fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CanError {
    /// The receive queue was full and frames were lost since the last `receive`.
    Overrun,
    /// The node is bus-off and takes no frames until it has recovered.
    BusOff,
}

impl embedded_can::Error for CanError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Overrun => ErrorKind::Overrun,
            Self::BusOff => ErrorKind::Other,
        }
    }
}

impl fmt::Display for CanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Overrun => write!(f, "receive queue overrun: frames were lost"),
            Self::BusOff => write!(f, "node is bus-off"),
        }
    }
}

/// Why a bus operation on a node was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupError {
    /// The id does not name a node of this bus.
    UnknownNode,
    /// More filters than a node holds ([`MAX_FILTERS`](super::MAX_FILTERS)).
    TooManyFilters,
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownNode => write!(f, "no such node on this bus"),
            Self::TooManyFilters => write!(f, "too many acceptance filters"),
        }
    }
}
