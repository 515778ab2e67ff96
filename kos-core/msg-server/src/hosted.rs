//! The message server's event loop on the hosted transport.
//!
//! Each attached app gets a request channel and an event channel (socket pairs whose
//! app ends are handed to the app). One thread per attached app reads its requests
//! and applies them to the shared [`Directory`]. Granting a token makes a fresh
//! socket pair: the server end goes to the serving app on its event channel, the
//! client end to the requester with the reply. The message server keeps a duplicate
//! of every server end so it can cut the channel — revocation needs no cooperation
//! from either app.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use kos_msg::{Control, Event, Refusal, Reply, Request};
use kos_transport::{Channel, RECV_BUFFER};

use crate::{AccessPolicy, ConnId, Directory, Grant};

/// Receives the message server's log lines (denials, detaches).
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The app's ends of its two channels to one message server.
pub struct AppChannels {
    /// The connection's id, for [`HostedMsgServer::detach`].
    pub conn: ConnId,
    /// Request channel (app side).
    pub request: Channel,
    /// Event channel (app side).
    pub event: Channel,
}

/// A running message server.
pub struct HostedMsgServer<P> {
    shared: Arc<Shared<P>>,
}

impl<P> Clone for HostedMsgServer<P> {
    fn clone(&self) -> Self {
        HostedMsgServer {
            shared: self.shared.clone(),
        }
    }
}

struct Shared<P> {
    name: String,
    directory: Mutex<Directory<P>>,
    /// Event channel (message-server side) of each attached connection.
    events: Mutex<HashMap<ConnId, Channel>>,
    /// Duplicates of granted server ends, by badge: the power to revoke.
    held: Mutex<HashMap<u64, Channel>>,
    /// Connections waiting for a protocol to be published, each holding the far end
    /// of a notice channel that is closed (dropped here) when it is.
    waiters: Mutex<Vec<Waiter>>,
    next_conn: AtomicU64,
    log: LogSink,
}

/// One [`Request::AwaitPublished`] in progress.
struct Waiter {
    conn: ConnId,
    protocol: String,
    notice: Channel,
}

/// Waits one connection may have in progress: a client that gives up and asks again
/// leaves its old notice behind until it is pruned, so the bound stops a loop of
/// short waits from growing the list without end.
const MAX_WAITERS_PER_CONN: usize = 16;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not wedge the message server: the state stays usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<P: AccessPolicy + Send + 'static> HostedMsgServer<P> {
    /// A message server named `name` enforcing `policy`, each app holding at most
    /// `max_tokens` tokens.
    pub fn new(name: &str, policy: P, max_tokens: usize, log: LogSink) -> Self {
        HostedMsgServer {
            shared: Arc::new(Shared {
                name: name.to_string(),
                directory: Mutex::new(Directory::new(policy, max_tokens)),
                events: Mutex::new(HashMap::new()),
                held: Mutex::new(HashMap::new()),
                waiters: Mutex::new(Vec::new()),
                next_conn: AtomicU64::new(1),
                log,
            }),
        }
    }

    /// The message server's manifest name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Attaches a new connection for `app` and returns the app's ends of its channels.
    /// Each start of an app attaches anew; the old connection is detached when its
    /// channel closes.
    pub fn attach(&self, app: &str) -> io::Result<AppChannels> {
        let (request_ours, request_app) = Channel::pair()?;
        let (event_ours, event_app) = Channel::pair()?;
        let conn = self.shared.next_conn.fetch_add(1, Ordering::Relaxed);
        lock(&self.shared.directory).attach(conn, app);
        lock(&self.shared.events).insert(conn, event_ours);
        let shared = self.shared.clone();
        std::thread::Builder::new()
            .name(format!("msg-{}-{app}", self.shared.name))
            .spawn(move || shared.serve_connection(conn, request_ours))?;
        Ok(AppChannels {
            conn,
            request: request_app,
            event: event_app,
        })
    }
}

impl<P: AccessPolicy> HostedMsgServer<P> {
    /// Detaches connection `conn` now: unpublishes what it served and cuts every
    /// token it held or served. The root server calls this as soon as an app's
    /// process has exited, so a restarted instance can publish at once instead of
    /// racing the old connection's own detach. Detaching twice is harmless.
    pub fn detach(&self, conn: ConnId) {
        self.shared.detach(conn);
    }
}

impl<P: AccessPolicy> Shared<P> {
    fn serve_connection(&self, conn: ConnId, channel: Channel) {
        let mut buf = [0u8; RECV_BUFFER];
        loop {
            let incoming = match channel.recv::<Control<Request>>(&mut buf) {
                Ok(Some(incoming)) => incoming,
                Ok(None) | Err(_) => break,
            };
            let (seq, reply, token) = match incoming.frame {
                Ok(Control { seq, body }) => {
                    let (reply, token) = self.handle(conn, body);
                    (seq, reply, token)
                }
                Err(e) => {
                    self.log_for(conn, &format!("dropped a malformed request: {e}"));
                    (0, Reply::Refused(Refusal::BadFrame), None)
                }
            };
            let sent = channel.send(&Control { seq, body: reply }, token.as_ref());
            if sent.is_err() {
                break;
            }
        }
        self.detach(conn);
    }

    fn handle(&self, conn: ConnId, request: Request<'_>) -> (Reply, Option<Channel>) {
        let result = match request {
            Request::Publish { protocol } => {
                lock(&self.directory).publish(conn, protocol).map(|_| {
                    self.published(protocol);
                    Reply::Done
                })
            }
            Request::Unpublish { protocol } => lock(&self.directory)
                .unpublish(conn, protocol)
                .map(|_| Reply::Done),
            Request::Query { protocol } => Ok(Reply::Published(
                lock(&self.directory).is_published(protocol),
            )),
            Request::Connect { protocol } => return self.connect(conn, protocol),
            Request::AwaitPublished { protocol } => return self.await_published(conn, protocol),
            // Cut, not just forget: a released token must not keep working uncounted.
            Request::Release { badge } => lock(&self.directory).release(conn, badge).map(|g| {
                self.cut(&g);
                Reply::Done
            }),
            Request::Revoke { badge } => lock(&self.directory).revoke(conn, badge).map(|g| {
                self.cut(&g);
                Reply::Done
            }),
        };
        match result {
            Ok(reply) => (reply, None),
            Err(refusal) => {
                if refusal == Refusal::NotGranted {
                    self.log_for(conn, &format!("refused {}: {refusal}", describe(&request)));
                }
                (Reply::Refused(refusal), None)
            }
        }
    }

    fn connect(&self, conn: ConnId, protocol: &str) -> (Reply, Option<Channel>) {
        let mut directory = lock(&self.directory);
        let grant = match directory.connect(conn, protocol) {
            Ok(g) => g,
            Err(refusal) => {
                if refusal == Refusal::NotGranted {
                    self.log_for_locked(
                        &directory,
                        conn,
                        &format!("refused connect {protocol}: {refusal}"),
                    );
                }
                return (Reply::Refused(refusal), None);
            }
        };
        let client_app = directory.app_name(conn).unwrap_or("?").to_string();
        drop(directory);
        match self.hand_to_server(&grant, &client_app) {
            Ok(client_end) => (Reply::Granted { badge: grant.badge }, Some(client_end)),
            Err(e) => {
                let _ = lock(&self.directory).revoke(grant.server, grant.badge);
                if e.kind() == io::ErrorKind::WouldBlock {
                    // The server is not reading its events; it must not stall us.
                    (Reply::Refused(Refusal::Busy), None)
                } else {
                    // The server is going away; its detach will unpublish the protocol.
                    (Reply::Refused(Refusal::NotPublished), None)
                }
            }
        }
    }

    fn await_published(&self, conn: ConnId, protocol: &str) -> (Reply, Option<Channel>) {
        let directory = lock(&self.directory);
        if let Err(refusal) = directory.may_connect(conn, protocol) {
            return (Reply::Refused(refusal), None);
        }
        // Decided under the directory's lock, which a publish also takes: a publish
        // either happened before (answered now) or will find this waiter.
        if directory.is_published(protocol) {
            return (Reply::Published(true), None);
        }
        let mut waiters = lock(&self.waiters);
        // Forget this connection's waits whose client already gave up.
        waiters.retain(|w| w.conn != conn || !peer_gone(&w.notice));
        if waiters.iter().filter(|w| w.conn == conn).count() >= MAX_WAITERS_PER_CONN {
            return (Reply::Refused(Refusal::Busy), None);
        }
        match Channel::pair() {
            Ok((ours, theirs)) => {
                waiters.push(Waiter {
                    conn,
                    protocol: protocol.to_string(),
                    notice: ours,
                });
                (Reply::Waiting, Some(theirs))
            }
            Err(_) => (Reply::Refused(Refusal::Busy), None),
        }
    }

    /// Ends the wait of everyone waiting for `protocol` (called with the directory
    /// locked, right after it was published).
    fn published(&self, protocol: &str) {
        // Dropping a notice closes it: the waiting client's wait returns.
        lock(&self.waiters).retain(|w| w.protocol != protocol);
    }

    /// Makes the token's channel, sends the server end to the serving app and keeps a
    /// duplicate of it; returns the client end.
    fn hand_to_server(&self, grant: &Grant, client_app: &str) -> io::Result<Channel> {
        let (client_end, server_end) = Channel::pair()?;
        let event = Event::ClientConnected {
            protocol: &grant.protocol,
            badge: grant.badge,
            client: client_app,
        };
        // The duplicate is kept before the server can see the grant, so a revoke or a
        // detach that follows at once always finds it to cut.
        let kept = server_end.try_clone()?;
        let events = lock(&self.events);
        let channel = events
            .get(&grant.server)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
        lock(&self.held).insert(grant.badge, kept);
        // Never wait on a server that does not read its events while holding `events`.
        if let Err(e) = channel.try_send(&event, Some(&server_end)) {
            lock(&self.held).remove(&grant.badge);
            return Err(e);
        }
        Ok(client_end)
    }

    fn cut(&self, grant: &Grant) {
        if let Some(channel) = lock(&self.held).remove(&grant.badge) {
            let _ = channel.shutdown();
        }
    }

    fn detach(&self, conn: ConnId) {
        let app = lock(&self.directory)
            .app_name(conn)
            .unwrap_or("?")
            .to_string();
        let detached = lock(&self.directory).detach(conn);
        lock(&self.events).remove(&conn);
        lock(&self.waiters).retain(|w| w.conn != conn);
        for grant in &detached.grants {
            self.cut(grant);
        }
        if !detached.unpublished.is_empty() || !detached.grants.is_empty() {
            (self.log)(&format!(
                "{app} disconnected: unpublished [{}], voided {} token(s)",
                detached.unpublished.join(", "),
                detached.grants.len()
            ));
        }
    }

    fn log_for(&self, conn: ConnId, what: &str) {
        let directory = lock(&self.directory);
        self.log_for_locked(&directory, conn, what);
    }

    fn log_for_locked(&self, directory: &Directory<P>, conn: ConnId, what: &str) {
        (self.log)(&format!(
            "{}: {what}",
            directory.app_name(conn).unwrap_or("?")
        ));
    }
}

/// A request in words, for log lines.
fn describe(request: &Request<'_>) -> String {
    match request {
        Request::Publish { protocol } => format!("publish {protocol}"),
        Request::Unpublish { protocol } => format!("unpublish {protocol}"),
        Request::Query { protocol } => format!("query {protocol}"),
        Request::Connect { protocol } => format!("connect {protocol}"),
        Request::Release { badge } => format!("release token {badge}"),
        Request::Revoke { badge } => format!("revoke token {badge}"),
        Request::AwaitPublished { protocol } => format!("wait for {protocol}"),
    }
}

/// Whether the client end of a notice channel is gone (its client gave up waiting).
fn peer_gone(notice: &Channel) -> bool {
    let mut probe = [0u8; 1];
    // Nothing is ever sent on a notice: a read either would block (the client still
    // waits) or sees the end.
    matches!(notice.try_recv_bytes(&mut probe), Ok(r) if r.closed)
}
