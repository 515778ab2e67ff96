//! Who may call whom, on seL4: the message servers' directories, at run time.
//!
//! Each message server of the manifest has one `kos_msg_server::Directory` — the
//! hosted message server's own state machine — under its `dir_access_control` (the
//! same [`Policy`] rules as hosted). A component publishes and connects by asking the
//! root; the root asks the directory and, on a yes, does what a grant is on seL4: a
//! publish makes the server an endpoint of its own (from its incarnation's memory, so
//! it goes when the server does, and every copy with it); a connect mints the server's
//! endpoint into the client's CSpace with call rights only and the grant's badge. This
//! module keeps the decisions and where each capability went; `main` makes them.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use kos_manifest::{App, Manifest, ROOT_APP, ROOT_PROTOCOL};
use kos_msg::{Refusal, TOKEN_SLOTS};
use kos_msg_server::{AccessPolicy, ConnId, Directory, Grant};

/// One message server's `dir_access_control`.
pub struct Policy<'m> {
    manifest: &'m Manifest,
    msg_server: &'m str,
}

impl AccessPolicy for Policy<'_> {
    fn may_serve(&self, app: &str, protocol: &str) -> bool {
        self.manifest.may_serve(self.msg_server, app, protocol)
    }

    fn may_use(&self, app: &str, protocol: &str) -> bool {
        self.manifest.may_use(self.msg_server, app, protocol)
    }
}

/// A component's connection: its number in the low byte, its incarnation above, so a
/// restarted component is a new connection (as a reconnecting hosted app is).
pub fn conn(index: usize, incarnation: usize) -> ConnId {
    ((incarnation as u64) << 8) | index as u64
}

/// The component a connection belongs to.
pub fn component(conn: ConnId) -> usize {
    (conn & 0xff) as usize
}

/// A published protocol: its endpoint, in the root's CNode and in its server's.
pub struct Endpoint {
    /// Which message server.
    pub msg_server: usize,
    /// The protocol.
    pub protocol: String,
    /// The serving connection.
    pub server: ConnId,
    /// The endpoint's slot in the root's CNode (minted from for each client).
    pub root_slot: usize,
    /// Its slot in the server's CSpace (where it receives).
    pub server_slot: usize,
}

/// A token the directory granted, and where its capability is.
pub struct Token {
    /// The message server that granted it.
    pub msg_server: usize,
    /// The grant.
    pub grant: Grant,
    /// Its slot in the client's CSpace.
    pub client_slot: usize,
    /// Where its shared frame is mapped in the server.
    pub server_frame: usize,
    /// The frame's capability (mapped in the client) and its copy (in the server), in
    /// the root's CNode.
    pub frame: usize,
    pub frame_copy: usize,
}

/// A connect held until its protocol is published: the caller's saved reply capability.
pub struct Waiter {
    /// The waiting connection.
    pub conn: ConnId,
    /// Which message server.
    pub msg_server: usize,
    /// The protocol it waits for.
    pub protocol: String,
    /// The root CNode slot holding its reply capability.
    pub reply_slot: usize,
}

/// Every message server's directory, and the capabilities their grants made.
pub struct Directories<'m> {
    manifest: &'m Manifest,
    servers: Vec<Directory<Policy<'m>>>,
    /// Published protocols.
    pub endpoints: Vec<Endpoint>,
    /// Live tokens.
    pub tokens: Vec<Token>,
    /// Held connects.
    pub waiters: Vec<Waiter>,
}

/// Where a connect goes.
pub enum Route {
    /// Published on message server `0`: grant now.
    Now(usize),
    /// Granted on message server `0` but not published yet: hold it.
    Wait(usize),
}

/// What a connection left behind.
pub struct Gone {
    /// Endpoints it served, now void.
    pub endpoints: Vec<Endpoint>,
    /// Tokens it held or served, now void.
    pub tokens: Vec<Token>,
    /// Connects it had waiting.
    pub waiters: Vec<Waiter>,
}

impl<'m> Directories<'m> {
    /// Empty directories for `manifest`'s message servers; each connection may hold
    /// the message server's token limit, as hosted.
    pub fn new(manifest: &'m Manifest) -> Self {
        Directories {
            manifest,
            servers: manifest
                .msg_servers
                .iter()
                .map(|m| {
                    Directory::new(
                        Policy {
                            manifest,
                            msg_server: &m.name,
                        },
                        TOKEN_SLOTS,
                    )
                })
                .collect(),
            endpoints: Vec::new(),
            tokens: Vec::new(),
            waiters: Vec::new(),
        }
    }

    /// The name of message server `i`.
    pub fn msg_server(&self, i: usize) -> &str {
        &self.manifest.msg_servers[i].name
    }

    /// The message servers `app` is connected to (its `msg_servers`), by number.
    fn of<'a>(&'a self, app: &'a App) -> impl Iterator<Item = usize> + 'a {
        self.manifest
            .msg_servers
            .iter()
            .enumerate()
            .filter(|(_, m)| app.msg_servers.contains(&m.name))
            .map(|(i, _)| i)
    }

    /// Connection `conn` of `app` starts: it is known on each of its message servers.
    pub fn attach(&mut self, conn: ConnId, app: &App) {
        let servers: Vec<usize> = self.of(app).collect();
        for i in servers {
            self.servers[i].attach(conn, &app.name);
        }
    }

    /// The root task itself, as `_root`, publishes `kos_root_protocol` on every message
    /// server whose `dir_access_control` makes `_root` its server; `endpoint` is the
    /// root's endpoint for it. Returns how many.
    pub fn publish_root(&mut self, conn: ConnId, endpoint: usize) -> usize {
        let mut published = 0;
        for i in 0..self.servers.len() {
            let name = self.msg_server(i).to_string();
            if !self.manifest.may_serve(&name, ROOT_APP, ROOT_PROTOCOL) {
                continue;
            }
            self.servers[i].attach(conn, ROOT_APP);
            if self.servers[i].publish(conn, ROOT_PROTOCOL).is_ok() {
                self.endpoints.push(Endpoint {
                    msg_server: i,
                    protocol: ROOT_PROTOCOL.to_string(),
                    server: conn,
                    root_slot: endpoint,
                    server_slot: 0,
                });
                published += 1;
            }
        }
        published
    }

    /// The app holding token `badge` to `server`'s protocols, and its connection.
    pub fn client_of(&self, server: ConnId, badge: u64) -> Option<(ConnId, &str)> {
        let t = self
            .tokens
            .iter()
            .find(|t| t.grant.server == server && t.grant.badge == badge)?;
        let app = self.servers[t.msg_server].app_name(t.grant.client)?;
        Some((t.grant.client, app))
    }

    /// `conn` of `app` publishes `protocol` on the first of its message servers that
    /// lets it; which one.
    pub fn publish(&mut self, conn: ConnId, app: &App, protocol: &str) -> Result<usize, Refusal> {
        let i = self
            .of(app)
            .find(|&i| {
                self.manifest
                    .may_serve(self.msg_server(i), &app.name, protocol)
            })
            .ok_or(Refusal::NotGranted)?;
        self.servers[i].publish(conn, protocol)?;
        Ok(i)
    }

    /// Where a connect of `conn` (of `app`) to `protocol` goes: the first of its
    /// message servers that grants it the protocol.
    pub fn route(&self, conn: ConnId, app: &App, protocol: &str) -> Result<Route, Refusal> {
        let mut refusal = Refusal::NotGranted;
        for i in self.of(app) {
            match self.servers[i].may_connect(conn, protocol) {
                Ok(()) if self.servers[i].is_published(protocol) => return Ok(Route::Now(i)),
                Ok(()) => return Ok(Route::Wait(i)),
                Err(r) => refusal = r,
            }
        }
        Err(refusal)
    }

    /// A token for `conn` to `protocol` on message server `i`.
    pub fn connect(&mut self, i: usize, conn: ConnId, protocol: &str) -> Result<Grant, Refusal> {
        self.servers[i].connect(conn, protocol)
    }

    /// Whether the next badge of message server `i` is `limit` or more.
    pub fn next_badge_over(&self, i: usize, limit: u64) -> bool {
        self.servers[i].next_badge() >= limit
    }

    /// The endpoint of `protocol` on message server `i`.
    pub fn endpoint(&self, i: usize, protocol: &str) -> Option<&Endpoint> {
        self.endpoints
            .iter()
            .find(|e| e.msg_server == i && e.protocol == protocol)
    }

    /// The app holding token `badge` of the protocol `server` serves through its slot
    /// `server_slot`; only a token of its own protocol is answered.
    pub fn who(&self, server: ConnId, server_slot: usize, badge: u64) -> Option<&str> {
        let e = self
            .endpoints
            .iter()
            .find(|e| e.server == server && e.server_slot == server_slot)?;
        let d = &self.servers[e.msg_server];
        let g = d
            .grant(badge)
            .filter(|g| g.server == server && g.protocol == e.protocol)?;
        d.app_name(g.client)
    }

    /// `conn` ended: every directory forgets it (unpublishing what it served, voiding
    /// the tokens it held or served), and what its capabilities were is handed back.
    pub fn detach(&mut self, conn: ConnId) -> Gone {
        for d in &mut self.servers {
            d.detach(conn);
        }
        let (endpoints, kept) = core::mem::take(&mut self.endpoints)
            .into_iter()
            .partition(|e| e.server == conn);
        self.endpoints = kept;
        let (tokens, kept) = core::mem::take(&mut self.tokens)
            .into_iter()
            .partition(|t| t.grant.server == conn || t.grant.client == conn);
        self.tokens = kept;
        let (waiters, kept) = core::mem::take(&mut self.waiters)
            .into_iter()
            .partition(|w| w.conn == conn);
        self.waiters = kept;
        Gone {
            endpoints,
            tokens,
            waiters,
        }
    }

    /// The held connects `protocol` on message server `i` can answer now.
    pub fn take_waiters(&mut self, i: usize, protocol: &str) -> Vec<Waiter> {
        let (ready, kept) = core::mem::take(&mut self.waiters)
            .into_iter()
            .partition(|w| w.msg_server == i && w.protocol == protocol);
        self.waiters = kept;
        ready
    }
}

/// Whether `app` only serves — the manifest makes it a client of nothing and the
/// server of something — and every client of what it serves is down for good (`down`;
/// an app that is not a component here counts as down). Such a component can never be
/// called again.
pub fn serves_only_the_gone(system: &Manifest, app: &str, down: impl Fn(&str) -> bool) -> bool {
    let mut serves = false;
    for protocol in system.msg_servers.iter().flat_map(|m| &m.protocols) {
        if protocol.clients.iter().any(|c| c == app) {
            return false;
        }
        if protocol.servers.iter().any(|s| s == app) {
            serves = true;
            if !protocol.clients.iter().all(|c| down(c)) {
                return false;
            }
        }
    }
    serves
}

/// A protocol name from a request's payload.
pub fn protocol_name(bytes: &[u8]) -> Result<String, Refusal> {
    core::str::from_utf8(bytes)
        .map(ToString::to_string)
        .map_err(|_| Refusal::BadName)
}
