//! Who may call whom, on seL4: the manifest's grants as endpoints and badges.
//!
//! Every protocol a native app serves gets one endpoint. Its server holds the
//! endpoint itself and receives on it; each client the manifest grants the protocol
//! holds a copy minted with call rights only and badged with the client's number, so
//! the server sees who called and no client can receive another's calls. An app that
//! is not granted a protocol holds nothing for it. The plan here is computed from the
//! manifest alone; `main` creates the endpoints and writes each component's
//! environment page (`kos_sel4_rt::env`) from it.

use alloc::string::String;
use alloc::vec::Vec;

use kos_manifest::{App, Manifest};
use kos_sel4_rt::env::Role;

/// One capability a component gets beyond the root's: a protocol's endpoint.
pub struct Grant {
    /// The protocol.
    pub protocol: String,
    /// Serve (the endpoint) or use (a badged, call-only copy).
    pub role: Role,
    /// Which endpoint: an index into [`Plan::endpoints`].
    pub endpoint: usize,
    /// For `Use`: the badge; for `Serve`: 0.
    pub badge: usize,
    /// For `Serve`: the clients, with their badges.
    pub clients: Vec<(usize, String)>,
}

/// The whole system's grants.
pub struct Plan {
    /// The protocols that get an endpoint, as `msg_server/protocol`.
    pub endpoints: Vec<String>,
    /// Per component (in the order of the apps given): its grants.
    pub grants: Vec<Vec<Grant>>,
    /// Grants that cannot be kept on seL4 yet, for the log: protocols served by `_root`
    /// or by an app that is not a component here.
    pub skipped: Vec<String>,
}

/// A client's badge: its component number + 1 (0 is no badge).
pub fn client_badge(index: usize) -> usize {
    index + 1
}

/// The plan for `apps` (the components, in start order) of `system`.
pub fn plan(system: &Manifest, apps: &[&App]) -> Plan {
    let position = |name: &str| apps.iter().position(|a| a.name == name);
    let mut plan = Plan {
        endpoints: Vec::new(),
        grants: apps.iter().map(|_| Vec::new()).collect(),
        skipped: Vec::new(),
    };
    for server in &system.msg_servers {
        for protocol in &server.protocols {
            let key = alloc::format!("{}/{}", server.name, protocol.name);
            let Some(owner) = protocol.servers.first().and_then(|s| position(s)) else {
                plan.skipped.push(key);
                continue;
            };
            let endpoint = plan.endpoints.len();
            plan.endpoints.push(key);
            let clients: Vec<(usize, String)> = protocol
                .clients
                .iter()
                .filter_map(|c| position(c).map(|i| (client_badge(i), c.clone())))
                .collect();
            for &(badge, ref name) in &clients {
                if let Some(i) = position(name) {
                    plan.grants[i].push(Grant {
                        protocol: protocol.name.clone(),
                        role: Role::Use,
                        endpoint,
                        badge,
                        clients: Vec::new(),
                    });
                }
            }
            plan.grants[owner].push(Grant {
                protocol: protocol.name.clone(),
                role: Role::Serve,
                endpoint,
                badge: 0,
                clients,
            });
        }
    }
    plan
}
