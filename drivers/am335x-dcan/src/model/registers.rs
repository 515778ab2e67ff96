//! What each register offset of the model reads and writes: ES with its
//! clear-on-read, ERRC, INT, the per-object flag words and their X summaries, CTL
//! (Init, software reset), the write protection of BTR and TEST, and the IF1/IF2
//! register sets with Busy.

use super::DcanModel;
use crate::registers::Registers;
use crate::regs::{self, btr, ctl, errc, es, ifarb, ifcmd, ifmctl, int, test, MESSAGE_OBJECTS};
use crate::status::Lec;

use super::objects::MessageObject;

/// CTL bits software can write (SWR is handled separately; InitDbg is read only).
const CTL_WRITABLE: u32 = ctl::INIT
    | ctl::IE0
    | ctl::SIE
    | ctl::EIE
    | ctl::DAR
    | ctl::CCE
    | ctl::TEST
    | ctl::IDS
    | ctl::ABO
    | ctl::PMD_MASK
    | ctl::IE1
    | ctl::DE1
    | ctl::DE2
    | ctl::DE3
    | ctl::PDR
    | ctl::WUBA;
/// BTR bits that exist.
const BTR_BITS: u32 =
    btr::BRP_MASK | btr::SJW_MASK | btr::TSEG1_MASK | btr::TSEG2_MASK | btr::BRPE_MASK;
/// TEST bits software can write.
const TEST_WRITABLE: u32 = test::SILENT | test::LBACK | test::TX_MASK | test::EXL | test::RDA;

impl DcanModel {
    /// ES as it reads, without the clear-on-read side effect.
    fn es_value(&self) -> u32 {
        let mut value = self.lec.bits();
        if self.tx_ok {
            value |= es::TX_OK;
        }
        if self.rx_ok {
            value |= es::RX_OK;
        }
        if !self.started {
            value |= es::EPASS | es::EWARN;
        } else {
            if self.tec >= 96 || self.rec >= 96 {
                value |= es::EWARN;
            }
            if self.tec >= 128 || self.rec >= 128 {
                value |= es::EPASS;
            }
        }
        if self.bus_off {
            value |= es::BOFF;
        }
        value
    }

    fn errc_value(&self) -> u32 {
        let mut value =
            u32::from(self.tec.min(255)) | (u32::from(self.rec.min(127)) << errc::REC_SHIFT);
        if self.rec >= 128 {
            value |= errc::RP;
        }
        value
    }

    /// Lowest-numbered object with IntPnd routed to interrupt line `line` (INTMUX).
    fn pending_interrupt(&self, line: u32) -> u32 {
        (1..=MESSAGE_OBJECTS)
            .find(|&n| {
                let o = &self.objects[usize::from(n) - 1];
                let word = self.intmux[usize::from(n - 1) / 32];
                o.mctl & ifmctl::INTPND != 0 && u32::from(word & regs::object_bit(n) != 0) == line
            })
            .map_or(0, u32::from)
    }

    fn int_value(&self) -> u32 {
        let status = self.ctl & (ctl::SIE | ctl::EIE) != 0 && self.es_value() != 0x07;
        let int0 = if status {
            int::STATUS
        } else {
            self.pending_interrupt(0)
        };
        int0 | (self.pending_interrupt(1) << int::INT1ID_SHIFT)
    }

    /// One 32-object word of a per-object flag (TXRQ, NWDAT, INTPND, MSGVAL).
    fn flag_word(&self, word: u32, flag: fn(&MessageObject) -> bool) -> u32 {
        (0..32u32)
            .filter(|bit| {
                let index = (word * 32 + bit) as usize;
                self.objects.get(index).is_some_and(flag)
            })
            .fold(0, |acc, bit| acc | 1 << bit)
    }

    /// The X register of a flag: bit k set if any of objects 8k+1..=8k+8 has it.
    fn flag_summary(&self, flag: fn(&MessageObject) -> bool) -> u32 {
        self.objects
            .chunks(8)
            .enumerate()
            .filter(|(_, group)| group.iter().any(flag))
            .fold(0, |acc, (k, _)| acc | 1 << k)
    }

    fn write_ctl(&mut self, value: u32) {
        if value & ctl::SWR != 0 && self.ctl & ctl::INIT != 0 {
            self.reset_registers();
            return;
        }
        let was_init = self.ctl & ctl::INIT != 0;
        self.ctl = value & CTL_WRITABLE;
        if self.ctl & ctl::TEST == 0 {
            self.test = 0;
        }
        if was_init && self.ctl & ctl::INIT == 0 {
            self.started = true;
            self.run_bus();
        }
    }

    fn interface_index(offset: u32) -> Option<(usize, u32)> {
        match offset {
            0x100..=0x114 => Some((0, offset - 0x100)),
            0x120..=0x134 => Some((1, offset - 0x120)),
            _ => None,
        }
    }

    fn read_interface(&mut self, index: usize, reg: u32) -> u32 {
        let stuck = self.stuck_busy;
        let iface = &mut self.interfaces[index];
        match reg {
            0x00 => {
                let busy = stuck || iface.busy_reads_left > 0;
                iface.busy_reads_left = iface.busy_reads_left.saturating_sub(1);
                if busy {
                    iface.cmd | ifcmd::BUSY
                } else {
                    iface.cmd
                }
            }
            0x04 => iface.msk,
            0x08 => iface.arb,
            0x0C => iface.mctl,
            0x10 => {
                u32::from_le_bytes([iface.data[0], iface.data[1], iface.data[2], iface.data[3]])
            }
            0x14 => {
                u32::from_le_bytes([iface.data[4], iface.data[5], iface.data[6], iface.data[7]])
            }
            _ => 0,
        }
    }

    fn write_interface(&mut self, index: usize, reg: u32, value: u32) {
        let stuck = self.stuck_busy;
        let iface = &mut self.interfaces[index];
        // While Busy, the IF register set is write protected (IFxCMD.Busy description).
        if stuck || iface.busy_reads_left > 0 {
            self.ignored_writes += 1;
            return;
        }
        let bytes = value.to_le_bytes();
        match reg {
            0x00 => {
                iface.cmd = value & !ifcmd::BUSY;
                iface.busy_reads_left = self.busy_reads;
                let number = value & ifcmd::MSG_NUM_MASK;
                if (1..=u32::from(MESSAGE_OBJECTS)).contains(&number) {
                    iface.transfer(&mut self.objects[number as usize - 1]);
                    self.run_bus();
                }
            }
            0x04 => iface.msk = value | regs::ifmsk::RESERVED_ONE,
            0x08 => iface.arb = value,
            0x0C => iface.mctl = value & 0xFFFF,
            0x10 => iface.data[..4].copy_from_slice(&bytes),
            0x14 => iface.data[4..].copy_from_slice(&bytes),
            _ => self.ignored_writes += 1,
        }
    }
}

fn has_txrqst(o: &MessageObject) -> bool {
    o.mctl & ifmctl::TXRQST != 0
}

fn has_newdat(o: &MessageObject) -> bool {
    o.mctl & ifmctl::NEWDAT != 0
}

fn has_intpnd(o: &MessageObject) -> bool {
    o.mctl & ifmctl::INTPND != 0
}

fn has_msgval(o: &MessageObject) -> bool {
    o.arb & ifarb::MSGVAL != 0
}

impl Registers for DcanModel {
    fn read(&mut self, offset: u32) -> u32 {
        if let Some((index, reg)) = Self::interface_index(offset) {
            return self.read_interface(index, reg);
        }
        match offset {
            regs::CTL => self.ctl,
            regs::ES => {
                let value = self.es_value();
                // Reading ES clears TxOk, RxOk (and PER, WakeUpPnd) and sets LEC to 7.
                self.tx_ok = false;
                self.rx_ok = false;
                self.lec = Lec::NoEvent;
                value
            }
            regs::ERRC => self.errc_value(),
            regs::BTR => self.btr,
            regs::INT => self.int_value(),
            // CAN_RX reads recessive: the model's bus is idle between frames.
            regs::TEST => self.test | test::RX,
            regs::ABOTR => self.abotr,
            regs::TXRQ_X => self.flag_summary(has_txrqst),
            regs::NWDAT_X => self.flag_summary(has_newdat),
            regs::INTPND_X => self.flag_summary(has_intpnd),
            regs::MSGVAL_X => self.flag_summary(has_msgval),
            regs::TXRQ12..=regs::TXRQ78 => self.flag_word((offset - regs::TXRQ12) / 4, has_txrqst),
            regs::NWDAT12..=regs::NWDAT78 => {
                self.flag_word((offset - regs::NWDAT12) / 4, has_newdat)
            }
            regs::INTPND12..=regs::INTPND78 => {
                self.flag_word((offset - regs::INTPND12) / 4, has_intpnd)
            }
            regs::MSGVAL12..=regs::MSGVAL78 => {
                self.flag_word((offset - regs::MSGVAL12) / 4, has_msgval)
            }
            regs::INTMUX12 => self.intmux[0],
            regs::INTMUX34 => self.intmux[1],
            regs::TIOC => self.tioc,
            regs::RIOC => self.rioc,
            _ => 0,
        }
    }

    fn write(&mut self, offset: u32, value: u32) {
        if let Some((index, reg)) = Self::interface_index(offset) {
            self.write_interface(index, reg, value);
            return;
        }
        match offset {
            regs::CTL => self.write_ctl(value),
            // Only LEC is writable (software may write 7 to watch for updates).
            regs::ES => self.lec = Lec::from_es(value),
            regs::BTR => {
                if self.ctl & (ctl::INIT | ctl::CCE) == ctl::INIT | ctl::CCE {
                    self.btr = value & BTR_BITS;
                } else {
                    self.ignored_writes += 1;
                }
            }
            regs::TEST => {
                if self.ctl & ctl::TEST != 0 {
                    self.test = value & TEST_WRITABLE;
                } else {
                    self.ignored_writes += 1;
                }
            }
            regs::ABOTR => self.abotr = value,
            regs::INTMUX12 => self.intmux[0] = value,
            regs::INTMUX34 => self.intmux[1] = value,
            regs::TIOC => self.tioc = value,
            regs::RIOC => self.rioc = value,
            _ => self.ignored_writes += 1,
        }
    }
}
