//! A KOS message — label, param, payload, as `kos_service` and the hosted transport
//! have it — in one seL4 IPC message: the seL4 label is the KOS label (status, for a
//! reply), MR 0 the param, MR 1 the payload's length, MRs 2.. its bytes, eight to a
//! word, little-endian. A payload over [`MAX_IPC_PAYLOAD`] bytes — up to KOS's
//! [`MAX_SHARED_PAYLOAD`] — travels in the token's shared frame instead (a page the
//! root maps into that client and its server alone): the message then carries the
//! length and no payload words, and that is how the receiver tells the two apart.

use crate::{k, IpcBuffer, Loaded, Msg};

/// Words before the payload: param, length.
pub const HEADER_WORDS: usize = 2;
/// Largest payload one IPC message carries.
pub const MAX_IPC_PAYLOAD: usize = (k::MSG_MAX_LENGTH - HEADER_WORDS) * 8;
/// Largest payload through a token's shared frame: one page, KOS's largest message.
pub const MAX_SHARED_PAYLOAD: usize = 4096;
/// Payload bytes in the message registers passed in CPU registers (MRs 2 and 3).
const REGISTER_BYTES: usize = (4 - HEADER_WORDS) * 8;
/// Largest label: seL4's message info has 20 bits for it.
pub const MAX_LABEL: u64 = 0xf_ffff;

/// `param` and `payload` loaded as a message: the first four words for the registers,
/// the rest written straight into `ipc`'s buffer (no intermediate array to clear);
/// `None` when the payload fits neither the message nor `shared` (the token's frame,
/// if it has one).
pub fn encode(
    ipc: IpcBuffer,
    param: u64,
    payload: &[u8],
    shared: Option<&mut [u8]>,
) -> Option<Loaded> {
    let mut m = Loaded {
        regs: [param as usize, payload.len(), 0, 0],
        len: HEADER_WORDS,
    };
    if payload.len() > MAX_IPC_PAYLOAD {
        let frame = shared.filter(|f| f.len() >= payload.len())?;
        frame[..payload.len()].copy_from_slice(payload);
        return Some(m);
    }
    // The first 16 bytes go in the two registers left after the header, the rest
    // straight into the buffer (one copy: the words' bytes are the payload's).
    let (head, tail) = payload.split_at(payload.len().min(REGISTER_BYTES));
    for (i, chunk) in head.chunks(8).enumerate() {
        m.regs[HEADER_WORDS + i] = word_of(chunk);
    }
    if !tail.is_empty() {
        ipc.write_mr_bytes(4, tail);
    }
    m.len = HEADER_WORDS + payload.len().div_ceil(8);
    Some(m)
}

/// The param of a received message and its payload, copied into `out` (from the
/// message, or from `shared` when the length is more than the message carries);
/// `None` when the message is not one of these (too short, a length beyond what it
/// and the frame carry, or more than `out` holds).
pub fn decode(
    ipc: IpcBuffer,
    m: &Msg,
    out: &mut [u8],
    shared: Option<&[u8]>,
) -> Option<(u64, usize)> {
    if m.length() < HEADER_WORDS {
        return None;
    }
    let param = ipc.get(m, 0) as u64;
    let len = ipc.get(m, 1);
    if len > out.len() {
        return None;
    }
    if len > (m.length() - HEADER_WORDS) * 8 {
        // Only a message with no payload words points at the frame.
        let frame = shared.filter(|f| m.length() == HEADER_WORDS && len <= f.len())?;
        out[..len].copy_from_slice(&frame[..len]);
        return Some((param, len));
    }
    let head = len.min(REGISTER_BYTES);
    for (i, chunk) in out[..head].chunks_mut(8).enumerate() {
        let word = m.mr[HEADER_WORDS + i].to_le_bytes();
        match <&mut [u8; 8]>::try_from(&mut *chunk) {
            Ok(whole) => *whole = word,
            Err(_) => chunk.copy_from_slice(&word[..chunk.len()]),
        }
    }
    if len > head {
        ipc.read_mr_bytes(4, &mut out[head..len]);
    }
    Some((param, len))
}

/// Up to eight bytes as a little-endian word (a whole word is one load).
fn word_of(chunk: &[u8]) -> usize {
    match <[u8; 8]>::try_from(chunk) {
        Ok(whole) => usize::from_le_bytes(whole),
        Err(_) => {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            usize::from_le_bytes(word)
        }
    }
}
