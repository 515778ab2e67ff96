//! The CAN service on the service seam: calls into [`CanService`], held RECVs answered
//! when their records arrive (or their hold ends), the controller polled in between,
//! all driven by the one loop every server runs (`kos_client::serve`).

use std::collections::HashMap;

use kos_can::protocol::Status;
use kos_can::{CanService, Controller, Reply, ANSWER_TOO_MANY_CLIENTS};
use kos_client::kos_service::{Admission, Call, Client, Ready, Service};
use kos_client::{Error, Server, MAX_PAYLOAD};

/// Client slots one app may hold (an app may open many connections; without a share,
/// one app could take every slot and lock the others off the bus).
pub const SLOTS_PER_APP: usize = 8;

/// [`CanService`] as a [`Service`].
struct CanServer<'s, C: Controller, T, L> {
    service: &'s mut CanService<C>,
    /// The app of every admitted badge, for the per-app share.
    app_of: HashMap<u64, String>,
    tick: T,
    log: L,
    reported: kos_can::BusState,
    /// While frames wait, the controller is refilled about once per frame time (~130
    /// bits), so its mailboxes never run dry and the wire stays busy.
    refill_us: u64,
}

impl<C: Controller, T: FnMut(&mut CanService<C>, u64), L: Fn(&str)> Service
    for CanServer<'_, C, T, L>
{
    type Status = Status;

    fn connected(&mut self, client: Client<'_>, _now_us: u64) -> Admission<Status> {
        let share = self.app_of.values().filter(|a| *a == client.app).count();
        if share >= SLOTS_PER_APP || self.service.connect(client.badge).is_err() {
            return Admission::Refuse(ANSWER_TOO_MANY_CLIENTS);
        }
        self.app_of.insert(client.badge, client.app.to_owned());
        Admission::Admit
    }

    fn disconnected(&mut self, client: Client<'_>) {
        self.service.disconnect(client.badge);
        self.app_of.remove(&client.badge);
    }

    fn call(
        &mut self,
        client: Client<'_>,
        call: Call<'_>,
        out: &mut [u8; MAX_PAYLOAD],
        now_us: u64,
    ) -> Reply {
        self.service.handle(
            client.badge,
            call.label,
            call.param,
            call.payload,
            out,
            now_us,
        )
    }

    /// About once per frame time while frames wait to be sent, every millisecond while
    /// any client is connected (a hardware receive FIFO holds only milliseconds of a
    /// busy bus), and every 20 ms otherwise.
    fn wait_us(&self, _now_us: u64) -> u64 {
        if self.service.pending_tx() > 0 {
            self.refill_us
        } else if self.service.clients() > 0 {
            1_000
        } else {
            20_000
        }
    }

    fn tick(&mut self, now_us: u64, out: &mut [u8; MAX_PAYLOAD], ready: &mut Ready<'_, Status>) {
        (self.tick)(self.service, now_us);
        self.service.poll(now_us);
        for badge in self.service.ready_receivers(now_us) {
            if let Some(answer) = self.service.take_pending(badge, out, now_us) {
                ready(badge, answer, &out[..answer.len]);
            }
        }
        let status = self.service.controller().status();
        if status.state != self.reported {
            (self.log)(&format!(
                "controller {:?} (tec {}, rec {})",
                status.state, status.tec, status.rec
            ));
            self.reported = status.state;
        }
    }
}

/// Serves `kos_can_protocol` on `server` until its message server goes away (the
/// error says why). `tick` runs before every poll with the loop's time in µs (the
/// simulated bus advances there).
pub fn serve<C: Controller>(
    server: Server,
    service: &mut CanService<C>,
    tick: impl FnMut(&mut CanService<C>, u64),
    log: impl Fn(&str),
) -> Error {
    let bitrate = u64::from(service.report().bitrate.max(1));
    let mut served = CanServer {
        reported: service.controller().status().state,
        service,
        app_of: HashMap::new(),
        tick,
        log: &log,
        refill_us: (130 * 1_000_000 / bitrate).clamp(50, 1_000),
    };
    kos_client::serve(server, &mut served, &log)
}
