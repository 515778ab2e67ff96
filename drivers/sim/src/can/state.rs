//! Fault confinement (ISO 11898-1 §12.1.4): the transmit and receive error counters,
//! the state they put a node in, and the rules that move them.

/// A node's fault-confinement state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorState {
    /// Both counters at most 127: the node signals errors with dominant flags.
    ErrorActive,
    /// A counter at 128 or more: passive error flags, and a pause after transmitting.
    ErrorPassive,
    /// TEC past 255: the node takes no part in bus traffic until recovered.
    BusOff,
}

/// The transmit and receive error counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErrorCounters {
    /// Transmit error counter.
    pub tec: u16,
    /// Receive error counter.
    pub rec: u16,
}

/// Where the receive counter is set when a frame arrives while it is past 127; the
/// standard allows any value from 119 to 127.
const REC_AFTER_PASSIVE_RECEPTION: u16 = 119;
/// REC stops counting here; past 127 its value no longer changes the state.
const REC_CEILING: u16 = 255;

impl ErrorCounters {
    /// The state the counters put the node in.
    pub fn state(&self) -> ErrorState {
        if self.tec > 255 {
            ErrorState::BusOff
        } else if self.tec >= 128 || self.rec >= 128 {
            ErrorState::ErrorPassive
        } else {
            ErrorState::ErrorActive
        }
    }

    /// A frame went out and was acknowledged.
    pub(crate) fn transmitted(&mut self) {
        self.tec = self.tec.saturating_sub(1);
    }

    /// A transmit error: +8 (rule 3).
    pub(crate) fn transmit_error(&mut self) {
        self.tec = self.tec.saturating_add(8);
    }

    /// No acknowledgement. +8, except that an error-passive transmitter that sees no
    /// dominant bit during its passive error flag leaves TEC alone (rule 3, exception
    /// 1) — which is why a node alone on a bus stops at error passive.
    pub(crate) fn ack_error(&mut self) {
        if self.state() == ErrorState::ErrorActive {
            self.transmit_error();
        }
    }

    /// A frame was received correctly (rule 8).
    pub(crate) fn received(&mut self) {
        if self.rec > 127 {
            self.rec = REC_AFTER_PASSIVE_RECEPTION;
        } else {
            self.rec = self.rec.saturating_sub(1);
        }
    }

    /// A receive error: +1 (rule 1).
    pub(crate) fn receive_error(&mut self) {
        self.rec = (self.rec + 1).min(REC_CEILING);
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn sixteen_ack_errors_make_a_node_passive_and_no_more() {
        let mut counters = ErrorCounters::default();
        for _ in 0..16 {
            counters.ack_error();
        }
        assert_eq!(counters.tec, 128);
        assert_eq!(counters.state(), ErrorState::ErrorPassive);
        for _ in 0..100 {
            counters.ack_error();
        }
        assert_eq!(counters.tec, 128);
    }

    #[test]
    fn bus_off_is_past_255() {
        let mut counters = ErrorCounters { tec: 248, rec: 0 };
        counters.transmit_error();
        assert_eq!(counters.tec, 256);
        assert_eq!(counters.state(), ErrorState::BusOff);
    }

    #[test]
    fn receiving_while_passive_drops_rec_below_128() {
        let mut counters = ErrorCounters { tec: 0, rec: 130 };
        assert_eq!(counters.state(), ErrorState::ErrorPassive);
        counters.received();
        assert_eq!(counters.state(), ErrorState::ErrorActive);
    }
}
