//! Transfers between the IF1/IF2 register sets and the message RAM (TRM §23.3.14,
//! IFxCMD). Every transfer ends by waiting for IFxCMD.Busy to clear: while it is set
//! the IF registers are write-protected, so the next access would be lost.

use super::Dcan;
use crate::error::{Error, Wait};
use crate::registers::Registers;
use crate::regs::{ifarb, ifcmd, ifmctl, IfRegs, IF1};

impl<R: Registers> Dcan<R> {
    /// Starts a transfer of `obj` with the IFxCMD selection bits `flags` and waits for it.
    pub(super) fn transfer(&mut self, iface: IfRegs, obj: u8, flags: u32) -> Result<(), Error> {
        self.regs.write(iface.cmd, flags | u32::from(obj));
        self.wait_until(iface.cmd, ifcmd::BUSY, 0, Wait::InterfaceBusy)?;
        Ok(())
    }

    /// Makes `obj` invisible to the message handler (MsgVal = 0).
    pub(super) fn invalidate(&mut self, obj: u8) -> Result<(), Error> {
        self.regs.write(IF1.arb, 0);
        self.regs.write(IF1.mctl, 0);
        self.transfer(IF1, obj, ifcmd::WR | ifcmd::ARB | ifcmd::CONTROL)
    }

    /// Message control bits of a FIFO object at rest: mask in use, EoB on the last one
    /// (which chains the objects into one FIFO, TRM §23.3.14.5).
    pub(super) fn rx_control(&self, obj: u8) -> u32 {
        let eob = if obj == self.rx_last() {
            ifmctl::EOB
        } else {
            0
        };
        ifmctl::UMASK | eob
    }

    /// Writes the acceptance filter into every FIFO object and validates them.
    pub(super) fn program_rx_fifo(&mut self) -> Result<(), Error> {
        let filter = self.config.filter;
        for obj in self.rx_first()..=self.rx_last() {
            self.regs.write(IF1.msk, filter.msk);
            self.regs.write(IF1.arb, filter.arb | ifarb::MSGVAL);
            let control = self.rx_control(obj);
            self.regs.write(IF1.mctl, control);
            self.transfer(
                IF1,
                obj,
                ifcmd::WR | ifcmd::MASK | ifcmd::ARB | ifcmd::CONTROL,
            )?;
        }
        Ok(())
    }

    /// Reads the data bytes out of an IF register set (byte 0 in IFxDATA bits 7:0).
    pub(super) fn read_data(&mut self, iface: IfRegs) -> [u8; 8] {
        let a = self.regs.read(iface.data).to_le_bytes();
        let b = self.regs.read(iface.datb).to_le_bytes();
        [a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]]
    }

    /// Writes data bytes into an IF register set.
    pub(super) fn write_data(&mut self, iface: IfRegs, data: [u8; 8]) {
        self.regs.write(
            iface.data,
            u32::from_le_bytes([data[0], data[1], data[2], data[3]]),
        );
        self.regs.write(
            iface.datb,
            u32::from_le_bytes([data[4], data[5], data[6], data[7]]),
        );
    }
}
