//! What the RNG server does with a request, apart from any transport or clock.
//!
//! The event loop (in `kos-rng-server`) passes each call's label and param here and
//! sends back what this returns; it also asks [`RngService::reseed_due`] with the time
//! and feeds [`RngService::reseed`] fresh entropy from wherever the platform gets it
//! (the OS on Linux, a boot-provided seed on seL4).

use kos_msg::MAX_PAYLOAD;

use crate::protocol::{Status, KEY, READ};
use crate::{FastKeyErasure, KEY_BYTES};

/// The answer to one request: a [`Status`], a param, and how many bytes of the output
/// buffer form the payload.
pub type Answer = kos_service::Answer<Status>;

/// When the server mixes in fresh entropy: after this much output, or this long,
/// whichever comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReseedPolicy {
    /// Output bytes between reseeds.
    pub max_bytes: u64,
    /// Milliseconds between reseeds.
    pub max_millis: u64,
}

impl Default for ReseedPolicy {
    /// 64 MiB or 60 s — Linux's CRNG also reseeds about once a minute.
    fn default() -> Self {
        ReseedPolicy {
            max_bytes: 64 << 20,
            max_millis: 60_000,
        }
    }
}

/// The RNG server's state: its generator, when it last reseeded, and the reseed
/// generation that clients holding a key can compare.
#[derive(Debug)]
pub struct RngService {
    rng: FastKeyErasure,
    policy: ReseedPolicy,
    generation: u64,
    last_reseed_ms: u64,
}

impl RngService {
    /// A service seeded with `seed` (from the platform's entropy) at time `now_ms`.
    pub fn new(seed: [u8; KEY_BYTES], policy: ReseedPolicy, now_ms: u64) -> Self {
        RngService {
            rng: FastKeyErasure::new(seed),
            policy,
            generation: 0,
            last_reseed_ms: now_ms,
        }
    }

    /// How many reseeds have happened.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Is a reseed due at `now_ms`?
    pub fn reseed_due(&self, now_ms: u64) -> bool {
        self.rng.bytes_since_reseed() >= self.policy.max_bytes
            || now_ms.saturating_sub(self.last_reseed_ms) >= self.policy.max_millis
    }

    /// Milliseconds until the time-based reseed is due (0 if it is).
    pub fn millis_to_reseed(&self, now_ms: u64) -> u64 {
        (self.last_reseed_ms + self.policy.max_millis).saturating_sub(now_ms)
    }

    /// Output bytes since the last reseed.
    pub fn bytes_since_reseed(&self) -> u64 {
        self.rng.bytes_since_reseed()
    }

    /// Mixes in fresh entropy and starts a new generation.
    pub fn reseed(&mut self, entropy: &[u8; KEY_BYTES], now_ms: u64) {
        self.rng.reseed(entropy);
        self.generation += 1;
        self.last_reseed_ms = now_ms;
    }

    /// Answers one call; the payload is written to the front of `out`.
    pub fn handle(&mut self, label: u64, param: u64, out: &mut [u8; MAX_PAYLOAD]) -> Answer {
        match label {
            READ if param > MAX_PAYLOAD as u64 => {
                Answer::new(Status::TooLarge).with_param(MAX_PAYLOAD as u64)
            }
            READ => {
                let len = param as usize;
                self.rng.fill(&mut out[..len]);
                Answer::new(Status::Ok)
                    .with_param(self.generation)
                    .with_len(len)
            }
            KEY => {
                self.rng.fill(&mut out[..KEY_BYTES]);
                Answer::new(Status::Ok)
                    .with_param(self.generation)
                    .with_len(KEY_BYTES)
            }
            _ => Answer::new(Status::UnknownOperation),
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn service() -> RngService {
        RngService::new(
            [7; KEY_BYTES],
            ReseedPolicy {
                max_bytes: 10_000,
                max_millis: 1_000,
            },
            0,
        )
    }

    #[test]
    fn reads_any_length_up_to_one_payload() {
        let mut s = service();
        let mut out = [0u8; MAX_PAYLOAD];
        for len in [0, 1, 32, 4096] {
            let a = s.handle(READ, len, &mut out);
            assert_eq!((a.status, a.len), (Status::Ok, len as usize));
        }
        let a = s.handle(READ, 4097, &mut out);
        assert_eq!((a.status, a.len), (Status::TooLarge, 0));
        assert_eq!(s.handle(99, 0, &mut out).status, Status::UnknownOperation);
    }

    #[test]
    fn every_key_handed_out_is_different() {
        let mut s = service();
        let mut out = [0u8; MAX_PAYLOAD];
        let mut keys = [[0u8; KEY_BYTES]; 100];
        for key in keys.iter_mut() {
            let a = s.handle(KEY, 0, &mut out);
            assert_eq!((a.status, a.len), (Status::Ok, KEY_BYTES));
            key.copy_from_slice(&out[..KEY_BYTES]);
        }
        for i in 0..keys.len() {
            for j in i + 1..keys.len() {
                assert_ne!(keys[i], keys[j]);
            }
        }
    }

    #[test]
    fn reseeds_after_the_size_bound_or_the_time_bound() {
        let mut s = service();
        let mut out = [0u8; MAX_PAYLOAD];
        assert!(!s.reseed_due(999));
        assert!(s.reseed_due(1_000), "time bound");
        s.reseed(&[1; KEY_BYTES], 1_000);
        assert_eq!(s.generation(), 1);
        assert_eq!(s.millis_to_reseed(1_250), 750);
        for _ in 0..3 {
            s.handle(READ, 4096, &mut out);
        }
        assert!(s.reseed_due(1_001), "size bound: 12288 bytes > 10000");
        assert_eq!(
            s.handle(KEY, 0, &mut out).param,
            1,
            "keys carry the generation"
        );
    }
}
