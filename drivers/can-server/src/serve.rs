//! The event loop: calls into the service, held RECVs answered when their records
//! arrive (or their hold ends), the controller polled in between.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kos_can::{Answer, CanService, Controller, Reply};
use kos_client::{Error, Incoming, Message, ReplyTo, Server, MAX_PAYLOAD};

/// Serves `kos_can_protocol` on `server` until its message server goes away (the
/// error says why). `tick` runs before every poll with the time in µs since `started`
/// (the simulated bus advances there). The controller is polled every millisecond
/// while a RECV is held or frames wait to be sent, and every 20 ms otherwise.
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
    let mut reported = service.controller().status().state;
    loop {
        let busy = !held.is_empty() || service.pending_tx() > 0;
        let timeout = Duration::from_millis(if busy { 1 } else { 20 });
        match server.next(Some(timeout)) {
            Ok(None) => {}
            Ok(Some(Incoming::Call {
                reply_to,
                msg,
                from,
                ..
            })) => {
                let reply = service.handle(
                    from.badge,
                    msg.label,
                    msg.param,
                    &msg.payload,
                    &mut out,
                    now(),
                );
                match reply {
                    Reply::Answer(a) => answer(&mut server, reply_to, a, &out),
                    Reply::Deferred { superseded } => {
                        if let Some(previous) = held.insert(from.badge, reply_to) {
                            if superseded {
                                answer(&mut server, previous, Answer::NOTHING, &out);
                            }
                        }
                    }
                }
            }
            Ok(Some(Incoming::Connected(c))) => {
                if service.connect(c.badge).is_err() {
                    log(&format!(
                        "client {} refused: all client slots are taken",
                        c.app
                    ));
                } else {
                    log(&format!("client {} connected (badge {})", c.app, c.badge));
                }
            }
            Ok(Some(Incoming::Disconnected(c))) => {
                service.disconnect(c.badge);
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
                    answer(&mut server, to, a, &out);
                }
            }
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

fn answer(server: &mut Server, to: ReplyTo, a: Answer, out: &[u8; MAX_PAYLOAD]) {
    // A client gone meanwhile is its own problem; the bus is unaffected.
    let _ = server.reply(
        to,
        Message::new(a.status, &out[..a.len]).with_param(a.param),
    );
}
