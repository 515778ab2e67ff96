//! Bus-off recovery: a bus-off node may rejoin after it has seen 128 occurrences of 11
//! consecutive recessive bits (ISO 11898-1 §12.1.4.2). An idle bus gives one every 11
//! bits; a busy one gives one per frame, whose ACK delimiter, EOF and intermission are
//! 11 recessive bits in a row.

use super::bits::{RECOVERY_SEQUENCES, RECOVERY_SEQUENCE_BITS};

/// Progress of one node's recovery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Recovery {
    sequences: u32,
    recessive_run: u64,
}

impl Recovery {
    /// A frame's SOF (dominant) ends the current recessive run.
    pub(crate) fn frame_started(&mut self) {
        let whole = self.recessive_run / u64::from(RECOVERY_SEQUENCE_BITS);
        self.sequences = self
            .sequences
            .saturating_add(u32::try_from(whole).unwrap_or(u32::MAX));
        self.recessive_run = 0;
    }

    /// A frame (or error frame) ended with 11 recessive bits.
    pub(crate) fn frame_ended(&mut self) {
        self.recessive_run = u64::from(RECOVERY_SEQUENCE_BITS);
    }

    /// The bus stayed idle (recessive) for `bits`.
    pub(crate) fn idle(&mut self, bits: u64) {
        self.recessive_run = self.recessive_run.saturating_add(bits);
    }

    /// Idle bits still needed; 0 when recovery is complete.
    pub(crate) fn remaining_bits(&self) -> u64 {
        let needed = u64::from(RECOVERY_SEQUENCES.saturating_sub(self.sequences))
            * u64::from(RECOVERY_SEQUENCE_BITS);
        needed.saturating_sub(self.recessive_run)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn an_idle_bus_recovers_a_node_in_1408_bits() {
        let mut recovery = Recovery::default();
        assert_eq!(recovery.remaining_bits(), 1408);
        recovery.idle(1407);
        assert_eq!(recovery.remaining_bits(), 1);
        recovery.idle(1);
        assert_eq!(recovery.remaining_bits(), 0);
    }

    #[test]
    fn each_frame_counts_as_one_sequence() {
        let mut recovery = Recovery::default();
        for _ in 0..128 {
            recovery.frame_started();
            recovery.frame_ended();
        }
        assert_eq!(recovery.remaining_bits(), 0);
    }
}
