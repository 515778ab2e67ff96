//! The model's registers as the CPU sees them: reset values, masks, side effects of reads
//! and writes (TRM section 21.5, "I2C Registers").

use super::{Am335xI2cModel, Phase};
use crate::registers::Registers;
use crate::regs::{self, buf, bufstat, con, status, sysc, syss, FIFO_DEPTH};

/// Writable bits of SYSC: AUTOIDLE, SRST, ENAWAKEUP, IDLEMODE, CLKACTIVITY.
const SYSC_MASK: u32 = 0x031F;
/// Bits CON really has.
const CON_MASK: u32 = con::I2C_EN
    | con::OPMODE_MASK
    | con::STB
    | con::MST
    | con::TRX
    | con::XSA
    | 0xF0 // XOA3..XOA0
    | con::STP
    | con::STT;
/// Bits BUF keeps (thresholds and DMA enables; the FIFO clears read back 0).
const BUF_MASK: u32 = buf::TXTRSH_MASK | (1 << 7) | buf::RXTRSH_MASK | (1 << 15);
/// BUFSTAT.FIFODEPTH code of the AM335x: 8 << 2 = 32 bytes.
const FIFODEPTH_32: u32 = 2 << bufstat::FIFODEPTH_SHIFT;

impl Am335xI2cModel<'_> {
    /// Reads a register as [`Registers::read`] would, but without letting time pass or
    /// side effects (DATA is not popped): for tests to look at the state.
    pub fn peek(&self, offset: u32) -> u32 {
        match offset {
            regs::SYSC => self.sysc,
            regs::IRQSTATUS_RAW => self.raw_status(),
            // BB is a bus state, visible whatever the enables (Linux and Zephyr poll BB
            // through this view).
            regs::IRQSTATUS => (self.irq_raw & self.irq_enable) | (self.raw_status() & status::BB),
            regs::IRQENABLE_SET | regs::IRQENABLE_CLR => self.irq_enable,
            regs::WE => self.we,
            regs::SYSS => u32::from(self.rdone) * syss::RDONE,
            regs::BUF => self.buf,
            // Between START and STOP, CNT reads the bytes still to go; otherwise the value
            // written (TRM, I2C_CNT).
            regs::CNT if self.owned => self.remaining & 0xFFFF,
            regs::CNT => self.cnt,
            regs::DATA => self.rx.front().map_or(0, |&byte| u32::from(byte)),
            regs::CON => self.con,
            regs::OA => self.oa,
            regs::SA => self.sa,
            regs::PSC => self.psc,
            regs::SCLL => self.scll,
            regs::SCLH => self.sclh,
            regs::BUFSTAT => self.bufstat(),
            _ => 0,
        }
    }

    /// IRQSTATUS_RAW: the events plus BB from the bus state.
    pub(super) fn raw_status(&self) -> u32 {
        let busy = self.owned || self.bus_held || self.foreign_polls > 0;
        self.irq_raw | if busy { status::BB } else { 0 }
    }

    fn bufstat(&self) -> u32 {
        let tx_writable = match self.phase {
            Phase::Transfer { read: false } => {
                let needed = (self.remaining as usize).saturating_sub(self.tx.len());
                needed.min(FIFO_DEPTH - self.tx.len())
            }
            _ => 0,
        };
        FIFODEPTH_32 | ((self.rx.len() as u32) << bufstat::RXSTAT_SHIFT) | tx_writable as u32
    }

    /// Every register to its reset value, FIFOs empty, the bus abandoned. Targets,
    /// faults and the trace are outside the controller and stay.
    pub(super) fn reset_registers(&mut self) {
        self.sysc = 0;
        self.we = 0;
        self.irq_enable = 0;
        self.irq_raw = 0;
        self.con = 0;
        self.oa = 0;
        self.sa = 0;
        self.psc = 0;
        self.scll = 0;
        self.sclh = 0;
        self.buf = 0;
        self.cnt = 0;
        self.remaining = 0;
        self.hold_in_reset();
    }

    /// What clearing I2C_EN does: the state machine, FIFOs and events are reset, the
    /// configuration stays. A bus the controller held is let go without a STOP.
    fn hold_in_reset(&mut self) {
        self.tx.clear();
        self.rx.clear();
        self.irq_raw = 0;
        self.phase = Phase::Idle;
        self.owned = false;
        self.current = None;
        self.con &= !(con::STT | con::STP);
    }

    fn write_con(&mut self, value: u32) {
        let was_enabled = self.con & con::I2C_EN != 0;
        self.con = value & CON_MASK;
        if was_enabled && self.con & con::I2C_EN == 0 {
            self.hold_in_reset();
        }
    }

    fn enabled(&self) -> bool {
        self.con & con::I2C_EN != 0
    }
}

impl Registers for Am335xI2cModel<'_> {
    fn read(&mut self, offset: u32) -> u32 {
        self.step();
        let value = self.peek(offset);
        if offset == regs::DATA {
            self.rx.pop_front();
        }
        value
    }

    fn write(&mut self, offset: u32, value: u32) {
        match offset {
            regs::SYSC => {
                if value & sysc::SRST != 0 {
                    // Soft reset: everything back to reset values; RDONE rises once the
                    // module is enabled again (see `step`).
                    self.reset_registers();
                    self.rdone = false;
                    self.reset_pending = true;
                } else {
                    self.sysc = value & SYSC_MASK;
                }
            }
            regs::IRQSTATUS_RAW => self.irq_raw |= value & status::EVENTS,
            regs::IRQSTATUS => self.irq_raw &= !(value & status::EVENTS),
            regs::IRQENABLE_SET => self.irq_enable |= value & status::EVENTS,
            regs::IRQENABLE_CLR => self.irq_enable &= !(value & status::EVENTS),
            regs::WE => self.we = value & status::EVENTS,
            regs::BUF => {
                if value & buf::TXFIFO_CLR != 0 {
                    self.tx.clear();
                }
                if value & buf::RXFIFO_CLR != 0 {
                    self.rx.clear();
                }
                self.buf = value & BUF_MASK;
            }
            regs::CNT => {
                self.cnt = value & 0xFFFF;
                if !matches!(self.phase, Phase::Transfer { .. }) {
                    self.remaining = self.cnt;
                }
            }
            regs::DATA => {
                // A full FIFO drops the byte.
                let _ = self.tx.push_back(value as u8);
            }
            regs::CON => self.write_con(value),
            regs::OA => self.oa = value & 0x3FF,
            regs::SA => self.sa = value & 0x3FF,
            // The TRM allows the clock dividers to change only while the module is
            // disabled; the model ignores them otherwise so a driver that forgets fails.
            regs::PSC if !self.enabled() => self.psc = value & 0xFF,
            regs::SCLL if !self.enabled() => self.scll = value & 0xFFFF,
            regs::SCLH if !self.enabled() => self.sclh = value & 0xFFFF,
            _ => {}
        }
    }
}
