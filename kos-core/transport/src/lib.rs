//! The hosted KOS transport: the only part of KOS that knows it runs on Linux.
//!
//! Every KOS channel is a connected `SOCK_SEQPACKET` Unix socket pair: one datagram
//! is one frame, so boundaries are kept by the kernel, and a token travels as a file
//! descriptor (`SCM_RIGHTS`) beside the frame that grants it. A socket pair is made by
//! the root server and handed to each side; nothing listens on a path, so an app can
//! reach only the channels it was handed. On seL4 the same roles are played by
//! endpoints and badged capabilities, and this crate is what gets replaced.

mod handoff;
mod seqpacket;

pub use handoff::{
    Handoff, HandoffError, MsgServerFds, ENV_APP, ENV_HEAP_KIB, ENV_MANIFEST, ENV_MSG_SERVERS,
};
pub use seqpacket::{wait_readable, Received, SeqPacket, RECV_BUFFER};

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};

use kos_msg::frame::Frame;
use kos_msg::{decode, encode, MAX_FRAME};

/// Encodes `frame` and sends it, with `token` attached when given.
pub fn send_frame<'a, T: Frame<'a>>(
    sock: &SeqPacket,
    frame: &T,
    token: Option<BorrowedFd<'_>>,
) -> io::Result<()> {
    with_encoded(frame, |bytes| sock.send(bytes, token))
}

/// Like [`send_frame`], but fails with `WouldBlock` rather than wait for a peer that
/// is not reading (see [`SeqPacket::try_send`]).
pub fn try_send_frame<'a, T: Frame<'a>>(
    sock: &SeqPacket,
    frame: &T,
    token: Option<BorrowedFd<'_>>,
) -> io::Result<()> {
    with_encoded(frame, |bytes| sock.try_send(bytes, token))
}

fn with_encoded<'a, T: Frame<'a>>(
    frame: &T,
    send: impl FnOnce(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut buf = [0u8; MAX_FRAME];
    let len = encode(frame, &mut buf)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    let sent = send(&buf[..len]);
    // A payload may be a secret (random bytes, a key): leave no copy on the stack.
    // `fill` is vectorised (cheap on the message path); `black_box` keeps the compiler
    // from dropping it as a dead store.
    buf[..len].fill(0);
    std::hint::black_box(&buf);
    sent
}

/// A frame received and decoded, borrowing from the caller's buffer, plus any token.
pub struct Incoming<T> {
    /// The decoded frame, or why it did not decode (the sender is misbehaving; the
    /// receiver answers or drops it and carries on).
    pub frame: Result<T, kos_msg::FrameError>,
    /// A token that travelled with the frame.
    pub token: Option<OwnedFd>,
}

/// Receives one frame into `buf` and decodes it. `Ok(None)` means the peer closed.
pub fn recv_frame<'a, T: Frame<'a>>(
    sock: &SeqPacket,
    buf: &'a mut [u8],
) -> io::Result<Option<Incoming<T>>> {
    let received = sock.recv(buf)?;
    decode_received(received, buf)
}

/// Like [`recv_frame`], but fails with `WouldBlock` when no frame is queued.
pub fn try_recv_frame<'a, T: Frame<'a>>(
    sock: &SeqPacket,
    buf: &'a mut [u8],
) -> io::Result<Option<Incoming<T>>> {
    let received = sock.try_recv(buf)?;
    decode_received(received, buf)
}

fn decode_received<'a, T: Frame<'a>>(
    received: Received,
    buf: &'a [u8],
) -> io::Result<Option<Incoming<T>>> {
    if received.closed {
        return Ok(None);
    }
    let frame = if received.truncated {
        Err(kos_msg::FrameError::TooLarge)
    } else {
        decode(&buf[..received.len])
    };
    Ok(Some(Incoming {
        frame,
        token: received.token,
    }))
}
