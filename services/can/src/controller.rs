//! What the service needs from a CAN controller, and what a controller reports.
//!
//! Every backend is wrapped in the server binary as a [`Controller`]: a non-blocking
//! transmit and receive (as `embedded_can::nb::Can`, but over this crate's [`Frame`]
//! so the service is the same for all of them), its error state, and a way out of
//! bus-off. The service never waits on a controller: `WouldBlock` means "not now",
//! and [`crate::CanService::poll`] is called again when the backend has news.

use crate::Frame;

/// A controller's fault-confinement state (ISO 11898-1, 12.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BusState {
    /// Both error counters below 128: the node takes part normally.
    ErrorActive,
    /// An error counter at 128 or above: the node may only flag errors passively.
    ErrorPassive,
    /// The transmit error counter passed 255: the node is off the bus until it
    /// recovers.
    BusOff,
}

impl BusState {
    /// Wire code: 0 error-active, 1 error-passive, 2 bus-off.
    pub const fn code(self) -> u8 {
        match self {
            BusState::ErrorActive => 0,
            BusState::ErrorPassive => 1,
            BusState::BusOff => 2,
        }
    }

    /// The state a wire code names.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(BusState::ErrorActive),
            1 => Some(BusState::ErrorPassive),
            2 => Some(BusState::BusOff),
            _ => None,
        }
    }
}

/// A controller's state and error counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ControllerStatus {
    /// Fault-confinement state.
    pub state: BusState,
    /// Transmit error counter (saturated at 255).
    pub tec: u8,
    /// Receive error counter (saturated at 255).
    pub rec: u8,
}

impl ControllerStatus {
    /// A healthy controller.
    pub const ACTIVE: ControllerStatus = ControllerStatus {
        state: BusState::ErrorActive,
        tec: 0,
        rec: 0,
    };
}

/// A fault a controller reports, as `embedded_can::ErrorKind` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// A received frame was lost for want of room.
    Overrun,
    /// A bit read back differed from the bit sent.
    Bit,
    /// More than five equal bits in a row.
    Stuff,
    /// A frame's CRC did not match.
    Crc,
    /// A fixed-form field held an illegal bit.
    Form,
    /// No node acknowledged a transmitted frame.
    Acknowledge,
    /// Anything else, including backend failures.
    Other,
}

impl Fault {
    /// Wire code in a bus-event record: 1 overrun … 7 other (0 means no error).
    pub const fn code(self) -> u8 {
        match self {
            Fault::Overrun => 1,
            Fault::Bit => 2,
            Fault::Stuff => 3,
            Fault::Crc => 4,
            Fault::Form => 5,
            Fault::Acknowledge => 6,
            Fault::Other => 7,
        }
    }

    /// The fault a wire code names; `Ok(None)` for 0, no error.
    pub const fn from_code(code: u8) -> Result<Option<Self>, u8> {
        Ok(Some(match code {
            0 => return Ok(None),
            1 => Fault::Overrun,
            2 => Fault::Bit,
            3 => Fault::Stuff,
            4 => Fault::Crc,
            5 => Fault::Form,
            6 => Fault::Acknowledge,
            7 => Fault::Other,
            _ => return Err(code),
        }))
    }
}

impl From<embedded_can::ErrorKind> for Fault {
    fn from(kind: embedded_can::ErrorKind) -> Self {
        use embedded_can::ErrorKind as K;
        match kind {
            K::Overrun => Fault::Overrun,
            K::Bit => Fault::Bit,
            K::Stuff => Fault::Stuff,
            K::Crc => Fault::Crc,
            K::Form => Fault::Form,
            K::Acknowledge => Fault::Acknowledge,
            _ => Fault::Other,
        }
    }
}

/// One CAN controller, driven without blocking.
pub trait Controller {
    /// Hands `frame` to the controller for transmission; `WouldBlock` when its
    /// transmit buffers are full. A fault means the frame will not be sent.
    fn transmit(&mut self, frame: &Frame) -> nb::Result<(), Fault>;
    /// The oldest received frame; `WouldBlock` when there is none.
    fn receive(&mut self) -> nb::Result<Frame, Fault>;
    /// The controller's state and error counters now.
    fn status(&self) -> ControllerStatus;
    /// Starts recovery from bus-off (the controller rejoins after 128 × 11 recessive
    /// bits). The service calls it only while the controller is bus-off.
    fn recover(&mut self);
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for state in [
            BusState::ErrorActive,
            BusState::ErrorPassive,
            BusState::BusOff,
        ] {
            assert_eq!(BusState::from_code(state.code()), Some(state));
        }
        assert_eq!(BusState::from_code(3), None);
        for code in 1..=7 {
            assert_eq!(Fault::from_code(code).unwrap().unwrap().code(), code);
        }
        assert_eq!(Fault::from_code(0), Ok(None));
        assert_eq!(Fault::from_code(8), Err(8));
        assert_eq!(
            Fault::from(embedded_can::ErrorKind::Acknowledge),
            Fault::Acknowledge
        );
    }
}
