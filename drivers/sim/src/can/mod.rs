//! A simulated CAN bus shared by several nodes, with explicit time.
//!
//! Build a [`SimCanBus`] at a bit rate, add nodes (controllers read and written through
//! `embedded_can::nb::Can`) and simulated devices ([`devices`]), and move time with
//! [`SimCanBus::advance_to`]. Frames arbitrate bit-wise, occupy the wire for their
//! exact stuffed length, pass acceptance filters into bounded receive queues, and
//! errors follow the standard's fault confinement: unacknowledged frames, error
//! passive, bus-off and recovery.

mod bits;
mod bus;
mod device;
pub mod devices;
mod error;
mod filter;
mod frame;
mod handle;
mod mailbox;
mod node;
mod recovery;
mod state;

pub use bits::{frame_bits, worst_case_bits, FrameBits};
pub use bus::{BusStats, SimCanBus};
pub use device::{CanDevice, Outbox, OUTBOX_CAPACITY};
pub use error::{CanError, SetupError};
pub use filter::{Filter, MAX_FILTERS};
pub use frame::{CanFrame, MAX_DATA};
pub use handle::Node;
pub use node::{NodeConfig, NodeId, NodeStats, NodeStatus, Received};
pub use state::{ErrorCounters, ErrorState};
