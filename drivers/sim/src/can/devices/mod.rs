//! Simulated devices that share the bus with the nodes under test, driven by the bus's
//! time: an engine ECU that broadcasts its state and answers OBD-II requests.

mod ecu;
mod engine;
pub mod obd;

pub use ecu::{Ecu, BROADCAST_ID, BROADCAST_PERIOD_US, RESPONSE_DELAY_US};
pub use engine::EngineState;
