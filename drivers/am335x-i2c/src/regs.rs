//! Register offsets and bit fields of the AM335x I2C controller.
//!
//! Offsets are from the module base (AM335x TRM, SPRUH73, chapter 21 "I2C", section
//! "I2C Registers"); the names are the TRM's without the `I2C_` prefix. The same IP block
//! is driven by Linux's `i2c-omap` ("IP v2" register layout), which agrees with these
//! offsets. Only what the driver or the model uses is listed.

/// Base address of I2C0 (the BeagleBone Black's on-board bus: PMIC, EEPROM).
pub const I2C0_BASE: usize = 0x44E0_B000;
/// Base address of I2C1.
pub const I2C1_BASE: usize = 0x4802_A000;
/// Base address of I2C2 (the cape bus on P9.19/P9.20).
pub const I2C2_BASE: usize = 0x4819_C000;

/// System configuration: soft reset, idle modes.
pub const SYSC: u32 = 0x10;
/// Raw interrupt status: every event, enabled or not. Writing 1 sets a bit (debug).
pub const IRQSTATUS_RAW: u32 = 0x24;
/// Interrupt status of the enabled events. Writing 1 clears a bit (in the raw view too).
pub const IRQSTATUS: u32 = 0x28;
/// Interrupt enable: writing 1 enables an event; reads the enable mask.
pub const IRQENABLE_SET: u32 = 0x2C;
/// Interrupt enable: writing 1 disables an event; reads the enable mask.
pub const IRQENABLE_CLR: u32 = 0x30;
/// Wakeup enable.
pub const WE: u32 = 0x34;
/// System status: reset done.
pub const SYSS: u32 = 0x90;
/// FIFO thresholds and FIFO clear.
pub const BUF: u32 = 0x94;
/// Data counter: bytes in the next transfer; reads the bytes still to go.
pub const CNT: u32 = 0x98;
/// Data access: writes fill the TX FIFO, reads drain the RX FIFO.
pub const DATA: u32 = 0x9C;
/// Configuration: enable, master, direction, START, STOP.
pub const CON: u32 = 0xA4;
/// Own address (target mode; unused by a master-only driver).
pub const OA: u32 = 0xA8;
/// Target ("slave") address of the next transfer.
pub const SA: u32 = 0xAC;
/// Prescaler: the internal clock is the functional clock / (PSC + 1).
pub const PSC: u32 = 0xB0;
/// SCL low time: tLOW = (SCLL + 7) internal clock periods.
pub const SCLL: u32 = 0xB4;
/// SCL high time: tHIGH = (SCLH + 5) internal clock periods.
pub const SCLH: u32 = 0xB8;
/// System test (bit-level access to SCL/SDA).
pub const SYSTEST: u32 = 0xBC;
/// FIFO levels and depth.
pub const BUFSTAT: u32 = 0xC0;

/// `SYSC` bits.
pub mod sysc {
    /// Automatic clock gating of the interface clock.
    pub const AUTOIDLE: u32 = 1 << 0;
    /// Soft reset; self-clearing, completion is `SYSS.RDONE`.
    pub const SRST: u32 = 1 << 1;
}

/// `SYSS` bits.
pub mod syss {
    /// Reset done. After a soft reset it is set only once `CON.I2C_EN` is 1.
    pub const RDONE: u32 = 1 << 0;
}

/// Status bits, shared by `IRQSTATUS_RAW`, `IRQSTATUS` and the `IRQENABLE_*` registers.
pub mod status {
    /// Arbitration lost: another master won the bus.
    pub const AL: u32 = 1 << 0;
    /// No acknowledge: the address or a data byte was not acknowledged.
    pub const NACK: u32 = 1 << 1;
    /// Register access ready: the transfer (or its abort) is over.
    pub const ARDY: u32 = 1 << 2;
    /// Receive data ready: at least RXTRSH + 1 bytes wait in the RX FIFO.
    pub const RRDY: u32 = 1 << 3;
    /// Transmit data ready: the TX FIFO can take TXTRSH + 1 bytes.
    pub const XRDY: u32 = 1 << 4;
    /// General call (target mode).
    pub const GC: u32 = 1 << 5;
    /// Start condition (target mode wakeup).
    pub const STC: u32 = 1 << 6;
    /// Access error (target mode).
    pub const AERR: u32 = 1 << 7;
    /// Bus free: a STOP was seen.
    pub const BF: u32 = 1 << 8;
    /// Addressed as target.
    pub const AAS: u32 = 1 << 9;
    /// Transmit underflow (target mode).
    pub const XUDF: u32 = 1 << 10;
    /// Receive overrun (target mode).
    pub const ROVR: u32 = 1 << 11;
    /// Bus busy, between a START and a STOP of any master. A state, not an event:
    /// read-only, not clearable, and visible in `IRQSTATUS` whatever the enables.
    pub const BB: u32 = 1 << 12;
    /// Receive draining: fewer than RXTRSH + 1 bytes are left at the end of a transfer;
    /// `BUFSTAT.RXSTAT` says how many.
    pub const RDR: u32 = 1 << 13;
    /// Transmit draining: fewer than TXTRSH + 1 bytes are left to write;
    /// `BUFSTAT.TXSTAT` says how many.
    pub const XDR: u32 = 1 << 14;
    /// Every event bit (all but `BB`): what a write-1-to-clear of "everything" uses.
    pub const EVENTS: u32 = 0x6FFF;
}

/// `BUF` fields.
pub mod buf {
    /// TX threshold field (bits 5:0): XRDY asks for TXTRSH + 1 bytes.
    pub const TXTRSH_MASK: u32 = 0x3F;
    /// Clears the TX FIFO; self-clearing.
    pub const TXFIFO_CLR: u32 = 1 << 6;
    /// RX threshold field shift.
    pub const RXTRSH_SHIFT: u32 = 8;
    /// RX threshold field (bits 13:8): RRDY once RXTRSH + 1 bytes arrived.
    pub const RXTRSH_MASK: u32 = 0x3F << RXTRSH_SHIFT;
    /// Clears the RX FIFO; self-clearing.
    pub const RXFIFO_CLR: u32 = 1 << 14;
}

/// `BUFSTAT` fields.
pub mod bufstat {
    /// Bytes the CPU may still write to the TX FIFO (bits 5:0).
    pub const TXSTAT_MASK: u32 = 0x3F;
    /// Bytes waiting in the RX FIFO, shift.
    pub const RXSTAT_SHIFT: u32 = 8;
    /// Bytes waiting in the RX FIFO (bits 13:8).
    pub const RXSTAT_MASK: u32 = 0x3F << RXSTAT_SHIFT;
    /// FIFO depth code shift: depth = 8 << code bytes.
    pub const FIFODEPTH_SHIFT: u32 = 14;
    /// FIFO depth code (bits 15:14).
    pub const FIFODEPTH_MASK: u32 = 0x3 << FIFODEPTH_SHIFT;
}

/// `CON` bits.
pub mod con {
    /// Start condition; cleared by the controller once the START is on the bus.
    pub const STT: u32 = 1 << 0;
    /// Stop condition at the end of the transfer (or now, between transfers);
    /// cleared by the controller once the STOP is on the bus.
    pub const STP: u32 = 1 << 1;
    /// Extended (10-bit) target address.
    pub const XSA: u32 = 1 << 8;
    /// Transmitter (1) or receiver (0), master mode.
    pub const TRX: u32 = 1 << 9;
    /// Master (1) or target (0); cleared by the controller after a STOP or a lost
    /// arbitration.
    pub const MST: u32 = 1 << 10;
    /// Start byte mode.
    pub const STB: u32 = 1 << 11;
    /// Operation mode field (00 = fast/standard).
    pub const OPMODE_MASK: u32 = 0x3 << 12;
    /// Module enable. Clearing it holds the controller in reset (configuration kept).
    pub const I2C_EN: u32 = 1 << 15;
}

/// Depth of each of the TX and RX FIFOs on the AM335x, in bytes (`BUFSTAT.FIFODEPTH` = 2).
pub const FIFO_DEPTH: usize = 32;

/// Largest byte count of one transfer the driver programs into `CNT`. The register is
/// 16 bits; the TRM reads 0 as 65536, which the driver never relies on.
pub const MAX_TRANSFER_LEN: usize = 0xFFFF;
