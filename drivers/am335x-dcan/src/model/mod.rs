//! A register model of the D_CAN controller for host tests: [`DcanModel`] implements
//! [`Registers`](crate::Registers) and behaves as the TRM describes — 64 message objects reached through
//! IF1/IF2 (with Busy and write protection), a "wire" that collects transmitted frames
//! in arbitration order, acceptance filtering and FIFO chaining of received frames,
//! the NWDAT/TXRQ/INTPND/MSGVAL views, Init/CCE protection of BTR, and fault
//! confinement with bus-off recovery driven by an explicit [`DcanModel::idle_bits`].
//!
//! Time does not pass by itself: transmissions happen when a register write requests
//! them (or when [`DcanModel::transmit_next`] is called while they are held), frames
//! arrive through [`DcanModel::inject_frame`], errors through `inject_*_errors`.
//!
//! Simplifications: no IF3, DMA, parity, power-down, auto-bus-on or status interrupt
//! sources beyond Int0ID = 0x8000 when ES is not 0x07; after Init is cleared the core
//! joins the bus at once instead of waiting for 11 recessive bits; loopback is
//! internal loopback only (TEST.LBack), silent mode is stored but not modelled.

mod bus;
mod objects;
mod registers;

use heapless::Deque;

pub use bus::{Delivery, TxAttempt};
use objects::Interface;
pub use objects::MessageObject;

use crate::frame::CanFrame;
use crate::regs::{btr, ctl, es, MESSAGE_OBJECTS};
use crate::status::Lec;

/// Frames the wire keeps before the oldest is dropped (counted in
/// [`DcanModel::wire_dropped`]).
pub const WIRE_CAPACITY: usize = 256;
/// Sequences of 11 recessive bits bus-off recovery needs, as the AM335x TRM states
/// for CTL ("129 occurrences of Bus Idle"); ISO 11898-1 says 128. Change it with
/// [`DcanModel::set_recovery_sequences`].
pub const RECOVERY_SEQUENCES: u32 = 129;
/// Distinct runs of injected transmit errors that can be queued at once.
const TX_ERROR_RUNS: usize = 16;
/// A frame the model put on the wire, and the object it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireFrame {
    /// The frame.
    pub frame: CanFrame,
    /// Message object number it was sent from.
    pub object: u8,
}

/// The D_CAN register model.
#[derive(Debug)]
pub struct DcanModel {
    ctl: u32,
    btr: u32,
    test: u32,
    abotr: u32,
    intmux: [u32; 2],
    tioc: u32,
    rioc: u32,
    lec: Lec,
    tx_ok: bool,
    rx_ok: bool,
    /// Init was cleared at least once since reset; before that ES shows its
    /// documented reset pattern (EPass and EWarn set).
    started: bool,
    tec: u16,
    rec: u16,
    bus_off: bool,
    recovery_count: u32,
    recessive_run: u32,
    recovery_sequences: u32,
    objects: [MessageObject; MESSAGE_OBJECTS as usize],
    interfaces: [Interface; 2],
    busy_reads: u32,
    stuck_busy: bool,
    hold_tx: bool,
    wire: Deque<WireFrame, WIRE_CAPACITY>,
    wire_dropped: u32,
    tx_errors: Deque<(Lec, u32), TX_ERROR_RUNS>,
    ignored_writes: u32,
}

impl Default for DcanModel {
    fn default() -> Self {
        Self::new()
    }
}

impl DcanModel {
    /// A controller just out of power-on reset: Init set, message RAM cleared.
    pub fn new() -> Self {
        let mut model = Self {
            ctl: 0,
            btr: 0,
            test: 0,
            abotr: 0,
            intmux: [0; 2],
            tioc: 0,
            rioc: 0,
            lec: Lec::NoEvent,
            tx_ok: false,
            rx_ok: false,
            started: false,
            tec: 0,
            rec: 0,
            bus_off: false,
            recovery_count: 0,
            recessive_run: 0,
            recovery_sequences: RECOVERY_SEQUENCES,
            objects: [MessageObject::default(); MESSAGE_OBJECTS as usize],
            interfaces: [Interface::reset(); 2],
            busy_reads: 1,
            stuck_busy: false,
            hold_tx: false,
            wire: Deque::new(),
            wire_dropped: 0,
            tx_errors: Deque::new(),
            ignored_writes: 0,
        };
        model.reset_registers();
        model
    }

    /// Register reset (power-on or CTL.SWR); the message RAM keeps its contents.
    fn reset_registers(&mut self) {
        self.ctl = ctl::RESET;
        self.btr = btr::RESET;
        self.test = 0;
        self.abotr = 0;
        self.intmux = [0; 2];
        self.lec = Lec::from_es(es::RESET);
        self.tx_ok = es::RESET & es::TX_OK != 0;
        self.rx_ok = false;
        self.started = false;
        self.tec = 0;
        self.rec = 0;
        self.bus_off = false;
        self.recovery_count = 0;
        self.recessive_run = 0;
        self.interfaces = [Interface::reset(); 2];
    }

    // ----- the wire -----

    /// Takes the oldest frame the controller transmitted.
    pub fn pop_wire(&mut self) -> Option<WireFrame> {
        self.wire.pop_front()
    }

    /// Transmitted frames not yet taken, oldest first.
    pub fn wire(&self) -> impl Iterator<Item = &WireFrame> {
        self.wire.iter()
    }

    /// Number of transmitted frames not yet taken.
    pub fn wire_len(&self) -> usize {
        self.wire.len()
    }

    /// Frames dropped because the wire was full.
    pub fn wire_dropped(&self) -> u32 {
        self.wire_dropped
    }

    /// Keeps transmission requests pending (as if higher-priority traffic held the
    /// bus) until released; releasing sends everything pending at once.
    pub fn hold_transmissions(&mut self, hold: bool) {
        self.hold_tx = hold;
        self.run_bus();
    }

    // ----- traffic and errors from outside -----

    /// A frame sent by another node: if the controller is on the bus it acknowledges
    /// it (RxOk, REC decrements) and stores it in the first object that accepts it.
    pub fn inject_frame(&mut self, frame: CanFrame) -> Delivery {
        self.receive_from_wire(&frame)
    }

    /// The next `count` transmission attempts fail with `kind` (normally
    /// [`Lec::Ack`]: nobody acknowledged). Each failure raises TEC by 8, except ack
    /// errors while error passive; past 255 the controller goes bus-off.
    ///
    /// # Panics
    ///
    /// If more than 16 differently-kinded runs are queued at once.
    pub fn inject_tx_errors(&mut self, kind: Lec, count: u32) {
        if count == 0 {
            return;
        }
        if let Some((last, n)) = self.tx_errors.back_mut() {
            if *last == kind {
                *n += count;
                return;
            }
        }
        assert!(
            self.tx_errors.push_back((kind, count)).is_ok(),
            "at most {TX_ERROR_RUNS} runs of injected transmit errors"
        );
        self.run_bus();
    }

    /// Injected transmit errors not yet consumed.
    pub fn pending_tx_errors(&self) -> u32 {
        self.tx_errors.iter().map(|(_, n)| n).sum()
    }

    /// `count` receive errors of `kind` (say [`Lec::Crc`]) while on the bus: REC + 1
    /// each.
    pub fn inject_rx_errors(&mut self, kind: Lec, count: u32) {
        self.count_rx_errors(kind, count);
    }

    /// The bus stays recessive (idle) for `bits` bit times. During bus-off recovery
    /// every 11 of them count as one of the sequences recovery needs.
    pub fn idle_bits(&mut self, bits: u32) {
        self.count_idle_bits(bits);
    }

    /// Sets how many 11-bit recessive sequences bus-off recovery needs.
    pub fn set_recovery_sequences(&mut self, sequences: u32) {
        self.recovery_sequences = sequences.max(1);
    }

    /// Sequences counted so far in the current bus-off recovery.
    pub fn recovery_progress(&self) -> u32 {
        self.recovery_count
    }

    /// How many reads of IFxCMD show Busy after a transfer starts (default 1).
    pub fn set_busy_reads(&mut self, reads: u32) {
        self.busy_reads = reads;
    }

    /// Makes IF transfers never finish (Busy stays set, nothing moves), to test timeouts.
    pub fn set_stuck_busy(&mut self, stuck: bool) {
        self.stuck_busy = stuck;
    }

    // ----- looking inside -----

    /// Transmit error counter (internal value; may exceed 255 in bus-off).
    pub fn tec(&self) -> u16 {
        self.tec
    }

    /// Receive error counter (internal value).
    pub fn rec(&self) -> u16 {
        self.rec
    }

    /// Whether the controller is bus-off.
    pub fn is_bus_off(&self) -> bool {
        self.bus_off
    }

    /// Whether CTL.Init is set.
    pub fn in_init(&self) -> bool {
        self.ctl & ctl::INIT != 0
    }

    /// The BTR register.
    pub fn btr(&self) -> u32 {
        self.btr
    }

    /// The CTL register.
    pub fn ctl(&self) -> u32 {
        self.ctl
    }

    /// Message object `number` (1–64).
    pub fn object(&self, number: u8) -> Option<MessageObject> {
        let index = usize::from(number).checked_sub(1)?;
        self.objects.get(index).copied()
    }

    /// Writes the hardware ignored: IF registers while Busy, BTR without Init and CCE,
    /// TEST without CTL.Test, read-only registers. A correct driver causes none.
    pub fn ignored_writes(&self) -> u32 {
        self.ignored_writes
    }
}
