//! The order in which the root server starts apps.
//!
//! A client's first request for a protocol should find the protocol published, so an
//! app that serves a protocol starts before its clients. The manifest is small (tens
//! of apps), so the plain quadratic algorithm below is the clear choice.

use alloc::vec;
use alloc::vec::Vec;

use crate::model::{App, Manifest};

/// See [`Manifest::start_order`].
pub(crate) fn start_order(manifest: &Manifest) -> Vec<&App> {
    let apps = &manifest.apps;
    let index = |name: &str| apps.iter().position(|a| a.name == name);

    // waits_for[c] = apps that serve a protocol c is a client of. Matched by protocol
    // name across all message servers, as the manifest format promises.
    let mut waits_for: Vec<Vec<usize>> = vec![Vec::new(); apps.len()];
    for ms in &manifest.msg_servers {
        for p in &ms.protocols {
            for client in p.clients.iter().filter_map(|c| index(c)) {
                for other in &manifest.msg_servers {
                    let Some(q) = other.protocol(&p.name) else {
                        continue;
                    };
                    for server in q.servers.iter().filter_map(|s| index(s)) {
                        if server != client && !waits_for[client].contains(&server) {
                            waits_for[client].push(server);
                        }
                    }
                }
            }
        }
    }

    let mut started = vec![false; apps.len()];
    let mut order = Vec::with_capacity(apps.len());
    while order.len() < apps.len() {
        let pending = |i: &usize| !started[*i];
        let ready = (0..apps.len())
            .filter(pending)
            .find(|&i| waits_for[i].iter().all(|&s| started[s]));
        // No app is ready only when the pending apps' dependencies form a cycle. Start the
        // first app (in manifest order) that waits only on apps that wait on it in turn;
        // one exists (any app of a cycle nothing else holds up), and choosing it never
        // starts an app ahead of a server outside its cycle.
        let next = ready.unwrap_or_else(|| {
            (0..apps.len())
                .filter(pending)
                .find(|&i| {
                    waits_for[i]
                        .iter()
                        .all(|&s| started[s] || reaches(&waits_for, &started, s, i))
                })
                .expect("a graph with no ready node has a cycle")
        });
        started[next] = true;
        order.push(&apps[next]);
    }
    order
}

/// Whether `from` (transitively) waits for `to`, through apps not yet started.
fn reaches(waits_for: &[Vec<usize>], started: &[bool], from: usize, to: usize) -> bool {
    let mut seen = vec![false; waits_for.len()];
    let mut stack = vec![from];
    while let Some(i) = stack.pop() {
        if i == to {
            return true;
        }
        if !core::mem::replace(&mut seen[i], true) {
            stack.extend(waits_for[i].iter().filter(|&&s| !started[s]));
        }
    }
    false
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::model::test::{app, protocol};
    use crate::model::MsgServer;
    use crate::{ROOT_APP, ROOT_PROTOCOL};
    use alloc::borrow::ToOwned;

    fn names(m: &Manifest) -> Vec<&str> {
        m.start_order().iter().map(|a| a.name.as_str()).collect()
    }

    fn manifest(apps: &[&str], msg_servers: &[(&str, Vec<crate::ProtocolAccess>)]) -> Manifest {
        Manifest {
            apps: apps.iter().map(|n| app(n, &["main"])).collect(),
            msg_servers: msg_servers
                .iter()
                .map(|(name, protocols)| MsgServer {
                    name: (*name).to_owned(),
                    protocols: protocols.clone(),
                })
                .collect(),
        }
    }

    #[test]
    fn server_starts_before_its_clients() {
        let m = manifest(
            &["weatherstation", "device_admin", "rng_server"],
            &[(
                "main",
                vec![
                    protocol(
                        "kos_rng_protocol",
                        &["rng_server"],
                        &["weatherstation", "device_admin"],
                    ),
                    // _root is not an app: it neither reorders nor appears.
                    protocol(ROOT_PROTOCOL, &[ROOT_APP], &["device_admin"]),
                ],
            )],
        );
        assert_eq!(names(&m), ["rng_server", "weatherstation", "device_admin"]);
    }

    #[test]
    fn unrelated_apps_keep_manifest_order() {
        let m = manifest(&["c", "a", "b"], &[]);
        assert_eq!(names(&m), ["c", "a", "b"]);
    }

    #[test]
    fn chains_are_followed() {
        // a uses p (served by b), b uses q (served by c).
        let m = manifest(
            &["a", "b", "c"],
            &[(
                "main",
                vec![protocol("p", &["b"], &["a"]), protocol("q", &["c"], &["b"])],
            )],
        );
        assert_eq!(names(&m), ["c", "b", "a"]);
    }

    #[test]
    fn protocols_match_across_msg_servers() {
        // b serves p on `main`; a uses p on `other`, where d serves it.
        let m = manifest(
            &["a", "b", "d"],
            &[
                ("main", vec![protocol("p", &["b"], &[])]),
                ("other", vec![protocol("p", &["d"], &["a"])]),
            ],
        );
        assert_eq!(names(&m), ["b", "d", "a"]);
    }

    #[test]
    fn a_cycle_keeps_manifest_order() {
        let m = manifest(
            &["x", "y"],
            &[(
                "main",
                vec![protocol("p", &["x"], &["y"]), protocol("q", &["y"], &["x"])],
            )],
        );
        assert_eq!(names(&m), ["x", "y"]);
        let m = manifest(
            &["y", "x"],
            &[(
                "main",
                vec![protocol("p", &["x"], &["y"]), protocol("q", &["y"], &["x"])],
            )],
        );
        assert_eq!(names(&m), ["y", "x"]);
    }

    #[test]
    fn a_client_of_a_cycle_waits_for_it() {
        // c (first in the manifest) uses p, served by a; a and b wait on each other.
        let m = manifest(
            &["c", "a", "b"],
            &[(
                "main",
                vec![
                    protocol("p", &["a"], &["c", "b"]),
                    protocol("q", &["b"], &["a"]),
                ],
            )],
        );
        assert_eq!(names(&m), ["a", "c", "b"]);
    }

    #[test]
    fn serving_and_using_the_same_protocol_is_no_dependency() {
        let m = manifest(
            &["a", "b"],
            &[("main", vec![protocol("p", &["b"], &["a", "b"])])],
        );
        assert_eq!(names(&m), ["b", "a"]);
    }
}
