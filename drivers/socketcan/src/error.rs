//! Errors: [`OpenError`] says why an interface could not be opened, naming it;
//! [`Error`] is what sending, receiving and filtering report.

use std::{fmt, io};

use embedded_can::ErrorKind;

/// Linux link type of CAN interfaces (`ARPHRD_CAN`, `/sys/class/net/*/type`).
pub(crate) const ARPHRD_CAN: u16 = 280;

/// Why [`crate::SocketCan::open`] failed.
#[derive(Debug)]
pub enum OpenError {
    /// The name cannot be an interface name (empty, longer than 15 bytes, or with
    /// `/`, whitespace or NUL in it).
    InvalidName {
        /// The name given.
        ifname: String,
    },
    /// No interface has this name.
    NoSuchInterface {
        /// The name given.
        ifname: String,
    },
    /// The interface exists but is not a CAN interface.
    NotCan {
        /// The name given.
        ifname: String,
        /// Its link type, when sysfs tells it.
        link_type: Option<u16>,
    },
    /// The process may not open a CAN socket on it.
    PermissionDenied {
        /// The name given.
        ifname: String,
        /// The underlying error.
        source: io::Error,
    },
    /// The kernel has no CAN socket support (the `can` and `can_raw` modules).
    CanUnsupported {
        /// The name given.
        ifname: String,
    },
    /// Any other failure of the socket calls.
    Io {
        /// The name given.
        ifname: String,
        /// The underlying error.
        source: io::Error,
    },
}

impl OpenError {
    /// The interface name the error is about.
    pub fn ifname(&self) -> &str {
        match self {
            Self::InvalidName { ifname }
            | Self::NoSuchInterface { ifname }
            | Self::NotCan { ifname, .. }
            | Self::PermissionDenied { ifname, .. }
            | Self::CanUnsupported { ifname }
            | Self::Io { ifname, .. } => ifname,
        }
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidName { ifname } => write!(
                f,
                "{ifname:?} is not a valid interface name (1-15 bytes, no '/', whitespace or NUL)"
            ),
            Self::NoSuchInterface { ifname } => write!(
                f,
                "CAN interface {ifname:?}: no such interface (see `ip link show`)"
            ),
            Self::NotCan {
                ifname,
                link_type: Some(link_type),
            } => write!(
                f,
                "{ifname:?} is not a CAN interface (link type {link_type}, CAN is {ARPHRD_CAN})"
            ),
            Self::NotCan {
                ifname,
                link_type: None,
            } => write!(f, "{ifname:?} is not a CAN interface"),
            Self::PermissionDenied { ifname, source } => {
                write!(f, "CAN interface {ifname:?}: permission denied ({source})")
            }
            Self::CanUnsupported { ifname } => write!(
                f,
                "CAN interface {ifname:?}: this kernel has no CAN socket support \
                 (load the can and can_raw modules)"
            ),
            Self::Io { ifname, source } => write!(f, "CAN interface {ifname:?}: {source}"),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::PermissionDenied { source, .. } | Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// An error while sending, receiving or setting filters.
#[derive(Debug)]
pub enum Error {
    /// A socket call failed.
    Io(io::Error),
    /// The kernel reported the controller bus-off (`CAN_ERR_BUSOFF`).
    BusOff,
    /// The kernel reported a bus or controller error in an error frame.
    Bus(ErrorKind),
    /// A filter identifier does not fit its identifier width.
    InvalidFilter {
        /// The identifier.
        id: u32,
        /// Whether it was meant as a 29-bit identifier.
        extended: bool,
    },
    /// Error frames are reports from the kernel and cannot be sent.
    ErrorFrameNotSendable,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "CAN socket: {e}"),
            Self::BusOff => f.write_str("the CAN controller is bus-off"),
            Self::Bus(kind) => write!(f, "CAN bus error: {kind}"),
            Self::InvalidFilter { id, extended } => {
                let bits = if *extended { 29 } else { 11 };
                write!(f, "filter id {id:#x} does not fit in {bits} bits")
            }
            Self::ErrorFrameNotSendable => f.write_str("error frames cannot be sent"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl embedded_can::Error for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Bus(kind) => *kind,
            _ => ErrorKind::Other,
        }
    }
}
