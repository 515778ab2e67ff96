//! The model's message RAM and IF1/IF2 register sets: what an IFxCMD write moves
//! between them (TRM IFxCMD description, §23.3.15.4–9), and acceptance filtering of
//! one object against an incoming frame (§23.3.15.6).

use crate::regs::{ifarb, ifcmd, ifmctl, ifmsk};

/// One message object as the message RAM holds it (register images, not decoded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MessageObject {
    /// Mask bits: Msk28–0, MDir, MXtd (IFxMSK layout).
    pub msk: u32,
    /// Arbitration bits: ID28–0, Dir, Xtd, MsgVal (IFxARB layout).
    pub arb: u32,
    /// Message control bits (IFxMCTL layout).
    pub mctl: u32,
    /// Data bytes 0–7.
    pub data: [u8; 8],
}

/// Message control bits that exist in the object (DLC, EoB, TxRqst … NewDat).
const MCTL_BITS: u32 = 0xFF8F;
/// Mask register bits that exist in the object.
const MSK_BITS: u32 = ifmsk::MSK_MASK | ifmsk::MDIR | ifmsk::MXTD;

impl MessageObject {
    /// MsgVal: the message handler considers this object.
    pub fn is_valid(&self) -> bool {
        self.arb & ifarb::MSGVAL != 0
    }

    /// A FIFO member holding unread data: NewDat set while EoB is clear locks the
    /// object against further storing (TRM §23.3.15.11).
    pub(super) fn is_locked(&self) -> bool {
        self.mctl & ifmctl::NEWDAT != 0 && self.mctl & ifmctl::EOB == 0
    }

    /// Whether a frame with IFxARB-style identifier `frame_arb` (ID and Xtd) and the
    /// given RTR bit passes this object's acceptance filter.
    pub(super) fn accepts(&self, frame_arb: u32, remote: bool) -> bool {
        if !self.is_valid() {
            return false;
        }
        // Without UMask every identifier bit, Xtd and Dir must match.
        let (id_mask, use_xtd, use_dir) = if self.mctl & ifmctl::UMASK != 0 {
            (
                self.msk & ifmsk::MSK_MASK,
                self.msk & ifmsk::MXTD != 0,
                self.msk & ifmsk::MDIR != 0,
            )
        } else {
            (ifmsk::MSK_MASK, true, true)
        };
        let frame_xtd = frame_arb & ifarb::XTD != 0;
        if use_xtd && (self.arb & ifarb::XTD != 0) != frame_xtd {
            return false;
        }
        // A remote frame matches Dir = 1 (transmit) objects, a data frame Dir = 0.
        if use_dir && (self.arb & ifarb::DIR != 0) != remote {
            return false;
        }
        // A standard identifier only occupies ID28–18 (IFxMSK.MXtd description).
        let compared = if frame_xtd {
            id_mask
        } else {
            id_mask & (0x7FF << ifarb::STD_ID_SHIFT)
        };
        (self.arb ^ frame_arb) & compared == 0
    }
}

/// One IF1/IF2 register set and its Busy countdown.
#[derive(Clone, Copy, Debug)]
pub(super) struct Interface {
    pub cmd: u32,
    pub msk: u32,
    pub arb: u32,
    pub mctl: u32,
    pub data: [u8; 8],
    /// Reads of IFxCMD that still show Busy.
    pub busy_reads_left: u32,
}

impl Interface {
    /// Reset values (IFxMSK resets to MXtd | MDir | reserved).
    pub fn reset() -> Self {
        Self {
            cmd: 0,
            msk: ifmsk::MXTD | ifmsk::MDIR | ifmsk::RESERVED_ONE,
            arb: 0,
            mctl: 0,
            data: [0; 8],
            busy_reads_left: 0,
        }
    }

    /// Carries out the transfer that `cmd` (already stored) asks for.
    pub fn transfer(&mut self, object: &mut MessageObject) {
        let cmd = self.cmd;
        if cmd & ifcmd::WR != 0 {
            if cmd & ifcmd::MASK != 0 {
                object.msk = self.msk & MSK_BITS;
            }
            if cmd & ifcmd::ARB != 0 {
                object.arb = self.arb;
            }
            if cmd & ifcmd::CONTROL != 0 {
                object.mctl = self.mctl & MCTL_BITS;
            }
            copy_data(cmd, &self.data, &mut object.data);
            // ClrIntPnd is ignored in this direction.
            if cmd & ifcmd::TXRQST_NEWDAT != 0 {
                object.mctl |= ifmctl::TXRQST | ifmctl::NEWDAT;
            }
            // After a write the IF set holds a copy of the whole object (TRM §23.3.15.5).
            self.msk = object.msk | ifmsk::RESERVED_ONE;
            self.arb = object.arb;
            self.mctl = object.mctl;
            self.data = object.data;
        } else {
            if cmd & ifcmd::MASK != 0 {
                self.msk = object.msk | ifmsk::RESERVED_ONE;
            }
            if cmd & ifcmd::ARB != 0 {
                self.arb = object.arb;
            }
            // The IF copy shows IntPnd and NewDat as they were before being cleared.
            if cmd & ifcmd::CONTROL != 0 {
                self.mctl = object.mctl;
            }
            copy_data(cmd, &object.data, &mut self.data);
            if cmd & ifcmd::CLR_INTPND != 0 {
                object.mctl &= !ifmctl::INTPND;
            }
            if cmd & ifcmd::TXRQST_NEWDAT != 0 {
                object.mctl &= !ifmctl::NEWDAT;
            }
        }
    }
}

/// Copies the data halves selected by Data_A/Data_B from `from` to `to`.
fn copy_data(cmd: u32, from: &[u8; 8], to: &mut [u8; 8]) {
    if cmd & ifcmd::DATA_A != 0 {
        to[..4].copy_from_slice(&from[..4]);
    }
    if cmd & ifcmd::DATA_B != 0 {
        to[4..].copy_from_slice(&from[4..]);
    }
}
