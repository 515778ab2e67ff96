//! The KOS random-number generator: the core of `rng_server`, and the same generator for clients
//! that keep a local one seeded from the server.
//!
//! It is a ChaCha20 keystream (RFC 8439, "ChaCha20 and Poly1305 for IETF Protocols": the IETF
//! variant with a 96-bit nonce, computed by RustCrypto's `chacha20`) driven as a fast-key-erasure
//! generator (D. J. Bernstein, "Fast-key-erasure random-number generators", 2017,
//! <https://blog.cr.yp.to/20170723-random.html>): every key produces exactly one keystream run,
//! whose first [`KEY_BYTES`] replace that key before any output is handed out. Someone who later
//! reads the generator's memory learns the current key and unread output only, never output that
//! was already returned. The server mixes fresh OS entropy in with [`FastKeyErasure::reseed`] and
//! decides when from [`FastKeyErasure::bytes_since_reseed`].
//!
//! `no_std` and allocation-free: the whole state is one key and a [`REFILL_BYTES`] buffer.
//!
//! ```
//! use kos_rng::{FastKeyErasure, KEY_BYTES};
//!
//! let mut rng = FastKeyErasure::new([0x42; KEY_BYTES]); // the server's seed comes from the OS
//! let mut token = [0u8; 16];
//! rng.fill(&mut token);
//! assert_eq!(rng.bytes_since_reseed(), 16);
//!
//! rng.reseed(&[0x17; KEY_BYTES]); // fresh OS entropy
//! assert_eq!(rng.bytes_since_reseed(), 0);
//! ```

#![no_std]
#![deny(missing_docs)]

mod generator;
mod keystream;
pub mod protocol;
pub mod service;

pub use generator::FastKeyErasure;

/// Length of a ChaCha20 key, and so of a seed and of reseed entropy.
pub const KEY_BYTES: usize = 32;

/// Bytes generated per refill of the small-request buffer: the first [`KEY_BYTES`] become the next
/// key, the rest (992 bytes) is output.
///
/// 1024 bytes is 16 ChaCha20 blocks: the per-run cost (cipher setup and the 32 key bytes, about 3%)
/// is spread over many small requests, and 16 is a whole number of the 4- or 8-block batches the
/// SIMD backends compute at once. It is kept this small because unread buffered output is what a
/// later memory compromise would expose, and the state stays about 1 KiB.
pub const REFILL_BYTES: usize = 1024;
