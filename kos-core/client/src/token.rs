//! A granted token: the client's direct channel to a protocol server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kos_msg::{DataFrame, Message, MAX_PAYLOAD};
use kos_transport::{Channel, RECV_BUFFER};

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

impl OwnedMessage {
    /// The message, borrowing this one's payload (no token).
    pub fn as_message(&self) -> Message<'_> {
        Message::new(self.label, &self.payload).with_param(self.param)
    }
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

/// A token to one protocol server.
///
/// A granted token keeps its message-server connection open (the message server voids
/// every token of a connection that closes) and gives itself back when dropped. A token
/// can also travel inside a message ([`Token::send_transfer`], [`Token::call_transfer`],
/// [`crate::Server::reply_transfer`]): the receiver then calls the same server under
/// the same badge, as with a capability moved on seL4. It stays accounted to the app
/// it was granted to, and is void once that app's grant ends.
#[derive(Debug)]
pub struct Token {
    protocol: String,
    badge: u64,
    /// Shared with [`crate::Calls`], which waits on it without holding the token.
    channel: Arc<Channel>,
    /// The connection it was granted on; `None` for a token received in a message.
    owner: Option<Arc<MsgServer>>,
    next_id: u32,
    /// Calls started through [`crate::Calls`] and not yet finished or cancelled; a
    /// waiting call would take their replies, so it is refused meanwhile.
    pub(crate) in_flight: usize,
    /// Wipe the receive buffer once each reply has been handled.
    secret_replies: bool,
    buf: Box<[u8; RECV_BUFFER]>,
}

impl Token {
    pub(crate) fn new(
        protocol: &str,
        badge: u64,
        channel: Channel,
        owner: Arc<MsgServer>,
    ) -> Token {
        Token::build(protocol, badge, channel, Some(owner))
    }

    /// A token that arrived inside a message: its protocol and badge are not known to
    /// the receiver (`""` and 0; badges granted by a message server start at 1).
    pub(crate) fn received(channel: Channel) -> Token {
        Token::build("", 0, channel, None)
    }

    fn build(protocol: &str, badge: u64, channel: Channel, owner: Option<Arc<MsgServer>>) -> Token {
        Token {
            protocol: protocol.to_string(),
            badge,
            channel: Arc::new(channel),
            owner,
            next_id: 0,
            in_flight: 0,
            secret_replies: false,
            buf: Box::new([0; RECV_BUFFER]),
        }
    }

    /// The protocol this token reaches (`""` for a token received in a message).
    pub fn protocol(&self) -> &str {
        &self.protocol
    }

    /// The badge the server sees on this token's messages (0 when not known here).
    pub fn badge(&self) -> u64 {
        self.badge
    }

    /// Gives up this token to send it: the channel goes with the message, and no
    /// release is sent for it.
    pub(crate) fn into_channel(mut self) -> Channel {
        self.owner = None;
        // Dropping `self` closes its handle; the duplicate goes in the message.
        self.channel.try_clone().unwrap_or_else(|_| {
            // Out of descriptors: hand over a channel that is already closed, so the
            // receiver sees a dead token instead of the sender failing mid-call.
            Channel::pair().map(|(a, _)| a).expect("socketpair")
        })
    }

    /// The channel, for [`crate::Calls`] to wait on.
    pub(crate) fn channel(&self) -> &Arc<Channel> {
        &self.channel
    }

    /// For protocols whose replies are secrets (a key that must not outlive its use in
    /// memory): with `true`, the receive buffer is zeroed once each reply has been
    /// handed over, whichever way it was received.
    pub fn set_secret_replies(&mut self, secret: bool) {
        self.secret_replies = secret;
    }

    fn after_reply(&mut self) {
        if self.secret_replies {
            // `black_box` keeps the compiler from dropping the wipe as a dead store.
            self.buf.fill(0);
            std::hint::black_box(&self.buf);
        }
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

    /// Sends `msg` and hands the borrowed reply to `f` (no copy of the payload). A
    /// token in the reply is dropped; use [`Token::call_transfer`] to keep it.
    pub fn call_with<R>(
        &mut self,
        msg: Message<'_>,
        timeout: Option<Duration>,
        f: impl FnOnce(Message<'_>) -> R,
    ) -> Result<R, Error> {
        self.exchange(msg, None, timeout, |m, _| f(m))
    }

    /// Sends `msg` with `give` (if any) moved to the server, and waits at most
    /// `timeout` (forever with `None`) for the reply and any token it carries.
    pub fn call_transfer(
        &mut self,
        msg: Message<'_>,
        give: Option<Token>,
        timeout: Option<Duration>,
    ) -> Result<(OwnedMessage, Option<Token>), Error> {
        self.exchange(msg, give, timeout, |m, token| {
            (m.into(), token.map(Token::received))
        })
    }

    fn exchange<R>(
        &mut self,
        msg: Message<'_>,
        give: Option<Token>,
        timeout: Option<Duration>,
        f: impl FnOnce(Message<'_>, Option<Channel>) -> R,
    ) -> Result<R, Error> {
        check_payload(&msg)?;
        if self.in_flight > 0 {
            return Err(Error::CallsInFlight);
        }
        self.next_id = self.next_id.wrapping_add(1);
        let id = self.next_id;
        let given = give.map(Token::into_channel);
        let msg = Message {
            token: given.is_some(),
            ..msg
        };
        self.channel
            .send(&DataFrame::Call { id, msg }, given.as_ref())?;
        drop(given);
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(deadline) = deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() || !self.channel.wait_readable(Some(left))? {
                    return Err(Error::Timeout);
                }
            }
            // Re-borrow per iteration: a stale reply is decoded, then dropped.
            let incoming = self
                .channel
                .recv::<DataFrame>(&mut self.buf[..])?
                .ok_or(Error::Closed)?;
            match incoming.frame? {
                // A reply to an earlier call that timed out is skipped.
                DataFrame::Reply { id: got, msg } if got == id => {
                    let token = if msg.token { incoming.token } else { None };
                    let handled = f(msg, token);
                    self.after_reply();
                    return Ok(handled);
                }
                DataFrame::Reply { .. } => {
                    self.after_reply();
                    continue;
                }
                _ => return Err(Error::Protocol(kos_msg::FrameError::Malformed)),
            }
        }
    }

    /// Sends a call without waiting for its reply (for [`crate::Calls`], which
    /// collects it). Returns the call's id, which the reply carries. Fails with
    /// [`Error::QueueFull`] rather than wait for a server that is not reading.
    pub(crate) fn start_call(&mut self, msg: Message<'_>) -> Result<u32, Error> {
        check_payload(&msg)?;
        self.next_id = self.next_id.wrapping_add(1);
        let id = self.next_id;
        let msg = Message {
            token: false,
            ..msg
        };
        match self.channel.try_send(&DataFrame::Call { id, msg }, None) {
            Ok(()) => Ok(id),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Err(Error::QueueFull),
            Err(e) => Err(e.into()),
        }
    }

    /// Takes one queued reply without waiting and hands `f` its call id and the
    /// borrowed message; `Ok(None)` when nothing is queued. [`Error::Closed`] when the
    /// server is gone: no outstanding call will be answered then.
    pub(crate) fn try_reply_with<R>(
        &mut self,
        f: impl FnOnce(u32, Message<'_>) -> R,
    ) -> Result<Option<R>, Error> {
        let incoming = match self.channel.try_recv::<DataFrame>(&mut self.buf[..]) {
            Ok(Some(incoming)) => incoming,
            Ok(None) => return Err(Error::Closed),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        match incoming.frame? {
            DataFrame::Reply { id, msg } => {
                let handled = f(id, msg);
                self.after_reply();
                Ok(Some(handled))
            }
            _ => Err(Error::Protocol(kos_msg::FrameError::Malformed)),
        }
    }

    /// Sends `msg` one way; no reply comes.
    pub fn send(&mut self, msg: Message<'_>) -> Result<(), Error> {
        check_payload(&msg)?;
        let msg = Message {
            token: false,
            ..msg
        };
        self.channel.send(&DataFrame::Send { msg }, None)?;
        Ok(())
    }

    /// Like [`Token::send`], but fails with [`Error::QueueFull`] instead of waiting for a
    /// server that is not reading.
    pub fn try_send(&mut self, msg: Message<'_>) -> Result<(), Error> {
        check_payload(&msg)?;
        let msg = Message {
            token: false,
            ..msg
        };
        match self.channel.try_send(&DataFrame::Send { msg }, None) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Err(Error::QueueFull),
            Err(e) => Err(e.into()),
        }
    }

    /// Sends `msg` one way with `give` moved to the server.
    pub fn send_transfer(&mut self, msg: Message<'_>, give: Token) -> Result<(), Error> {
        check_payload(&msg)?;
        let given = give.into_channel();
        let msg = Message { token: true, ..msg };
        self.channel.send(&DataFrame::Send { msg }, Some(&given))?;
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
        if let Some(owner) = &self.owner {
            // The token may already be void (revoked, server gone): nothing to do then.
            let _ = owner.release(self.badge);
        }
    }
}
