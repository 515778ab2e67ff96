//! `kos_rng_protocol`: random bytes from the RNG server.
//!
//! Two ways to get randomness, both calls on a token to the protocol:
//! - [`READ`]: `param` bytes (at most [`crate::MAX_PAYLOAD`]) straight from the
//!   server's own generator; a stream of any length is a sequence of reads, so the
//!   server never holds more than one payload for anyone.
//! - [`KEY`]: a fresh 32-byte key, distinct for every request, that seeds a generator
//!   in the client itself (as Linux's vDSO `getrandom` keeps per-thread state); the
//!   reply's `param` is the server's reseed generation. Clients re-key after a bounded
//!   amount of output or time, so a server reseed reaches them within that bound.

/// Protocol name, as written in `dir_access_control`.
pub const PROTOCOL: &str = "kos_rng_protocol";

/// Read `param` bytes (0..=4096) from the server's generator.
pub const READ: u64 = 1;
/// Get a fresh key for a client-side generator.
pub const KEY: u64 = 2;

/// Reply status: done.
pub const STATUS_OK: u64 = 0;
/// Reply status: `param` asks for more than one payload holds.
pub const STATUS_TOO_LARGE: u64 = 1;
/// Reply status: the label names no operation of this protocol.
pub const STATUS_UNKNOWN_OPERATION: u64 = 2;
