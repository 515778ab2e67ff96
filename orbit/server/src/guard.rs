//! Every connection Orbit accepts, bounded: at most `Settings::max_connections` at
//! once (beyond that a new one is closed as soon as it is accepted), and each closed
//! when nothing has moved on it, in or out, for `Settings::idle_timeout` — so sockets
//! that connect and say nothing (or stop halfway through a request) cannot pile up.
//! Devices are pinged every heartbeat and answer, so a live device link is never idle.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// A listener whose connections are counted and time out when idle.
pub struct Guarded<L> {
    inner: L,
    active: Arc<AtomicUsize>,
    max: usize,
    idle: Duration,
    /// When a refusal was last logged (they come in storms).
    last_warned: Option<Instant>,
}

impl<L> Guarded<L> {
    /// Guards `inner`: at most `max` connections, each closed after `idle`.
    pub fn new(inner: L, max: usize, idle: Duration) -> Self {
        Guarded {
            inner,
            active: Arc::new(AtomicUsize::new(0)),
            max,
            idle,
            last_warned: None,
        }
    }
}

impl<L: axum::serve::Listener> axum::serve::Listener for Guarded<L>
where
    L::Io: Unpin,
{
    type Io = IdleStream<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (io, addr) = self.inner.accept().await;
            if self.active.load(Ordering::Relaxed) >= self.max {
                drop(io);
                if self
                    .last_warned
                    .is_none_or(|t| t.elapsed() > Duration::from_secs(10))
                {
                    self.last_warned = Some(Instant::now());
                    tracing::warn!("{} connections open: refusing more", self.max);
                }
                continue;
            }
            self.active.fetch_add(1, Ordering::Relaxed);
            let stream = IdleStream {
                inner: io,
                idle: self.idle,
                timer: Box::pin(tokio::time::sleep(self.idle)),
                last_moved: Instant::now(),
                active: self.active.clone(),
            };
            return (stream, addr);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection that fails its next read or write once idle for too long, and gives
/// its place back when dropped.
pub struct IdleStream<S> {
    inner: S,
    idle: Duration,
    /// Fires at the earliest moment the connection could have been idle too long.
    timer: Pin<Box<Sleep>>,
    /// When bytes last moved. Noting it is all an I/O call costs; the timer is only
    /// moved on when it fires early (so a busy connection does not touch the timer
    /// wheel at every read and write).
    last_moved: Instant,
    active: Arc<AtomicUsize>,
}

impl<S> IdleStream<S> {
    fn moved(&mut self) {
        self.last_moved = Instant::now();
    }

    /// Whether the connection has been idle too long (else the timer is armed for
    /// when it could be, and wakes `cx` then).
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if self.timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            let due = self.last_moved + self.idle;
            if Instant::now() >= due {
                return true;
            }
            self.timer.as_mut().reset(due);
        }
    }
}

impl<S> Drop for IdleStream<S> {
    fn drop(&mut self) {
        self.active.fetch_sub(1, Ordering::Relaxed);
    }
}

fn idle_error() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "connection idle too long")
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    this.moved();
                }
                Poll::Ready(r)
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(idle_error())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    this.moved();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(idle_error())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
