//! The controller's master state machine and the bus behind it, one event per step.
//!
//! START addresses the target at SA with the R/W bit from CON.TRX and loads CNT; each
//! following step moves one byte between a FIFO and the target; when CNT bytes have moved
//! ARDY rises and, if CON.STP is set, a STOP frees the bus. A NACK aborts the transfer,
//! dropping its end-of-transfer STOP request, raises NACK and leaves the bus held (SCL
//! low) until the CPU sets STP again, which is what Linux's i2c-omap does.

use super::{Am335xI2cModel, BusEvent, Phase, ARBITRATION_WINNER_POLLS};
use crate::regs::{buf, con, status, FIFO_DEPTH};

/// What an idle bus reads as: nobody pulls SDA low.
const IDLE_BYTE: u8 = 0xFF;

impl Am335xI2cModel<'_> {
    /// Lets one bus event's worth of time pass.
    pub(super) fn step(&mut self) {
        if self.reset_pending && self.enabled_for_bus() {
            self.reset_pending = false;
            self.rdone = true;
        }
        if self.foreign_polls > 0 {
            self.foreign_polls -= 1;
            if self.foreign_polls == 0 {
                // The winner's STOP.
                self.irq_raw |= status::BF;
            }
        }
        if !self.enabled_for_bus() || self.reset_pending || self.scl_held {
            return;
        }
        match self.phase {
            Phase::Transfer { read: true } => self.receive_byte(),
            Phase::Transfer { read: false } => self.send_byte(),
            Phase::Idle => {
                if self.con & (con::STT | con::MST) == con::STT | con::MST {
                    self.start();
                } else if self.con & con::STP != 0 {
                    if self.owned {
                        self.stop();
                    } else {
                        self.con &= !con::STP;
                    }
                }
            }
        }
        self.update_fifo_flags();
    }

    fn enabled_for_bus(&self) -> bool {
        self.con & con::I2C_EN != 0
    }

    fn start(&mut self) {
        // A START waits for a free bus; a repeated START needs none.
        if !self.owned && (self.bus_held || self.foreign_polls > 0) {
            return;
        }
        if self.lose_arbitration {
            self.lose_arbitration = false;
            self.irq_raw |= status::AL | status::ARDY;
            // Lost arbitration drops the controller to target mode.
            self.con &= !(con::STT | con::STP | con::MST);
            self.owned = false;
            self.current = None;
            self.foreign_polls = ARBITRATION_WINNER_POLLS;
            self.record(BusEvent::ArbitrationLost);
            return;
        }
        let read = self.con & con::TRX == 0;
        let address = (self.sa & 0x7F) as u8;
        let repeated = self.owned;
        self.owned = true;
        self.con &= !con::STT;
        self.remaining = if self.cnt == 0 { 0x1_0000 } else { self.cnt };
        self.current = self.find(address);
        let ack = self
            .with_current(|target| target.start(read))
            .unwrap_or(false);
        self.record(BusEvent::Start {
            address,
            read,
            repeated,
            ack,
        });
        if !ack {
            self.current = None;
            self.nacked();
            return;
        }
        if self.stretch_address == Some(address) {
            self.scl_held = true;
        }
        self.phase = Phase::Transfer { read };
    }

    fn send_byte(&mut self) {
        // An empty FIFO stalls the bus (SCL low) until the CPU writes DATA.
        let Some(byte) = self.tx.pop_front() else {
            return;
        };
        let ack = self
            .with_current(|target| target.write(byte))
            .unwrap_or(false);
        self.remaining -= 1;
        self.record(BusEvent::Write { byte, ack });
        if !ack {
            self.nacked();
            return;
        }
        if self.remaining == 0 {
            self.transfer_done();
        }
    }

    fn receive_byte(&mut self) {
        // A full FIFO stalls the bus until the CPU reads DATA.
        if self.rx.is_full() {
            return;
        }
        let byte = self
            .with_current(|target| target.read())
            .unwrap_or(IDLE_BYTE);
        self.remaining -= 1;
        let _ = self.rx.push_back(byte);
        // The master acknowledges every byte but the last of a transfer.
        let ack = self.remaining > 0;
        self.record(BusEvent::Read { byte, ack });
        if self.remaining == 0 {
            self.transfer_done();
        }
    }

    fn nacked(&mut self) {
        self.phase = Phase::Idle;
        self.con &= !con::STP;
        self.irq_raw |= status::NACK | status::ARDY;
    }

    fn transfer_done(&mut self) {
        self.phase = Phase::Idle;
        self.irq_raw |= status::ARDY;
        if self.con & con::STP != 0 {
            self.stop();
        }
    }

    fn stop(&mut self) {
        for attached in self.targets.iter().flatten() {
            if let Ok(mut target) = attached.target.try_borrow_mut() {
                target.stop();
            }
        }
        self.record(BusEvent::Stop);
        self.owned = false;
        self.current = None;
        self.con &= !(con::STP | con::MST);
        self.irq_raw |= status::BF;
    }

    /// XRDY/XDR and RRDY/RDR follow the FIFO levels and thresholds, so a flag cleared
    /// while its condition still holds comes back at the next step.
    fn update_fifo_flags(&mut self) {
        let tx_threshold = (self.buf & buf::TXTRSH_MASK) as usize + 1;
        let rx_threshold = ((self.buf & buf::RXTRSH_MASK) >> buf::RXTRSH_SHIFT) as usize + 1;
        if self.phase == (Phase::Transfer { read: false }) {
            let needed = (self.remaining as usize).saturating_sub(self.tx.len());
            let room = FIFO_DEPTH - self.tx.len();
            if needed >= tx_threshold && room >= tx_threshold {
                self.irq_raw |= status::XRDY;
            } else if needed > 0 && needed < tx_threshold && room >= needed {
                self.irq_raw |= status::XDR;
            }
        }
        let receiving = self.phase == (Phase::Transfer { read: true });
        if self.rx.len() >= rx_threshold {
            self.irq_raw |= status::RRDY;
        } else if !self.rx.is_empty() && !receiving {
            self.irq_raw |= status::RDR;
        }
    }

    /// Runs `event` on the addressed target; `None` when there is none or it is borrowed.
    fn with_current<T>(&mut self, event: impl FnOnce(&mut dyn super::Target) -> T) -> Option<T> {
        let attached = self.targets.get(self.current?).copied().flatten()?;
        let mut target = attached.target.try_borrow_mut().ok()?;
        Some(event(&mut *target))
    }
}
