//! Register offsets and bit fields of the D_CAN module, as listed in the AM335x TRM
//! (SPRUH73, §23.4.1 "DCAN Registers"). Offsets are relative to the module base
//! ([`base`]); the driver and the model both use these names, so a typo here shows up
//! as a failing model test rather than as silently wrong hardware access.

/// Module base addresses on the AM335x (TRM memory map, L4_PER).
pub mod base {
    /// DCAN0 register base.
    pub const DCAN0: usize = 0x481C_C000;
    /// DCAN1 register base (the BeagleBone Black's P9.24/P9.26 pins).
    pub const DCAN1: usize = 0x481D_0000;
}

/// Number of message objects in the AM335x message RAM.
pub const MESSAGE_OBJECTS: u8 = 64;

/// CAN control register.
pub const CTL: u32 = 0x00;
/// Error and status register (reading it clears TxOk, RxOk, PER, WakeUpPnd; LEC becomes 7).
pub const ES: u32 = 0x04;
/// Error counter register.
pub const ERRC: u32 = 0x08;
/// Bit timing register (writable only with CTL.Init and CTL.CCE set).
pub const BTR: u32 = 0x0C;
/// Interrupt register.
pub const INT: u32 = 0x10;
/// Test register (writable only with CTL.Test set).
pub const TEST: u32 = 0x14;
/// Parity error code register.
pub const PERR: u32 = 0x1C;
/// Auto-bus-on time register.
pub const ABOTR: u32 = 0x80;
/// Transmission request X register (one bit per group of eight objects).
pub const TXRQ_X: u32 = 0x84;
/// Transmission request register for objects 1–32.
pub const TXRQ12: u32 = 0x88;
/// Transmission request register for objects 33–64.
pub const TXRQ34: u32 = 0x8C;
/// Transmission request register for objects 65–96 (not implemented on the AM335x).
pub const TXRQ56: u32 = 0x90;
/// Transmission request register for objects 97–128 (not implemented on the AM335x).
pub const TXRQ78: u32 = 0x94;
/// New data X register.
pub const NWDAT_X: u32 = 0x98;
/// New data register for objects 1–32.
pub const NWDAT12: u32 = 0x9C;
/// New data register for objects 33–64.
pub const NWDAT34: u32 = 0xA0;
/// New data register for objects 65–96.
pub const NWDAT56: u32 = 0xA4;
/// New data register for objects 97–128.
pub const NWDAT78: u32 = 0xA8;
/// Interrupt pending X register.
pub const INTPND_X: u32 = 0xAC;
/// Interrupt pending register for objects 1–32.
pub const INTPND12: u32 = 0xB0;
/// Interrupt pending register for objects 33–64.
pub const INTPND34: u32 = 0xB4;
/// Interrupt pending register for objects 65–96.
pub const INTPND56: u32 = 0xB8;
/// Interrupt pending register for objects 97–128.
pub const INTPND78: u32 = 0xBC;
/// Message valid X register.
pub const MSGVAL_X: u32 = 0xC0;
/// Message valid register for objects 1–32.
pub const MSGVAL12: u32 = 0xC4;
/// Message valid register for objects 33–64.
pub const MSGVAL34: u32 = 0xC8;
/// Message valid register for objects 65–96.
pub const MSGVAL56: u32 = 0xCC;
/// Message valid register for objects 97–128.
pub const MSGVAL78: u32 = 0xD0;
/// Interrupt multiplexer register for objects 1–32 (0 = line 0, 1 = line 1).
pub const INTMUX12: u32 = 0xD8;
/// Interrupt multiplexer register for objects 33–64.
pub const INTMUX34: u32 = 0xDC;
/// Interrupt multiplexer register for objects 65–96.
pub const INTMUX56: u32 = 0xE0;
/// Interrupt multiplexer register for objects 97–128.
pub const INTMUX78: u32 = 0xE4;
/// IF3 observation register (IF3 is not used by the driver).
pub const IF3OBS: u32 = 0x140;
/// CAN_TX pin IO control register.
pub const TIOC: u32 = 0x1E0;
/// CAN_RX pin IO control register.
pub const RIOC: u32 = 0x1E4;

/// Offsets of one IF1/IF2 interface register set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfRegs {
    /// IFxCMD: command (direction, selection bits, Busy, message number).
    pub cmd: u32,
    /// IFxMSK: identifier mask, MDir, MXtd.
    pub msk: u32,
    /// IFxARB: identifier, Dir, Xtd, MsgVal.
    pub arb: u32,
    /// IFxMCTL: message control (DLC, EoB, TxRqst, …, NewDat).
    pub mctl: u32,
    /// IFxDATA: data bytes 0–3 (byte 0 in bits 7:0).
    pub data: u32,
    /// IFxDATB: data bytes 4–7.
    pub datb: u32,
}

impl IfRegs {
    const fn at(base: u32) -> Self {
        Self {
            cmd: base,
            msk: base + 0x04,
            arb: base + 0x08,
            mctl: base + 0x0C,
            data: base + 0x10,
            datb: base + 0x14,
        }
    }
}

/// Interface register set 1 (the driver uses it for configuration and transmit).
pub const IF1: IfRegs = IfRegs::at(0x100);
/// Interface register set 2 (the driver uses it for receive).
pub const IF2: IfRegs = IfRegs::at(0x120);

/// Offset of the TXRQ/NWDAT/INTPND/MSGVAL/INTMUX word holding message object `obj`
/// (1-based), given the offset of the word for objects 1–32.
pub const fn object_word(first_word: u32, obj: u8) -> u32 {
    first_word + ((obj as u32 - 1) / 32) * 4
}

/// Bit of message object `obj` (1-based) inside its TXRQ/NWDAT/INTPND/MSGVAL word.
pub const fn object_bit(obj: u8) -> u32 {
    1 << ((obj as u32 - 1) % 32)
}

/// CTL bits.
pub mod ctl {
    /// Initialization mode: the controller takes no part in bus traffic.
    pub const INIT: u32 = 1 << 0;
    /// Interrupt line 0 enable.
    pub const IE0: u32 = 1 << 1;
    /// Status change interrupt enable.
    pub const SIE: u32 = 1 << 2;
    /// Error interrupt enable.
    pub const EIE: u32 = 1 << 3;
    /// Disable automatic retransmission.
    pub const DAR: u32 = 1 << 5;
    /// Configuration change enable (BTR writable while Init is set).
    pub const CCE: u32 = 1 << 6;
    /// Test mode enable (TEST writable).
    pub const TEST: u32 = 1 << 7;
    /// Interruption debug support enable.
    pub const IDS: u32 = 1 << 8;
    /// Auto-bus-on enable.
    pub const ABO: u32 = 1 << 9;
    /// Parity mode field position.
    pub const PMD_SHIFT: u32 = 10;
    /// Parity mode field.
    pub const PMD_MASK: u32 = 0xF << PMD_SHIFT;
    /// Parity mode value that disables the parity function (the reset value).
    pub const PMD_PARITY_OFF: u32 = 0x5 << PMD_SHIFT;
    /// Software reset (only while Init is set; self-clearing).
    pub const SWR: u32 = 1 << 15;
    /// Internal init state while debug access.
    pub const INIT_DBG: u32 = 1 << 16;
    /// Interrupt line 1 enable.
    pub const IE1: u32 = 1 << 17;
    /// DMA request line enable for IF1.
    pub const DE1: u32 = 1 << 18;
    /// DMA request line enable for IF2.
    pub const DE2: u32 = 1 << 19;
    /// DMA request line enable for IF3.
    pub const DE3: u32 = 1 << 20;
    /// Local power-down mode request.
    pub const PDR: u32 = 1 << 24;
    /// Wake up on bus activity.
    pub const WUBA: u32 = 1 << 25;
    /// Reset value: Init set, parity off.
    pub const RESET: u32 = 0x0000_1401;
}

/// ES bits.
pub mod es {
    /// Last error code field (see [`crate::Lec`]).
    pub const LEC_MASK: u32 = 0x7;
    /// A message was transmitted successfully since the last read.
    pub const TX_OK: u32 = 1 << 3;
    /// A message was received successfully since the last read.
    pub const RX_OK: u32 = 1 << 4;
    /// Error passive.
    pub const EPASS: u32 = 1 << 5;
    /// An error counter reached the warning limit of 96.
    pub const EWARN: u32 = 1 << 6;
    /// Bus-off.
    pub const BOFF: u32 = 1 << 7;
    /// Parity error detected in the message RAM.
    pub const PER: u32 = 1 << 8;
    /// Wake up pending.
    pub const WAKEUP_PND: u32 = 1 << 9;
    /// Local power-down mode acknowledge.
    pub const PDA: u32 = 1 << 10;
    /// Reset value as the TRM documents it (EWarn, EPass, TxOk, LEC = 7).
    pub const RESET: u32 = 0x6F;
}

/// ERRC fields.
pub mod errc {
    /// Transmit error counter.
    pub const TEC_MASK: u32 = 0xFF;
    /// Receive error counter position.
    pub const REC_SHIFT: u32 = 8;
    /// Receive error counter (7 bits; RP marks a count of 128 or more).
    pub const REC_MASK: u32 = 0x7F << REC_SHIFT;
    /// Receive error passive: the receive error counter reached 128.
    pub const RP: u32 = 1 << 15;
}

/// BTR fields; every field holds its functional value minus one.
pub mod btr {
    /// Baud rate prescaler, low 6 bits.
    pub const BRP_MASK: u32 = 0x3F;
    /// Synchronisation jump width position.
    pub const SJW_SHIFT: u32 = 6;
    /// Synchronisation jump width.
    pub const SJW_MASK: u32 = 0x3 << SJW_SHIFT;
    /// Time segment before the sample point, position.
    pub const TSEG1_SHIFT: u32 = 8;
    /// Time segment before the sample point.
    pub const TSEG1_MASK: u32 = 0xF << TSEG1_SHIFT;
    /// Time segment after the sample point, position.
    pub const TSEG2_SHIFT: u32 = 12;
    /// Time segment after the sample point.
    pub const TSEG2_MASK: u32 = 0x7 << TSEG2_SHIFT;
    /// Baud rate prescaler extension position (prescaler bits 9:6).
    pub const BRPE_SHIFT: u32 = 16;
    /// Baud rate prescaler extension.
    pub const BRPE_MASK: u32 = 0xF << BRPE_SHIFT;
    /// Reset value (500 kbit/s from an 8 MHz clock).
    pub const RESET: u32 = 0x2301;
}

/// INT fields.
pub mod int {
    /// Interrupt line 0 identifier.
    pub const INT0ID_MASK: u32 = 0xFFFF;
    /// Interrupt line 1 identifier position.
    pub const INT1ID_SHIFT: u32 = 16;
    /// Interrupt line 1 identifier.
    pub const INT1ID_MASK: u32 = 0xFF << INT1ID_SHIFT;
    /// Int0ID value of a pending status interrupt.
    pub const STATUS: u32 = 0x8000;
}

/// TEST bits.
pub mod test {
    /// Silent mode.
    pub const SILENT: u32 = 1 << 3;
    /// Internal loopback mode.
    pub const LBACK: u32 = 1 << 4;
    /// CAN_TX pin control position.
    pub const TX_SHIFT: u32 = 5;
    /// CAN_TX pin control.
    pub const TX_MASK: u32 = 0x3 << TX_SHIFT;
    /// CAN_RX pin monitor (read only).
    pub const RX: u32 = 1 << 7;
    /// External loopback mode.
    pub const EXL: u32 = 1 << 8;
    /// RAM direct access enable.
    pub const RDA: u32 = 1 << 9;
}

/// PERR fields.
pub mod perr {
    /// Message object with the parity error.
    pub const MSG_NUM_MASK: u32 = 0xFF;
    /// Word number position.
    pub const WORD_NUM_SHIFT: u32 = 8;
    /// Word number where the parity error was detected.
    pub const WORD_NUM_MASK: u32 = 0x7 << WORD_NUM_SHIFT;
}

/// IFxCMD bits.
pub mod ifcmd {
    /// Message object number (1–64 valid on the AM335x).
    pub const MSG_NUM_MASK: u32 = 0xFF;
    /// DMA request after the transfer.
    pub const DMA_ACTIVE: u32 = 1 << 14;
    /// A transfer between the IF registers and the message RAM is in progress.
    pub const BUSY: u32 = 1 << 15;
    /// Access data bytes 4–7.
    pub const DATA_B: u32 = 1 << 16;
    /// Access data bytes 0–3.
    pub const DATA_A: u32 = 1 << 17;
    /// Write: set TxRqst and NewDat. Read: clear NewDat in the object.
    pub const TXRQST_NEWDAT: u32 = 1 << 18;
    /// Read: clear IntPnd in the object (ignored on write).
    pub const CLR_INTPND: u32 = 1 << 19;
    /// Access the message control bits.
    pub const CONTROL: u32 = 1 << 20;
    /// Access the arbitration bits (ID, Dir, Xtd, MsgVal).
    pub const ARB: u32 = 1 << 21;
    /// Access the mask bits (Msk, MDir, MXtd).
    pub const MASK: u32 = 1 << 22;
    /// Direction: 1 = IF registers → message object, 0 = object → IF registers.
    pub const WR: u32 = 1 << 23;
}

/// IFxMSK bits.
pub mod ifmsk {
    /// Identifier mask (1 = bit takes part in acceptance filtering).
    pub const MSK_MASK: u32 = 0x1FFF_FFFF;
    /// Reserved bit that always reads as one.
    pub const RESERVED_ONE: u32 = 1 << 29;
    /// Use the Dir bit for acceptance filtering.
    pub const MDIR: u32 = 1 << 30;
    /// Use the Xtd bit for acceptance filtering.
    pub const MXTD: u32 = 1 << 31;
}

/// IFxARB bits.
pub mod ifarb {
    /// Identifier (a standard identifier sits in bits 28:18).
    pub const ID_MASK: u32 = 0x1FFF_FFFF;
    /// Position of a standard (11-bit) identifier.
    pub const STD_ID_SHIFT: u32 = 18;
    /// Direction: 1 = transmit (data frame on TxRqst), 0 = receive (remote frame on TxRqst).
    pub const DIR: u32 = 1 << 29;
    /// Extended (29-bit) identifier.
    pub const XTD: u32 = 1 << 30;
    /// The message handler uses this object.
    pub const MSGVAL: u32 = 1 << 31;
}

/// IFxMCTL bits.
pub mod ifmctl {
    /// Data length code.
    pub const DLC_MASK: u32 = 0xF;
    /// End of buffer: last object of a FIFO, and set on every single object.
    pub const EOB: u32 = 1 << 7;
    /// Transmit request.
    pub const TXRQST: u32 = 1 << 8;
    /// A matching remote frame sets TxRqst.
    pub const RMTEN: u32 = 1 << 9;
    /// Receive interrupt enable.
    pub const RXIE: u32 = 1 << 10;
    /// Transmit interrupt enable.
    pub const TXIE: u32 = 1 << 11;
    /// Use the acceptance mask.
    pub const UMASK: u32 = 1 << 12;
    /// Interrupt pending.
    pub const INTPND: u32 = 1 << 13;
    /// A message was lost (overwritten while NewDat was set).
    pub const MSGLST: u32 = 1 << 14;
    /// New data.
    pub const NEWDAT: u32 = 1 << 15;
}
