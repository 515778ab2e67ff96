//! A granted token: the client's direct channel to a protocol server.

use std::sync::Arc;
use std::time::Duration;

use kos_msg::{DataFrame, Message, MAX_PAYLOAD};
use kos_transport::{recv_frame, send_frame, SeqPacket, RECV_BUFFER};

use crate::{Error, MsgServer};

/// A reply (or message) whose payload is owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedMessage {
    /// Operation or status.
    pub label: u64,
    /// Small argument.
    pub param: u64,
    /// Data.
    pub payload: Vec<u8>,
}

impl From<Message<'_>> for OwnedMessage {
    fn from(m: Message<'_>) -> Self {
        OwnedMessage {
            label: m.label,
            param: m.param,
            payload: m.payload.to_vec(),
        }
    }
}

/// A token to one protocol server. Dropping it gives it back to the message server.
///
/// It keeps its message-server connection open: the message server voids every
/// token of a connection that closes.
pub struct Token {
    protocol: String,
    badge: u64,
    channel: SeqPacket,
    owner: Arc<MsgServer>,
    next_id: u32,
    buf: Box<[u8; RECV_BUFFER]>,
}

impl Token {
    pub(crate) fn new(
        protocol: &str,
        badge: u64,
        channel: SeqPacket,
        owner: Arc<MsgServer>,
    ) -> Token {
        Token {
            protocol: protocol.to_string(),
            badge,
            channel,
            owner,
            next_id: 0,
            buf: Box::new([0; RECV_BUFFER]),
        }
    }

    /// The protocol this token reaches.
    pub fn protocol(&self) -> &str {
        &self.protocol
    }

    /// The badge the server sees on this token's messages.
    pub fn badge(&self) -> u64 {
        self.badge
    }

    /// Sends `msg` and waits for the reply.
    pub fn call(&mut self, msg: Message<'_>) -> Result<OwnedMessage, Error> {
        self.call_with(msg, None, |m| m.into())
    }

    /// Sends `msg` and waits at most `timeout` for the reply.
    pub fn call_timeout(
        &mut self,
        msg: Message<'_>,
        timeout: Duration,
    ) -> Result<OwnedMessage, Error> {
        self.call_with(msg, Some(timeout), |m| m.into())
    }

    /// Sends `msg` and hands the borrowed reply to `f` (no copy of the payload).
    pub fn call_with<R>(
        &mut self,
        msg: Message<'_>,
        timeout: Option<Duration>,
        f: impl FnOnce(Message<'_>) -> R,
    ) -> Result<R, Error> {
        check_payload(&msg)?;
        self.next_id = self.next_id.wrapping_add(1);
        let id = self.next_id;
        send_frame(&self.channel, &DataFrame::Call { id, msg }, None)?;
        loop {
            if let Some(t) = timeout {
                if !self.channel.wait_readable(Some(t))? {
                    return Err(Error::Timeout);
                }
            }
            // Re-borrow per iteration: a stale reply is decoded, then dropped.
            let incoming =
                recv_frame::<DataFrame>(&self.channel, &mut self.buf[..])?.ok_or(Error::Closed)?;
            match incoming.frame? {
                // A reply to an earlier call that timed out is skipped.
                DataFrame::Reply { id: got, msg } if got == id => return Ok(f(msg)),
                DataFrame::Reply { .. } => continue,
                DataFrame::Rejected => return Err(Error::Protocol(kos_msg::FrameError::Malformed)),
                _ => return Err(Error::Protocol(kos_msg::FrameError::Malformed)),
            }
        }
    }

    /// Sends `msg` one way; no reply comes.
    pub fn send(&mut self, msg: Message<'_>) -> Result<(), Error> {
        check_payload(&msg)?;
        send_frame(&self.channel, &DataFrame::Send { msg }, None)?;
        Ok(())
    }
}

fn check_payload(msg: &Message<'_>) -> Result<(), Error> {
    if msg.payload.len() > MAX_PAYLOAD {
        Err(Error::PayloadTooLarge(msg.payload.len()))
    } else {
        Ok(())
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        // The token may already be void (revoked, server gone): nothing to do then.
        let _ = self.owner.release(self.badge);
    }
}
