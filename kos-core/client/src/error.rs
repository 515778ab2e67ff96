//! What can go wrong for a KOS client.

use std::fmt;
use std::io;

use kos_msg::{FrameError, Refusal};

/// A failed KOS operation. Every variant is a value for the caller to handle; none
/// leaves the connection or the process in a broken state.
#[derive(Debug)]
pub enum Error {
    /// The message server refused the request (see [`Refusal`]).
    Refused(Refusal),
    /// The channel is closed: the server went away, or the token was revoked.
    Closed,
    /// No answer within the time asked for.
    Timeout,
    /// The server's receive queue is full (it is not keeping up); nothing was sent.
    /// Only the non-waiting operations ([`crate::Calls::start`],
    /// [`crate::Token::try_send`]) report this.
    QueueFull,
    /// A waiting call on a token with calls in flight through [`crate::Calls`]: it
    /// would take their replies. Nothing was sent.
    CallsInFlight,
    /// This message server already has a [`crate::Server`] in this process.
    AlreadyServing,
    /// A payload longer than [`kos_msg::MAX_PAYLOAD`].
    PayloadTooLarge(usize),
    /// The app is not connected to a message server of that name.
    NoSuchMsgServer(String),
    /// The process was not started with a KOS handoff.
    Handoff(String),
    /// The peer sent a frame that did not decode, or rejected ours.
    Protocol(FrameError),
    /// The operating system refused a socket operation.
    Io(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Refused(r) => write!(f, "refused: {r}"),
            Error::Closed => f.write_str("channel closed (server gone or token revoked)"),
            Error::Timeout => f.write_str("timed out"),
            Error::QueueFull => f.write_str("the server's queue is full; nothing was sent"),
            Error::CallsInFlight => f.write_str(
                "this token has calls in flight; a waiting call would take their replies",
            ),
            Error::AlreadyServing => {
                f.write_str("this message server already has a server in this process")
            }
            Error::PayloadTooLarge(n) => {
                write!(
                    f,
                    "payload of {n} bytes exceeds the {} byte limit",
                    kos_msg::MAX_PAYLOAD
                )
            }
            Error::NoSuchMsgServer(n) => write!(f, "not connected to message server {n}"),
            Error::Handoff(e) => f.write_str(e),
            Error::Protocol(e) => write!(f, "protocol error: {e}"),
            Error::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::NotConnected => Error::Closed,
            _ => Error::Io(e),
        }
    }
}

impl From<FrameError> for Error {
    fn from(e: FrameError) -> Self {
        match e {
            FrameError::FieldTooLong => Error::PayloadTooLarge(0),
            e => Error::Protocol(e),
        }
    }
}

impl Error {
    /// True for a refusal of this kind.
    pub fn is_refusal(&self, r: Refusal) -> bool {
        matches!(self, Error::Refused(x) if *x == r)
    }
}
