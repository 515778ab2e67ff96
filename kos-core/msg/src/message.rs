//! The message every call, send and reply carries.

use serde::{Deserialize, Serialize};

/// Largest payload a message may carry, in bytes. Larger data is chunked by the
/// protocol that needs it (an RNG stream, an upgrade bundle).
pub const MAX_PAYLOAD: usize = 4096;

/// A message: `{label, param, token, payload}`.
///
/// `label` usually names the operation (and, in a reply, the status); `param` is a
/// small argument; `token` says a token travels with the message (the transport moves
/// it); `payload` is at most [`MAX_PAYLOAD`] bytes and is borrowed, never copied, when
/// decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message<'a> {
    /// Operation (in a request) or status (in a reply).
    pub label: u64,
    /// A small argument whose meaning the protocol defines.
    pub param: u64,
    /// Whether a token is transferred with this message.
    pub token: bool,
    /// Up to [`MAX_PAYLOAD`] bytes of data.
    #[serde(borrow, with = "serde_bytes")]
    pub payload: &'a [u8],
}

impl<'a> Message<'a> {
    /// A message with a label and payload, no param and no token.
    pub const fn new(label: u64, payload: &'a [u8]) -> Self {
        Message {
            label,
            param: 0,
            token: false,
            payload,
        }
    }

    /// The same message with `param` set.
    pub const fn with_param(mut self, param: u64) -> Self {
        self.param = param;
        self
    }
}
