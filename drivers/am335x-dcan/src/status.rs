//! What the controller says about the bus: the fault-confinement state from ES
//! (EPass, BOff) and the last error code (LEC), with its mapping onto
//! [`embedded_can::ErrorKind`].

use embedded_can::ErrorKind;

use crate::regs::es;

/// Fault-confinement state of the controller (ISO 11898-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BusState {
    /// Both error counters below 128: the node sends active error flags.
    ErrorActive,
    /// An error counter reached 128: the node sends passive error flags only.
    ErrorPassive,
    /// The transmit error counter passed 255: the node is off the bus until recovered.
    BusOff,
}

impl BusState {
    /// Decodes ES. Bus-off wins over error passive (ES shows both while bus-off).
    pub fn from_es(es_value: u32) -> Self {
        if es_value & es::BOFF != 0 {
            Self::BusOff
        } else if es_value & es::EPASS != 0 {
            Self::ErrorPassive
        } else {
            Self::ErrorActive
        }
    }
}

/// Last error code, ES bits 2:0 (TRM table 23-15).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lec {
    /// The last frame went through without error.
    NoError,
    /// More than five equal bits in a row.
    Stuff,
    /// A fixed-format field had the wrong format.
    Form,
    /// A transmitted frame was not acknowledged.
    Ack,
    /// Sent recessive, saw dominant (outside arbitration).
    Bit1,
    /// Sent dominant, saw recessive; also written for every 11 recessive bits during
    /// bus-off recovery.
    Bit0,
    /// The CRC of a received frame was wrong.
    Crc,
    /// No bus event since ES was last read.
    NoEvent,
}

impl Lec {
    /// Decodes the LEC field of an ES value.
    pub fn from_es(es_value: u32) -> Self {
        match es_value & es::LEC_MASK {
            0 => Self::NoError,
            1 => Self::Stuff,
            2 => Self::Form,
            3 => Self::Ack,
            4 => Self::Bit1,
            5 => Self::Bit0,
            6 => Self::Crc,
            _ => Self::NoEvent,
        }
    }

    /// The LEC field value.
    pub fn bits(self) -> u32 {
        match self {
            Self::NoError => 0,
            Self::Stuff => 1,
            Self::Form => 2,
            Self::Ack => 3,
            Self::Bit1 => 4,
            Self::Bit0 => 5,
            Self::Crc => 6,
            Self::NoEvent => 7,
        }
    }

    /// The `embedded_can` kind of this error; `None` for "no error" and "no event".
    pub fn kind(self) -> Option<ErrorKind> {
        match self {
            Self::Stuff => Some(ErrorKind::Stuff),
            Self::Form => Some(ErrorKind::Form),
            Self::Ack => Some(ErrorKind::Acknowledge),
            Self::Bit1 | Self::Bit0 => Some(ErrorKind::Bit),
            Self::Crc => Some(ErrorKind::Crc),
            Self::NoError | Self::NoEvent => None,
        }
    }
}
