//! The record of what happened on the simulated bus, for tests to assert on.

/// One bus condition or byte, in the order it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusEvent {
    /// A START (`repeated`: without a STOP since the last one) with the 7-bit address and
    /// R/W bit, and whether a target acknowledged the address.
    Start {
        /// Target address.
        address: u8,
        /// R/W bit: true for a read.
        read: bool,
        /// A repeated START: the controller kept the bus since its previous START.
        repeated: bool,
        /// Whether a target acknowledged.
        ack: bool,
    },
    /// A byte from the controller to the target, and the target's acknowledge.
    Write {
        /// The byte.
        byte: u8,
        /// Whether the target acknowledged it.
        ack: bool,
    },
    /// A byte from the target to the controller, and the controller's acknowledge
    /// (it acknowledges all but the last byte of a transfer).
    Read {
        /// The byte.
        byte: u8,
        /// Whether the controller acknowledged it.
        ack: bool,
    },
    /// A STOP.
    Stop,
    /// The controller lost arbitration at its START to another master.
    ArbitrationLost,
}
