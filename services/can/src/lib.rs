//! `kos_can_protocol` and the CAN server's service logic: one controller
//! multiplexed over clients, each with its own acceptance filters, send queue and
//! receive queue.
//!
//! [`protocol`] is the wire contract (labels, the 24-byte record, filters, the
//! status report) that Rust and Elixir clients encode alike. [`service`] is what the
//! server does, apart from any transport or clock: [`CanService`] takes calls
//! ([`CanService::handle`]), moves frames between the clients' queues and the
//! [`Controller`] ([`CanService::poll`]), and completes the receive calls it told the
//! server to hold. Every backend (the AM335x DCAN driver, SocketCAN, the simulator)
//! is wrapped in the server binary as a [`Controller`] over this crate's plain
//! [`Frame`].
//!
//! `no_std` without an allocator, and no clock: time comes in as `now_us` arguments.
#![no_std]
#![deny(missing_docs)]

mod controller;
mod frame;
pub mod protocol;
pub mod service;

pub use controller::{BusState, Controller, ControllerStatus, Fault};
pub use frame::Frame;
pub use service::{
    Answer, CanService, Config, Reply, TooManyClients, ANSWER_NOTHING, ANSWER_SUPERSEDED,
    ANSWER_TOO_MANY_CLIENTS,
};
