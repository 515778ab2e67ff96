//! The directory state machine.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use kos_msg::{Refusal, MAX_PROTOCOL_LEN};

/// Identifies one attached connection. An app that restarts attaches again under a
/// new id, so a late detach of its old connection cannot touch the new one's state.
pub type ConnId = u64;

/// Who may serve and who may use each protocol on this message server.
pub trait AccessPolicy {
    /// May `app` publish `protocol`?
    fn may_serve(&self, app: &str, protocol: &str) -> bool;
    /// May `app` connect to `protocol`?
    fn may_use(&self, app: &str, protocol: &str) -> bool;
}

/// A token the directory granted: a client connection's capability to call a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The badge the server sees on every message through this token.
    pub badge: u64,
    /// The protocol the token reaches.
    pub protocol: String,
    /// The serving connection.
    pub server: ConnId,
    /// The client connection that holds the token.
    pub client: ConnId,
}

/// What a connection left behind when it went away.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Detached {
    /// Protocols it had published, now unpublished.
    pub unpublished: Vec<String>,
    /// Grants it held or served, now void; their data channels must be cut.
    pub grants: Vec<Grant>,
}

/// One message server's directory.
#[derive(Debug)]
pub struct Directory<P> {
    policy: P,
    max_tokens: usize,
    apps: BTreeMap<ConnId, String>,
    published: BTreeMap<String, ConnId>,
    grants: BTreeMap<u64, Grant>,
    next_badge: u64,
}

impl<P: AccessPolicy> Directory<P> {
    /// An empty directory that lets each connection hold at most `max_tokens` tokens.
    pub fn new(policy: P, max_tokens: usize) -> Self {
        Directory {
            policy,
            max_tokens,
            apps: BTreeMap::new(),
            published: BTreeMap::new(),
            grants: BTreeMap::new(),
            next_badge: 1,
        }
    }

    /// Records that connection `conn` belongs to the app named `app`.
    pub fn attach(&mut self, conn: ConnId, app: &str) {
        self.apps.insert(conn, app.to_string());
    }

    /// The app name of an attached connection.
    pub fn app_name(&self, conn: ConnId) -> Option<&str> {
        self.apps.get(&conn).map(String::as_str)
    }

    fn app(&self, conn: ConnId) -> Result<&str, Refusal> {
        self.app_name(conn).ok_or(Refusal::NotGranted)
    }

    /// `conn` starts serving `protocol`.
    pub fn publish(&mut self, conn: ConnId, protocol: &str) -> Result<(), Refusal> {
        check_name(protocol)?;
        if !self.policy.may_serve(self.app(conn)?, protocol) {
            return Err(Refusal::NotGranted);
        }
        match self.published.get(protocol) {
            Some(&owner) if owner != conn => Err(Refusal::AlreadyPublished),
            _ => {
                self.published.insert(protocol.to_string(), conn);
                Ok(())
            }
        }
    }

    /// `conn` stops serving `protocol`; tokens already granted stay valid.
    pub fn unpublish(&mut self, conn: ConnId, protocol: &str) -> Result<(), Refusal> {
        match self.published.get(protocol) {
            Some(&owner) if owner == conn => {
                self.published.remove(protocol);
                Ok(())
            }
            _ => Err(Refusal::NotGranted),
        }
    }

    /// Is `protocol` published now?
    pub fn is_published(&self, protocol: &str) -> bool {
        self.published.contains_key(protocol)
    }

    /// Whether `conn` may connect to `protocol` once it is published.
    pub fn may_connect(&self, conn: ConnId, protocol: &str) -> Result<(), Refusal> {
        check_name(protocol)?;
        if self.policy.may_use(self.app(conn)?, protocol) {
            Ok(())
        } else {
            Err(Refusal::NotGranted)
        }
    }

    /// `conn` asks for a token to `protocol`.
    pub fn connect(&mut self, conn: ConnId, protocol: &str) -> Result<Grant, Refusal> {
        self.may_connect(conn, protocol)?;
        let server = *self.published.get(protocol).ok_or(Refusal::NotPublished)?;
        if self.tokens_held(conn) >= self.max_tokens {
            return Err(Refusal::TooManyTokens);
        }
        let grant = Grant {
            badge: self.next_badge,
            protocol: protocol.to_string(),
            server,
            client: conn,
        };
        self.next_badge += 1;
        self.grants.insert(grant.badge, grant.clone());
        Ok(grant)
    }

    /// The badge the next grant will carry (badges count up and are never reused).
    pub fn next_badge(&self) -> u64 {
        self.next_badge
    }

    /// The grant of token `badge`, if it is live.
    pub fn grant(&self, badge: u64) -> Option<&Grant> {
        self.grants.get(&badge)
    }

    /// How many tokens `conn` holds.
    pub fn tokens_held(&self, conn: ConnId) -> usize {
        self.grants.values().filter(|g| g.client == conn).count()
    }

    /// The holder of token `badge` gives it back.
    pub fn release(&mut self, conn: ConnId, badge: u64) -> Result<Grant, Refusal> {
        self.remove_grant(badge, |g| g.client == conn)
    }

    /// The server of token `badge` revokes it.
    pub fn revoke(&mut self, conn: ConnId, badge: u64) -> Result<Grant, Refusal> {
        self.remove_grant(badge, |g| g.server == conn)
    }

    fn remove_grant(
        &mut self,
        badge: u64,
        allowed: impl Fn(&Grant) -> bool,
    ) -> Result<Grant, Refusal> {
        match self.grants.get(&badge) {
            Some(g) if allowed(g) => Ok(self.grants.remove(&badge).expect("grant just seen")),
            _ => Err(Refusal::UnknownBadge),
        }
    }

    /// `conn` went away: unpublish what it served and void every grant it held or served.
    pub fn detach(&mut self, conn: ConnId) -> Detached {
        self.apps.remove(&conn);
        let mut detached = Detached::default();
        self.published.retain(|protocol, owner| {
            let keep = *owner != conn;
            if !keep {
                detached.unpublished.push(protocol.clone());
            }
            keep
        });
        self.grants.retain(|_, g| {
            let keep = g.client != conn && g.server != conn;
            if !keep {
                detached.grants.push(g.clone());
            }
            keep
        });
        detached
    }
}

fn check_name(protocol: &str) -> Result<(), Refusal> {
    if protocol.is_empty() || protocol.len() > MAX_PROTOCOL_LEN {
        Err(Refusal::BadName)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// `echo` is served by `server`, used by `client`; `other` is granted nothing.
    struct Matrix;
    impl AccessPolicy for Matrix {
        fn may_serve(&self, app: &str, protocol: &str) -> bool {
            app == "server" && protocol == "echo"
        }
        fn may_use(&self, app: &str, protocol: &str) -> bool {
            app == "client" && protocol == "echo"
        }
    }

    const SERVER: ConnId = 1;
    const CLIENT: ConnId = 2;
    const OTHER: ConnId = 3;

    fn directory(max_tokens: usize) -> Directory<Matrix> {
        let mut d = Directory::new(Matrix, max_tokens);
        d.attach(SERVER, "server");
        d.attach(CLIENT, "client");
        d.attach(OTHER, "other");
        d
    }

    #[test]
    fn grants_only_what_the_policy_allows() {
        let mut d = directory(4);
        assert_eq!(d.connect(CLIENT, "echo"), Err(Refusal::NotPublished));
        assert_eq!(d.publish(OTHER, "echo"), Err(Refusal::NotGranted));
        assert_eq!(d.publish(SERVER, "echo"), Ok(()));
        assert_eq!(
            d.publish(SERVER, "echo"),
            Ok(()),
            "publishing twice is harmless"
        );
        assert_eq!(d.connect(OTHER, "echo"), Err(Refusal::NotGranted));
        assert_eq!(d.connect(SERVER, "echo"), Err(Refusal::NotGranted));
        let a = d.connect(CLIENT, "echo").unwrap();
        let b = d.connect(CLIENT, "echo").unwrap();
        assert_ne!(a.badge, b.badge, "each token has its own badge");
        assert_eq!((a.server, a.client), (SERVER, CLIENT));
        assert_eq!(d.tokens_held(CLIENT), 2);
        // A live token can be looked up by its badge (seL4's root tells its server who
        // holds it); a released one cannot.
        assert_eq!(d.grant(a.badge), Some(&a));
        d.release(CLIENT, a.badge).unwrap();
        assert_eq!(d.grant(a.badge), None);
        assert_eq!(d.grant(b.badge).map(|g| g.client), Some(CLIENT));
        assert!(d.next_badge() > b.badge);
    }

    #[test]
    fn a_second_server_cannot_steal_a_published_name() {
        let mut d = directory(4);
        d.attach(9, "server");
        d.publish(SERVER, "echo").unwrap();
        assert_eq!(d.publish(9, "echo"), Err(Refusal::AlreadyPublished));
    }

    #[test]
    fn the_token_limit_holds_and_frees_on_release() {
        let mut d = directory(2);
        d.publish(SERVER, "echo").unwrap();
        let a = d.connect(CLIENT, "echo").unwrap();
        d.connect(CLIENT, "echo").unwrap();
        assert_eq!(d.connect(CLIENT, "echo"), Err(Refusal::TooManyTokens));
        assert_eq!(d.release(OTHER, a.badge), Err(Refusal::UnknownBadge));
        assert_eq!(d.release(CLIENT, a.badge), Ok(a.clone()));
        assert_eq!(d.release(CLIENT, a.badge), Err(Refusal::UnknownBadge));
        assert!(d.connect(CLIENT, "echo").is_ok());
    }

    #[test]
    fn only_the_server_revokes() {
        let mut d = directory(2);
        d.publish(SERVER, "echo").unwrap();
        let a = d.connect(CLIENT, "echo").unwrap();
        assert_eq!(d.revoke(CLIENT, a.badge), Err(Refusal::UnknownBadge));
        assert_eq!(d.revoke(SERVER, a.badge), Ok(a));
        assert_eq!(d.tokens_held(CLIENT), 0);
    }

    #[test]
    fn detaching_a_server_unpublishes_and_voids_its_grants() {
        let mut d = directory(4);
        d.publish(SERVER, "echo").unwrap();
        let a = d.connect(CLIENT, "echo").unwrap();
        let gone = d.detach(SERVER);
        assert_eq!(gone.unpublished, ["echo"]);
        assert_eq!(gone.grants, [a]);
        assert!(!d.is_published("echo"));
        assert_eq!(d.tokens_held(CLIENT), 0);
        // The restarted server attaches anew and serves again.
        d.attach(10, "server");
        d.publish(10, "echo").unwrap();
        assert_eq!(d.connect(CLIENT, "echo").unwrap().server, 10);
        assert_eq!(
            d.connect(SERVER, "echo"),
            Err(Refusal::NotGranted),
            "old id is gone"
        );
    }

    #[test]
    fn bad_names_are_refused() {
        let mut d = directory(4);
        assert_eq!(d.publish(SERVER, ""), Err(Refusal::BadName));
        let long = "e".repeat(MAX_PROTOCOL_LEN + 1);
        assert_eq!(d.connect(CLIENT, &long), Err(Refusal::BadName));
    }
}
