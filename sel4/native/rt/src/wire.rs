//! A KOS message — label, param, payload, as `kos_service` and the hosted transport
//! have it — in one seL4 IPC message: the seL4 label is the KOS label (status, for a
//! reply), MR 0 the param, MR 1 the payload's length, MRs 2.. its bytes, eight to a
//! word, little-endian. So a payload holds at most [`MAX_IPC_PAYLOAD`] bytes; larger
//! ones need shared memory, which the seL4 transport does not have yet.

use crate::{k, IpcBuffer, Msg};

/// Words before the payload: param, length.
pub const HEADER_WORDS: usize = 2;
/// Largest payload one IPC message carries.
pub const MAX_IPC_PAYLOAD: usize = (k::MSG_MAX_LENGTH - HEADER_WORDS) * 8;
/// Largest label: seL4's message info has 20 bits for it.
pub const MAX_LABEL: u64 = 0xf_ffff;

/// The message words of `param` and `payload` into `words`; returns how many.
/// `payload` longer than [`MAX_IPC_PAYLOAD`] is cut (callers check first).
pub fn encode(param: u64, payload: &[u8], words: &mut [usize; k::MSG_MAX_LENGTH]) -> usize {
    let payload = &payload[..payload.len().min(MAX_IPC_PAYLOAD)];
    words[0] = param as usize;
    words[1] = payload.len();
    for (i, chunk) in payload.chunks(8).enumerate() {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        words[HEADER_WORDS + i] = usize::from_le_bytes(word);
    }
    HEADER_WORDS + payload.len().div_ceil(8)
}

/// The param of a received message and its payload, copied into `out`; `None` when the
/// message is not one of these (too short, or a length beyond what it carries).
pub fn decode(ipc: IpcBuffer, m: &Msg, out: &mut [u8]) -> Option<(u64, usize)> {
    if m.length() < HEADER_WORDS {
        return None;
    }
    let param = ipc.get(m, 0) as u64;
    let len = ipc.get(m, 1);
    if len > (m.length() - HEADER_WORDS) * 8 || len > out.len() {
        return None;
    }
    for i in 0..len.div_ceil(8) {
        let word = ipc.get(m, HEADER_WORDS + i).to_le_bytes();
        let n = (len - i * 8).min(8);
        out[i * 8..i * 8 + n].copy_from_slice(&word[..n]);
    }
    Some((param, len))
}
