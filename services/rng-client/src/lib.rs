//! `kos_rng_client`: random bytes from the KOS RNG server, for Rust and C apps.
//!
//! [`RngClient::request_stream`] (C: `kos_request_rng_stream`) returns any number of
//! bytes. It does not cost a message round trip per request: like Linux's vDSO
//! `getrandom`, the client holds its own fast-key-erasure generator, keyed by the
//! server with a key no other client receives, and asks for a new key after
//! [`REKEY_BYTES`] of output or [`REKEY_AFTER`] — so a server reseed reaches every
//! client within those bounds. [`RngClient::read_from_server`] takes every byte from
//! the server's own generator instead, in payload-sized reads.
//!
//! ```no_run
//! let kos = kos_client::Kos::from_env()?;
//! let mut rng = kos_rng_client::RngClient::connect(&kos)?;
//! let mut nonce = [0u8; 24];
//! rng.request_stream(&mut nonce)?;
//! # Ok::<(), kos_client::Error>(())
//! ```

mod client;
mod ffi;
mod fork;

pub use client::{
    connect_token, LocalGenerator, RngClient, CONNECT_TIMEOUT, REKEY_AFTER, REKEY_BYTES,
};
pub use ffi::{kos_request_rng_stream, kos_rng_strerror, Status};
