//! Reading the receive FIFO in arrival order (TRM §23.3.15.11–12).
//!
//! The controller stores a frame in the lowest FIFO object whose NewDat is clear, and
//! overwrites the last (EoB) object when all are full, setting MsgLst. So the FIFO is
//! only a FIFO if objects are released in batches: the driver reads objects in
//! ascending order but leaves NewDat set on all but the EoB object, which keeps the
//! controller filling higher objects in order. Once it catches up (the next object is
//! empty, or the EoB object was read) it releases the whole batch at once. A frame
//! that arrived during that release landed in the object after the batch, the lowest
//! free one at the time, and is older than anything stored after the release: it is
//! read next, then reading starts over at the first object.
//!
//! The price: objects read but not yet released still take FIFO space, so callers
//! should drain until `WouldBlock` (which releases the batch) rather than take one
//! frame per poll.

use super::Dcan;
use crate::error::Error;
use crate::frame::{CanFrame, MessageObject};
use crate::registers::Registers;
use crate::regs::{ifarb, ifcmd, ifmctl, object_bit, object_word, IF2, NWDAT12};

impl<R: Registers> Dcan<R> {
    /// One frame from the FIFO, `WouldBlock` when it is empty.
    pub(super) fn receive_frame(&mut self) -> nb::Result<CanFrame, Error> {
        if !self.running {
            return Err(nb::Error::Other(Error::NotInitialised));
        }
        if let Some(frame) = self.rx.held.take() {
            return Ok(frame);
        }
        let next = self.rx.next;
        if next <= self.rx_last() && self.has_new_data(next) {
            return self.read_next(next);
        }
        if next == self.rx_first() {
            return Err(nb::Error::WouldBlock);
        }
        // Caught up with a batch: release it.
        self.release_batch()?;
        // The lowest free object while the batch was locked: `next`, or the EoB
        // object once it had been read.
        let slot = next.min(self.rx_last());
        if self.has_new_data(slot) {
            return self.read_fifo_object(slot, true);
        }
        let first = self.rx_first();
        if self.has_new_data(first) {
            return self.read_next(first);
        }
        Err(nb::Error::WouldBlock)
    }

    /// Reads `obj` as the next object of the current batch.
    fn read_next(&mut self, obj: u8) -> nb::Result<CanFrame, Error> {
        self.rx.next = obj + 1;
        // Only the EoB object is released on read; it can be overwritten anyway.
        self.read_fifo_object(obj, obj == self.rx_last())
    }

    /// Whether object `obj` holds new data (NWDATxx).
    fn has_new_data(&mut self, obj: u8) -> bool {
        self.regs.read(object_word(NWDAT12, obj)) & object_bit(obj) != 0
    }

    /// Clears NewDat on the objects read since the last release and restarts at the
    /// first object. The EoB object was already released when it was read.
    fn release_batch(&mut self) -> Result<(), Error> {
        let end = self.rx.next.min(self.rx_last());
        for obj in self.rx_first()..end {
            // Read direction with only TxRqst/NewDat selected: clears NewDat, moves nothing.
            self.transfer(IF2, obj, ifcmd::TXRQST_NEWDAT)?;
        }
        self.rx.next = self.rx_first();
        Ok(())
    }

    /// Copies `obj` out through IF2, clearing IntPnd, and NewDat too if `release`.
    fn read_fifo_object(&mut self, obj: u8, release: bool) -> nb::Result<CanFrame, Error> {
        let newdat = if release { ifcmd::TXRQST_NEWDAT } else { 0 };
        self.transfer(
            IF2,
            obj,
            ifcmd::ARB
                | ifcmd::CONTROL
                | ifcmd::DATA_A
                | ifcmd::DATA_B
                | ifcmd::CLR_INTPND
                | newdat,
        )?;
        let arb = self.regs.read(IF2.arb);
        let control = self.regs.read(IF2.mctl);
        let data = self.read_data(IF2);
        // A receive object stores the frame's RTR bit in Dir.
        let frame =
            CanFrame::from_parts(arb, arb & ifarb::DIR != 0, control & ifmctl::DLC_MASK, data);
        if control & ifmctl::MSGLST == 0 {
            return Ok(frame);
        }
        // MsgLst is never cleared by the controller. Rewriting the control bits clears
        // it; NewDat is written back as it should now be so an unreleased object stays
        // locked.
        let keep = if release { 0 } else { ifmctl::NEWDAT };
        let rest = self.rx_control(obj) | keep;
        self.regs.write(IF2.mctl, rest);
        self.transfer(IF2, obj, ifcmd::WR | ifcmd::CONTROL)?;
        self.rx.held = Some(frame);
        Err(nb::Error::Other(Error::Overrun))
    }
}
