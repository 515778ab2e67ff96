//! One message server connection: directory requests on the request channel.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kos_msg::{Control, Refusal, Reply, Request};
use kos_transport::{Channel, RECV_BUFFER};

use crate::{Error, Server, Token};

/// An app's connection to one message server.
///
/// Requests from several threads are serialised on the request channel; the event
/// channel belongs to the [`Server`] made by [`MsgServer::serve`].
pub struct MsgServer {
    name: String,
    request: Mutex<RequestChannel>,
    events: Mutex<Option<Channel>>,
}

impl std::fmt::Debug for MsgServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MsgServer")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

struct RequestChannel {
    sock: Channel,
    seq: u32,
}

impl MsgServer {
    /// Wraps the two channels of one message server.
    pub fn new(name: &str, request: Channel, events: Channel) -> Arc<MsgServer> {
        Arc::new(MsgServer {
            name: name.to_string(),
            request: Mutex::new(RequestChannel {
                sock: request,
                seq: 0,
            }),
            events: Mutex::new(Some(events)),
        })
    }

    /// The message server's manifest name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn round_trip(&self, body: Request<'_>) -> Result<(Reply, Option<Channel>), Error> {
        let mut channel = self.request.lock().unwrap_or_else(|p| p.into_inner());
        channel.seq = channel.seq.wrapping_add(1);
        let seq = channel.seq;
        channel.sock.send(&Control { seq, body }, None)?;
        let mut buf = [0u8; RECV_BUFFER];
        loop {
            let incoming = channel
                .sock
                .recv::<Control<Reply>>(&mut buf)?
                .ok_or(Error::Closed)?;
            let reply = incoming.frame?;
            // Replies come in order; an older seq can only be left from a request
            // whose caller gave up, so it is skipped.
            if reply.seq == seq {
                return Ok((reply.body, incoming.token));
            }
        }
    }

    fn expect_done(&self, body: Request<'_>) -> Result<(), Error> {
        match self.round_trip(body)?.0 {
            Reply::Done => Ok(()),
            Reply::Refused(r) => Err(Error::Refused(r)),
            _ => Err(Error::Protocol(kos_msg::FrameError::Malformed)),
        }
    }

    /// Starts serving `protocol` (the manifest must list this app as its server).
    pub fn publish(&self, protocol: &str) -> Result<(), Error> {
        self.expect_done(Request::Publish { protocol })
    }

    /// Stops serving `protocol`.
    pub fn unpublish(&self, protocol: &str) -> Result<(), Error> {
        self.expect_done(Request::Unpublish { protocol })
    }

    /// Is `protocol` published now?
    pub fn is_published(&self, protocol: &str) -> Result<bool, Error> {
        match self.round_trip(Request::Query { protocol })?.0 {
            Reply::Published(p) => Ok(p),
            Reply::Refused(r) => Err(Error::Refused(r)),
            _ => Err(Error::Protocol(kos_msg::FrameError::Malformed)),
        }
    }

    /// Asks for a token to `protocol`; fails at once if it is not published.
    pub fn connect(self: &Arc<Self>, protocol: &str) -> Result<Token, Error> {
        match self.round_trip(Request::Connect { protocol })? {
            (Reply::Granted { badge }, Some(channel)) => {
                Ok(Token::new(protocol, badge, channel, self.clone()))
            }
            (Reply::Refused(r), _) => Err(Error::Refused(r)),
            _ => Err(Error::Protocol(kos_msg::FrameError::Malformed)),
        }
    }

    /// Like [`MsgServer::connect`], but waits up to `timeout` for the protocol to be
    /// published — the usual case while the system boots or a server restarts. Other
    /// refusals return at once.
    ///
    /// The wait is an event, not a poll: the message server hands over a notice
    /// channel that it closes when the protocol is published
    /// ([`kos_msg::Request::AwaitPublished`]), and no request channel is held while
    /// waiting, so other threads of the app go on using this message server.
    pub fn connect_wait(
        self: &Arc<Self>,
        protocol: &str,
        timeout: Duration,
    ) -> Result<Token, Error> {
        let deadline = Instant::now() + timeout;
        loop {
            let not_published = match self.connect(protocol) {
                Err(e) if e.is_refusal(Refusal::NotPublished) => e,
                other => return other,
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(not_published);
            }
            match self.round_trip(Request::AwaitPublished { protocol })? {
                // Published meanwhile: connect again at once.
                (Reply::Published(true), _) => {}
                (Reply::Waiting, Some(notice)) => {
                    if !notice.wait_readable(Some(left))? {
                        return Err(not_published);
                    }
                }
                (Reply::Refused(r), _) => return Err(Error::Refused(r)),
                _ => return Err(Error::Protocol(kos_msg::FrameError::Malformed)),
            }
        }
    }

    /// As a server, cuts off the client holding token `badge`.
    pub fn revoke(&self, badge: u64) -> Result<(), Error> {
        self.expect_done(Request::Revoke { badge })
    }

    pub(crate) fn release(&self, badge: u64) -> Result<(), Error> {
        self.expect_done(Request::Release { badge })
    }

    /// Becomes a server on this message server: takes the event channel, on which new
    /// clients arrive. One [`Server`] per message server and process at a time
    /// ([`Error::AlreadyServing`]); once it is dropped, another may be made.
    pub fn serve(self: &Arc<Self>) -> Result<Server, Error> {
        let events = self
            .events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or(Error::AlreadyServing)?;
        Ok(Server::new(self.clone(), events))
    }

    /// The event channel of a [`Server`] that ended.
    pub(crate) fn give_back_events(&self, events: Channel) {
        *self.events.lock().unwrap_or_else(|p| p.into_inner()) = Some(events);
    }
}
