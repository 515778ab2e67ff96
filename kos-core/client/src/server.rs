//! Serving protocols: receive calls and messages from granted clients, and reply.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kos_msg::{DataFrame, Event, Message};
use kos_transport::{wait_any, Channel, RECV_BUFFER};

use crate::{Error, MsgServer, OwnedMessage, Token};

/// Who a connected client is: the message server vouches for both fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// The badge on every message from this client's token.
    pub badge: u64,
    /// The protocol the client connected to.
    pub protocol: String,
    /// The client app's manifest name.
    pub app: String,
}

/// Where a reply to a call goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyTo {
    badge: u64,
    id: u32,
}

impl ReplyTo {
    /// The badge of the client that called.
    pub fn badge(&self) -> u64 {
        self.badge
    }
}

/// Something that happened on a [`Server`].
#[derive(Debug)]
pub enum Incoming {
    /// A client was granted a token to one of our protocols.
    Connected(ClientInfo),
    /// A client's token is gone (released, revoked, or the client died).
    Disconnected(ClientInfo),
    /// A call: answer it with [`Server::reply`].
    Call {
        /// The caller.
        from: ClientInfo,
        /// Where the reply goes.
        reply_to: ReplyTo,
        /// The request.
        msg: OwnedMessage,
        /// A token the caller moved to us with the call.
        token: Option<Token>,
    },
    /// A one-way message.
    Send {
        /// The sender.
        from: ClientInfo,
        /// The message.
        msg: OwnedMessage,
        /// A token the sender moved to us with the message.
        token: Option<Token>,
    },
    /// A client sent a frame that did not decode; it was dropped and told so.
    Rejected {
        /// The sender.
        from: ClientInfo,
        /// What was wrong with it.
        error: kos_msg::FrameError,
    },
}

struct Client {
    info: ClientInfo,
    /// Shared with any [`Responder`] handed out for this client's calls.
    channel: Arc<Channel>,
}

/// The serving side of an app on one message server.
pub struct Server {
    msg_server: Arc<MsgServer>,
    events: Channel,
    clients: Vec<Client>,
    /// Where the next scan starts, so one busy client cannot starve the others.
    cursor: usize,
    buf: Box<[u8; RECV_BUFFER]>,
}

impl Server {
    pub(crate) fn new(msg_server: Arc<MsgServer>, events: Channel) -> Server {
        Server {
            msg_server,
            events,
            clients: Vec::new(),
            cursor: 0,
            buf: Box::new([0; RECV_BUFFER]),
        }
    }

    /// Publishes `protocol` on this server's message server.
    pub fn publish(&self, protocol: &str) -> Result<(), Error> {
        self.msg_server.publish(protocol)
    }

    /// The message server this serves on.
    pub fn msg_server(&self) -> &Arc<MsgServer> {
        &self.msg_server
    }

    /// The clients connected now.
    pub fn clients(&self) -> impl Iterator<Item = &ClientInfo> {
        self.clients.iter().map(|c| &c.info)
    }

    /// Waits for the next event, at most `timeout` (forever with `None`); `Ok(None)`
    /// when the time ran out. `Err(Error::Closed)` means the message server is gone.
    pub fn next(&mut self, timeout: Option<Duration>) -> Result<Option<Incoming>, Error> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let remaining = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(r) => Some(r),
                    None => return Ok(None),
                },
                None => None,
            };
            let ready = {
                let mut channels = Vec::with_capacity(self.clients.len() + 1);
                channels.push(&self.events);
                channels.extend(self.clients.iter().map(|c| &*c.channel));
                wait_any(&channels, remaining)?
            };
            if ready.is_empty() {
                return Ok(None);
            }
            if ready[0] == 0 {
                return self.take_event().map(Some);
            }
            // Pick the first ready client at or after the cursor.
            let n = self.clients.len();
            let pick = ready
                .iter()
                .map(|&i| i - 1)
                .min_by_key(|&i| (i + n - self.cursor % n.max(1)) % n.max(1))
                .expect("ready is not empty");
            self.cursor = pick + 1;
            if let Some(incoming) = self.take_from_client(pick)? {
                return Ok(Some(incoming));
            }
        }
    }

    fn take_event(&mut self) -> Result<Incoming, Error> {
        let incoming = self
            .events
            .recv::<Event>(&mut self.buf[..])?
            .ok_or(Error::Closed)?;
        let Ok(Event::ClientConnected {
            protocol,
            badge,
            client,
        }) = incoming.frame
        else {
            return Err(Error::Protocol(kos_msg::FrameError::Malformed));
        };
        let channel = incoming
            .token
            .ok_or(Error::Protocol(kos_msg::FrameError::Malformed))?;
        let info = ClientInfo {
            badge,
            protocol: protocol.to_string(),
            app: client.to_string(),
        };
        self.clients.push(Client {
            info: info.clone(),
            channel: Arc::new(channel),
        });
        Ok(Incoming::Connected(info))
    }

    fn take_from_client(&mut self, index: usize) -> Result<Option<Incoming>, Error> {
        let client = &self.clients[index];
        let from = client.info.clone();
        let incoming = match client.channel.recv::<DataFrame>(&mut self.buf[..]) {
            Ok(Some(incoming)) => incoming,
            Ok(None) | Err(_) => {
                let gone = self.clients.swap_remove(index);
                // Cut it for the message server's duplicate too, or the client would
                // wait forever on a channel nobody serves.
                let _ = gone.channel.shutdown();
                return Ok(Some(Incoming::Disconnected(gone.info)));
            }
        };
        // A token travels only when the frame says so; a stray descriptor is closed.
        let frame = match incoming.frame {
            Ok(DataFrame::Call { msg, .. } | DataFrame::Send { msg })
                if msg.token && incoming.token.is_none() =>
            {
                Err(kos_msg::FrameError::Malformed)
            }
            other => other,
        };
        let token = incoming.token.map(Token::received);
        Ok(Some(match frame {
            Ok(DataFrame::Call { id, msg }) => Incoming::Call {
                reply_to: ReplyTo {
                    badge: from.badge,
                    id,
                },
                from,
                token: token.filter(|_| msg.token),
                msg: msg.into(),
            },
            Ok(DataFrame::Send { msg }) => Incoming::Send {
                from,
                token: token.filter(|_| msg.token),
                msg: msg.into(),
            },
            Ok(DataFrame::Reply { .. }) | Ok(DataFrame::Rejected) => Incoming::Rejected {
                from,
                error: kos_msg::FrameError::Malformed,
            },
            Err(error) => {
                // Tell the client its frame was dropped — without waiting: a client
                // that floods bad frames and reads nothing is cut off instead.
                if let Err(e) = client.channel.try_send(&DataFrame::Rejected, None) {
                    if e.kind() == std::io::ErrorKind::WouldBlock {
                        let _ = self.clients.swap_remove(index).channel.shutdown();
                        return Ok(Some(Incoming::Disconnected(from)));
                    }
                }
                Incoming::Rejected { from, error }
            }
        }))
    }

    /// Answers a call without ever blocking. `Err(Error::Closed)` if the caller has
    /// gone meanwhile, or stopped reading so long that its queue is full (it is then
    /// cut off); the server carries on either way.
    pub fn reply(&mut self, to: ReplyTo, msg: Message<'_>) -> Result<(), Error> {
        self.send_reply(
            to,
            Message {
                token: false,
                ..msg
            },
            None,
        )
    }

    /// Answers a call and moves `give` to the caller with the reply.
    pub fn reply_transfer(
        &mut self,
        to: ReplyTo,
        msg: Message<'_>,
        give: Token,
    ) -> Result<(), Error> {
        self.send_reply(
            to,
            Message { token: true, ..msg },
            Some(give.into_channel()),
        )
    }

    fn send_reply(
        &mut self,
        to: ReplyTo,
        msg: Message<'_>,
        give: Option<Channel>,
    ) -> Result<(), Error> {
        if msg.payload.len() > kos_msg::MAX_PAYLOAD {
            return Err(Error::PayloadTooLarge(msg.payload.len()));
        }
        let index = self
            .clients
            .iter()
            .position(|c| c.info.badge == to.badge)
            .ok_or(Error::Closed)?;
        let sent = self.clients[index]
            .channel
            .try_send(&DataFrame::Reply { id: to.id, msg }, give.as_ref());
        match sent {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                // A client that lets its replies pile up would stall every other
                // client of this server: it is cut off instead.
                let _ = self.clients.swap_remove(index).channel.shutdown();
                Err(Error::Closed)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A handle that answers the call `to` from any thread, after this server has moved
    /// on (how a BEAM process replies to a call the NIF's receiving thread delivered).
    /// `None` if the caller is gone.
    pub fn responder(&self, to: ReplyTo) -> Option<Responder> {
        self.clients
            .iter()
            .find(|c| c.info.badge == to.badge)
            .map(|c| Responder {
                channel: c.channel.clone(),
                id: to.id,
            })
    }

    /// Cuts off the client holding `badge` (through the message server, which alone
    /// can void a token).
    pub fn revoke(&mut self, badge: u64) -> Result<(), Error> {
        // Drop it here whatever the message server says: we will not serve it again.
        self.clients.retain(|c| {
            let keep = c.info.badge != badge;
            if !keep {
                let _ = c.channel.shutdown();
            }
            keep
        });
        self.msg_server.revoke(badge)
    }
}

impl Drop for Server {
    /// A server that goes away cuts its clients' channels, so none waits on a reply
    /// that will never come (the message server holds duplicates that would keep
    /// them open), and gives the event channel back: a later [`MsgServer::serve`]
    /// in this process may serve again.
    fn drop(&mut self) {
        for client in &self.clients {
            let _ = client.channel.shutdown();
        }
        if let Ok(events) = self.events.try_clone() {
            self.msg_server.give_back_events(events);
        }
    }
}

/// Answers one call, from any thread (see [`Server::responder`]).
#[derive(Debug)]
pub struct Responder {
    channel: Arc<Channel>,
    id: u32,
}

impl Responder {
    /// Sends the reply without waiting; a caller that stopped reading (its queue is
    /// full) is cut off, as [`Server::reply`] does.
    pub fn reply(&self, msg: Message<'_>) -> Result<(), Error> {
        if msg.payload.len() > kos_msg::MAX_PAYLOAD {
            return Err(Error::PayloadTooLarge(msg.payload.len()));
        }
        let msg = Message {
            token: false,
            ..msg
        };
        match self
            .channel
            .try_send(&DataFrame::Reply { id: self.id, msg }, None)
        {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let _ = self.channel.shutdown();
                Err(Error::Closed)
            }
            Err(e) => Err(e.into()),
        }
    }
}
