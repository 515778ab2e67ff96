//! [`Channel`]: one end of a KOS channel, the transport's only kind of connection.
//!
//! Above the transport a channel is opaque: frames go in and out (`send`, `recv` and
//! their non-waiting `try_` forms), a frame may carry another channel (a token), a
//! channel can be cut for both peers (`shutdown`), and a thread can wait on several
//! (`crate::wait`). On seL4 the same roles are an endpoint capability, a capability
//! transfer, revocation and a notification.
//!
//! Hosted, a channel is a connected `SOCK_SEQPACKET` Unix socket: one datagram is one
//! frame, so the kernel keeps boundaries, and a token travels as a file descriptor
//! (`SCM_RIGHTS`) beside its frame. Only the start-up code of the root server (handing
//! channels to app processes) and of an app (taking them over) sees descriptors.

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use kos_msg::frame::Frame;
use kos_msg::{decode, encode, MAX_FRAME};
use nix::sys::socket::{
    recvmsg, sendmsg, shutdown, socketpair, AddressFamily, ControlMessage, ControlMessageOwned,
    MsgFlags, Shutdown, SockFlag, SockType,
};

/// The most descriptors Linux passes in one `SCM_RIGHTS` message.
const SCM_MAX_FD: usize = 253;

/// Receive buffers are this large: a full frame fits, and anything longer is
/// reported as truncated rather than silently cut.
pub const RECV_BUFFER: usize = kos_msg::MAX_FRAME + 1;

/// One end of a KOS channel (see the module documentation).
#[derive(Debug)]
pub struct Channel {
    fd: OwnedFd,
}

/// What one `recv_bytes` got.
#[derive(Debug)]
pub struct Received {
    /// Bytes written into the buffer.
    pub len: usize,
    /// The datagram was longer than the buffer (the rest is lost).
    pub truncated: bool,
    /// The peer closed or the channel was shut down.
    pub closed: bool,
    /// A channel (token) that travelled with the datagram.
    pub token: Option<Channel>,
}

/// A frame received and decoded, borrowing from the caller's buffer, plus any token.
pub struct Incoming<T> {
    /// The decoded frame, or why it did not decode (the sender is misbehaving; the
    /// receiver answers or drops it and carries on).
    pub frame: Result<T, kos_msg::FrameError>,
    /// A token that travelled with the frame.
    pub token: Option<Channel>,
}

impl Channel {
    /// A new connected pair; both ends close on exec unless handed over explicitly.
    pub fn pair() -> io::Result<(Channel, Channel)> {
        let (a, b) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )?;
        Ok((Channel { fd: a }, Channel { fd: b }))
    }

    /// Takes over an inherited descriptor, after checking that it is a seqpacket
    /// socket, and marks it close-on-exec so programs the app starts in turn cannot
    /// inherit its access to KOS.
    ///
    /// # Safety
    /// Nothing else in the process may own `fd`.
    pub(crate) unsafe fn adopt_inherited(fd: RawFd) -> io::Result<Channel> {
        use nix::fcntl::{fcntl, FcntlArg, FdFlag};
        use nix::sys::socket::{getsockopt, sockopt};
        // Borrowed for the checks only: a descriptor that fails them is not ours to close.
        let borrowed = BorrowedFd::borrow_raw(fd);
        let kind = getsockopt(&borrowed, sockopt::SockType)?;
        if kind != SockType::SeqPacket {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("descriptor {fd} is not a seqpacket socket"),
            ));
        }
        fcntl(borrowed, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))?;
        Ok(Channel {
            fd: OwnedFd::from_raw_fd(fd),
        })
    }

    /// A second handle on the same channel (the message server keeps one to keep the
    /// power to cut a channel it granted; a waiter keeps one to wait without the
    /// owner's lock).
    pub fn try_clone(&self) -> io::Result<Channel> {
        Ok(Channel {
            fd: self.fd.try_clone()?,
        })
    }

    /// Encodes `frame` and sends it, with `token` moved along when given (the sender
    /// should drop its own handle); waits while the peer's queue is full.
    pub fn send<'a, T: Frame<'a>>(&self, frame: &T, token: Option<&Channel>) -> io::Result<()> {
        with_encoded(frame, |bytes| self.send_bytes(bytes, token))
    }

    /// Like [`Channel::send`], but fails with `WouldBlock` rather than wait for a peer
    /// that is not reading — for a server that must not let one client stall it.
    pub fn try_send<'a, T: Frame<'a>>(&self, frame: &T, token: Option<&Channel>) -> io::Result<()> {
        with_encoded(frame, |bytes| self.try_send_bytes(bytes, token))
    }

    /// Receives one frame into `buf` (at least [`RECV_BUFFER`] bytes) and decodes it,
    /// waiting until one arrives. `Ok(None)` means the peer closed.
    pub fn recv<'a, T: Frame<'a>>(&self, buf: &'a mut [u8]) -> io::Result<Option<Incoming<T>>> {
        let received = self.recv_bytes(buf)?;
        decode_received(received, buf)
    }

    /// Like [`Channel::recv`], but fails with `WouldBlock` when no frame is queued.
    pub fn try_recv<'a, T: Frame<'a>>(&self, buf: &'a mut [u8]) -> io::Result<Option<Incoming<T>>> {
        let received = self.try_recv_bytes(buf)?;
        decode_received(received, buf)
    }

    /// Sends raw bytes as one datagram (a frame encoded elsewhere, or deliberate
    /// garbage in tests and the raw baseline of the benchmarks).
    pub fn send_bytes(&self, bytes: &[u8], token: Option<&Channel>) -> io::Result<()> {
        self.send_flags(bytes, token, MsgFlags::MSG_NOSIGNAL)
    }

    /// Like [`Channel::send_bytes`], but fails with `WouldBlock` instead of waiting.
    pub fn try_send_bytes(&self, bytes: &[u8], token: Option<&Channel>) -> io::Result<()> {
        self.send_flags(
            bytes,
            token,
            MsgFlags::MSG_NOSIGNAL | MsgFlags::MSG_DONTWAIT,
        )
    }

    fn send_flags(&self, bytes: &[u8], token: Option<&Channel>, flags: MsgFlags) -> io::Result<()> {
        let iov = [IoSlice::new(bytes)];
        let raw;
        let cmsg_storage;
        let cmsgs: &[ControlMessage] = match token {
            Some(channel) => {
                raw = [channel.fd.as_raw_fd()];
                cmsg_storage = [ControlMessage::ScmRights(&raw)];
                &cmsg_storage
            }
            None => &[],
        };
        loop {
            match sendmsg::<()>(self.fd.as_raw_fd(), &iov, cmsgs, flags, None) {
                Ok(_) => return Ok(()),
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Receives one datagram into `buf`, waiting until one arrives or the peer closes.
    pub fn recv_bytes(&self, buf: &mut [u8]) -> io::Result<Received> {
        self.recv_flags(buf, MsgFlags::empty())
    }

    /// Like [`Channel::recv_bytes`], but fails with `WouldBlock` instead of waiting
    /// when nothing is queued.
    pub fn try_recv_bytes(&self, buf: &mut [u8]) -> io::Result<Received> {
        self.recv_flags(buf, MsgFlags::MSG_DONTWAIT)
    }

    fn recv_flags(&self, buf: &mut [u8], flags: MsgFlags) -> io::Result<Received> {
        // Room for as many descriptors as the kernel will pass in one message
        // (SCM_MAX_FD), so a sender attaching several cannot make us lose track of
        // the ones installed: every extra one is closed below, none leaks.
        let mut cmsg = nix::cmsg_space!([RawFd; SCM_MAX_FD]);
        loop {
            let mut iov = [IoSliceMut::new(buf)];
            let msg = match recvmsg::<()>(
                self.fd.as_raw_fd(),
                &mut iov,
                Some(&mut cmsg),
                MsgFlags::MSG_CMSG_CLOEXEC | flags,
            ) {
                Ok(msg) => msg,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(nix::errno::Errno::ECONNRESET) => {
                    return Ok(Received {
                        len: 0,
                        truncated: false,
                        closed: true,
                        token: None,
                    })
                }
                Err(e) => return Err(e.into()),
            };
            let mut token = None;
            for c in msg.cmsgs()? {
                if let ControlMessageOwned::ScmRights(fds) = c {
                    for fd in fds {
                        // SAFETY: the kernel just installed this descriptor for us.
                        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
                        // One token per frame; extra descriptors are closed, not leaked.
                        if token.is_none() {
                            token = Some(Channel { fd: owned });
                        }
                    }
                }
            }
            // A zero-length datagram is never a frame; on seqpacket it marks EOF.
            return Ok(Received {
                len: msg.bytes,
                truncated: msg.flags.contains(MsgFlags::MSG_TRUNC),
                closed: msg.bytes == 0,
                token,
            });
        }
    }

    /// Waits until a frame (or the channel's end) is queued; `false` on timeout.
    pub fn wait_readable(&self, timeout: Option<Duration>) -> io::Result<bool> {
        Ok(!crate::wait::wait_any(&[self], timeout)?.is_empty())
    }

    /// Cuts the channel for everyone who holds it: both peers see it closed. This is
    /// how a message server revokes a token it granted.
    pub fn shutdown(&self) -> io::Result<()> {
        match shutdown(self.fd.as_raw_fd(), Shutdown::Both) {
            Ok(()) | Err(nix::errno::Errno::ENOTCONN) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Gives up ownership of the descriptor: the root server hands it to a child
    /// process this way (hosted start-up only).
    pub fn into_owned_fd(self) -> OwnedFd {
        self.fd
    }
}

/// The descriptor, for the hosted start-up code and for a poll set that is not ours
/// (a VM's own, through `enif_select`).
impl AsFd for Channel {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
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

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn keeps_datagram_boundaries() {
        let (a, b) = Channel::pair().unwrap();
        a.send_bytes(b"one", None).unwrap();
        a.send_bytes(b"three", None).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(b.recv_bytes(&mut buf).unwrap().len, 3);
        let r = b.recv_bytes(&mut buf).unwrap();
        assert_eq!(&buf[..r.len], b"three");
    }

    #[test]
    fn passes_a_token_that_works_on_the_other_side() {
        let (a, b) = Channel::pair().unwrap();
        let (token_here, token_there) = Channel::pair().unwrap();
        a.send_bytes(b"grant", Some(&token_there)).unwrap();
        drop(token_there);
        let mut buf = [0u8; 16];
        let received = b.recv_bytes(&mut buf).unwrap();
        let token = received.token.expect("token attached");
        token.send_bytes(b"via token", None).unwrap();
        let r = token_here.recv_bytes(&mut buf).unwrap();
        assert_eq!(&buf[..r.len], b"via token");
    }

    #[test]
    fn reports_truncation_and_close() {
        let (a, b) = Channel::pair().unwrap();
        a.send_bytes(&[1u8; 32], None).unwrap();
        let mut small = [0u8; 8];
        assert!(b.recv_bytes(&mut small).unwrap().truncated);
        drop(a);
        assert!(b.recv_bytes(&mut small).unwrap().closed);
    }

    #[test]
    fn shutdown_through_a_duplicate_cuts_both_peers() {
        let (a, b) = Channel::pair().unwrap();
        let kept = b.try_clone().unwrap();
        kept.shutdown().unwrap();
        let mut buf = [0u8; 8];
        assert!(a.recv_bytes(&mut buf).unwrap().closed);
        assert!(b.recv_bytes(&mut buf).unwrap().closed);
        assert!(a.send_bytes(b"x", None).is_err());
    }

    #[test]
    fn try_send_refuses_instead_of_blocking_on_a_full_peer() {
        let (a, _b) = Channel::pair().unwrap();
        let frame = [0u8; 4096];
        let mut sent = 0;
        let err = loop {
            match a.try_send_bytes(&frame, None) {
                Ok(()) => sent += 1,
                Err(e) => break e,
            }
            assert!(sent < 100_000, "the queue never filled");
        };
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        assert!(sent > 0);
    }

    #[test]
    fn an_adopted_channel_is_checked_and_marked_close_on_exec() {
        use nix::fcntl::{fcntl, FcntlArg, FdFlag};
        use std::os::fd::IntoRawFd;
        let (a, _b) = Channel::pair().unwrap();
        // Inherited channels arrive without the flag (dup2 clears it): start there.
        fcntl(&a.fd, FcntlArg::F_SETFD(FdFlag::empty())).unwrap();
        let raw = a.into_owned_fd().into_raw_fd();
        // SAFETY: `raw` was just released by its only owner.
        let a = unsafe { Channel::adopt_inherited(raw) }.unwrap();
        let flags = FdFlag::from_bits_truncate(fcntl(&a.fd, FcntlArg::F_GETFD).unwrap());
        assert!(flags.contains(FdFlag::FD_CLOEXEC));
        // A descriptor that is not a seqpacket socket is refused and left open.
        let file = std::fs::File::open("/dev/null").unwrap();
        // SAFETY: checked only; on refusal the descriptor stays the file's.
        let refused = unsafe { Channel::adopt_inherited(file.as_raw_fd()) };
        assert!(refused.is_err());
        assert!(fcntl(&file, FcntlArg::F_GETFD).is_ok());
    }

    #[test]
    fn wait_readable_times_out_then_sees_data() {
        let (a, b) = Channel::pair().unwrap();
        assert!(!b.wait_readable(Some(Duration::from_millis(10))).unwrap());
        a.send_bytes(b"x", None).unwrap();
        assert!(b.wait_readable(Some(Duration::from_millis(1000))).unwrap());
    }
}
