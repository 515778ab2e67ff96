//! A KOS message — label, param, payload, as `kos_service` and the hosted transport
//! have it — in one seL4 IPC message: the seL4 label is the KOS label (status, for a
//! reply), MR 0 the param, MR 1 the payload's length, MRs 2.. its bytes, eight to a
//! word, little-endian. A payload over [`MAX_IPC_PAYLOAD`] bytes — up to KOS's
//! [`MAX_SHARED_PAYLOAD`] — travels in the token's shared frame instead (a page the
//! root maps into that client and its server alone): the message then carries the
//! length and no payload words, and that is how the receiver tells the two apart.

use crate::{k, IpcBuffer, Msg};

/// Words before the payload: param, length.
pub const HEADER_WORDS: usize = 2;
/// Largest payload one IPC message carries.
pub const MAX_IPC_PAYLOAD: usize = (k::MSG_MAX_LENGTH - HEADER_WORDS) * 8;
/// Largest payload through a token's shared frame: one page, KOS's largest message.
pub const MAX_SHARED_PAYLOAD: usize = 4096;
/// Largest label: seL4's message info has 20 bits for it.
pub const MAX_LABEL: u64 = 0xf_ffff;

/// The message words of `param` and `payload` into `words`; returns how many, or
/// `None` when the payload fits neither the message nor `shared` (the token's frame,
/// if it has one).
pub fn encode(
    param: u64,
    payload: &[u8],
    words: &mut [usize; k::MSG_MAX_LENGTH],
    shared: Option<&mut [u8]>,
) -> Option<usize> {
    words[0] = param as usize;
    words[1] = payload.len();
    if payload.len() > MAX_IPC_PAYLOAD {
        let frame = shared.filter(|f| f.len() >= payload.len())?;
        frame[..payload.len()].copy_from_slice(payload);
        return Some(HEADER_WORDS);
    }
    for (i, chunk) in payload.chunks(8).enumerate() {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        words[HEADER_WORDS + i] = usize::from_le_bytes(word);
    }
    Some(HEADER_WORDS + payload.len().div_ceil(8))
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
    for i in 0..len.div_ceil(8) {
        let word = ipc.get(m, HEADER_WORDS + i).to_le_bytes();
        let n = (len - i * 8).min(8);
        out[i * 8..i * 8 + n].copy_from_slice(&word[..n]);
    }
    Some((param, len))
}
