//! The event loop: calls into the service, held RECVs answered when their records
//! arrive (or their hold ends), the controller polled in between.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use kos_can::{Answer, CanService, Controller, Reply};
use kos_client::{Error, Incoming, Message, ReplyTo, Server, MAX_PAYLOAD};

/// Client slots one app may hold (an app may open many connections; without a share,
/// one app could take every slot and lock the others off the bus).
pub const SLOTS_PER_APP: usize = 8;

/// Which badges belong to which app, and which were refused a slot.
#[derive(Default)]
struct Clients {
    app_of: HashMap<u64, String>,
    refused: HashSet<u64>,
}

impl Clients {
    /// Gives `badge` of `app` a slot in `service`, unless the app has its share or the
    /// service is full; returns whether it has one.
    fn admit<C: Controller>(&mut self, service: &mut CanService<C>, badge: u64, app: &str) -> bool {
        if self.app_of.contains_key(&badge) {
            return true;
        }
        if self.refused.contains(&badge) {
            return false;
        }
        let share = self.app_of.values().filter(|a| *a == app).count();
        if share >= SLOTS_PER_APP || service.connect(badge).is_err() {
            self.refused.insert(badge);
            return false;
        }
        self.app_of.insert(badge, app.to_owned());
        true
    }

    fn forget<C: Controller>(&mut self, service: &mut CanService<C>, badge: u64) {
        service.disconnect(badge);
        self.app_of.remove(&badge);
        self.refused.remove(&badge);
    }
}

/// Serves `kos_can_protocol` on `server` until its message server goes away (the
/// error says why). `tick` runs before every poll with the time in µs since `started`
/// (the simulated bus advances there). The controller is polled about once per frame
/// time while frames wait to be sent, every millisecond while any client is connected
/// (a hardware receive FIFO holds only milliseconds of a busy bus), and every 20 ms
/// otherwise.
pub fn serve<C: Controller>(
    mut server: Server,
    service: &mut CanService<C>,
    started: Instant,
    mut tick: impl FnMut(&mut CanService<C>, u64),
    log: impl Fn(&str),
) -> Error {
    let now = || started.elapsed().as_micros() as u64;
    let mut out = Box::new([0u8; MAX_PAYLOAD]);
    let mut held: HashMap<u64, ReplyTo> = HashMap::new();
    let mut clients = Clients::default();
    // Badges whose channel was cut while replying: their slots are given back.
    let mut gone: Vec<u64> = Vec::new();
    let mut reported = service.controller().status().state;
    // While frames wait, the controller is refilled about once per frame time (~130
    // bits), so its mailboxes never run dry and the wire stays busy.
    let bitrate = u64::from(service.report().bitrate.max(1));
    let refill = Duration::from_micros((130 * 1_000_000 / bitrate).clamp(50, 1_000));
    loop {
        let timeout = if service.pending_tx() > 0 {
            refill
        } else if service.clients() > 0 {
            Duration::from_millis(1)
        } else {
            Duration::from_millis(20)
        };
        match server.next(Some(timeout)) {
            Ok(None) => {}
            Ok(Some(Incoming::Call {
                reply_to,
                msg,
                from,
                ..
            })) => {
                let reply = if clients.admit(service, from.badge, &from.app) {
                    service.handle(
                        from.badge,
                        msg.label,
                        msg.param,
                        &msg.payload,
                        &mut out,
                        now(),
                    )
                } else {
                    Reply::Answer(Answer::TOO_MANY_CLIENTS)
                };
                match reply {
                    Reply::Answer(a) => {
                        if !answer(&mut server, reply_to, a, &out) {
                            gone.push(from.badge);
                        }
                    }
                    Reply::Deferred { superseded } => {
                        if let Some(previous) = held.insert(from.badge, reply_to) {
                            if superseded
                                && !answer(&mut server, previous, Answer::SUPERSEDED, &out)
                            {
                                gone.push(from.badge);
                            }
                        }
                    }
                }
            }
            Ok(Some(Incoming::Connected(c))) => {
                if clients.admit(service, c.badge, &c.app) {
                    log(&format!("client {} connected (badge {})", c.app, c.badge));
                } else {
                    log(&format!(
                        "client {} (badge {}) refused: no client slot left for it",
                        c.app, c.badge
                    ));
                }
            }
            Ok(Some(Incoming::Disconnected(c))) => {
                clients.forget(service, c.badge);
                held.remove(&c.badge);
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
        let t = now();
        tick(service, t);
        service.poll(t);
        for badge in service.ready_receivers(t) {
            if let Some(a) = service.take_pending(badge, &mut out, t) {
                if let Some(to) = held.remove(&badge) {
                    if !answer(&mut server, to, a, &out) {
                        gone.push(badge);
                    }
                }
            }
        }
        // A client that stopped reading its replies was cut off by the client library
        // (no Disconnected follows); its slot, filters and queues go with it.
        for badge in gone.drain(..) {
            if let Some(app) = clients.app_of.get(&badge) {
                log(&format!(
                    "client {app} (badge {badge}) cut off: it does not read its replies"
                ));
            }
            clients.forget(service, badge);
            held.remove(&badge);
        }
        let state = service.controller().status().state;
        if state != reported {
            let s = service.controller().status();
            log(&format!(
                "controller {:?} (tec {}, rec {})",
                s.state, s.tec, s.rec
            ));
            reported = state;
        }
    }
}

/// Replies; false when the client's channel is gone (closed, or cut off because it
/// stopped reading).
fn answer(server: &mut Server, to: ReplyTo, a: Answer, out: &[u8; MAX_PAYLOAD]) -> bool {
    !matches!(
        server.reply(
            to,
            Message::new(a.status, &out[..a.len]).with_param(a.param)
        ),
        Err(Error::Closed)
    )
}
