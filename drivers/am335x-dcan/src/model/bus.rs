//! The model's CAN core and message handler: transmitting pending objects in
//! priority order (TRM §23.3.15.2–3), storing received frames (§23.3.15.6–8), and
//! fault confinement with bus-off recovery (ISO 11898-1 §12; TRM CTL and ES).

use embedded_can::Frame;

use super::{DcanModel, WireFrame};
use crate::frame::{CanFrame, MessageObject};
use crate::regs::{ctl, ifarb, ifmctl, test};
use crate::status::Lec;

/// Transmit error counter level of error passive.
const PASSIVE_LEVEL: u16 = 128;
/// Transmit error counter level past which the node goes bus-off.
const BUS_OFF_LEVEL: u16 = 255;
/// Upper bound on transmissions one register access can trigger; pending objects
/// always drain, this only guards the model against a loop it should not have.
const MAX_ATTEMPTS_PER_RUN: u32 = 4096;

/// What one transmission attempt did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxAttempt {
    /// The frame went onto the wire and was acknowledged.
    Sent {
        /// Message object it came from.
        object: u8,
        /// The frame.
        frame: CanFrame,
    },
    /// An injected error disturbed the attempt; the frame stays pending unless
    /// automatic retransmission is disabled (CTL.DAR).
    Failed {
        /// Message object being sent.
        object: u8,
        /// The error, as LEC reports it.
        error: Lec,
    },
}

/// What became of a frame injected from the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Stored in a receive object.
    Stored {
        /// The object.
        object: u8,
        /// Unread data was overwritten (MsgLst is now set).
        overwrote: bool,
    },
    /// A remote frame set TxRqst of a transmit object with RmtEn.
    RemoteRequest {
        /// The transmit object.
        object: u8,
    },
    /// A remote frame matched a transmit object without RmtEn and UMask: ignored.
    Ignored {
        /// The matching object.
        object: u8,
    },
    /// Acknowledged on the bus, but no valid object accepted it.
    NoMatch,
    /// The controller is not on the bus (Init, bus-off, or internal loopback).
    NotListening,
}

impl DcanModel {
    /// Whether the CAN core takes part in bus traffic.
    pub(super) fn on_bus(&self) -> bool {
        self.ctl & ctl::INIT == 0 && !self.bus_off
    }

    fn loopback(&self) -> bool {
        self.ctl & ctl::TEST != 0 && self.test & test::LBACK != 0
    }

    /// Sends pending objects until none is left, unless transmissions are held.
    pub(super) fn run_bus(&mut self) {
        if self.hold_tx {
            return;
        }
        for _ in 0..MAX_ATTEMPTS_PER_RUN {
            if self.transmit_next().is_none() {
                break;
            }
        }
    }

    /// Makes one transmission attempt of the highest-priority (lowest-numbered) valid
    /// object with TxRqst set, even while transmissions are held. `None` if the
    /// controller is off the bus or nothing is pending.
    pub fn transmit_next(&mut self) -> Option<TxAttempt> {
        if !self.on_bus() {
            return None;
        }
        let index = self
            .objects
            .iter()
            .position(|o| o.is_valid() && o.mctl & ifmctl::TXRQST != 0)?;
        let object = index as u8 + 1;
        let dar = self.ctl & ctl::DAR != 0;
        let o = &mut self.objects[index];
        // Dir = 1 sends a data frame, Dir = 0 a remote frame asking for this id.
        let remote = o.arb & ifarb::DIR == 0;
        let frame = CanFrame::from_parts(o.arb, remote, o.mctl & ifmctl::DLC_MASK, o.data);
        // Transmission start (TRM §23.3.15.3).
        if dar {
            o.mctl &= !ifmctl::TXRQST;
        } else {
            o.mctl &= !ifmctl::NEWDAT;
        }

        if let Some(error) = self.next_tx_error() {
            self.count_tx_error(error);
            return Some(TxAttempt::Failed { object, error });
        }

        let o = &mut self.objects[index];
        if dar {
            o.mctl &= !ifmctl::NEWDAT;
        } else if o.mctl & ifmctl::NEWDAT == 0 {
            o.mctl &= !ifmctl::TXRQST;
        }
        if o.mctl & ifmctl::TXIE != 0 {
            o.mctl |= ifmctl::INTPND;
        }
        self.tx_ok = true;
        self.lec = Lec::NoError;
        self.tec = self.tec.saturating_sub(1);
        if self.wire.is_full() {
            self.wire.pop_front();
            self.wire_dropped += 1;
        }
        // Cannot fail: a slot was freed above if needed.
        let _ = self.wire.push_back(WireFrame { frame, object });
        if self.loopback() {
            // Internal loopback: the core receives its own frame (and acknowledges it).
            self.store(&frame);
        }
        Some(TxAttempt::Sent { object, frame })
    }

    /// Takes the next injected transmit error, if any.
    fn next_tx_error(&mut self) -> Option<Lec> {
        let (kind, count) = self.tx_errors.front_mut()?;
        let kind = *kind;
        *count -= 1;
        if *count == 0 {
            self.tx_errors.pop_front();
        }
        Some(kind)
    }

    /// Transmitter fault confinement: +8 per error, except an ack error while error
    /// passive (ISO 11898-1 fault confinement rule 3, exception 1) — which is why a
    /// node alone on a bus stops at error passive instead of going bus-off.
    fn count_tx_error(&mut self, error: Lec) {
        self.lec = error;
        if !(error == Lec::Ack && self.tec >= PASSIVE_LEVEL) {
            self.tec += 8;
        }
        if self.tec > BUS_OFF_LEVEL {
            self.bus_off = true;
            // The controller sets Init itself when it goes bus-off (TRM CTL description).
            self.ctl |= ctl::INIT;
            self.recovery_count = 0;
            self.recessive_run = 0;
        }
    }

    /// A frame another node sent: acknowledged, filtered, stored.
    pub(super) fn receive_from_wire(&mut self, frame: &CanFrame) -> Delivery {
        if !self.on_bus() || self.loopback() {
            return Delivery::NotListening;
        }
        self.rx_ok = true;
        self.lec = Lec::NoError;
        // Successful reception: REC - 1, or back into 119..=127 from error passive
        // (ISO 11898-1); the model picks 127.
        self.rec = if self.rec > 127 {
            127
        } else {
            self.rec.saturating_sub(1)
        };
        let delivery = self.store(frame);
        self.run_bus();
        delivery
    }

    /// Receiver fault confinement: +1 per error (the model does not distinguish the
    /// +8 cases).
    pub(super) fn count_rx_errors(&mut self, error: Lec, count: u32) {
        if !self.on_bus() {
            return;
        }
        for _ in 0..count {
            self.rec = (self.rec + 1).min(BUS_OFF_LEVEL);
            self.lec = error;
        }
    }

    /// Acceptance filtering in ascending object order and storing (TRM §23.3.15.6–8).
    fn store(&mut self, frame: &CanFrame) -> Delivery {
        let frame_arb = frame.arb_id();
        let remote = frame.is_remote_frame();
        for (index, o) in self.objects.iter_mut().enumerate() {
            if !o.accepts(frame_arb, remote) || o.is_locked() {
                continue;
            }
            let object = index as u8 + 1;
            if remote && o.arb & ifarb::DIR != 0 {
                if o.mctl & ifmctl::RMTEN != 0 {
                    o.mctl |= ifmctl::TXRQST;
                    return Delivery::RemoteRequest { object };
                }
                if o.mctl & ifmctl::UMASK == 0 {
                    return Delivery::Ignored { object };
                }
            }
            let overwrote = o.mctl & ifmctl::NEWDAT != 0;
            // Identifier, Xtd and the RTR bit (into Dir) are stored with the DLC.
            let dir = if remote { ifarb::DIR } else { 0 };
            o.arb = (o.arb & ifarb::MSGVAL) | frame_arb | dir;
            let mut mctl = (o.mctl & !(ifmctl::DLC_MASK | ifmctl::TXRQST))
                | frame.dlc() as u32
                | ifmctl::NEWDAT;
            if overwrote {
                mctl |= ifmctl::MSGLST;
            }
            if mctl & ifmctl::RXIE != 0 {
                mctl |= ifmctl::INTPND;
            }
            o.mctl = mctl;
            // A remote frame leaves the data bytes as they were.
            if !remote {
                o.data = frame.raw_data();
            }
            return Delivery::Stored { object, overwrote };
        }
        Delivery::NoMatch
    }

    /// Counts recessive bit times towards bus-off recovery, which runs only while
    /// Init is clear: every 11 recessive bits are one sequence, each reported as a
    /// Bit0 error in LEC; after `recovery_sequences` of them the counters reset and
    /// the node is error active.
    pub(super) fn count_idle_bits(&mut self, bits: u32) {
        if !self.bus_off || self.ctl & ctl::INIT != 0 {
            return;
        }
        let total = self.recessive_run + bits;
        self.recessive_run = total % 11;
        for _ in 0..total / 11 {
            self.recovery_count += 1;
            self.lec = Lec::Bit0;
            if self.recovery_count >= self.recovery_sequences {
                self.bus_off = false;
                self.tec = 0;
                self.rec = 0;
                self.recovery_count = 0;
                self.recessive_run = 0;
                self.run_bus();
                return;
            }
        }
    }
}
