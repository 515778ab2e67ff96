//! The KOS client library: how a native app (and, through the NIFs, a BEAM app)
//! uses its message servers.
//!
//! ```no_run
//! use kos_client::{Kos, Message};
//! let kos = Kos::from_env()?;                          // channels handed over by `kos run`
//! let main = kos.only_msg_server()?;
//! let mut echo = main.connect_wait("kos_echo_protocol", std::time::Duration::from_secs(5))?;
//! let reply = echo.call(Message::new(1, b"hello"))?;
//! assert_eq!(reply.payload, b"hello");
//! # Ok::<(), kos_client::Error>(())
//! ```
//!
//! A token is a direct channel to the server of one protocol: once the message server
//! granted it, calls go from client to server without passing through the message
//! server, and the server sees the client's badge on every message.

mod calls;
mod error;
mod msg_server;
mod serve;
mod server;
mod token;

use std::sync::Arc;

pub use calls::{CallId, Calls, SharedToken};
pub use error::Error;
pub use kos_msg::{root, Message, Refusal, MAX_PAYLOAD};
/// The service seam [`serve`] drives.
pub use kos_service;
pub use msg_server::MsgServer;
pub use serve::serve;
pub use server::{ClientInfo, Incoming, ReplyTo, Responder, Server};
pub use token::{OwnedMessage, Token};

/// The transport's channel: opaque here (a socket pair end hosted, an endpoint on
/// seL4); the root server and tests make them for [`MsgServer::new`].
pub use kos_transport::Channel;

/// An app's view of KOS: its name and the message servers it was connected to.
pub struct Kos {
    app: String,
    msg_servers: Vec<Arc<MsgServer>>,
}

impl Kos {
    /// Takes over the channels that `kos run` handed this process.
    ///
    /// Once per process: a second call is an error, since the channels are the
    /// first result's.
    pub fn from_env() -> Result<Kos, Error> {
        let handoff = kos_transport::take_handoff().map_err(|e| Error::Handoff(e.to_string()))?;
        let msg_servers = handoff
            .msg_servers
            .into_iter()
            .map(|m| MsgServer::new(&m.name, m.request, m.event))
            .collect();
        Ok(Kos {
            app: handoff.app,
            msg_servers,
        })
    }

    /// Builds a view from channels made in-process (the root server and tests do this).
    pub fn from_channels(app: &str, msg_servers: Vec<Arc<MsgServer>>) -> Kos {
        Kos {
            app: app.to_string(),
            msg_servers,
        }
    }

    /// This app's manifest name.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// The message server `name`, if the manifest connected this app to it.
    pub fn msg_server(&self, name: &str) -> Result<Arc<MsgServer>, Error> {
        self.msg_servers
            .iter()
            .find(|m| m.name() == name)
            .cloned()
            .ok_or_else(|| Error::NoSuchMsgServer(name.to_string()))
    }

    /// The one message server of an app connected to exactly one.
    pub fn only_msg_server(&self) -> Result<Arc<MsgServer>, Error> {
        match self.msg_servers.as_slice() {
            [only] => Ok(only.clone()),
            [] => Err(Error::NoSuchMsgServer(
                "(none: the manifest gives this app no msg_servers)".into(),
            )),
            _ => Err(Error::NoSuchMsgServer(
                "(several: name one with Kos::msg_server)".into(),
            )),
        }
    }

    /// Every message server this app is connected to.
    pub fn msg_servers(&self) -> &[Arc<MsgServer>] {
        &self.msg_servers
    }
}
