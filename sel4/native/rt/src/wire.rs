//! A KOS message — label, param, payload, as `kos_service` and the hosted transport
//! have it — in one seL4 IPC message: the seL4 label is the KOS label (status, for a
//! reply), MR 0 the param, MR 1 the payload's length, MRs 2.. its bytes, eight to a
//! word, little-endian, the last word's unused bytes zero. A payload over
//! [`MAX_IPC_PAYLOAD`] bytes — up to KOS's [`MAX_SHARED_PAYLOAD`] — travels in the
//! token's shared frame instead (a page the root maps into that client and its server
//! alone): the message then carries the length and no payload words, and that is how
//! the receiver tells the two apart.
//!
//! A payload of up to [`REGISTER_BYTES`] bytes — the common call — fits the message
//! registers the kernel passes in CPU registers: with four words or fewer, seL4's IPC
//! fast path carries the message, and encoding and decoding it touch no loop and no
//! copy routine (the benchmark in BENCHMARKS.md counts each instruction here).

use crate::{k, IpcBuffer, Loaded, Msg};

/// Words before the payload: param, length.
pub const HEADER_WORDS: usize = 2;
/// Largest payload one IPC message carries.
pub const MAX_IPC_PAYLOAD: usize = (k::MSG_MAX_LENGTH - HEADER_WORDS) * 8;
/// Largest payload through a token's shared frame: one page, KOS's largest message.
pub const MAX_SHARED_PAYLOAD: usize = 4096;
/// Payload bytes in the message registers passed in CPU registers (MRs 2 and 3).
pub const REGISTER_BYTES: usize = (4 - HEADER_WORDS) * 8;
/// Largest label: seL4's message info has 20 bits for it.
pub const MAX_LABEL: u64 = 0xf_ffff;

/// `param` and `payload` loaded as a message: the first four words for the registers,
/// the rest written straight into `ipc`'s buffer (no intermediate array to clear);
/// `None` when the payload fits neither the message nor `shared` (the token's frame,
/// if it has one).
#[inline(always)]
pub fn encode(
    ipc: IpcBuffer,
    param: u64,
    payload: &[u8],
    shared: Option<&mut [u8]>,
) -> Option<Loaded> {
    let len = payload.len();
    if len <= REGISTER_BYTES {
        return Some(inline(param, len, register_words(payload)));
    }
    encode_long(ipc, param, payload, shared)
}

/// [`encode`] of a payload longer than the registers carry.
fn encode_long(
    ipc: IpcBuffer,
    param: u64,
    payload: &[u8],
    shared: Option<&mut [u8]>,
) -> Option<Loaded> {
    let len = payload.len();
    if len > MAX_IPC_PAYLOAD {
        let frame = shared.filter(|f| f.len() >= len)?;
        frame[..len].copy_from_slice(payload);
        return Some(Loaded {
            regs: [param as usize, len, 0, 0],
            len: HEADER_WORDS,
        });
    }
    // The first 16 bytes go in the two registers left after the header, the rest
    // straight into the buffer (one copy: the words' bytes are the payload's).
    let (head, tail) = payload.split_at(REGISTER_BYTES);
    ipc.write_mr_bytes(4, tail);
    Some(inline(param, len, register_words(head)))
}

/// The message of a payload of `len` bytes carried in the message itself, its first
/// 16 bytes being `words`.
#[inline(always)]
fn inline(param: u64, len: usize, (w0, w1): (usize, usize)) -> Loaded {
    Loaded {
        regs: [param as usize, len, w0, w1],
        len: HEADER_WORDS + len.div_ceil(8),
    }
}

/// The param of a received message and its payload, copied into `out` (from the
/// message, or from `shared` when the length is more than the message carries);
/// `None` when the message is not one of these (too short, a length beyond what it
/// and the frame carry, or more than `out` holds). Only the payload's bytes of `out`
/// are written.
#[inline(always)]
pub fn decode(
    ipc: IpcBuffer,
    m: &Msg,
    out: &mut [u8],
    shared: Option<&[u8]>,
) -> Option<(u64, usize)> {
    let words = m.length();
    let len = m.mr[1];
    if words < HEADER_WORDS || len > out.len() {
        return None;
    }
    if len <= REGISTER_BYTES && len <= (words - HEADER_WORDS) * 8 {
        write_register_bytes(&mut out[..len], m.mr[2], m.mr[3]);
        return Some((m.mr[0] as u64, len));
    }
    decode_long(ipc, m, out, shared)
}

/// [`decode`] of a payload longer than the registers carry.
fn decode_long(
    ipc: IpcBuffer,
    m: &Msg,
    out: &mut [u8],
    shared: Option<&[u8]>,
) -> Option<(u64, usize)> {
    let (words, len) = (m.length(), m.mr[1]);
    if len > (words - HEADER_WORDS) * 8 {
        // Only a message with no payload words points at the frame.
        let frame = shared.filter(|f| words == HEADER_WORDS && len <= f.len())?;
        out[..len].copy_from_slice(&frame[..len]);
        return Some((m.mr[0] as u64, len));
    }
    write_register_bytes(&mut out[..REGISTER_BYTES], m.mr[2], m.mr[3]);
    ipc.read_mr_bytes(4, &mut out[REGISTER_BYTES..len]);
    Some((m.mr[0] as u64, len))
}

/// Up to [`REGISTER_BYTES`] bytes as two little-endian words, zero past the bytes:
/// a few loads chosen by the length, no loop and no call.
#[inline(always)]
fn register_words(bytes: &[u8]) -> (usize, usize) {
    match bytes.split_at_checked(8) {
        Some((lo, hi)) => (word_of(lo), word_of(hi)),
        None => (word_of(bytes), 0),
    }
}

/// Up to eight bytes as a little-endian word: two loads that overlap (each byte they
/// both read is the same byte), shifted into place.
#[inline(always)]
fn word_of(b: &[u8]) -> usize {
    let n = b.len();
    if n >= 8 {
        usize::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
    } else if n >= 4 {
        let lo = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let hi = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]) as usize;
        lo | hi << (8 * (n - 4))
    } else if n >= 2 {
        let lo = u16::from_le_bytes([b[0], b[1]]) as usize;
        let hi = u16::from_le_bytes([b[n - 2], b[n - 1]]) as usize;
        lo | hi << (8 * (n - 2))
    } else if n == 1 {
        usize::from(b[0])
    } else {
        0
    }
}

/// Writes the first `out.len()` (at most [`REGISTER_BYTES`]) bytes of two words.
#[inline(always)]
fn write_register_bytes(out: &mut [u8], w0: usize, w1: usize) {
    match out.split_at_mut_checked(8) {
        Some((lo, hi)) => {
            write_word(lo, w0);
            write_word(hi, w1);
        }
        None => write_word(out, w0),
    }
}

/// Writes the first `out.len()` (at most eight) bytes of `w`: the mirror of
/// [`word_of`], two stores that overlap.
#[inline(always)]
fn write_word(out: &mut [u8], w: usize) {
    let n = out.len();
    if n >= 8 {
        out[..8].copy_from_slice(&w.to_le_bytes());
    } else if n >= 4 {
        out[..4].copy_from_slice(&(w as u32).to_le_bytes());
        out[n - 4..].copy_from_slice(&((w >> (8 * (n - 4))) as u32).to_le_bytes());
    } else if n >= 2 {
        out[..2].copy_from_slice(&(w as u16).to_le_bytes());
        out[n - 2..].copy_from_slice(&((w >> (8 * (n - 2))) as u16).to_le_bytes());
    } else if n == 1 {
        out[0] = w as u8;
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// An IPC buffer in host memory (encode and decode only read and write it).
    #[repr(C, align(1024))]
    struct Buffer([u8; 1024]);

    /// `payload` through encode then decode as the receiver sees it: the loaded
    /// message's registers and length, the buffer's words.
    fn round_trip(payload: &[u8], shared: &mut [u8]) -> Option<(u64, Vec<u8>)> {
        let mut buffer = Box::new(Buffer([0xa5; 1024]));
        let ipc = IpcBuffer(buffer.0.as_mut_ptr() as usize);
        let loaded = encode(ipc, 77, payload, Some(&mut *shared))?;
        let m = Msg {
            info: crate::msg_info(5, 0, loaded.len),
            badge: 0,
            mr: loaded.regs,
        };
        let mut out = vec![0xee; MAX_SHARED_PAYLOAD + 8];
        let (param, len) = decode(ipc, &m, &mut out, Some(&*shared))?;
        assert!(
            out[len..].iter().all(|&b| b == 0xee),
            "wrote past the payload"
        );
        out.truncate(len);
        Some((param, out))
    }

    #[test]
    fn every_length_comes_back_whole() {
        let mut shared = vec![0u8; MAX_SHARED_PAYLOAD];
        let data: Vec<u8> = (0..MAX_SHARED_PAYLOAD).map(|i| (i * 7 + 1) as u8).collect();
        for len in 0..=MAX_SHARED_PAYLOAD {
            let (param, out) = round_trip(&data[..len], &mut shared).unwrap();
            assert_eq!(param, 77);
            assert_eq!(out, &data[..len], "length {len}");
        }
        assert!(round_trip(&[0; MAX_SHARED_PAYLOAD + 1], &mut shared).is_none());
    }

    #[test]
    fn unused_bytes_of_the_last_word_are_zero() {
        // No byte of an earlier message or of the sender's memory goes out.
        let mut buffer = Box::new(Buffer([0xa5; 1024]));
        let ipc = IpcBuffer(buffer.0.as_mut_ptr() as usize);
        for len in 0..=MAX_IPC_PAYLOAD {
            let payload = vec![0xffu8; len];
            let m = encode(ipc, 0, &payload, None).unwrap();
            assert_eq!(m.len, HEADER_WORDS + len.div_ceil(8));
            let mut words: Vec<usize> = m.regs[HEADER_WORDS..].to_vec();
            words.extend((4..m.len).map(|i| ipc.mr(i)));
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            assert!(bytes[len..].iter().all(|&b| b == 0), "length {len}");
            assert!(bytes[..len].iter().all(|&b| b == 0xff), "length {len}");
        }
    }

    #[test]
    fn malformed_messages_are_refused() {
        let mut buffer = Box::new(Buffer([0; 1024]));
        let ipc = IpcBuffer(buffer.0.as_mut_ptr() as usize);
        let mut out = [0u8; 64];
        let msg = |words: usize, len: usize| Msg {
            info: crate::msg_info(0, 0, words),
            badge: 0,
            mr: [1, len, 0, 0],
        };
        // Too short for the header.
        assert!(decode(ipc, &msg(1, 0), &mut out, None).is_none());
        // A length over what `out` holds.
        assert!(decode(ipc, &msg(4, 65), &mut out, None).is_none());
        // More bytes than the message's words carry, and no frame.
        assert!(decode(ipc, &msg(3, 9), &mut out, None).is_none());
        assert!(decode(ipc, &msg(2, 1), &mut out, None).is_none());
        // A frame is only read for a message with no payload words.
        let frame = [9u8; 64];
        assert!(decode(ipc, &msg(3, 20), &mut out, Some(&frame)).is_none());
        assert_eq!(
            decode(ipc, &msg(2, 20), &mut out, Some(&frame)),
            Some((1, 20))
        );
        assert_eq!(&out[..20], &[9; 20]);
    }
}
