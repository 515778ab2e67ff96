//! A register-level model of the AM335x I2C controller, with simulated targets on its bus.
//!
//! [`Am335xI2cModel`] implements [`crate::Registers`], so the driver runs against it
//! unchanged. It keeps the registers with their TRM semantics (reset values, soft reset
//! and `SYSS.RDONE`, write-1-to-clear status with raw and enabled views, `CNT` counting
//! down, 32-byte FIFOs with thresholds) and drives [`Target`]s attached at 7-bit
//! addresses.
//!
//! Time in the model is register reads: every read first advances the bus by one event
//! (a START, one byte, a STOP), the way real time passes while a driver polls. Writes
//! take no time, so a driver's "write DATA, then clear XRDY" cannot race the bus.
//!
//! Faults are injected with [`Am335xI2cModel::inject`]: a lost arbitration, a bus held
//! busy by someone else, a target that stretches SCL forever.
//!
//! Not modelled: target (slave) mode and its events (`AAS`, `GC`, `XUDF`, `ROVR`, …),
//! 10-bit addressing (`XSA`), high-speed mode, DMA, interrupts as a line (only the status
//! views), and the idle/wakeup protocol of `SYSC`.

mod bus;
mod eeprom;
mod register_file;
mod target;
mod trace;

use core::cell::RefCell;
use core::fmt;

use heapless::{Deque, Vec};

use crate::regs::FIFO_DEPTH;

pub use eeprom::Eeprom;
pub use target::Target;
pub use trace::BusEvent;

/// Most targets one model can have attached.
pub const MAX_TARGETS: usize = 8;
/// Most bus events the trace keeps; later ones are dropped and flagged.
pub const TRACE_CAPACITY: usize = 1024;
/// Status reads for which the master that won an arbitration keeps the bus busy.
pub const ARBITRATION_WINNER_POLLS: u32 = 8;

/// A fault of the bus or of a target, for tests of the driver's error paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The controller's next START loses arbitration: another master wins, keeps the bus
    /// busy for [`ARBITRATION_WINNER_POLLS`] status reads, then sends its STOP. One-shot.
    ArbitrationLoss,
    /// Another master (or a stuck line) keeps the bus busy: `BB` stays set and the
    /// controller cannot START, until [`Am335xI2cModel::clear_faults`].
    BusHeld,
    /// The target at `address` stretches SCL forever once addressed: from its address
    /// acknowledge on, nothing on the bus moves (not even after a controller reset),
    /// until [`Am335xI2cModel::clear_faults`] releases the clock.
    ClockStretch {
        /// The stretching target's address.
        address: u8,
    },
}

/// Why a target could not be attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachError {
    /// The address does not fit in 7 bits.
    InvalidAddress(u8),
    /// Another target already answers at this address.
    AddressTaken(u8),
    /// [`MAX_TARGETS`] are attached already.
    Full,
}

impl fmt::Display for AttachError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidAddress(address) => write!(f, "address {address:#04x} is not 7-bit"),
            Self::AddressTaken(address) => write!(f, "address {address:#04x} is taken"),
            Self::Full => write!(f, "at most {MAX_TARGETS} targets can be attached"),
        }
    }
}

impl core::error::Error for AttachError {}

#[derive(Clone, Copy)]
struct Attached<'t> {
    address: u8,
    target: &'t RefCell<dyn Target + 't>,
}

/// Where the controller's master state machine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No transfer running. With `owned` set the controller still holds the bus (SCL low)
    /// after a transfer without STOP or a NACK, waiting for STT or STP.
    Idle,
    /// Moving the bytes of a transfer in the given direction.
    Transfer { read: bool },
}

/// The model of one AM335x I2C module and the bus behind it.
pub struct Am335xI2cModel<'t> {
    targets: [Option<Attached<'t>>; MAX_TARGETS],
    // Registers (only the fields they really have; masks applied on write).
    sysc: u32,
    we: u32,
    irq_enable: u32,
    /// Event bits of IRQSTATUS_RAW; BB is derived from the bus state.
    irq_raw: u32,
    con: u32,
    oa: u32,
    sa: u32,
    psc: u32,
    scll: u32,
    sclh: u32,
    /// BUF without its self-clearing bits.
    buf: u32,
    /// DCOUNT as written.
    cnt: u32,
    /// Bytes still to move in the current transfer (65536 for CNT = 0).
    remaining: u32,
    rdone: bool,
    reset_pending: bool,
    tx: Deque<u8, FIFO_DEPTH>,
    rx: Deque<u8, FIFO_DEPTH>,
    // Bus state.
    phase: Phase,
    /// The controller is master of the bus: START sent, no STOP yet.
    owned: bool,
    /// Index in `targets` of the target that acknowledged the current address.
    current: Option<usize>,
    // Faults.
    lose_arbitration: bool,
    bus_held: bool,
    stretch_address: Option<u8>,
    scl_held: bool,
    foreign_polls: u32,
    trace: Vec<BusEvent, TRACE_CAPACITY>,
    trace_overflowed: bool,
}

impl<'t> Am335xI2cModel<'t> {
    /// A controller just out of power-on reset (reset done), with an empty bus.
    pub fn new() -> Self {
        let mut model = Self {
            targets: [None; MAX_TARGETS],
            sysc: 0,
            we: 0,
            irq_enable: 0,
            irq_raw: 0,
            con: 0,
            oa: 0,
            sa: 0,
            psc: 0,
            scll: 0,
            sclh: 0,
            buf: 0,
            cnt: 0,
            remaining: 0,
            rdone: true,
            reset_pending: false,
            tx: Deque::new(),
            rx: Deque::new(),
            phase: Phase::Idle,
            owned: false,
            current: None,
            lose_arbitration: false,
            bus_held: false,
            stretch_address: None,
            scl_held: false,
            foreign_polls: 0,
            trace: Vec::new(),
            trace_overflowed: false,
        };
        model.reset_registers();
        model.rdone = true;
        model
    }

    /// Attaches `target` at the 7-bit `address`. The model borrows it mutably only while it
    /// drives a bus event, so the test can look at it in between; a target still borrowed
    /// elsewhere during an event does not answer (it NACKs its address).
    pub fn attach(
        &mut self,
        address: u8,
        target: &'t RefCell<dyn Target + 't>,
    ) -> Result<(), AttachError> {
        if address > 0x7F {
            return Err(AttachError::InvalidAddress(address));
        }
        if self.find(address).is_some() {
            return Err(AttachError::AddressTaken(address));
        }
        let slot = self
            .targets
            .iter_mut()
            .find(|slot| slot.is_none())
            .ok_or(AttachError::Full)?;
        *slot = Some(Attached { address, target });
        Ok(())
    }

    /// Detaches the target at `address`; false if there was none.
    pub fn detach(&mut self, address: u8) -> bool {
        let Some(index) = self.find(address) else {
            return false;
        };
        self.targets[index] = None;
        if self.current == Some(index) {
            self.current = None;
        }
        true
    }

    /// Injects `fault` (see [`Fault`] for how long each lasts).
    pub fn inject(&mut self, fault: Fault) {
        match fault {
            Fault::ArbitrationLoss => self.lose_arbitration = true,
            Fault::BusHeld => self.bus_held = true,
            Fault::ClockStretch { address } => self.stretch_address = Some(address),
        }
    }

    /// Ends every fault: the bus is released, a stretched clock let go, a pending
    /// arbitration loss cancelled.
    pub fn clear_faults(&mut self) {
        self.lose_arbitration = false;
        self.bus_held = false;
        self.stretch_address = None;
        self.scl_held = false;
    }

    /// Whether the controller is master of the bus right now (START sent, no STOP yet).
    pub fn holds_bus(&self) -> bool {
        self.owned
    }

    /// What happened on the bus, oldest first.
    pub fn trace(&self) -> &[BusEvent] {
        &self.trace
    }

    /// Whether events were dropped because the trace was full.
    pub fn trace_overflowed(&self) -> bool {
        self.trace_overflowed
    }

    /// Empties the trace.
    pub fn clear_trace(&mut self) {
        self.trace.clear();
        self.trace_overflowed = false;
    }

    fn find(&self, address: u8) -> Option<usize> {
        self.targets
            .iter()
            .position(|slot| slot.is_some_and(|attached| attached.address == address))
    }

    fn record(&mut self, event: BusEvent) {
        if self.trace.push(event).is_err() {
            self.trace_overflowed = true;
        }
    }
}

impl Default for Am335xI2cModel<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Am335xI2cModel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Am335xI2cModel")
            .field("con", &format_args!("{:#06x}", self.con))
            .field("irq_raw", &format_args!("{:#06x}", self.irq_raw))
            .field("phase", &self.phase)
            .field("owned", &self.owned)
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}
