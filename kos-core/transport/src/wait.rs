//! Waiting on several channels at once, and being woken from another thread.
//!
//! [`wait_any`] returns once any of the channels has a frame queued (or has ended).
//! A thread that waits on a set that other threads change (the calls in flight of a
//! VM) also needs to be interrupted when the set grows: [`wakeup`] makes a
//! [`Wakeup`], which the waiting thread waits with, and a [`Waker`] that any thread
//! can signal. On seL4 this is a notification bound to the waiting thread; hosted, it
//! is a socket pair whose one queued datagram stands for "woken".

use std::io;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;

use nix::poll::{ppoll, PollFd, PollFlags};
use nix::sys::time::TimeSpec;

use crate::Channel;

/// Waits until any of `channels` has a frame queued or has ended; returns their
/// indices (empty when `timeout` ran out first; `None` waits for ever).
pub fn wait_any(channels: &[&Channel], timeout: Option<Duration>) -> io::Result<Vec<usize>> {
    let ready = poll(channels, None, timeout)?;
    Ok(ready.channels)
}

/// Makes a wake-up pair: the [`Wakeup`] for the one thread that waits, and a
/// [`Waker`] for every thread that may need to interrupt it.
pub fn wakeup() -> io::Result<(Wakeup, Waker)> {
    let (rx, tx) = Channel::pair()?;
    let tx = Arc::new(tx);
    Ok((
        Wakeup {
            rx,
            _tx: tx.clone(),
        },
        Waker { tx },
    ))
}

/// The waiting side of a wake-up pair.
#[derive(Debug)]
pub struct Wakeup {
    rx: Channel,
    /// Keeps the pair open when every [`Waker`] is gone: an ended channel would look
    /// woken for ever.
    _tx: Arc<Channel>,
}

/// Signals a [`Wakeup`]; cheap to clone, usable from any thread.
#[derive(Debug, Clone)]
pub struct Waker {
    tx: Arc<Channel>,
}

/// What a [`Wakeup::wait`] saw.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Ready {
    /// A [`Waker`] signalled (once or more) since the last wait.
    pub woken: bool,
    /// The indices of the channels with a frame queued or ended.
    pub channels: Vec<usize>,
}

impl Waker {
    /// Wakes the waiting thread, now or at its next wait. Never waits itself: when a
    /// wake-up is already pending, this one is the same wake-up.
    pub fn wake(&self) {
        // WouldBlock means the queue already holds wake-ups: nothing is lost.
        let _ = self.tx.try_send_bytes(&[1], None);
    }
}

impl Wakeup {
    /// Waits until any of `channels` is ready, a [`Waker`] signals, or `timeout` runs
    /// out; every pending wake-up is consumed.
    pub fn wait(&self, channels: &[&Channel], timeout: Option<Duration>) -> io::Result<Ready> {
        let ready = poll(channels, Some(&self.rx), timeout)?;
        if ready.woken {
            let mut sink = [0u8; 8];
            while matches!(self.rx.try_recv_bytes(&mut sink), Ok(r) if !r.closed) {}
        }
        Ok(ready)
    }
}

fn poll(
    channels: &[&Channel],
    wake: Option<&Channel>,
    timeout: Option<Duration>,
) -> io::Result<Ready> {
    let mut pollfds: Vec<PollFd> = wake
        .into_iter()
        .chain(channels.iter().copied())
        .map(|c| PollFd::new(c.as_fd(), PollFlags::POLLIN))
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
    let first = usize::from(wake.is_some());
    let is_ready = |p: &PollFd| p.revents().is_some_and(|r| !r.is_empty());
    Ok(Ready {
        woken: wake.is_some() && is_ready(&pollfds[0]),
        channels: pollfds[first..]
            .iter()
            .enumerate()
            .filter(|(_, p)| is_ready(p))
            .map(|(i, _)| i)
            .collect(),
    })
}

#[cfg(test)]
mod test {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_sub_millisecond_timeout_still_waits() {
        // 900 µs must not become no wait at all (a server looping on a short timeout
        // would spin a core). A lower bound only: never flaky when the machine is slow.
        let (a, _b) = Channel::pair().unwrap();
        for _ in 0..20 {
            let started = Instant::now();
            assert!(wait_any(&[&a], Some(Duration::from_micros(900)))
                .unwrap()
                .is_empty());
            assert!(started.elapsed() >= Duration::from_micros(900));
        }
    }

    #[test]
    fn wait_any_names_the_ready_channels() {
        let (a, a_peer) = Channel::pair().unwrap();
        let (b, b_peer) = Channel::pair().unwrap();
        let (c, c_peer) = Channel::pair().unwrap();
        b_peer.send_bytes(b"x", None).unwrap();
        drop(c_peer); // an ended channel is ready too: its reader must learn the end
        assert_eq!(wait_any(&[&a, &b, &c], None).unwrap(), [1, 2]);
        drop(a_peer);
    }

    #[test]
    fn a_waker_interrupts_a_wait_from_another_thread() {
        let (wakeup, waker) = wakeup().unwrap();
        let (a, _a_peer) = Channel::pair().unwrap();
        let thread = std::thread::spawn(move || waker.wake());
        // Returns because of the waker alone: the channel stays idle.
        let ready = wakeup.wait(&[&a], None).unwrap();
        assert_eq!(
            ready,
            Ready {
                woken: true,
                channels: vec![]
            }
        );
        thread.join().unwrap();
        // Consumed: the next wait times out.
        let again = wakeup.wait(&[&a], Some(Duration::from_millis(1))).unwrap();
        assert_eq!(again, Ready::default());
    }

    #[test]
    fn a_wakeup_whose_wakers_are_gone_just_waits() {
        let (wakeup, waker) = wakeup().unwrap();
        drop(waker);
        let ready = wakeup.wait(&[], Some(Duration::from_millis(1))).unwrap();
        assert_eq!(ready, Ready::default());
    }

    #[test]
    fn many_wakes_before_a_wait_are_one_wake_up_and_never_block_the_waker() {
        let (wakeup, waker) = wakeup().unwrap();
        for _ in 0..100_000 {
            waker.clone().wake();
        }
        assert!(wakeup.wait(&[], None).unwrap().woken);
        assert!(!wakeup.wait(&[], Some(Duration::ZERO)).unwrap().woken);
    }
}
