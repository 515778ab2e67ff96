//! The one place the ChaCha20 cipher is built: RFC 8439's IETF variant (256-bit key, 96-bit nonce,
//! 32-bit block counter) from RustCrypto's `chacha20`. The generator draws every run from here and
//! the known-answer tests check this same function, so a passing KAT covers what the generator runs.

use chacha20::cipher::{KeyIvInit, StreamCipherSeek};
use chacha20::ChaCha20;

use crate::KEY_BYTES;

/// Length of an RFC 8439 nonce.
pub(crate) const NONCE_BYTES: usize = 12;

/// Length of one ChaCha20 block; the counter counts these.
const BLOCK_BYTES: u64 = 64;

/// The ChaCha20 keystream of (`key`, `nonce`), positioned at the start of block `counter`.
///
/// Pull bytes with `StreamCipher::write_keystream`. The stream holds a copy of `key` in its state,
/// which chacha20's `zeroize` feature wipes when the stream is dropped.
pub(crate) fn keystream(
    key: &[u8; KEY_BYTES],
    nonce: &[u8; NONCE_BYTES],
    counter: u32,
) -> ChaCha20 {
    let mut stream = ChaCha20::new(key.into(), nonce.into());
    stream.seek(u64::from(counter) * BLOCK_BYTES);
    stream
}

#[cfg(test)]
pub(crate) mod test {
    use super::*;
    use chacha20::cipher::StreamCipher;

    /// RFC 8439 §2.3.2: key 00..1f, nonce 00 00 00 09 00 00 00 4a 00 00 00 00, counter 1.
    const RFC8439_2_3_2: [u8; 64] = [
        0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71,
        0xc4, 0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03, 0x04, 0x22, 0xaa, 0x9a, 0xc3, 0xd4,
        0x6c, 0x4e, 0xd2, 0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa, 0x09, 0x14, 0xc2, 0xd7, 0x05, 0xd9,
        0x8b, 0x02, 0xa2, 0xb5, 0x12, 0x9c, 0xd1, 0xde, 0x16, 0x4e, 0xb9, 0xcb, 0xd0, 0x83, 0xe8,
        0xa2, 0x50, 0x3c, 0x4e,
    ];

    /// RFC 8439 A.1 test vector #1: key 0, nonce 0, counter 0.
    pub(crate) const RFC8439_A1_1: [u8; 64] = [
        0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86, 0xbd,
        0x28, 0xbd, 0xd2, 0x19, 0xb8, 0xa0, 0x8d, 0xed, 0x1a, 0xa8, 0x36, 0xef, 0xcc, 0x8b, 0x77,
        0x0d, 0xc7, 0xda, 0x41, 0x59, 0x7c, 0x51, 0x57, 0x48, 0x8d, 0x77, 0x24, 0xe0, 0x3f, 0xb8,
        0xd8, 0x4a, 0x37, 0x6a, 0x43, 0xb8, 0xf4, 0x15, 0x18, 0xa1, 0x1c, 0xc3, 0x87, 0xb6, 0x69,
        0xb2, 0xee, 0x65, 0x86,
    ];

    /// RFC 8439 A.1 test vector #2: key 0, nonce 0, counter 1.
    const RFC8439_A1_2: [u8; 64] = [
        0x9f, 0x07, 0xe7, 0xbe, 0x55, 0x51, 0x38, 0x7a, 0x98, 0xba, 0x97, 0x7c, 0x73, 0x2d, 0x08,
        0x0d, 0xcb, 0x0f, 0x29, 0xa0, 0x48, 0xe3, 0x65, 0x69, 0x12, 0xc6, 0x53, 0x3e, 0x32, 0xee,
        0x7a, 0xed, 0x29, 0xb7, 0x21, 0x76, 0x9c, 0xe6, 0x4e, 0x43, 0xd5, 0x71, 0x33, 0xb0, 0x74,
        0xd8, 0x39, 0xd5, 0x31, 0xed, 0x1f, 0x28, 0x51, 0x0a, 0xfb, 0x45, 0xac, 0xe1, 0x0a, 0x1f,
        0x4b, 0x79, 0x4d, 0x6f,
    ];

    fn block(key: &[u8; KEY_BYTES], nonce: &[u8; NONCE_BYTES], counter: u32) -> [u8; 64] {
        let mut out = [0; 64];
        keystream(key, nonce, counter).write_keystream(&mut out);
        out
    }

    #[test]
    fn block_function_matches_rfc8439_section_2_3_2() {
        let key = core::array::from_fn(|i| i as u8);
        let nonce = [0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0];
        assert_eq!(block(&key, &nonce, 1), RFC8439_2_3_2);
    }

    #[test]
    fn keystream_matches_rfc8439_a1_vectors_1_and_2() {
        assert_eq!(block(&[0; 32], &[0; 12], 0), RFC8439_A1_1);
        assert_eq!(block(&[0; 32], &[0; 12], 1), RFC8439_A1_2);
    }

    #[test]
    fn one_run_continues_across_blocks_and_uneven_reads() {
        let mut stream = keystream(&[0; 32], &[0; 12], 0);
        let mut got = [0; 128];
        let (a, rest) = got.split_at_mut(5);
        let (b, c) = rest.split_at_mut(70);
        stream.write_keystream(a);
        stream.write_keystream(b);
        stream.write_keystream(c);
        assert_eq!(got[..64], RFC8439_A1_1);
        assert_eq!(got[64..], RFC8439_A1_2);
    }
}
