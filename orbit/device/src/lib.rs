//! The device side of Orbit: connect, prove the device's identity, answer commands.
//!
//! [`connect`] opens the WebSocket to Orbit's [`DEVICE_PATH`], answers the challenge
//! with the device's Ed25519 key ([`answer_challenge`]) and returns a [`Session`] once
//! Orbit welcomes it. [`Session::serve`] then acknowledges every command at once, hands
//! it to a [`Handler`] and reports its result, until the connection ends. [`run`] keeps a device connected for good,
//! reconnecting with exponential backoff and jitter. The device admin's NIF runs this
//! on its own tokio runtime; the tests use it as the device.

mod endpoint;
mod error;
mod handler;
mod identity;
pub mod images;
pub mod journal;
mod run;
mod session;
pub mod stage;

use std::time::Duration;

pub use endpoint::Endpoint;
pub use error::{CommandError, Error};
pub use handler::Handler;
pub use identity::{answer_challenge, Identity};
pub use journal::Journal;
pub use orbit_protocol;
pub use run::{run, Backoff, Config};
pub use session::{connect, connect_to, Session};

/// How long Orbit gets to send its challenge, and then its verdict.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
