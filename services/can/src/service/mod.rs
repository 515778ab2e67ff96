//! What the CAN server does, apart from any transport or clock.
//!
//! [`CanService`] owns the controller and one entry per client badge. The server's
//! event loop is its only owner and drives it with three calls:
//!
//! 1. [`CanService::handle`] for every call. It answers at once
//!    ([`kos_service::Reply::Now`]) except a RECV with nothing pending, which the
//!    server holds ([`kos_service::Reply::Hold`]). `handle` never touches the controller's queues: SEND only
//!    queues frames.
//! 2. [`CanService::poll`] after every `handle`, whenever the backend signals (a frame
//!    arrived, transmit space freed, an error interrupt), and at
//!    [`CanService::next_deadline_us`]. It moves queued frames to the controller, the
//!    controller's frames to the clients, and turns state changes into events.
//! 3. After `poll`, for every badge in [`CanService::ready_receivers`],
//!    [`CanService::take_pending`] gives the answer to the RECV held for it.
//!
//! ```text
//! loop {
//!     wait for a call, a backend signal, or next_deadline_us
//!     on a call:  match handle(..) { Now(a) => reply(a), Hold { previous } =>
//!                 { if let Some(p) = previous { reply the held one with p } hold it } }
//!     poll(now)
//!     for badge in ready_receivers(now) { reply the held one with take_pending(badge, ..) }
//! }
//! ```
//!
//! No input makes the service panic, and every loop is bounded by a queue size.

mod client;
#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

use heapless::Vec;
use kos_msg::MAX_PAYLOAD;

use crate::protocol::{
    BusEvent, Content, Record, Status, StatusReport, MAX_RECORDS, RECORD_LEN, RECV, SEND,
    SET_FILTERS, STATUS,
};
use crate::{BusState, Controller, ControllerStatus, Fault, Frame};
use client::{Client, Held};
pub use client::{RECV_QUEUE, SEND_QUEUE};

/// Most clients served at once.
pub const MAX_CLIENTS: usize = 16;
/// Most frames taken from the controller in one [`CanService::poll`], so one busy bus
/// cannot keep the server from answering calls; the rest wait for the next poll.
pub const RX_BURST: usize = 256;

/// How the server runs the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Bus bitrate in bit/s, as the backend was set up (reported by STATUS).
    pub bitrate: u32,
    /// How long after going bus-off the controller is told to recover, and how long
    /// between attempts while it stays bus-off (Linux's `restart-ms`).
    pub restart_delay_us: u64,
    /// Longest a RECV is held before it is answered with no records. Keep it below
    /// the clients' call timeout, so that a held call is never one they gave up on.
    pub max_hold_us: u64,
}

impl Config {
    /// `bitrate`, recovery after 100 ms (a common `restart-ms`), and RECVs held up
    /// to 1 s.
    pub const fn new(bitrate: u32) -> Self {
        Config {
            bitrate,
            restart_delay_us: 100_000,
            max_hold_us: 1_000_000,
        }
    }
}

/// The answer to one call: a [`Status`], a param (see each label in
/// [`crate::protocol`]), and how many bytes of the output buffer form the payload.
pub type Answer = kos_service::Answer<Status>;

/// OK, nothing else.
pub const ANSWER_NOTHING: Answer = Answer::new(Status::Ok);
/// The answer for a held RECV that another RECV of the same client replaced: the
/// receiver that made it can tell it has been taken over and stop, rather than call
/// again and take over in turn.
pub const ANSWER_SUPERSEDED: Answer = Answer::new(Status::Superseded);
/// The client slots are all taken (the server may also refuse an app past its share
/// of them).
pub const ANSWER_TOO_MANY_CLIENTS: Answer = Answer::new(Status::TooManyClients);

/// What to do with a call: answer now ([`kos_service::Reply::Now`]), or, for a RECV
/// with nothing to read yet, hold it until the badge shows up in
/// [`CanService::ready_receivers`] ([`kos_service::Reply::Hold`]); `previous` is
/// [`ANSWER_SUPERSEDED`] when the client already had a RECV held, which is answered
/// with it and replaced by this one.
pub type Reply = kos_service::Reply<Status>;

/// All [`MAX_CLIENTS`] client slots are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyClients;

impl core::fmt::Display for TooManyClients {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "more than {MAX_CLIENTS} clients")
    }
}

/// Counters since the service started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counters {
    sent: u64,
    received: u64,
    bus_errors: u64,
    bus_off: u64,
}

/// The CAN server's state: the controller, its clients, and what the bus did.
///
/// About 80 KiB (mostly the receive queues: 16 × 128 records), so a server keeps it
/// in a static or on the heap rather than on a small stack.
pub struct CanService<C: Controller> {
    controller: C,
    config: Config,
    clients: Vec<Client, MAX_CLIENTS>,
    /// Where the round-robin of senders continues.
    next_sender: usize,
    /// The controller's status as of the last poll: events report changes from it.
    status: ControllerStatus,
    /// While bus-off: when to call `recover`.
    recover_at_us: Option<u64>,
    counters: Counters,
}

impl<C: Controller> CanService<C> {
    /// A service driving `controller`, with no clients yet.
    pub fn new(controller: C, config: Config) -> Self {
        let status = controller.status();
        CanService {
            controller,
            config,
            clients: Vec::new(),
            next_sender: 0,
            status,
            recover_at_us: None,
            counters: Counters::default(),
        }
    }

    /// The controller, for backend-specific inspection.
    pub fn controller(&self) -> &C {
        &self.controller
    }

    /// The controller, for backend-specific handling (its queues belong to the
    /// service: leave them alone).
    pub fn controller_mut(&mut self) -> &mut C {
        &mut self.controller
    }

    /// Gives the controller back.
    pub fn release(self) -> C {
        self.controller
    }

    /// Gives `badge` its queues (nothing happens if it has them). `handle` does this
    /// on a client's first call, so calling it is needed only to reserve a slot early.
    pub fn connect(&mut self, badge: u64) -> Result<(), TooManyClients> {
        self.slot_or_connect(badge).map(|_| ())
    }

    /// Drops `badge`'s queues and filters; the server drops any RECV it holds for it.
    /// Returns whether it was connected.
    pub fn disconnect(&mut self, badge: u64) -> bool {
        match self.slot(badge) {
            Some(i) => {
                self.clients.remove(i);
                true
            }
            None => false,
        }
    }

    /// How many clients are connected.
    pub fn clients(&self) -> usize {
        self.clients.len()
    }

    /// Frames waiting in send queues: when not zero, poll again as soon as the
    /// controller has transmit space.
    pub fn pending_tx(&self) -> usize {
        self.clients.iter().map(|c| c.send.len()).sum()
    }

    /// The status report STATUS sends, for logs.
    pub fn report(&self) -> StatusReport {
        StatusReport {
            status: self.controller.status(),
            frames_sent: self.counters.sent,
            frames_received: self.counters.received,
            bus_errors: self.counters.bus_errors,
            bus_off_events: self.counters.bus_off,
            bitrate: self.config.bitrate,
        }
    }

    /// Answers one call from `badge`; a reply payload is written to the front of `out`.
    pub fn handle(
        &mut self,
        badge: u64,
        label: u64,
        param: u64,
        payload: &[u8],
        out: &mut [u8; MAX_PAYLOAD],
        now_us: u64,
    ) -> Reply {
        if label == STATUS {
            return Reply::Now(self.status_call(payload, out));
        }
        if !matches!(label, SEND | SET_FILTERS | RECV) {
            return Reply::Now(Answer::new(Status::UnknownOperation));
        }
        let Ok(i) = self.slot_or_connect(badge) else {
            return Reply::Now(Answer::new(Status::TooManyClients));
        };
        match label {
            SEND => Reply::Now(self.send(i, payload)),
            SET_FILTERS => Reply::Now(match self.clients[i].set_filters(payload) {
                Some(n) => Answer::new(Status::Ok).with_param(n as u64),
                None => Answer::new(Status::BadRequest),
            }),
            _ => self.recv(i, param, payload, out, now_us),
        }
    }

    /// Runs the bus for a moment: see the module documentation for when.
    pub fn poll(&mut self, now_us: u64) {
        self.observe(now_us);
        self.receive(now_us);
        self.recover_if_due(now_us);
        if self.status.state != BusState::BusOff {
            self.transmit(now_us);
        }
    }

    /// Badges whose held RECV can be answered now: something arrived, or it has been
    /// held for [`Config::max_hold_us`].
    pub fn ready_receivers(&self, now_us: u64) -> Vec<u64, MAX_CLIENTS> {
        self.clients
            .iter()
            .filter(|c| self.is_ready(c, now_us))
            .map(|c| c.badge)
            .collect()
    }

    /// The answer to the RECV held for `badge`, if it can be given now (see
    /// [`CanService::ready_receivers`]); the records are written to `out`. The RECV
    /// is then no longer held.
    pub fn take_pending(
        &mut self,
        badge: u64,
        out: &mut [u8; MAX_PAYLOAD],
        now_us: u64,
    ) -> Option<Answer> {
        let i = self.slot(badge)?;
        if !self.is_ready(&self.clients[i], now_us) {
            return None;
        }
        let held = self.clients[i].held.take()?;
        Some(self.read(i, held.max, out))
    }

    /// The next time the service needs a `poll` and `ready_receivers` even if nothing
    /// happens on the bus: a held RECV running out, or a bus-off recovery.
    pub fn next_deadline_us(&self) -> Option<u64> {
        let holds = self.clients.iter().filter_map(|c| c.held);
        let hold_ends = holds.map(|h| h.since_us.saturating_add(self.config.max_hold_us));
        hold_ends.chain(self.recover_at_us).min()
    }

    fn slot(&self, badge: u64) -> Option<usize> {
        self.clients.iter().position(|c| c.badge == badge)
    }

    fn slot_or_connect(&mut self, badge: u64) -> Result<usize, TooManyClients> {
        if let Some(i) = self.slot(badge) {
            return Ok(i);
        }
        self.clients
            .push(Client::new(badge))
            .map_err(|_| TooManyClients)?;
        Ok(self.clients.len() - 1)
    }

    fn is_ready(&self, client: &Client, now_us: u64) -> bool {
        client.held.is_some_and(|held| {
            client.has_pending() || now_us.saturating_sub(held.since_us) >= self.config.max_hold_us
        })
    }

    fn status_call(&self, payload: &[u8], out: &mut [u8; MAX_PAYLOAD]) -> Answer {
        if !payload.is_empty() {
            return Answer::new(Status::BadRequest);
        }
        let report = self.report().encode();
        out[..report.len()].copy_from_slice(&report);
        Answer {
            status: Status::Ok,
            param: 0,
            len: report.len(),
        }
    }

    /// SEND: every record checked first, then as many queued as fit.
    fn send(&mut self, i: usize, payload: &[u8]) -> Answer {
        let records = payload.chunks_exact(RECORD_LEN);
        let whole = records.remainder().is_empty() && (1..=MAX_RECORDS).contains(&records.len());
        if !whole || records.clone().any(|r| sent_frame(r).is_none()) {
            return Answer::new(Status::BadRequest);
        }
        if self.status.state == BusState::BusOff {
            return Answer::new(Status::BusOff);
        }
        let queue = &mut self.clients[i].send;
        let mut queued = 0;
        for frame in records.filter_map(sent_frame) {
            if queue.push_back(frame).is_err() {
                return Answer::new(Status::QueueFull).with_param(queued);
            }
            queued += 1;
        }
        Answer::new(Status::Ok).with_param(queued)
    }

    /// RECV: what is pending now, or a reply to hold.
    fn recv(
        &mut self,
        i: usize,
        max: u64,
        payload: &[u8],
        out: &mut [u8; MAX_PAYLOAD],
        now_us: u64,
    ) -> Reply {
        if max == 0 || !payload.is_empty() {
            return Reply::Now(Answer::new(Status::BadRequest));
        }
        let max = usize::try_from(max).unwrap_or(MAX_RECORDS).min(MAX_RECORDS);
        let client = &mut self.clients[i];
        // With a RECV already held, this one takes its place even if records are
        // pending: answering this one now would leave the older call to get later
        // records, which a caller that gave up on it would never read.
        if client.held.is_none() && client.has_pending() {
            return Reply::Now(self.read(i, max, out));
        }
        let superseded = client.held.is_some();
        client.held = Some(Held {
            max,
            since_us: now_us,
        });
        Reply::Hold {
            previous: superseded.then_some(ANSWER_SUPERSEDED),
        }
    }

    fn read(&mut self, i: usize, max: usize, out: &mut [u8; MAX_PAYLOAD]) -> Answer {
        let client = &mut self.clients[i];
        let records = client.take(out, max, self.status);
        Answer {
            status: Status::Ok,
            param: client.pending() as u64,
            len: records * RECORD_LEN,
        }
    }

    /// Compares the controller's status with the last one seen and tells every client
    /// about a change of state.
    fn observe(&mut self, now_us: u64) {
        let was = self.status.state;
        self.status = self.controller.status();
        let state = self.status.state;
        if state == was {
            return;
        }
        if state == BusState::BusOff {
            self.counters.bus_off += 1;
            self.recover_at_us = Some(now_us.saturating_add(self.config.restart_delay_us));
            // Frames queued before the bus went away would go out stale, maybe long
            // after their senders moved on; the bus-off event tells them to resend.
            for client in self.clients.iter_mut() {
                client.send.clear();
            }
        } else if was == BusState::BusOff {
            self.recover_at_us = None;
        }
        self.broadcast(None, now_us);
    }

    fn recover_if_due(&mut self, now_us: u64) {
        if self.status.state != BusState::BusOff {
            return;
        }
        // A controller found bus-off at start-up never went through `observe`'s change.
        let delay = self.config.restart_delay_us;
        let due = *self
            .recover_at_us
            .get_or_insert(now_us.saturating_add(delay));
        if now_us >= due {
            self.controller.recover();
            self.recover_at_us = Some(now_us.saturating_add(delay));
            self.observe(now_us);
        }
    }

    /// Drains the controller's received frames (at most [`RX_BURST`]). A fault ends
    /// the draining: a controller that keeps failing must not fill every client's
    /// queue with the same event, and frames behind the fault wait for the next poll.
    fn receive(&mut self, now_us: u64) {
        for _ in 0..RX_BURST {
            match self.controller.receive() {
                Ok(frame) => {
                    self.counters.received += 1;
                    self.dispatch(None, frame, now_us);
                }
                Err(nb::Error::WouldBlock) => break,
                // Frames were lost before these: report it and keep draining, since
                // a controller's FIFO frees its slots only once it is read empty.
                Err(nb::Error::Other(Fault::Overrun)) => self.fault(Fault::Overrun, now_us),
                Err(nb::Error::Other(fault)) => {
                    self.fault(fault, now_us);
                    break;
                }
            }
        }
    }

    /// Hands queued frames to the controller until it is full, one frame per client
    /// in turn, so a client with a full queue delays another by one frame at most.
    fn transmit(&mut self, now_us: u64) {
        // Every step takes one frame off a queue or stops.
        for _ in 0..MAX_CLIENTS * SEND_QUEUE {
            let Some(i) = self.next_sender() else { break };
            let Some(&frame) = self.clients[i].send.front() else {
                break;
            };
            let result = self.controller.transmit(&frame);
            if let Err(nb::Error::WouldBlock) = result {
                break;
            }
            // Sent, or refused with a fault and dropped: retrying a frame the
            // controller refuses would block the client's queue for good.
            self.clients[i].send.pop_front();
            self.next_sender = i + 1;
            match result {
                Ok(()) => {
                    self.counters.sent += 1;
                    self.dispatch(Some(i), frame, now_us);
                }
                // As in `receive`: one event per poll for a failing controller.
                Err(nb::Error::Other(fault)) => {
                    self.fault(fault, now_us);
                    break;
                }
                Err(nb::Error::WouldBlock) => break,
            }
        }
    }

    /// The next client, from the round-robin position on, with a frame to send.
    fn next_sender(&self) -> Option<usize> {
        let n = self.clients.len();
        (0..n)
            .map(|k| (self.next_sender + k) % n)
            .find(|&i| !self.clients[i].send.is_empty())
    }

    /// Gives `frame` to every client whose filters accept it, except the one that
    /// sent it (`from`): a client does not hear its own frames, as on SocketCAN.
    fn dispatch(&mut self, from: Option<usize>, frame: Frame, now_us: u64) {
        let record = Record::frame(frame, now_us);
        for (i, client) in self.clients.iter_mut().enumerate() {
            if Some(i) != from && client.accepts(&frame) {
                client.deliver(record, now_us);
            }
        }
    }

    fn fault(&mut self, fault: Fault, now_us: u64) {
        self.counters.bus_errors += 1;
        self.broadcast(Some(fault), now_us);
    }

    /// A bus event for every client, whatever its filters.
    fn broadcast(&mut self, error: Option<Fault>, now_us: u64) {
        let event = BusEvent {
            status: self.status,
            error,
            dropped: 0,
        };
        for client in self.clients.iter_mut() {
            client.deliver(Record::event(event, now_us), now_us);
        }
    }
}

/// The frame in a SEND record, if it is a valid frame record.
fn sent_frame(bytes: &[u8]) -> Option<Frame> {
    match Record::decode(bytes.try_into().ok()?).ok()?.content {
        Content::Frame(frame) => Some(frame),
        Content::Event(_) => None,
    }
}
