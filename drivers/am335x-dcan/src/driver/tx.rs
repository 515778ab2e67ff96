//! Transmitting through the transmit objects (TRM §23.3.15.3–5).
//!
//! Objects are used in ascending order and reused only after all of them are done:
//! the controller sends the lowest-numbered pending object first, so refilling a freed
//! low object while higher ones still wait would overtake older frames.

use embedded_can::Frame;

use super::Dcan;
use crate::error::Error;
use crate::frame::{CanFrame, MessageObject};
use crate::registers::Registers;
use crate::regs::{es, ifarb, ifcmd, ifmctl, object_bit, object_word, IF1, TXRQ12};

impl<R: Registers> Dcan<R> {
    /// Queues `frame` in the next transmit object; `WouldBlock` while none is free.
    pub(super) fn transmit_frame(
        &mut self,
        frame: &CanFrame,
    ) -> nb::Result<Option<CanFrame>, Error> {
        if !self.running {
            return Err(nb::Error::Other(Error::NotInitialised));
        }
        if self.read_status() & es::BOFF != 0 {
            return Err(nb::Error::Other(Error::BusOff));
        }
        if self.tx_next > self.tx_last() {
            if (self.tx_first()..=self.tx_last()).any(|obj| self.tx_pending(obj)) {
                return Err(nb::Error::WouldBlock);
            }
            self.tx_next = self.tx_first();
        }
        let obj = self.tx_next;
        if self.tx_pending(obj) {
            return Err(nb::Error::WouldBlock);
        }

        // Dir = 1 sends a data frame; Dir = 0 with TxRqst sends a remote frame.
        let dir = if frame.is_remote_frame() {
            0
        } else {
            ifarb::DIR
        };
        self.regs
            .write(IF1.arb, frame.arb_id() | dir | ifarb::MSGVAL);
        // EoB must be set on objects that are not part of a FIFO (IFxMCTL.EoB).
        self.regs.write(IF1.mctl, frame.dlc() as u32 | ifmctl::EOB);
        self.write_data(IF1, frame.raw_data());
        // TxRqst/NewDat in the command sets both bits in the object.
        self.transfer(
            IF1,
            obj,
            ifcmd::WR
                | ifcmd::ARB
                | ifcmd::CONTROL
                | ifcmd::DATA_A
                | ifcmd::DATA_B
                | ifcmd::TXRQST_NEWDAT,
        )?;
        self.tx_next = obj + 1;
        Ok(None)
    }

    /// Whether object `obj` still has a transmission request pending (TXRQxx).
    fn tx_pending(&mut self, obj: u8) -> bool {
        self.regs.read(object_word(TXRQ12, obj)) & object_bit(obj) != 0
    }
}
