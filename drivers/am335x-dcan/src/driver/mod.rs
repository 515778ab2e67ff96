//! The D_CAN driver: initialisation (TRM §23.3.1 "CAN Module Initialization"), bus
//! status, bus-off recovery and the `embedded_can::nb::Can` implementation. Message
//! object traffic lives in [`ifx`] (IF1/IF2 transfers), [`rx`] (the receive FIFO) and
//! [`tx`] (the transmit objects).
//!
//! The driver is polled: it enables no interrupt lines, so IntPnd bits are cleared as
//! objects are read but nothing is routed to the interrupt controller.

mod ifx;
mod rx;
mod tx;

use crate::config::{Config, ConfigError, Filter};
use crate::error::{Error, Wait};
use crate::frame::CanFrame;
use crate::registers::Registers;
use crate::regs::{ctl, errc, es, test, BTR, CTL, ERRC, ES, MESSAGE_OBJECTS, TEST};
use crate::status::{BusState, Lec};
use crate::timing::BitTiming;

/// Receive FIFO bookkeeping (see [`rx`] for the reading discipline).
#[derive(Clone, Copy, Debug)]
struct RxState {
    /// Next FIFO object to read. The objects before it were read but are not released
    /// yet (NewDat still set, so the controller cannot refill them out of order).
    next: u8,
    /// A frame read together with a MsgLst flag: the overrun is reported first and the
    /// frame is handed out by the next `receive`.
    held: Option<CanFrame>,
}

/// A D_CAN controller driven through `R`.
#[derive(Debug)]
pub struct Dcan<R> {
    regs: R,
    config: Config,
    running: bool,
    rx: RxState,
    /// Next transmit object; past the last one the driver waits until all are done, so
    /// frames leave in the order they were queued (the controller sends the lowest
    /// pending object first, not the oldest).
    tx_next: u8,
    /// Most recent bus error seen in ES.LEC, kept until `last_error` takes it, because
    /// any ES read (also `state`) resets LEC to 7.
    last_error: Option<Lec>,
}

impl<R: Registers> Dcan<R> {
    /// A driver for the controller behind `regs`; nothing is touched until [`Dcan::init`].
    pub fn new(regs: R, config: Config) -> Self {
        Self {
            regs,
            config,
            running: false,
            rx: RxState {
                next: 1,
                held: None,
            },
            tx_next: 1,
            last_error: None,
        }
    }

    /// Hands the register access back; the controller keeps running as configured.
    pub fn release(self) -> R {
        self.regs
    }

    /// The register access (the model, in tests).
    pub fn registers(&self) -> &R {
        &self.regs
    }

    /// Mutable register access (to inject traffic into the model, in tests).
    pub fn registers_mut(&mut self) -> &mut R {
        &mut self.regs
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Resets and configures the controller and puts it on the bus.
    ///
    /// Follows TRM §23.3.1: Init, software reset, Init + CCE, program BTR, set up the
    /// message objects through IF1, clear Init. The module clock and the message RAM
    /// initialisation (control module `DCAN_RAMINIT`) are the board's job and must be
    /// done before. Any unread frames and queued transmissions are discarded.
    pub fn init(&mut self) -> Result<(), Error> {
        self.running = false;
        self.config.check_layout()?;
        let timing = BitTiming::compute(
            self.config.clock_hz,
            self.config.bitrate,
            self.config.sample_point_permille,
        )
        .map_err(ConfigError::from)?;
        let test_mode = if self.config.loopback { ctl::TEST } else { 0 };

        // Software reset is only honoured while Init is set (CTL.SWR description).
        self.regs.write(CTL, ctl::INIT | ctl::PMD_PARITY_OFF);
        self.wait_until(CTL, ctl::INIT, ctl::INIT, Wait::EnterInit)?;
        self.regs
            .write(CTL, ctl::INIT | ctl::SWR | ctl::PMD_PARITY_OFF);
        self.wait_until(CTL, ctl::SWR, 0, Wait::SoftwareReset)?;

        self.regs
            .write(CTL, ctl::INIT | ctl::CCE | ctl::PMD_PARITY_OFF | test_mode);
        self.wait_until(CTL, ctl::INIT, ctl::INIT, Wait::EnterInit)?;
        let written = timing.btr();
        self.regs.write(BTR, written);
        let read = self.regs.read(BTR);
        if read != written {
            return Err(Error::BitTimingRejected { written, read });
        }
        if self.config.loopback {
            self.regs.write(TEST, test::LBACK);
        }

        // The message RAM survives a software reset: every object must be invalid
        // before Init is cleared (IFxARB.MsgVal description), then the FIFO set up.
        for obj in 1..=MESSAGE_OBJECTS {
            self.invalidate(obj)?;
        }
        self.program_rx_fifo()?;

        // Clearing CCE together with Init write-protects BTR again.
        self.regs.write(CTL, ctl::PMD_PARITY_OFF | test_mode);
        self.wait_until(CTL, ctl::INIT, 0, Wait::LeaveInit)?;

        self.rx = RxState {
            next: self.rx_first(),
            held: None,
        };
        self.tx_next = self.tx_first();
        self.last_error = None;
        self.running = true;
        Ok(())
    }

    /// Replaces the receive FIFO's acceptance filter. Frames still unread in the FIFO
    /// are discarded (the objects must be invalidated before their identifier changes).
    pub fn set_filter(&mut self, filter: Filter) -> Result<(), Error> {
        self.config.filter = filter;
        for obj in self.rx_first()..=self.rx_last() {
            self.invalidate(obj)?;
        }
        self.program_rx_fifo()?;
        self.rx.next = self.rx_first();
        Ok(())
    }

    /// The fault-confinement state (ES.BOff, ES.EPass).
    pub fn state(&mut self) -> BusState {
        BusState::from_es(self.read_status())
    }

    /// Whether an error counter has reached the warning limit of 96 (ES.EWarn).
    pub fn warning(&mut self) -> bool {
        self.read_status() & es::EWARN != 0
    }

    /// Transmit and receive error counters (ERRC). REC has 7 bits in the register;
    /// when ERRC.RP says it reached the error-passive level, 128 is returned.
    pub fn error_counters(&mut self) -> (u8, u8) {
        let value = self.regs.read(ERRC);
        let tec = (value & errc::TEC_MASK) as u8;
        let rec = if value & errc::RP != 0 {
            128
        } else {
            ((value & errc::REC_MASK) >> errc::REC_SHIFT) as u8
        };
        (tec, rec)
    }

    /// The most recent bus error (ES.LEC) since the last call, if any.
    ///
    /// During bus-off recovery the controller reports [`Lec::Bit0`] for every 11
    /// recessive bits it counts; that is progress, not a fault.
    pub fn last_error(&mut self) -> Option<Lec> {
        self.read_status();
        self.last_error.take()
    }

    /// Starts bus-off recovery: clears CTL.Init, which the controller set when it went
    /// bus-off. The controller then waits for 129 sequences of 11 recessive bits
    /// (TRM CTL description; ISO 11898-1 says 128) before it resets its error counters
    /// and is error active again; watch [`Dcan::state`]. Does nothing when not bus-off.
    pub fn recover(&mut self) -> Result<(), Error> {
        if !self.running {
            return Err(Error::NotInitialised);
        }
        if self.read_status() & es::BOFF == 0 {
            return Ok(());
        }
        let value = self.regs.read(CTL);
        if value & ctl::INIT != 0 {
            self.regs.write(CTL, value & !(ctl::INIT | ctl::CCE));
            self.wait_until(CTL, ctl::INIT, 0, Wait::LeaveInit)?;
        }
        Ok(())
    }

    /// Reads ES, keeping any bus error it reports for [`Dcan::last_error`].
    fn read_status(&mut self) -> u32 {
        let value = self.regs.read(ES);
        let lec = Lec::from_es(value);
        if lec.kind().is_some() {
            self.last_error = Some(lec);
        }
        value
    }

    /// Polls `offset` until the bits in `mask` equal `want`, at most `poll_budget` reads.
    fn wait_until(&mut self, offset: u32, mask: u32, want: u32, what: Wait) -> Result<u32, Error> {
        for _ in 0..self.config.poll_budget {
            let value = self.regs.read(offset);
            if value & mask == want {
                return Ok(value);
            }
        }
        Err(Error::Timeout(what))
    }

    fn rx_first(&self) -> u8 {
        1
    }

    fn rx_last(&self) -> u8 {
        self.config.rx_fifo_len
    }

    fn tx_first(&self) -> u8 {
        self.config.rx_fifo_len + 1
    }

    fn tx_last(&self) -> u8 {
        self.config.rx_fifo_len + self.config.tx_objects
    }
}

impl<R: Registers> embedded_can::nb::Can for Dcan<R> {
    type Frame = CanFrame;
    type Error = Error;

    fn transmit(&mut self, frame: &CanFrame) -> nb::Result<Option<CanFrame>, Error> {
        self.transmit_frame(frame)
    }

    fn receive(&mut self) -> nb::Result<CanFrame, Error> {
        self.receive_frame()
    }
}
