//! A connected `SOCK_SEQPACKET` Unix socket that carries frames and file descriptors.

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use nix::poll::{ppoll, PollFd, PollFlags};
use nix::sys::socket::{
    recvmsg, sendmsg, shutdown, socketpair, AddressFamily, ControlMessage, ControlMessageOwned,
    MsgFlags, Shutdown, SockFlag, SockType,
};
use nix::sys::time::TimeSpec;

/// The most descriptors Linux passes in one `SCM_RIGHTS` message.
const SCM_MAX_FD: usize = 253;

/// Receive buffers are this large: a full frame fits, and anything longer is
/// reported as truncated rather than silently cut.
pub const RECV_BUFFER: usize = kos_msg::MAX_FRAME + 1;

/// One end of a connected seqpacket socket pair.
#[derive(Debug)]
pub struct SeqPacket {
    fd: OwnedFd,
}

/// What one `recv` got.
#[derive(Debug)]
pub struct Received {
    /// Bytes written into the buffer.
    pub len: usize,
    /// The datagram was longer than the buffer (the rest is lost).
    pub truncated: bool,
    /// The peer closed or the channel was shut down.
    pub closed: bool,
    /// A file descriptor that travelled with the datagram.
    pub token: Option<OwnedFd>,
}

impl SeqPacket {
    /// A new connected pair; both ends close on exec unless handed over explicitly.
    pub fn pair() -> io::Result<(SeqPacket, SeqPacket)> {
        let (a, b) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )?;
        Ok((SeqPacket { fd: a }, SeqPacket { fd: b }))
    }

    /// Wraps an inherited descriptor.
    ///
    /// # Safety
    /// `fd` must be an open seqpacket socket that nothing else owns.
    pub unsafe fn from_raw_fd(fd: RawFd) -> SeqPacket {
        SeqPacket {
            fd: OwnedFd::from_raw_fd(fd),
        }
    }

    /// Marks the descriptor close-on-exec. An app takes over its inherited channels
    /// this way, so programs it starts in turn cannot inherit its access to KOS.
    pub fn set_cloexec(&self) -> io::Result<()> {
        use nix::fcntl::{fcntl, FcntlArg, FdFlag};
        fcntl(&self.fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))?;
        Ok(())
    }

    /// Wraps a descriptor received as a token.
    pub fn from_owned(fd: OwnedFd) -> SeqPacket {
        SeqPacket { fd }
    }

    /// A second handle on the same socket (used by the message server to keep the
    /// power to cut a channel it granted).
    pub fn try_clone(&self) -> io::Result<SeqPacket> {
        Ok(SeqPacket {
            fd: self.fd.try_clone()?,
        })
    }

    /// Sends one datagram, with `token` attached when given; blocks while the peer's
    /// receive queue is full.
    pub fn send(&self, bytes: &[u8], token: Option<BorrowedFd<'_>>) -> io::Result<()> {
        self.send_flags(bytes, token, MsgFlags::MSG_NOSIGNAL)
    }

    /// Like [`SeqPacket::send`], but fails with `WouldBlock` instead of waiting when the
    /// peer's receive queue is full — for a server that must not let one client that
    /// stops reading stall it.
    pub fn try_send(&self, bytes: &[u8], token: Option<BorrowedFd<'_>>) -> io::Result<()> {
        self.send_flags(
            bytes,
            token,
            MsgFlags::MSG_NOSIGNAL | MsgFlags::MSG_DONTWAIT,
        )
    }

    fn send_flags(
        &self,
        bytes: &[u8],
        token: Option<BorrowedFd<'_>>,
        flags: MsgFlags,
    ) -> io::Result<()> {
        let iov = [IoSlice::new(bytes)];
        let raw;
        let cmsg_storage;
        let cmsgs: &[ControlMessage] = match token {
            Some(fd) => {
                raw = [fd.as_raw_fd()];
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

    /// Receives one datagram into `buf`, blocking until one arrives or the peer closes.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        self.recv_flags(buf, MsgFlags::empty())
    }

    /// Like [`SeqPacket::recv`], but fails with `WouldBlock` instead of waiting when
    /// nothing is queued — for a caller that polls several channels itself.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<Received> {
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
                            token = Some(owned);
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

    /// Waits until the socket is readable (or closed); `false` on timeout.
    pub fn wait_readable(&self, timeout: Option<Duration>) -> io::Result<bool> {
        Ok(!wait_readable(&[self.as_fd()], timeout)?.is_empty())
    }

    /// Cuts the channel for everyone who holds it: both peers see it closed. This is
    /// how a message server revokes a token it granted.
    pub fn shutdown(&self) -> io::Result<()> {
        match shutdown(self.fd.as_raw_fd(), Shutdown::Both) {
            Ok(()) | Err(nix::errno::Errno::ENOTCONN) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Gives up ownership of the descriptor (to hand it to a child process).
    pub fn into_owned(self) -> OwnedFd {
        self.fd
    }
}

impl AsFd for SeqPacket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Waits until any of `fds` is readable or closed; returns their indices, empty on timeout.
pub fn wait_readable(fds: &[BorrowedFd<'_>], timeout: Option<Duration>) -> io::Result<Vec<usize>> {
    let mut pollfds: Vec<PollFd> = fds
        .iter()
        .map(|fd| PollFd::new(*fd, PollFlags::POLLIN))
        .collect();
    // ppoll(2) takes the timeout to the nanosecond: poll(2)'s whole milliseconds would
    // turn a wait of 0.9 ms into none at all (a caller looping on a short timeout would
    // spin a core), or, rounded up, make a CAN server that refills mailboxes every
    // quarter millisecond wait a whole one.
    let timeout = timeout.map(TimeSpec::from_duration);
    loop {
        match ppoll(&mut pollfds, timeout, None) {
            Ok(_) => break,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(pollfds
        .iter()
        .enumerate()
        .filter(|(_, p)| p.revents().is_some_and(|r| !r.is_empty()))
        .map(|(i, _)| i)
        .collect())
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_sub_millisecond_timeout_still_waits() {
        // 900 µs must not become no wait at all (a server looping on a short timeout
        // would spin a core). A lower bound only: never flaky when the machine is slow.
        let (a, _b) = SeqPacket::pair().unwrap();
        for _ in 0..20 {
            let started = std::time::Instant::now();
            let ready = wait_readable(&[a.as_fd()], Some(Duration::from_micros(900))).unwrap();
            assert!(ready.is_empty());
            assert!(started.elapsed() >= Duration::from_micros(900));
        }
    }

    #[test]
    fn keeps_datagram_boundaries() {
        let (a, b) = SeqPacket::pair().unwrap();
        a.send(b"one", None).unwrap();
        a.send(b"three", None).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(b.recv(&mut buf).unwrap().len, 3);
        let r = b.recv(&mut buf).unwrap();
        assert_eq!(&buf[..r.len], b"three");
    }

    #[test]
    fn passes_a_token_that_works_on_the_other_side() {
        let (a, b) = SeqPacket::pair().unwrap();
        let (token_here, token_there) = SeqPacket::pair().unwrap();
        a.send(b"grant", Some(token_there.as_fd())).unwrap();
        drop(token_there);
        let mut buf = [0u8; 16];
        let received = b.recv(&mut buf).unwrap();
        let token = SeqPacket::from_owned(received.token.expect("token attached"));
        token.send(b"via token", None).unwrap();
        let r = token_here.recv(&mut buf).unwrap();
        assert_eq!(&buf[..r.len], b"via token");
    }

    #[test]
    fn reports_truncation_and_close() {
        let (a, b) = SeqPacket::pair().unwrap();
        a.send(&[1u8; 32], None).unwrap();
        let mut small = [0u8; 8];
        assert!(b.recv(&mut small).unwrap().truncated);
        drop(a);
        assert!(b.recv(&mut small).unwrap().closed);
    }

    #[test]
    fn shutdown_through_a_duplicate_cuts_both_peers() {
        let (a, b) = SeqPacket::pair().unwrap();
        let kept = b.try_clone().unwrap();
        kept.shutdown().unwrap();
        let mut buf = [0u8; 8];
        assert!(a.recv(&mut buf).unwrap().closed);
        assert!(b.recv(&mut buf).unwrap().closed);
        assert!(a.send(b"x", None).is_err());
    }

    #[test]
    fn try_send_refuses_instead_of_blocking_on_a_full_peer() {
        let (a, _b) = SeqPacket::pair().unwrap();
        let frame = [0u8; 4096];
        let mut sent = 0;
        let err = loop {
            match a.try_send(&frame, None) {
                Ok(()) => sent += 1,
                Err(e) => break e,
            }
            assert!(sent < 100_000, "the queue never filled");
        };
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        assert!(sent > 0);
    }

    #[test]
    fn set_cloexec_marks_the_descriptor() {
        use nix::fcntl::{fcntl, FcntlArg, FdFlag};
        let (a, _b) = SeqPacket::pair().unwrap();
        // Inherited channels arrive without the flag (dup2 clears it): start there.
        fcntl(&a.fd, FcntlArg::F_SETFD(FdFlag::empty())).unwrap();
        a.set_cloexec().unwrap();
        let flags = FdFlag::from_bits_truncate(fcntl(&a.fd, FcntlArg::F_GETFD).unwrap());
        assert!(flags.contains(FdFlag::FD_CLOEXEC));
    }

    #[test]
    fn wait_readable_times_out_then_sees_data() {
        let (a, b) = SeqPacket::pair().unwrap();
        assert!(!b.wait_readable(Some(Duration::from_millis(10))).unwrap());
        a.send(b"x", None).unwrap();
        assert!(b.wait_readable(Some(Duration::from_millis(1000))).unwrap());
    }
}
