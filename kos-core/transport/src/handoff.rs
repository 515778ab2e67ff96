//! How the root server hands an app its channels: inherited descriptors named in
//! environment variables.
//!
//! For each message server the app's manifest entry lists, the app inherits two
//! descriptors — its request channel and its event channel — and `KOS_MSG_SERVERS`
//! names them: `main=3:4,secure=5:6`. Message servers the manifest does not list are
//! simply absent: there is no path or address an app could use to reach them.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::Channel;

/// The app's manifest name.
pub const ENV_APP: &str = "KOS_APP";
/// The message-server channels: `name=request_fd:event_fd`, comma separated.
pub const ENV_MSG_SERVERS: &str = "KOS_MSG_SERVERS";
/// A native app's heap budget in KiB (read by `kos-heap`).
pub const ENV_HEAP_KIB: &str = "KOS_HEAP_KIB";
/// The compiled system manifest (`.dtb`), for apps that read their own settings from
/// it (a bus server's backend, its clients' I2C addresses).
pub const ENV_MANIFEST: &str = "KOS_MANIFEST";

/// The two descriptors an app holds for one message server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgServerFds {
    /// Message server name from the manifest.
    pub name: String,
    /// Request channel: the app asks, the message server answers.
    pub request: i32,
    /// Event channel: the message server tells the app of new clients.
    pub event: i32,
}

/// Everything handed to an app at start.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Handoff {
    /// The app's manifest name.
    pub app: String,
    /// One entry per message server the app may use.
    pub msg_servers: Vec<MsgServerFds>,
}

/// `KOS_MSG_SERVERS` or `KOS_APP` is missing or unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffError(pub String);

impl fmt::Display for HandoffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad KOS handoff: {} (is this app started by `kos run`?)",
            self.0
        )
    }
}

impl std::error::Error for HandoffError {}

impl Handoff {
    /// The value of `KOS_MSG_SERVERS` for this handoff.
    pub fn msg_servers_env(&self) -> String {
        self.msg_servers
            .iter()
            .map(|m| format!("{}={}:{}", m.name, m.request, m.event))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Parses the two variables' values.
    pub fn parse(app: &str, msg_servers: &str) -> Result<Handoff, HandoffError> {
        if app.is_empty() {
            return Err(HandoffError(format!("{ENV_APP} is empty")));
        }
        let mut out = Handoff {
            app: app.to_string(),
            msg_servers: Vec::new(),
        };
        for entry in msg_servers.split(',').filter(|e| !e.is_empty()) {
            let bad = || {
                HandoffError(format!(
                    "{ENV_MSG_SERVERS} entry `{entry}` is not name=request_fd:event_fd"
                ))
            };
            let (name, fds) = entry.split_once('=').ok_or_else(bad)?;
            let (request, event) = fds.split_once(':').ok_or_else(bad)?;
            out.msg_servers.push(MsgServerFds {
                name: name.to_string(),
                request: request.parse().map_err(|_| bad())?,
                event: event.parse().map_err(|_| bad())?,
            });
        }
        Ok(out)
    }

    /// Reads the handoff from this process's environment.
    pub fn from_env() -> Result<Handoff, HandoffError> {
        let app =
            std::env::var(ENV_APP).map_err(|_| HandoffError(format!("{ENV_APP} is not set")))?;
        let servers = std::env::var(ENV_MSG_SERVERS).unwrap_or_default();
        Handoff::parse(&app, &servers)
    }
}

/// An app's two channels to one message server, taken over from its handoff.
#[derive(Debug)]
pub struct MsgServerChannels {
    /// Message server name from the manifest.
    pub name: String,
    /// Request channel: the app asks, the message server answers.
    pub request: Channel,
    /// Event channel: the message server tells the app of new clients.
    pub event: Channel,
}

/// What [`take_handoff`] gives an app.
#[derive(Debug)]
pub struct AppChannels {
    /// The app's manifest name.
    pub app: String,
    /// Its channels, one pair per message server its manifest entry lists.
    pub msg_servers: Vec<MsgServerChannels>,
}

static TAKEN: AtomicBool = AtomicBool::new(false);

/// Takes over the channels that `kos run` handed this process, once: a second call
/// (anywhere in the process) is an error, so no two owners can wrap one descriptor.
/// Each descriptor is checked to be a channel and marked close-on-exec.
pub fn take_handoff() -> Result<AppChannels, HandoffError> {
    let handoff = Handoff::from_env()?;
    if TAKEN.swap(true, Ordering::SeqCst) {
        return Err(HandoffError(
            "the handoff was already taken in this process".into(),
        ));
    }
    let adopt = |fd: i32| {
        // SAFETY: the root server opened these descriptors for this process and named
        // them in the handoff; TAKEN makes this the only place that ever owns them.
        unsafe { Channel::adopt_inherited(fd) }
            .map_err(|e| HandoffError(format!("{ENV_MSG_SERVERS} descriptor {fd}: {e}")))
    };
    let mut msg_servers = Vec::with_capacity(handoff.msg_servers.len());
    for m in handoff.msg_servers {
        msg_servers.push(MsgServerChannels {
            request: adopt(m.request)?,
            event: adopt(m.event)?,
            name: m.name,
        });
    }
    Ok(AppChannels {
        app: handoff.app,
        msg_servers,
    })
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn round_trips_through_the_environment_format() {
        let h = Handoff {
            app: "weatherstation".into(),
            msg_servers: vec![
                MsgServerFds {
                    name: "main".into(),
                    request: 3,
                    event: 4,
                },
                MsgServerFds {
                    name: "secure".into(),
                    request: 5,
                    event: 6,
                },
            ],
        };
        assert_eq!(h.msg_servers_env(), "main=3:4,secure=5:6");
        assert_eq!(
            Handoff::parse("weatherstation", &h.msg_servers_env()),
            Ok(h)
        );
    }

    #[test]
    fn no_servers_is_valid_and_garbage_is_not() {
        assert_eq!(Handoff::parse("a", "").unwrap().msg_servers, vec![]);
        assert!(Handoff::parse("a", "main=3").is_err());
        assert!(Handoff::parse("a", "main=x:4").is_err());
        assert!(Handoff::parse("", "").is_err());
    }
}
