//! The reply to `STATUS`: the controller's state and the server's counters.
//!
//! ```text
//! offset size
//!  0     1    state: 0 error-active, 1 error-passive, 2 bus-off
//!  1     1    tec
//!  2     1    rec
//!  3     1    reserved, zero
//!  4     8    frames sent (handed to the controller), u64 LE
//! 12     8    frames received (from the controller), u64 LE
//! 20     8    bus errors (faults the controller reported), u64 LE
//! 28     8    bus-off events, u64 LE
//! 36     4    bitrate in bit/s, u32 LE
//! ```

use crate::{BusState, ControllerStatus};

/// Bytes in a status report.
pub const STATUS_REPORT_LEN: usize = 40;

/// The controller's state and the server's counters since it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusReport {
    /// State and error counters now.
    pub status: ControllerStatus,
    /// Frames handed to the controller.
    pub frames_sent: u64,
    /// Frames received from the controller.
    pub frames_received: u64,
    /// Faults the controller reported.
    pub bus_errors: u64,
    /// Times the controller went bus-off.
    pub bus_off_events: u64,
    /// Bus bitrate in bit/s.
    pub bitrate: u32,
}

impl StatusReport {
    /// The wire form.
    pub fn encode(&self) -> [u8; STATUS_REPORT_LEN] {
        let mut out = [0; STATUS_REPORT_LEN];
        out[0] = self.status.state.code();
        out[1] = self.status.tec;
        out[2] = self.status.rec;
        let counters = [
            self.frames_sent,
            self.frames_received,
            self.bus_errors,
            self.bus_off_events,
        ];
        for (slot, counter) in out[4..36].chunks_exact_mut(8).zip(counters) {
            slot.copy_from_slice(&counter.to_le_bytes());
        }
        out[36..].copy_from_slice(&self.bitrate.to_le_bytes());
        out
    }

    /// Reads a report; `None` for an unknown state.
    pub fn decode(bytes: &[u8; STATUS_REPORT_LEN]) -> Option<Self> {
        let counter = |at: usize| {
            let mut le = [0; 8];
            le.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(le)
        };
        let mut bitrate = [0; 4];
        bitrate.copy_from_slice(&bytes[36..]);
        Some(StatusReport {
            status: ControllerStatus {
                state: BusState::from_code(bytes[0])?,
                tec: bytes[1],
                rec: bytes[2],
            },
            frames_sent: counter(4),
            frames_received: counter(12),
            bus_errors: counter(20),
            bus_off_events: counter(28),
            bitrate: u32::from_le_bytes(bitrate),
        })
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn reports_round_trip_in_the_documented_layout() {
        let report = StatusReport {
            status: ControllerStatus {
                state: BusState::ErrorPassive,
                tec: 130,
                rec: 5,
            },
            frames_sent: 1,
            frames_received: 2,
            bus_errors: 3,
            bus_off_events: 4,
            bitrate: 500_000,
        };
        let bytes = report.encode();
        assert_eq!(bytes[..4], [1, 130, 5, 0]);
        assert_eq!(bytes[4..12], 1u64.to_le_bytes());
        assert_eq!(bytes[28..36], 4u64.to_le_bytes());
        assert_eq!(bytes[36..], [0x20, 0xA1, 0x07, 0x00]);
        assert_eq!(StatusReport::decode(&bytes), Some(report));
        let mut bad = bytes;
        bad[0] = 3;
        assert_eq!(StatusReport::decode(&bad), None);
    }
}
