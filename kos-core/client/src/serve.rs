//! The one event loop every server runs: calls from a [`Server`] into a
//! [`kos_service::Service`], its answers back.
//!
//! The loop waits for the next event at most as long as the service allows
//! ([`Service::wait_us`]), runs [`Service::tick`] after every event or timeout, keeps
//! the calls the service holds (one per client) and answers them when the service
//! says they are ready. Replies never wait: a client that stops reading its replies
//! is cut off by [`Server::reply`], and the service is told it is gone, as for a
//! client that disconnected. Every connect, disconnect, refusal and dropped frame is
//! logged in one form for every server.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kos_service::{Admission, Answer, Call, Client, Reply, Service, Status};

use crate::{Error, Incoming, Message, ReplyTo, Server, MAX_PAYLOAD};

/// What the loop knows of one connected client.
struct Known<S> {
    app: String,
    /// `Some` when the service refused it: every call gets this answer.
    refused: Option<Answer<S>>,
    held: Option<ReplyTo>,
}

/// Serves `service` on `server` until its message server goes away (the error says
/// why). `log` gets one line per event worth a line.
pub fn serve<S: Service>(mut server: Server, service: &mut S, log: impl Fn(&str)) -> Error {
    let started = Instant::now();
    let now = || u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let mut out = Box::new([0u8; MAX_PAYLOAD]);
    let mut clients: HashMap<u64, Known<S::Status>> = HashMap::new();
    // Clients whose channel was cut while replying (they stopped reading).
    let mut cut_off: Vec<u64> = Vec::new();
    loop {
        let wait = Duration::from_micros(service.wait_us(now()).max(1));
        match server.next(Some(wait)) {
            Ok(None) => {}
            Ok(Some(Incoming::Call {
                from,
                reply_to,
                msg,
                ..
            })) => {
                let client = Client {
                    badge: from.badge,
                    app: &from.app,
                };
                let refused = clients.get(&from.badge).and_then(|k| k.refused);
                let reply = match refused {
                    Some(answer) => Reply::Now(answer),
                    None => service.call(
                        client,
                        Call {
                            label: msg.label,
                            param: msg.param,
                            payload: &msg.payload,
                        },
                        &mut out,
                        now(),
                    ),
                };
                match reply {
                    Reply::Now(answer) => {
                        if !send(&mut server, reply_to, answer, &out[..]) {
                            cut_off.push(from.badge);
                        }
                        service.replied(&mut out[..answer.len.min(MAX_PAYLOAD)]);
                    }
                    Reply::Hold { previous } => {
                        let known = clients.entry(from.badge).or_insert_with(|| Known {
                            app: from.app.clone(),
                            refused: None,
                            held: None,
                        });
                        let earlier = known.held.replace(reply_to);
                        if let (Some(to), Some(answer)) = (earlier, previous) {
                            if !send(&mut server, to, answer, &out[..]) {
                                cut_off.push(from.badge);
                            }
                        }
                    }
                }
            }
            Ok(Some(Incoming::Connected(c))) => {
                let client = Client {
                    badge: c.badge,
                    app: &c.app,
                };
                let refused = match service.connected(client, now()) {
                    Admission::Admit => {
                        log(&format!("client {} connected (badge {})", c.app, c.badge));
                        None
                    }
                    Admission::Refuse(answer) => {
                        log(&format!(
                            "client {} (badge {}) refused: {:?}",
                            c.app, c.badge, answer.status
                        ));
                        Some(answer)
                    }
                };
                clients.insert(
                    c.badge,
                    Known {
                        app: c.app.clone(),
                        refused,
                        held: None,
                    },
                );
            }
            Ok(Some(Incoming::Disconnected(c))) => {
                if let Some(known) = clients.remove(&c.badge) {
                    if known.refused.is_none() {
                        service.disconnected(Client {
                            badge: c.badge,
                            app: &c.app,
                        });
                    }
                }
                log(&format!(
                    "client {} disconnected (badge {})",
                    c.app, c.badge
                ));
            }
            Ok(Some(Incoming::Send { from, .. })) => {
                log(&format!("ignored a one-way message from {}", from.app))
            }
            Ok(Some(Incoming::Rejected { from, error })) => {
                log(&format!("rejected a frame from {}: {error}", from.app))
            }
            Err(e) => return e,
        }
        service.tick(now(), &mut out, &mut |badge, answer, payload| {
            let held = clients.get_mut(&badge).and_then(|k| k.held.take());
            if let Some(to) = held {
                if !reply(&mut server, to, answer, payload) {
                    cut_off.push(badge);
                }
            }
        });
        for badge in cut_off.drain(..) {
            if let Some(known) = clients.remove(&badge) {
                log(&format!(
                    "client {} (badge {badge}) cut off: it does not read its replies",
                    known.app
                ));
                if known.refused.is_none() {
                    service.disconnected(Client {
                        badge,
                        app: &known.app,
                    });
                }
            }
        }
    }
}

/// Replies with `answer` and the front of `out`; false when the client's channel is
/// gone (closed, or cut off because it stopped reading).
fn send<S: Status>(server: &mut Server, to: ReplyTo, answer: Answer<S>, out: &[u8]) -> bool {
    let len = answer.len.min(out.len());
    reply(server, to, answer, &out[..len])
}

fn reply<S: Status>(server: &mut Server, to: ReplyTo, answer: Answer<S>, payload: &[u8]) -> bool {
    let msg = Message::new(answer.status.label(), payload).with_param(answer.param);
    !matches!(server.reply(to, msg), Err(Error::Closed))
}
