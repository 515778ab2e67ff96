//! Bus state and error counters from the kernel's CAN error frames
//! (`include/uapi/linux/can/error.h`): the error class is in the identifier word,
//! details in the data bytes. Decoding is kept apart from the socket so it can be
//! tested with hand-made frames.

use embedded_can::ErrorKind;

use crate::error::Error;

/// Error classes (identifier word of an error frame).
mod class {
    pub const TX_TIMEOUT: u32 = 0x001;
    pub const LOSTARB: u32 = 0x002;
    pub const CRTL: u32 = 0x004;
    pub const PROT: u32 = 0x008;
    pub const TRX: u32 = 0x010;
    pub const ACK: u32 = 0x020;
    pub const BUSOFF: u32 = 0x040;
    pub const BUSERROR: u32 = 0x080;
    pub const RESTARTED: u32 = 0x100;
    /// Counters in data[6] (TX) and data[7] (RX); Linux 6.2 and later.
    pub const CNT: u32 = 0x200;
}

/// Controller problems, data[1] of a `CRTL` frame.
mod crtl {
    pub const RX_OVERFLOW: u8 = 0x01;
    pub const TX_OVERFLOW: u8 = 0x02;
    pub const RX_WARNING: u8 = 0x04;
    pub const TX_WARNING: u8 = 0x08;
    pub const RX_PASSIVE: u8 = 0x10;
    pub const TX_PASSIVE: u8 = 0x20;
    pub const ACTIVE: u8 = 0x40;
}

/// Protocol violations, data[2] (type) and data[3] (location) of a `PROT` frame.
mod prot {
    pub const BIT: u8 = 0x01;
    pub const FORM: u8 = 0x02;
    pub const STUFF: u8 = 0x04;
    pub const BIT0: u8 = 0x08;
    pub const BIT1: u8 = 0x10;
    pub const LOC_CRC_SEQ: u8 = 0x08;
    pub const LOC_CRC_DEL: u8 = 0x18;
    pub const LOC_ACK: u8 = 0x19;
    pub const LOC_ACK_DEL: u8 = 0x1B;
}

/// Fault-confinement state of the controller as the kernel last reported it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BusState {
    /// Error active (also the assumption before any report).
    #[default]
    ErrorActive,
    /// Error passive.
    ErrorPassive,
    /// Bus-off.
    BusOff,
}

/// What the error frames seen so far say about the controller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BusStatus {
    /// Fault-confinement state.
    pub state: BusState,
    /// An error counter reached the warning level (96).
    pub warning: bool,
    /// `(tec, rec)` from the last error frame carrying them (`CAN_ERR_CNT`); older
    /// kernels and drivers without counters leave this `None`.
    pub counters: Option<(u8, u8)>,
}

impl BusStatus {
    /// Takes in one error frame (`class` = identifier word without the error flag).
    /// Returns the error to report to the caller, or `None` for frames that only
    /// change the state (warning, passive, back to active, restarted, lost
    /// arbitration).
    pub fn apply(&mut self, class: u32, data: &[u8]) -> Option<Error> {
        let byte = |i: usize| data.get(i).copied().unwrap_or(0);
        if class & class::CNT != 0 {
            self.counters = Some((byte(6), byte(7)));
        }
        let controller = if class & class::CRTL != 0 { byte(1) } else { 0 };
        if controller & (crtl::RX_PASSIVE | crtl::TX_PASSIVE) != 0 {
            self.state = BusState::ErrorPassive;
            self.warning = true;
        } else if controller & (crtl::RX_WARNING | crtl::TX_WARNING) != 0 {
            self.state = BusState::ErrorActive;
            self.warning = true;
        }
        if controller & crtl::ACTIVE != 0 || class & class::RESTARTED != 0 {
            self.state = BusState::ErrorActive;
            self.warning = false;
        }
        if class & class::BUSOFF != 0 {
            self.state = BusState::BusOff;
            return Some(Error::BusOff);
        }
        if controller & (crtl::RX_OVERFLOW | crtl::TX_OVERFLOW) != 0 {
            return Some(Error::Bus(ErrorKind::Overrun));
        }
        if class & class::ACK != 0 {
            return Some(Error::Bus(ErrorKind::Acknowledge));
        }
        if class & class::PROT != 0 {
            return Some(Error::Bus(protocol_kind(byte(2), byte(3))));
        }
        if class & (class::TX_TIMEOUT | class::TRX | class::BUSERROR) != 0 {
            return Some(Error::Bus(ErrorKind::Other));
        }
        // Lost arbitration is normal bus traffic, not an error.
        let _ = class::LOSTARB;
        None
    }
}

/// The kind of a protocol violation: by type, else by where in the frame it happened.
fn protocol_kind(kind: u8, location: u8) -> ErrorKind {
    if kind & (prot::BIT | prot::BIT0 | prot::BIT1) != 0 {
        ErrorKind::Bit
    } else if kind & prot::STUFF != 0 {
        ErrorKind::Stuff
    } else if kind & prot::FORM != 0 {
        ErrorKind::Form
    } else if matches!(location, prot::LOC_CRC_SEQ | prot::LOC_CRC_DEL) {
        ErrorKind::Crc
    } else if matches!(location, prot::LOC_ACK | prot::LOC_ACK_DEL) {
        ErrorKind::Acknowledge
    } else {
        ErrorKind::Other
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn kind(error: Option<Error>) -> Option<ErrorKind> {
        error.map(|e| embedded_can::Error::kind(&e))
    }

    #[test]
    fn controller_problems_move_the_state_without_reporting_an_error() {
        let mut status = BusStatus::default();
        assert!(status
            .apply(class::CRTL, &[0, crtl::TX_WARNING, 0, 0, 0, 0, 0, 0])
            .is_none());
        assert_eq!(
            (status.state, status.warning),
            (BusState::ErrorActive, true)
        );
        assert!(status
            .apply(class::CRTL, &[0, crtl::TX_PASSIVE, 0, 0, 0, 0, 0, 0])
            .is_none());
        assert_eq!(status.state, BusState::ErrorPassive);
        assert!(status
            .apply(class::CRTL, &[0, crtl::ACTIVE, 0, 0, 0, 0, 0, 0])
            .is_none());
        assert_eq!(
            (status.state, status.warning),
            (BusState::ErrorActive, false)
        );
    }

    #[test]
    fn bus_off_is_reported_and_restart_makes_the_node_active_again() {
        let mut status = BusStatus::default();
        assert!(matches!(
            status.apply(class::BUSOFF, &[0; 8]),
            Some(Error::BusOff)
        ));
        assert_eq!(status.state, BusState::BusOff);
        assert!(status.apply(class::RESTARTED, &[0; 8]).is_none());
        assert_eq!(status.state, BusState::ErrorActive);
    }

    #[test]
    fn counters_are_taken_when_the_kernel_sends_them() {
        let mut status = BusStatus::default();
        status.apply(class::CRTL, &[0, crtl::RX_WARNING, 0, 0, 0, 0, 0, 0]);
        assert_eq!(status.counters, None);
        status.apply(
            class::CRTL | class::CNT,
            &[0, crtl::TX_PASSIVE, 0, 0, 0, 0, 136, 7],
        );
        assert_eq!(status.counters, Some((136, 7)));
    }

    #[test]
    fn bus_errors_map_to_embedded_can_kinds() {
        let mut status = BusStatus::default();
        let mut with = |class: u32, data: [u8; 8]| kind(status.apply(class, &data));
        assert_eq!(with(class::ACK, [0; 8]), Some(ErrorKind::Acknowledge));
        assert_eq!(
            with(
                class::PROT | class::BUSERROR,
                [0, 0, prot::STUFF, 0, 0, 0, 0, 0]
            ),
            Some(ErrorKind::Stuff)
        );
        assert_eq!(
            with(class::PROT, [0, 0, prot::FORM, 0, 0, 0, 0, 0]),
            Some(ErrorKind::Form)
        );
        assert_eq!(
            with(class::PROT, [0, 0, prot::BIT0, 0, 0, 0, 0, 0]),
            Some(ErrorKind::Bit)
        );
        assert_eq!(
            with(class::PROT, [0, 0, 0, prot::LOC_CRC_SEQ, 0, 0, 0, 0]),
            Some(ErrorKind::Crc)
        );
        assert_eq!(
            with(class::CRTL, [0, crtl::RX_OVERFLOW, 0, 0, 0, 0, 0, 0]),
            Some(ErrorKind::Overrun)
        );
        assert_eq!(with(class::TX_TIMEOUT, [0; 8]), Some(ErrorKind::Other));
        assert_eq!(with(class::LOSTARB, [3, 0, 0, 0, 0, 0, 0, 0]), None);
    }

    #[test]
    fn short_error_frames_do_not_panic() {
        let mut status = BusStatus::default();
        assert_eq!(
            kind(status.apply(class::PROT | class::CNT, &[])),
            Some(ErrorKind::Other)
        );
        assert_eq!(status.counters, Some((0, 0)));
    }
}
