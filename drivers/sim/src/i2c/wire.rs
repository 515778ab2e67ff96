//! How long a transaction occupies the wire: the bus's time accounting.
//!
//! A byte is 9 SCL periods (8 data bits and the ACK bit); START, repeated START and STOP
//! are counted as one period each. Clock stretching adds the time a device holds SCL.
//! Time is kept in nanoseconds and derived from the bit count in one division, so
//! speeds whose period is not a whole number of nanoseconds do not drift.

/// SCL periods of one byte including its ACK/NACK bit.
pub(crate) const BYTE_BITS: u64 = 9;
/// SCL periods counted for a START, repeated START or STOP condition.
pub(crate) const CONDITION_BITS: u64 = 1;

const NS_PER_S: u64 = 1_000_000_000;

/// A running position on the wire during one transaction.
pub(crate) struct Wire {
    start_ns: u64,
    speed_hz: u64,
    bits: u64,
    stretched_ns: u64,
}

impl Wire {
    /// A transaction that starts at `start_ns` on a bus clocked at `speed_hz`.
    pub(crate) fn new(start_ns: u64, speed_hz: u32) -> Self {
        Self {
            start_ns,
            speed_hz: u64::from(speed_hz.max(1)),
            bits: 0,
            stretched_ns: 0,
        }
    }

    /// SCL periods go by.
    pub(crate) fn clock(&mut self, bits: u64) {
        self.bits = self.bits.saturating_add(bits);
    }

    /// A device holds SCL low for `us`.
    pub(crate) fn stretch(&mut self, us: u64) {
        self.stretched_ns = self.stretched_ns.saturating_add(us.saturating_mul(1000));
    }

    /// Nanoseconds the transaction has occupied the wire so far.
    pub(crate) fn elapsed_ns(&self) -> u64 {
        let clocked = self.bits.saturating_mul(NS_PER_S) / self.speed_hz;
        clocked.saturating_add(self.stretched_ns)
    }

    /// The current wire time in nanoseconds.
    pub(crate) fn now_ns(&self) -> u64 {
        self.start_ns.saturating_add(self.elapsed_ns())
    }

    /// The current wire time in microseconds, as devices see it.
    pub(crate) fn now_us(&self) -> u64 {
        self.now_ns() / 1000
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_byte_at_100_khz_takes_90_us() {
        let mut wire = Wire::new(0, 100_000);
        wire.clock(BYTE_BITS);
        assert_eq!(wire.elapsed_ns(), 90_000);
    }

    #[test]
    fn a_byte_at_400_khz_takes_22_5_us() {
        let mut wire = Wire::new(1_000, 400_000);
        wire.clock(BYTE_BITS);
        assert_eq!(wire.elapsed_ns(), 22_500);
        assert_eq!(wire.now_us(), 23);
    }
}
