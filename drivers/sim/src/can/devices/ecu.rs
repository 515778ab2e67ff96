//! A simulated engine ECU on the bus. Every 100 ms it broadcasts its engine state on
//! id 0x0C0, and it answers OBD-II mode 01 requests (0x7DF or 0x7E0) on 0x7E8 a couple
//! of milliseconds later, as a real ECU's software does after its receive interrupt.
//!
//! Broadcast layout (0x0C0, 8 bytes): bytes 0–1 engine speed in 0.25 rpm, big-endian;
//! byte 2 coolant temperature in °C + 40; byte 3 vehicle speed in km/h; bytes 4–6
//! zero; byte 7 a rolling counter that lets a receiver notice lost frames.

use super::engine::{engine_at, EngineState};
use super::obd;
use crate::can::{CanDevice, CanFrame, Outbox};

/// The id of the engine-state broadcast.
pub const BROADCAST_ID: u16 = 0x0C0;
/// The broadcast period.
pub const BROADCAST_PERIOD_US: u64 = 100_000;
/// How long after a request the ECU queues its answer.
pub const RESPONSE_DELAY_US: u64 = 2_000;
/// Requests the ECU holds at once; more arriving before it answers are ignored, as a
/// busy ECU would.
const MAX_PENDING_REPLIES: usize = 4;

/// A simulated engine ECU; add it with `SimCanBus::add_device`.
#[derive(Debug, Clone)]
pub struct Ecu {
    seed: u64,
    started_us: u64,
    next_broadcast_us: u64,
    counter: u8,
    replies: [Option<(u64, obd::Request)>; MAX_PENDING_REPLIES],
    answered: u64,
}

impl Ecu {
    /// An ECU whose engine starts (cold) at `now_us`; the seed varies its wander.
    /// Its first broadcast goes out at once.
    pub fn new(seed: u64, now_us: u64) -> Self {
        Self {
            seed,
            started_us: now_us,
            next_broadcast_us: now_us,
            counter: 0,
            replies: [None; MAX_PENDING_REPLIES],
            answered: 0,
        }
    }

    /// The engine's state at `now_us`.
    pub fn engine(&self, now_us: u64) -> EngineState {
        let elapsed_s = now_us.saturating_sub(self.started_us) as f64 / 1e6;
        engine_at(self.seed, elapsed_s)
    }

    /// OBD-II requests answered so far.
    pub fn answered(&self) -> u64 {
        self.answered
    }

    fn broadcast(&mut self, now_us: u64) -> Option<CanFrame> {
        let state = self.engine(now_us);
        let [rpm_hi, rpm_lo] = obd::encode_rpm(state.rpm);
        let speed = libm::round(state.speed_kmh).clamp(0.0, 255.0) as u8;
        let data = [
            rpm_hi,
            rpm_lo,
            obd::encode_coolant(state.coolant_c),
            speed,
            0,
            0,
            0,
            self.counter,
        ];
        self.counter = self.counter.wrapping_add(1);
        CanFrame::standard(BROADCAST_ID, &data)
    }
}

impl CanDevice for Ecu {
    fn next_wakeup_us(&self) -> Option<u64> {
        let reply = self.replies.iter().flatten().map(|(at, _)| *at).min();
        Some(reply.map_or(self.next_broadcast_us, |at| at.min(self.next_broadcast_us)))
    }

    fn wake(&mut self, now_us: u64, out: &mut Outbox) {
        if now_us >= self.next_broadcast_us {
            if let Some(frame) = self.broadcast(now_us) {
                out.send(frame);
            }
            // Keep the schedule's phase; a slot missed while the bus was not advanced
            // is skipped rather than sent late in a burst.
            let missed = (now_us - self.next_broadcast_us) / BROADCAST_PERIOD_US;
            self.next_broadcast_us += (missed + 1) * BROADCAST_PERIOD_US;
        }
        let state = self.engine(now_us);
        for slot in &mut self.replies {
            let Some((at, request)) = *slot else {
                continue;
            };
            if at > now_us {
                continue;
            }
            *slot = None;
            if let Some(frame) = obd::response(request, &state) {
                out.send(frame);
                self.answered += 1;
            }
        }
    }

    fn receive(&mut self, now_us: u64, frame: &CanFrame, _out: &mut Outbox) {
        let Some(request) = obd::parse_request(frame) else {
            return;
        };
        if let Some(free) = self.replies.iter_mut().find(|slot| slot.is_none()) {
            *free = Some((now_us + RESPONSE_DELAY_US, request));
        }
    }
}
