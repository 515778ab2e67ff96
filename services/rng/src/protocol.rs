//! `kos_rng_protocol`: random bytes from the RNG server.
//!
//! Two ways to get randomness, both calls on a token to the protocol:
//! - [`READ`]: `param` bytes (at most `MAX_PAYLOAD`) straight from the server's own
//!   generator; a stream of any length is a sequence of reads, so the server never
//!   holds more than one payload for anyone.
//! - [`KEY`]: a fresh 32-byte key, distinct for every request, that seeds a generator
//!   in the client itself (as Linux's vDSO `getrandom` keeps per-thread state); the
//!   reply's `param` is the server's reseed generation. Clients re-key after a bounded
//!   amount of output or time, so a server reseed reaches them within that bound.
//!
//! The reply's label is a [`Status`].

/// Protocol name, as written in `dir_access_control`.
pub const PROTOCOL: &str = "kos_rng_protocol";

/// Read `param` bytes (0..=4096) from the server's generator.
pub const READ: u64 = 1;
/// Get a fresh key for a client-side generator.
pub const KEY: u64 = 2;

kos_service::statuses! {
    /// The status a reply carries as its label.
    pub enum Status {
        /// Done.
        Ok = 0,
        /// `param` asks for more than one payload holds.
        TooLarge = 1,
        /// The label names no operation of this protocol.
        UnknownOperation = 2,
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use kos_service::Status as _;

    #[test]
    fn statuses_round_trip_through_their_labels() {
        for s in [Status::Ok, Status::TooLarge, Status::UnknownOperation] {
            assert_eq!(Status::from_label(s.label()), Some(s));
        }
        assert_eq!(Status::from_label(3), None);
    }
}
