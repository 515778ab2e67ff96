//! The simulated bus carries the shared classic CAN frame (`kos-can-frame`): its
//! `arbitration_key` is what the bus arbitrates on, bit by bit.

pub use kos_can_frame::{CanFrame, MAX_DATA};
