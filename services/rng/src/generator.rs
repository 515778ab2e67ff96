//! The fast-key-erasure generator: a key, the unread rest of the last buffered run, and the
//! count of bytes handed out since the last reseed.

use core::fmt;

use chacha20::cipher::StreamCipher;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::keystream::{keystream, NONCE_BYTES};
use crate::{KEY_BYTES, REFILL_BYTES};

/// Every key makes one run only, so a fixed nonce never meets the same key twice.
const NONCE: [u8; NONCE_BYTES] = [0; NONCE_BYTES];

/// Output bytes a refill leaves in the buffer.
const BUFFERED_BYTES: usize = REFILL_BYTES - KEY_BYTES;

/// Requests at least this long get a run of their own, written straight into the caller's slice:
/// the buffer could not serve them from one refill anyway.
const DIRECT_BYTES: usize = BUFFERED_BYTES;

/// Longest output of one direct run. An RFC 8439 run ends after 2^32 blocks (256 GiB), so longer
/// requests are served as several runs, each rekeying.
const MAX_RUN_OUTPUT: usize = 1 << 30;

/// A ChaCha20 fast-key-erasure generator (Bernstein 2017).
///
/// Moving the value copies its key and buffer to a place [`Drop`] cannot wipe: keep it where it
/// lives. The first run happens at the first [`fill`](Self::fill), so construct it in place
/// before asking for output.
pub struct FastKeyErasure {
    /// The key of the next run; it has produced nothing yet.
    key: [u8; KEY_BYTES],
    /// The last buffered run: its first [`KEY_BYTES`] became `key` and are zero, the rest is
    /// output. Bytes before `pos` were handed out and are zero.
    buf: [u8; REFILL_BYTES],
    /// Index of the first unread byte of `buf`; `REFILL_BYTES` when it is empty.
    pos: usize,
    /// Output bytes produced since construction or the last reseed.
    since_reseed: u64,
}

/// One run of `key`: its first [`KEY_BYTES`] overwrite `key` in place, the following bytes fill
/// `out`. The old key survives only in the cipher state, which is wiped when the run ends.
fn run(key: &mut [u8; KEY_BYTES], out: &mut [u8]) {
    let mut stream = keystream(key, &NONCE, 0);
    // The first REFILL_BYTES (16 blocks, one AVX-512 batch) in one write: writing the
    // key alone would make a wide backend compute a whole batch for 32 bytes and leave
    // the rest of the run off its batch boundary (3x slower at 4 KiB).
    let mut head = [0u8; REFILL_BYTES];
    let head_len = (KEY_BYTES + out.len()).min(REFILL_BYTES);
    stream.write_keystream(&mut head[..head_len]);
    key.copy_from_slice(&head[..KEY_BYTES]);
    let (first, rest) = out.split_at_mut(head_len - KEY_BYTES);
    first.copy_from_slice(&head[KEY_BYTES..head_len]);
    head.zeroize();
    stream.write_keystream(rest);
}

impl FastKeyErasure {
    /// A generator keyed with `seed` (the caller zeroizes its copy).
    pub fn new(seed: [u8; KEY_BYTES]) -> Self {
        Self {
            key: seed,
            buf: [0; REFILL_BYTES],
            pos: REFILL_BYTES,
            since_reseed: 0,
        }
    }

    /// Fills `out` with keystream, erasing each key before its output leaves.
    ///
    /// A request shorter than `REFILL_BYTES - KEY_BYTES` (992) is served from the buffer, which a
    /// run of [`REFILL_BYTES`] refills when empty; served bytes are zeroed in the buffer. A
    /// longer one is a run of its own written straight into `out` (new key = its first 32 bytes,
    /// `out` = the bytes after), so large requests go at the raw keystream rate; it leaves the
    /// buffer as it was.
    pub fn fill(&mut self, out: &mut [u8]) {
        // usize is at most 64 bits on every target this builds for.
        self.since_reseed = self.since_reseed.saturating_add(out.len() as u64);
        if out.len() >= DIRECT_BYTES {
            for part in out.chunks_mut(MAX_RUN_OUTPUT) {
                run(&mut self.key, part);
            }
            return;
        }
        let mut out = out;
        while !out.is_empty() {
            if self.pos == REFILL_BYTES {
                self.refill();
            }
            let n = out.len().min(REFILL_BYTES - self.pos);
            let (head, rest) = core::mem::take(&mut out).split_at_mut(n);
            let served = &mut self.buf[self.pos..self.pos + n];
            head.copy_from_slice(served);
            served.zeroize();
            self.pos += n;
            out = rest;
        }
    }

    /// One buffered run, the same as [`run`] but written in one piece: next key and output
    /// together are exactly [`REFILL_BYTES`] (16 blocks), the batch wide backends
    /// (AVX-512) compute at once; writing the key on its own would make them compute a
    /// batch for it alone.
    fn refill(&mut self) {
        keystream(&self.key, &NONCE, 0).write_keystream(&mut self.buf);
        self.key.copy_from_slice(&self.buf[..KEY_BYTES]);
        self.buf[..KEY_BYTES].zeroize();
        self.pos = KEY_BYTES;
    }

    /// Mixes 32 bytes of fresh OS entropy into the key, discards buffered output and resets
    /// [`bytes_since_reseed`](Self::bytes_since_reseed).
    ///
    /// New key = the first 32 bytes of the ChaCha20 run of `key XOR entropy`. If either input is
    /// unknown to an attacker, the XOR is too (a secret uniform key XOR anything independent of it
    /// is uniform), and ChaCha20 keyed with a secret key is a PRF, so the new key is secret. The
    /// run also means the new key reveals neither the old key nor the entropy, and that zero or
    /// repeated entropy still moves the key on instead of leaving it as it was. The mixed key is
    /// used for this one 32-byte run and then overwritten, like every other key.
    pub fn reseed(&mut self, entropy: &[u8; KEY_BYTES]) {
        for (k, e) in self.key.iter_mut().zip(entropy) {
            *k ^= e;
        }
        run(&mut self.key, &mut []);
        self.buf.zeroize();
        self.pos = REFILL_BYTES;
        self.since_reseed = 0;
    }

    /// Output bytes produced since construction or the last reseed (drives the server's
    /// size-bound reseeding).
    pub fn bytes_since_reseed(&self) -> u64 {
        self.since_reseed
    }
}

impl Drop for FastKeyErasure {
    fn drop(&mut self) {
        self.key.zeroize();
        self.buf.zeroize();
    }
}

impl ZeroizeOnDrop for FastKeyErasure {}

/// Shows the reseed count only: key and buffer never reach a log.
impl fmt::Debug for FastKeyErasure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FastKeyErasure")
            .field("bytes_since_reseed", &self.since_reseed)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod test {
    extern crate std;

    use std::collections::HashSet;
    use std::vec;
    use std::vec::Vec;

    use super::*;
    use crate::keystream::test::RFC8439_A1_1;

    const SEED: [u8; KEY_BYTES] = [
        0x4b, 0x4f, 0x53, 0x20, 0x72, 0x6e, 0x67, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x73, 0x65,
        0x65, 0x64, 0x20, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62,
        0x63, 0x64,
    ];

    /// The first `len` bytes of the generator's run of `key`, computed independently of it.
    fn run_of(key: &[u8; KEY_BYTES], len: usize) -> Vec<u8> {
        let mut out = vec![0; len];
        keystream(key, &NONCE, 0).write_keystream(&mut out);
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn draw(rng: &mut FastKeyErasure, len: usize) -> Vec<u8> {
        let mut out = vec![0; len];
        rng.fill(&mut out);
        out
    }

    #[test]
    fn zero_seed_gives_rfc8439_a1_1_key_first_then_output() {
        let mut rng = FastKeyErasure::new([0; KEY_BYTES]);
        let out = draw(&mut rng, 32);
        assert_eq!(rng.key[..], RFC8439_A1_1[..32]);
        assert_eq!(out[..], RFC8439_A1_1[32..]);
    }

    #[test]
    fn a_refill_erases_the_old_key() {
        let mut rng = FastKeyErasure::new(SEED);
        for _ in 0..5 {
            let old = rng.key;
            let expected = run_of(&old, REFILL_BYTES);
            // Drain the buffer so the next one-byte fill forces a refill.
            while rng.pos != REFILL_BYTES {
                let len = 100.min(REFILL_BYTES - rng.pos);
                draw(&mut rng, len);
            }
            draw(&mut rng, 1);
            assert_ne!(rng.key, old);
            assert_eq!(rng.key[..], expected[..KEY_BYTES]);
            assert!(!contains(&rng.buf, &old));
            assert!(
                !contains(&rng.buf, &rng.key),
                "the new key stays only in `key`"
            );
            assert!(rng.buf[..=KEY_BYTES].iter().all(|&b| b == 0));
            assert_eq!(rng.buf[KEY_BYTES + 1..], expected[KEY_BYTES + 1..]);
        }
    }

    #[test]
    fn served_output_is_zeroed_in_the_buffer() {
        let mut rng = FastKeyErasure::new(SEED);
        let expected = run_of(&SEED, REFILL_BYTES);
        let first = draw(&mut rng, 100);
        let second = draw(&mut rng, 50);
        assert_eq!(first[..], expected[32..132]);
        assert_eq!(second[..], expected[132..182]);
        assert_eq!(rng.pos, KEY_BYTES + 150);
        assert!(rng.buf[..182].iter().all(|&b| b == 0));
        assert_eq!(rng.buf[182..], expected[182..]);
    }

    #[test]
    fn bytes_that_became_keys_never_appear_in_output() {
        let mut rng = FastKeyErasure::new(SEED);
        let mut output = Vec::new();
        let mut keys = HashSet::new();
        for i in 0..2_000 {
            // Mostly small fills across many refills, with some direct runs between them.
            let len = if i % 97 == 0 { 5_000 } else { 1 + i * 37 % 200 };
            output.extend(draw(&mut rng, len));
            keys.insert(rng.key);
        }
        assert!(keys.len() > 100);
        for key in &keys {
            assert!(!contains(&output, key));
        }
    }

    #[test]
    fn a_large_fill_is_one_run_of_the_key_in_force() {
        let mut rng = FastKeyErasure::new(SEED);
        draw(&mut rng, 10);
        let buffered = (rng.buf, rng.pos);
        for len in [DIRECT_BYTES, 1 << 20] {
            let key = rng.key;
            let before = rng.bytes_since_reseed();
            let out = draw(&mut rng, len);
            let expected = run_of(&key, KEY_BYTES + len);
            assert_eq!(out[..], expected[KEY_BYTES..]);
            assert_eq!(rng.key[..], expected[..KEY_BYTES]);
            assert_eq!(rng.bytes_since_reseed(), before + len as u64);
        }
        // The buffer still holds the same unread output for later small requests.
        assert_eq!((rng.buf, rng.pos), buffered);
    }

    #[test]
    fn ten_thousand_32_byte_fills_are_distinct() {
        let mut rng = FastKeyErasure::new(SEED);
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let mut out = [0; 32];
            rng.fill(&mut out);
            assert!(seen.insert(out));
        }
    }

    #[test]
    fn mixed_size_fills_never_repeat_a_16_byte_window() {
        let mut rng = FastKeyErasure::new(SEED);
        let mut output = Vec::new();
        for _ in 0..40 {
            for len in [1, 7, 31, 32, 33, 64, 100, 500, 991, 992, 1000, 4096, 3] {
                output.extend(draw(&mut rng, len));
            }
        }
        let mut seen = HashSet::new();
        for window in output.windows(16) {
            assert!(seen.insert(u128::from_le_bytes(window.try_into().unwrap())));
        }
    }

    #[test]
    fn different_seeds_give_different_output() {
        let mut other_seed = SEED;
        other_seed[31] ^= 1;
        let mut a = FastKeyErasure::new(SEED);
        let mut b = FastKeyErasure::new(other_seed);
        assert_ne!(draw(&mut a, 64), draw(&mut b, 64));
        assert_ne!(draw(&mut a, 1 << 16), draw(&mut b, 1 << 16));
    }

    #[test]
    fn reseed_changes_the_output_and_resets_the_count() {
        let mut a = FastKeyErasure::new(SEED);
        let mut b = FastKeyErasure::new(SEED);
        assert_eq!(draw(&mut a, 100), draw(&mut b, 100));
        let entropy = [0xa5; KEY_BYTES];
        let mut mixed = a.key;
        mixed.iter_mut().for_each(|k| *k ^= 0xa5);

        a.reseed(&entropy);
        assert_eq!(a.key[..], run_of(&mixed, KEY_BYTES)[..]);
        assert_eq!(a.bytes_since_reseed(), 0);
        assert_eq!(b.bytes_since_reseed(), 100);
        assert_eq!(a.pos, REFILL_BYTES);
        assert!(a.buf.iter().all(|&x| x == 0));
        assert_ne!(draw(&mut a, 64), draw(&mut b, 64));
        assert_eq!(a.bytes_since_reseed(), 64);
    }

    #[test]
    fn reseed_with_zero_entropy_still_rekeys() {
        let mut a = FastKeyErasure::new(SEED);
        let mut b = FastKeyErasure::new(SEED);
        draw(&mut a, 10);
        draw(&mut b, 10);
        let key = a.key;
        a.reseed(&[0; KEY_BYTES]);
        assert_ne!(a.key, key);
        assert_eq!(a.key[..], run_of(&key, KEY_BYTES)[..]);
        assert_ne!(draw(&mut a, 32), draw(&mut b, 32));
    }

    #[test]
    fn drop_wipes_key_and_buffer() {
        let mut rng = core::mem::ManuallyDrop::new(FastKeyErasure::new(SEED));
        draw(&mut rng, 10);
        // SAFETY: dropped once and never used as a generator again; only its plain bytes are read.
        unsafe { core::mem::ManuallyDrop::drop(&mut rng) };
        assert_eq!(rng.key, [0; KEY_BYTES]);
        assert!(rng.buf.iter().all(|&b| b == 0));
    }

    #[test]
    fn debug_shows_no_key_material() {
        let rng = FastKeyErasure::new(SEED);
        let shown = std::format!("{rng:?}");
        assert_eq!(shown, "FastKeyErasure { bytes_since_reseed: 0, .. }");
    }

    /// `cargo test -p kos-rng --release -- --ignored --nocapture`
    #[test]
    #[ignore = "timing, meaningful in --release only"]
    fn rate_of_1_mib_fills_against_the_raw_keystream() {
        use std::hint::black_box;
        use std::time::Instant;

        const ROUNDS: u32 = 512;
        let mib_per_s = |f: &mut dyn FnMut()| {
            f();
            let start = Instant::now();
            for _ in 0..ROUNDS {
                f();
            }
            f64::from(ROUNDS) / start.elapsed().as_secs_f64()
        };
        let mut out = vec![0u8; 1 << 20];
        let mut rng = FastKeyErasure::new(SEED);
        let fill = mib_per_s(&mut || rng.fill(black_box(&mut out)));
        let raw = mib_per_s(&mut || {
            keystream(black_box(&SEED), &NONCE, 0).write_keystream(black_box(&mut out))
        });
        let small = mib_per_s(&mut || {
            for chunk in out.chunks_mut(32) {
                rng.fill(black_box(chunk));
            }
        });
        std::println!("fill 1 MiB: {fill:.0} MiB/s, raw chacha20: {raw:.0} MiB/s, 32-byte fills: {small:.0} MiB/s");
    }
}
