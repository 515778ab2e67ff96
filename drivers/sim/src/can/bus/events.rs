//! How time moves on the shared wire, as a discrete-event simulation in bit times:
//! nodes' pending frames arbitrate whenever the bus is idle, the winner occupies it for
//! its exact bit count, and when its EOF ends it is acknowledged and delivered — or,
//! with nobody to acknowledge it or with an injected error, it becomes an error frame
//! and is retried. Devices wake when they asked to, and bus-off nodes count the
//! recessive bits of their recovery.

use alloc::vec::Vec;

use super::SimCanBus;
use crate::can::bits::{frame_bits, ERROR_FRAME_BITS, SUSPEND_BITS};
use crate::can::device::Outbox;
use crate::can::frame::CanFrame;
use crate::can::node::{NodeState, Port, Received};
use crate::can::state::{ErrorCounters, ErrorState};

/// Events one `advance_to` handles at most; a call that hits it resumes next time.
/// At 1 Mbit/s a fully loaded bus has fewer than 20 000 frames a second.
const MAX_EVENTS_PER_ADVANCE: usize = 1 << 20;

/// How a transmission attempt ends, decided when it wins arbitration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Delivered,
    AckError,
    BitError,
}

/// The frame on the wire.
#[derive(Debug, Clone, Copy)]
pub(super) struct InFlight {
    pub(super) node: usize,
    pub(super) slot: usize,
    frame: CanFrame,
    end: u64,
    outcome: Outcome,
}

impl SimCanBus {
    /// Runs the bus up to `now_us`: arbitration, transmissions, deliveries, errors,
    /// device wake-ups and recoveries, in time order. Returns the events handled.
    pub fn advance_to(&mut self, now_us: u64) -> usize {
        let target = self.us_to_bits(now_us);
        for events in 1..=MAX_EVENTS_PER_ADVANCE {
            let wake = self.next_wake();
            if let Some(flight) = self.in_flight {
                match wake {
                    Some(at) if at < flight.end && at <= target => {
                        self.cursor = self.cursor.max(at);
                        self.wake_devices();
                    }
                    _ if flight.end <= target => self.finish(flight),
                    _ => {
                        self.cursor = self.cursor.max(target);
                        return events;
                    }
                }
                continue;
            }
            if wake.is_some_and(|at| at <= self.cursor) {
                self.wake_devices();
                continue;
            }
            if self.start_frame() {
                continue;
            }
            let next = [wake, self.next_ready(), self.next_recovery()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(at) if at <= target => self.idle_until(at),
                _ => {
                    self.idle_until(target);
                    return events;
                }
            }
        }
        self.stats.deferred += 1;
        MAX_EVENTS_PER_ADVANCE
    }

    /// The earliest device wake-up, in bits, no earlier than now.
    fn next_wake(&self) -> Option<u64> {
        self.nodes
            .iter()
            .filter_map(|node| match &node.port {
                Port::Device(device) => device.next_wakeup_us(),
                Port::Controller(_) => None,
            })
            .min()
            .map(|us| self.us_to_bits_ceil(us).max(self.cursor))
    }

    /// Wakes every device whose time has come.
    fn wake_devices(&mut self) {
        let now_us = self.bits_to_us(self.cursor);
        for index in 0..self.nodes.len() {
            let mut outbox = Outbox::default();
            if let Some(Port::Device(device)) = self.nodes.get_mut(index).map(|n| &mut n.port) {
                if device.next_wakeup_us().is_some_and(|at| at <= now_us) {
                    device.wake(now_us, &mut outbox);
                }
            }
            self.queue_from_device(index, &mut outbox);
        }
    }

    fn queue_from_device(&mut self, index: usize, outbox: &mut Outbox) {
        let sending = self.sending_slot(index);
        let Some(node) = self.nodes.get_mut(index) else {
            return;
        };
        for frame in outbox.drain() {
            let accepted = node.state() != ErrorState::BusOff
                && matches!(node.mailboxes.queue(frame, sending), Ok(None));
            if !accepted {
                // Refused, or queued in place of a frame that is now lost.
                node.stats.tx_dropped += 1;
            }
        }
    }

    /// Arbitration on an idle bus: the lowest key among the nodes ready to send wins
    /// (between equal keys, which the standard forbids, the lower node index).
    fn start_frame(&mut self) -> bool {
        let cursor = self.cursor;
        let winner = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| node.on_bus() && node.not_before_bit <= cursor)
            .filter_map(|(index, node)| {
                node.mailboxes
                    .best()
                    .map(|(slot, frame)| (index, slot, frame))
            })
            .min_by_key(|(index, _, frame)| (frame.arbitration_key(), *index));
        let Some((index, slot, frame)) = winner else {
            return false;
        };
        let bits = frame_bits(&frame);
        let acknowledged = self
            .nodes
            .iter()
            .enumerate()
            .any(|(i, node)| i != index && node.on_bus());
        let Some(sender) = self.nodes.get_mut(index) else {
            return false;
        };
        let (outcome, length) = if sender.tx_errors_to_inject > 0 {
            sender.tx_errors_to_inject -= 1;
            // Seen at the first bit after the control field.
            (Outcome::BitError, bits.header + 1 + ERROR_FRAME_BITS)
        } else if !acknowledged {
            // Up to and including the ACK slot, then the error frame.
            (
                Outcome::AckError,
                bits.unstuffed + bits.stuff + 2 + ERROR_FRAME_BITS,
            )
        } else {
            (Outcome::Delivered, bits.total)
        };
        for recovery in self
            .nodes
            .iter_mut()
            .filter_map(|node| node.recovery.as_mut())
        {
            recovery.frame_started();
        }
        let length = u64::from(length);
        self.stats.busy_bits += length;
        self.in_flight = Some(InFlight {
            node: index,
            slot,
            frame,
            end: cursor + length,
            outcome,
        });
        true
    }

    /// The end of a transmission attempt.
    fn finish(&mut self, flight: InFlight) {
        self.in_flight = None;
        self.cursor = flight.end;
        for recovery in self
            .nodes
            .iter_mut()
            .filter_map(|node| node.recovery.as_mut())
        {
            recovery.frame_ended();
        }
        let Some(sender) = self.nodes.get_mut(flight.node) else {
            return;
        };
        match flight.outcome {
            Outcome::Delivered => {
                sender.mailboxes.take(flight.slot);
                sender.counters.transmitted();
                sender.stats.tx_frames += 1;
            }
            Outcome::AckError => {
                sender.counters.ack_error();
                sender.stats.tx_ack_errors += 1;
            }
            Outcome::BitError => {
                sender.counters.transmit_error();
                sender.stats.tx_bit_errors += 1;
            }
        }
        if sender.state() == ErrorState::BusOff {
            sender.stats.bus_off_count += 1;
        }
        if sender.state() == ErrorState::ErrorPassive {
            // Suspend transmission: an error-passive transmitter waits 8 more bits.
            sender.not_before_bit = flight.end + u64::from(SUSPEND_BITS);
        }
        match flight.outcome {
            Outcome::Delivered => {
                self.stats.frames += 1;
                self.deliver(flight.node, &flight.frame);
            }
            Outcome::AckError => self.stats.error_frames += 1,
            Outcome::BitError => {
                self.stats.error_frames += 1;
                // The others see the error flag break the stuffing rule.
                for (_, node) in self.others_on_bus(flight.node) {
                    node.counters.receive_error();
                    node.stats.rx_errors += 1;
                }
            }
        }
    }

    /// Every node on the bus but the sender receives the frame; the ones whose filters
    /// accept it keep it (a controller acknowledges before it filters).
    fn deliver(&mut self, sender: usize, frame: &CanFrame) {
        let at_us = self.bits_to_us(self.cursor);
        let mut replies = Vec::new();
        for (index, node) in self.others_on_bus(sender) {
            node.counters.received();
            if !node.accepts(frame) {
                node.stats.rx_filtered += 1;
                continue;
            }
            match &mut node.port {
                Port::Controller(_) => node.enqueue(Received {
                    frame: *frame,
                    at_us,
                }),
                Port::Device(device) => {
                    let mut outbox = Outbox::default();
                    device.receive(at_us, frame, &mut outbox);
                    node.stats.rx_frames += 1;
                    replies.push((index, outbox));
                }
            }
        }
        for (index, mut outbox) in replies {
            self.queue_from_device(index, &mut outbox);
        }
    }

    fn others_on_bus(&mut self, sender: usize) -> impl Iterator<Item = (usize, &mut NodeState)> {
        self.nodes
            .iter_mut()
            .enumerate()
            .filter(move |(index, node)| *index != sender && node.on_bus())
    }

    /// The earliest time after now at which a node with a pending frame may send again
    /// (an error-passive node's suspend-transmission pause).
    fn next_ready(&self) -> Option<u64> {
        self.nodes
            .iter()
            .filter(|node| {
                node.on_bus() && node.mailboxes.pending() > 0 && node.not_before_bit > self.cursor
            })
            .map(|node| node.not_before_bit)
            .min()
    }

    /// When the first recovering node would rejoin if the bus stays idle.
    fn next_recovery(&self) -> Option<u64> {
        self.nodes
            .iter()
            .filter_map(|node| node.recovery.as_ref())
            .map(|recovery| self.cursor + recovery.remaining_bits())
            .min()
    }

    /// The bus stays idle (recessive) until `at`; recovering nodes count those bits.
    fn idle_until(&mut self, at: u64) {
        let bits = at.saturating_sub(self.cursor);
        self.cursor = self.cursor.max(at);
        for node in &mut self.nodes {
            let Some(recovery) = node.recovery.as_mut() else {
                continue;
            };
            recovery.idle(bits);
            if recovery.remaining_bits() == 0 {
                node.recovery = None;
                node.counters = ErrorCounters::default();
            }
        }
    }
}
