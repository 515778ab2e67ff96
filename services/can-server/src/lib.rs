//! The CAN server on the hosted platform: it builds the controller its manifest
//! entry's `can_bus` node selects (`am335x.rs`, `socketcan.rs`, `sim.rs`, each a
//! `kos_can::Controller`) and moves calls between the message server and the
//! transport-free `kos_can::CanService` (`serve.rs`), holding each long-poll RECV until
//! the service has records for it.

pub mod am335x;
pub mod serve;
pub mod sim;
pub mod socketcan;
