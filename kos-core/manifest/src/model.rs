//! The typed manifest: what [`Manifest::from_dtb`] returns once every rule holds,
//! and the questions the root server and the message servers ask of it.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::bus::Bus;
use crate::error::ManifestError;
use crate::{ROOT_APP, ROOT_PROTOCOL};

/// A whole system: its applications and its message servers, in manifest order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The children of `/apps`.
    pub apps: Vec<App>,
    /// The children of `/msg_servers` (empty when that node is absent).
    pub msg_servers: Vec<MsgServer>,
}

/// One application, a child of `/apps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// The node name; unique, `[a-z0-9_]`, starts with a letter.
    pub name: String,
    /// Native process or Erlang VM, with what it runs and its memory budget.
    pub kind: AppKind,
    /// Message servers the app is connected to (`msg_servers`); empty = none.
    pub msg_servers: Vec<String>,
    /// What the root server does when the app exits.
    pub restart: RestartPolicy,
    /// Extra command-line arguments (`args`).
    pub args: Vec<String>,
    /// A beam app's application environment (its `env` node); empty for native apps.
    pub env: Vec<crate::EnvEntry>,
    /// The `tracing` child node, if any.
    pub tracing: Option<Tracing>,
    /// The `network` child node, if any.
    pub network: Option<Network>,
    /// The I2C bus this app serves (`i2c_bus` node), if any.
    pub i2c_bus: Option<Bus>,
    /// The CAN bus this app serves (`can_bus` node), if any.
    pub can_bus: Option<Bus>,
    /// 7-bit I2C addresses this app may use through an I2C server (`i2c_addresses`).
    pub i2c_addresses: Vec<u8>,
}

impl App {
    /// Whether the app's `msg_servers` lists `msg_server`.
    pub fn connects_to(&self, msg_server: &str) -> bool {
        self.msg_servers.iter().any(|m| m == msg_server)
    }
}

/// What an app runs, with the budget that goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppKind {
    /// `kind = "native"`: a Rust (or C) process.
    Native {
        /// The executable's name (`binary`).
        binary: String,
        /// Heap budget in KiB (`heap_kib`), within [`HEAP_KIB_RANGE`](crate::HEAP_KIB_RANGE).
        heap_kib: u32,
    },
    /// `kind = "beam"`: an Erlang VM running one OTP application.
    Beam {
        /// The OTP application to start (`app`).
        app: String,
        /// Memory budget of the whole VM in MiB (`memory_mib`), within
        /// [`MEMORY_MIB_RANGE`](crate::MEMORY_MIB_RANGE).
        memory_mib: u32,
    },
}

/// The root server's restart policy for one app, in the manner of an OTP supervisor:
/// more than `max_restarts` restarts within `max_seconds` and it gives up on the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Which exits lead to a restart (`restart`).
    pub mode: RestartMode,
    /// Restarts allowed within `max_seconds` (`max_restarts`).
    pub max_restarts: u32,
    /// The window for `max_restarts`, at least 1 (`max_seconds`).
    pub max_seconds: u32,
    /// First delay before a restart (`backoff_ms`); it doubles up to `backoff_max_ms`.
    pub backoff_ms: u32,
    /// Longest delay before a restart, at least `backoff_ms` (`backoff_max_ms`).
    pub backoff_max_ms: u32,
}

impl RestartPolicy {
    /// The policy of an app that sets none of the restart properties.
    pub const DEFAULT: RestartPolicy = RestartPolicy {
        mode: RestartMode::Permanent,
        max_restarts: 3,
        max_seconds: 5,
        backoff_ms: 100,
        backoff_max_ms: 5000,
    };
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy::DEFAULT
    }
}

/// Which exits of an app the root server answers with a restart (OTP's restart types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartMode {
    /// Always restart (`"permanent"`, the default).
    Permanent,
    /// Restart only after an abnormal exit (`"transient"`).
    Transient,
    /// Never restart (`"temporary"`).
    Temporary,
}

impl RestartMode {
    /// The value of the `restart` property for this mode.
    pub fn as_str(self) -> &'static str {
        match self {
            RestartMode::Permanent => "permanent",
            RestartMode::Transient => "transient",
            RestartMode::Temporary => "temporary",
        }
    }

    /// The mode a `restart` value names, if any.
    pub fn from_name(name: &str) -> Option<RestartMode> {
        [
            RestartMode::Permanent,
            RestartMode::Transient,
            RestartMode::Temporary,
        ]
        .into_iter()
        .find(|m| m.as_str() == name)
    }
}

impl fmt::Display for RestartMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An app's tracing configuration (its `tracing` node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracing {
    /// Tracepoint categories to enable (`categories`); empty = none.
    pub categories: Vec<String>,
    /// Size of the app's trace buffer in KiB (`buffer_kib`, default 64).
    pub buffer_kib: u32,
}

/// An app's network configuration (its `network` node); only stored for now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// The `address` property as written, e.g. `"10.1.0.2/24"`.
    pub address: Option<String>,
}

/// One message server, a child of `/msg_servers`, with its access-control matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgServer {
    /// The node name.
    pub name: String,
    /// The children of its `dir_access_control` node.
    pub protocols: Vec<ProtocolAccess>,
}

impl MsgServer {
    /// The access entry for `name`, if this message server has one.
    pub fn protocol(&self, name: &str) -> Option<&ProtocolAccess> {
        self.protocols.iter().find(|p| p.name == name)
    }

    /// Every app named in the matrix, `_root` included, each once, in order of appearance.
    pub fn members(&self) -> Vec<&str> {
        let mut members: Vec<&str> = Vec::new();
        for p in &self.protocols {
            for name in p.servers.iter().chain(&p.clients) {
                if !members.contains(&name.as_str()) {
                    members.push(name);
                }
            }
        }
        members
    }
}

/// Who may publish and who may request one protocol on one message server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolAccess {
    /// The protocol name (the node name).
    pub name: String,
    /// The app that may publish it (`servers`); exactly one once validated.
    pub servers: Vec<String>,
    /// The apps that may request it (`clients`).
    pub clients: Vec<String>,
}

impl Manifest {
    /// Reads a compiled manifest and checks every rule; the error names the node and rule.
    pub fn from_dtb(blob: &[u8]) -> Result<Manifest, ManifestError> {
        let manifest = crate::parse::parse(blob)?;
        crate::validate::validate(&manifest)?;
        Ok(manifest)
    }

    /// The app called `name`.
    pub fn app(&self, name: &str) -> Option<&App> {
        self.apps.iter().find(|a| a.name == name)
    }

    /// The message server called `name`.
    pub fn msg_server(&self, name: &str) -> Option<&MsgServer> {
        self.msg_servers.iter().find(|m| m.name == name)
    }

    /// The apps in the order to start them: an app that serves a protocol starts before
    /// every app that is a client of that protocol (on any message server); ties and
    /// dependency cycles keep manifest order.
    pub fn start_order(&self) -> Vec<&App> {
        crate::order::start_order(self)
    }

    /// Whether `app` may publish `protocol` on `msg_server`.
    pub fn may_serve(&self, msg_server: &str, app: &str, protocol: &str) -> bool {
        self.access(msg_server, protocol)
            .is_some_and(|p| p.servers.iter().any(|s| s == app))
    }

    /// Whether `app` may request `protocol` on `msg_server`.
    pub fn may_use(&self, msg_server: &str, app: &str, protocol: &str) -> bool {
        self.access(msg_server, protocol)
            .is_some_and(|p| p.clients.iter().any(|c| c == app))
    }

    /// The message servers on which the root server publishes [`ROOT_PROTOCOL`].
    pub fn root_servers(&self) -> Vec<&str> {
        self.msg_servers
            .iter()
            .filter(|m| self.may_serve(&m.name, ROOT_APP, ROOT_PROTOCOL))
            .map(|m| m.name.as_str())
            .collect()
    }

    fn access(&self, msg_server: &str, protocol: &str) -> Option<&ProtocolAccess> {
        self.msg_server(msg_server)?.protocol(protocol)
    }
}

#[cfg(test)]
pub(crate) mod test {
    use super::*;
    use alloc::borrow::ToOwned;
    use alloc::vec;

    /// A beam app connected to `msg_servers`, for tests that build manifests by hand.
    pub(crate) fn app(name: &str, msg_servers: &[&str]) -> App {
        App {
            name: name.to_owned(),
            kind: AppKind::Beam {
                app: name.to_owned(),
                memory_mib: 16,
            },
            msg_servers: msg_servers.iter().map(|&s| s.to_owned()).collect(),
            restart: RestartPolicy::default(),
            args: vec![],
            env: vec![],
            tracing: None,
            network: None,
            i2c_bus: None,
            can_bus: None,
            i2c_addresses: vec![],
        }
    }

    /// A protocol entry.
    pub(crate) fn protocol(name: &str, servers: &[&str], clients: &[&str]) -> ProtocolAccess {
        ProtocolAccess {
            name: name.to_owned(),
            servers: servers.iter().map(|&s| s.to_owned()).collect(),
            clients: clients.iter().map(|&s| s.to_owned()).collect(),
        }
    }

    /// The example manifest of the README, plus a second server `secure`.
    fn two_servers() -> Manifest {
        Manifest {
            apps: vec![
                app("rng_server", &["main", "secure"]),
                app("weatherstation", &["main"]),
                app("device_admin", &["main", "secure"]),
            ],
            msg_servers: vec![
                MsgServer {
                    name: "main".to_owned(),
                    protocols: vec![
                        protocol(
                            "kos_rng_protocol",
                            &["rng_server"],
                            &["weatherstation", "device_admin"],
                        ),
                        protocol(ROOT_PROTOCOL, &[ROOT_APP], &["device_admin"]),
                    ],
                },
                MsgServer {
                    name: "secure".to_owned(),
                    protocols: vec![protocol("kos_key_protocol", &["rng_server"], &[])],
                },
            ],
        }
    }

    #[test]
    fn restart_policy_defaults() {
        let p = RestartPolicy::default();
        assert_eq!(p.mode, RestartMode::Permanent);
        assert_eq!(p.max_restarts, 3);
        assert_eq!(p.max_seconds, 5);
        assert_eq!(p.backoff_ms, 100);
        assert_eq!(p.backoff_max_ms, 5000);
    }

    #[test]
    fn restart_mode_names_round_trip() {
        for m in [
            RestartMode::Permanent,
            RestartMode::Transient,
            RestartMode::Temporary,
        ] {
            assert_eq!(RestartMode::from_name(m.as_str()), Some(m));
            assert_eq!(alloc::format!("{m}"), m.as_str());
        }
        assert_eq!(RestartMode::from_name("Permanent"), None);
    }

    #[test]
    fn may_serve_and_may_use_follow_the_matrix() {
        let m = two_servers();
        assert!(m.may_serve("main", "rng_server", "kos_rng_protocol"));
        assert!(!m.may_serve("main", "weatherstation", "kos_rng_protocol"));
        assert!(m.may_use("main", "weatherstation", "kos_rng_protocol"));
        // Serving is not using, and a grant on one server says nothing about another.
        assert!(!m.may_use("main", "rng_server", "kos_rng_protocol"));
        assert!(!m.may_use("secure", "weatherstation", "kos_rng_protocol"));
        assert!(m.may_serve("secure", "rng_server", "kos_key_protocol"));
        assert!(!m.may_serve("main", "rng_server", "kos_key_protocol"));
        // Unknown server, protocol or app: no.
        assert!(!m.may_serve("zone2", "rng_server", "kos_rng_protocol"));
        assert!(!m.may_use("main", "nobody", "kos_rng_protocol"));
        assert!(m.may_serve("main", ROOT_APP, ROOT_PROTOCOL));
        assert!(m.may_use("main", "device_admin", ROOT_PROTOCOL));
    }

    #[test]
    fn root_servers_and_members() {
        let m = two_servers();
        assert_eq!(m.root_servers(), ["main"]);
        assert_eq!(
            m.msg_server("main").unwrap().members(),
            ["rng_server", "weatherstation", "device_admin", ROOT_APP]
        );
        assert_eq!(m.msg_server("secure").unwrap().members(), ["rng_server"]);
    }

    #[test]
    fn lookups_by_name() {
        let m = two_servers();
        assert_eq!(m.app("weatherstation").unwrap().msg_servers, ["main"]);
        assert!(m.app("_root").is_none());
        assert_eq!(m.msg_server("secure").unwrap().protocols.len(), 1);
        assert!(m.msg_server("zone2").is_none());
        assert!(m.app("device_admin").unwrap().connects_to("secure"));
        assert!(!m.app("weatherstation").unwrap().connects_to("secure"));
    }
}
