//! `kos_i2c_protocol` and the I2C server's service logic: one bus multiplexed over
//! clients, each limited to the device addresses the manifest gives it.
//!
//! [`protocol`] is the wire contract (labels, params, payload layouts, statuses) that
//! Rust and Elixir clients encode alike. [`service`] is what the server does with a
//! request, apart from any transport: [`I2cService`] owns the bus (any
//! `embedded_hal::i2c::I2c`), checks every request against its [`AddressPolicy`]
//! before the bus sees it, runs it as one bus transaction and turns the backend's
//! errors into statuses through a per-backend classifier ([`Fault`]).
//!
//! `no_std` without an allocator: only the server binary knows which platform (Linux,
//! seL4) and which backend it runs on.
#![no_std]
#![deny(missing_docs)]

mod fault;
mod policy;
pub mod protocol;
pub mod service;
mod stats;

pub use fault::{classify_kind, Fault};
pub use policy::{AddressPolicy, Addresses, PolicyError, MAX_CLIENTS, MAX_CLIENT_NAME};
pub use service::{Answer, BusInfo, I2cService};
pub use stats::ClientStats;
