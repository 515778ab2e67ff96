//! The polled master driver: controller set-up, transfers, and recovery after faults.
//!
//! Data moves one byte per `XRDY`/`RRDY` through `DATA`, with both FIFO thresholds at one
//! byte. The FIFO could take 32 bytes per event, but a polling driver gains nothing from
//! that (a byte at 400 kHz lasts 22 µs, a register read a few hundred ns), and one byte at
//! a time keeps every transfer length legal without the draining (`XDR`/`RDR`) dance and
//! never leaves bytes queued in the FIFO when a target stops acknowledging. `XDR`/`RDR`
//! are still served, byte by byte, should the hardware raise them.
//!
//! Every wait is a bounded poll of [`Config::timeout_polls`] reads without progress.
//!
//! The driver never waits on `CON.STT`/`STP` clearing, which other drivers of this IP
//! (Linux, U-Boot, MINIX) do not rely on either. It waits on the bus state `BB`, which the
//! TRM defines as set by a START and cleared by a STOP.

use embedded_hal::i2c::{ErrorType, I2c, NoAcknowledgeSource, Operation, SevenBitAddress};

use crate::config::{ClockSettings, Config};
use crate::error::{Error, InitError};
use crate::plan::{next_transfer, Cursor, Transfer};
use crate::registers::Registers;
use crate::regs::{self, buf, con, status, sysc, syss};

/// The events the transfer loop looks at.
const POLLED_EVENTS: u32 = status::AL
    | status::NACK
    | status::ARDY
    | status::RRDY
    | status::XRDY
    | status::XUDF
    | status::ROVR
    | status::RDR
    | status::XDR;

/// An AM335x I2C controller driven as the only master of its transactions.
#[derive(Debug)]
pub struct Am335xI2c<R> {
    regs: R,
    config: Config,
    clocks: ClockSettings,
    // Set while the controller is not known to be set up: a recovery reset that timed
    // out leaves it set, and the next transaction tries the set-up again first.
    needs_init: bool,
}

impl<R: Registers> Am335xI2c<R> {
    /// Resets the controller and programs it for `config` (TRM 21.4.1.x "Initialization").
    pub fn new(regs: R, config: Config) -> Result<Self, InitError> {
        let clocks = ClockSettings::compute(config.functional_clock_hz, config.bus_hz)?;
        let mut driver = Self {
            regs,
            config,
            clocks,
            needs_init: true,
        };
        driver.init().map_err(|_| InitError::ResetTimeout)?;
        Ok(driver)
    }

    /// The configuration the driver runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The prescaler and SCL dividers programmed at set-up.
    pub fn clock_settings(&self) -> ClockSettings {
        self.clocks
    }

    /// The register access, e.g. the model to inject faults or read its trace.
    pub fn registers(&self) -> &R {
        &self.regs
    }

    /// Mutable register access. Changing controller registers behind the driver's back
    /// voids its guarantees until the next transaction's recovery.
    pub fn registers_mut(&mut self) -> &mut R {
        &mut self.regs
    }

    /// Gives the register access back.
    pub fn release(self) -> R {
        self.regs
    }

    /// Soft reset, then dividers, FIFO thresholds and enable. `Err(Timeout)` when the
    /// reset never reports done.
    fn init(&mut self) -> Result<(), Error> {
        self.needs_init = true;
        self.regs.write(regs::CON, 0);
        self.regs.write(regs::SYSC, sysc::SRST);
        // RDONE rises only with the module enabled (Linux's i2c-omap sets EN for the same
        // reason).
        self.regs.write(regs::CON, con::I2C_EN);
        if !self.poll(|r| r.read(regs::SYSS) & syss::RDONE != 0) {
            return Err(Error::Timeout);
        }
        // The prescaler and SCL dividers may only change while the module is disabled.
        self.regs.write(regs::CON, 0);
        self.regs.write(regs::PSC, u32::from(self.clocks.psc));
        self.regs.write(regs::SCLL, u32::from(self.clocks.scll));
        self.regs.write(regs::SCLH, u32::from(self.clocks.sclh));
        // Enabled although the driver polls: U-Boot, NetBSD and MINIX report the module
        // does not progress otherwise. The line stays masked at the interrupt controller.
        self.regs.write(regs::IRQENABLE_CLR, status::EVENTS);
        self.regs.write(regs::IRQENABLE_SET, POLLED_EVENTS);
        // Thresholds 0: XRDY/RRDY per single byte (see the module comment).
        self.regs
            .write(regs::BUF, buf::TXFIFO_CLR | buf::RXFIFO_CLR);
        self.regs.write(regs::CON, con::I2C_EN);
        self.regs.write(regs::IRQSTATUS, status::EVENTS);
        self.needs_init = false;
        Ok(())
    }

    /// Polls `done` up to the budget (at least once); true when it became true.
    fn poll(&mut self, mut done: impl FnMut(&mut R) -> bool) -> bool {
        (0..self.config.timeout_polls.max(1)).any(|_| done(&mut self.regs))
    }

    fn run(&mut self, address: u8, ops: &mut [Operation<'_>]) -> Result<(), Error> {
        if address > 0x7F {
            return Err(Error::InvalidAddress(address));
        }
        // Check every transfer before the first START, so a length the controller cannot
        // program never leaves half a transaction on the bus.
        let mut from = 0;
        let mut any_data = false;
        while let Some(transfer) = next_transfer(ops, from) {
            if transfer.len > regs::MAX_TRANSFER_LEN {
                return Err(Error::TransferTooLong);
            }
            any_data = true;
            from = transfer.end;
        }
        if ops.is_empty() {
            return Ok(());
        }
        if self.needs_init {
            self.init()?;
        }
        let result = if any_data {
            self.transfers(address, ops)
        } else {
            self.probe(address)
        };
        if let Err(error) = result {
            self.recover(error);
        }
        result
    }

    /// A transaction of only empty operations asks whether the address answers. The
    /// controller cannot move zero bytes, so it reads one and drops it, the way
    /// `i2cdetect -r` probes: a read stores nothing in the target, though it may advance
    /// its register pointer or clear a read-to-clear status.
    fn probe(&mut self, address: u8) -> Result<(), Error> {
        let mut byte = [0u8];
        self.transfers(address, &mut [Operation::Read(&mut byte)])
    }

    fn transfers(&mut self, address: u8, ops: &mut [Operation<'_>]) -> Result<(), Error> {
        if !self.poll(|r| r.read(regs::IRQSTATUS_RAW) & status::BB == 0) {
            return Err(Error::BusBusy);
        }
        let mut next = next_transfer(ops, 0);
        while let Some(transfer) = next {
            next = next_transfer(ops, transfer.end);
            self.transfer(address, ops, &transfer, next.is_none())?;
        }
        // The last transfer carries STP: the controller sends the STOP right after ARDY,
        // and the next transaction's wait for a free bus covers it.
        Ok(())
    }

    /// One START (or repeated START), `transfer.len` bytes, and a STOP if `stop`.
    fn transfer(
        &mut self,
        address: u8,
        ops: &mut [Operation<'_>],
        transfer: &Transfer,
        stop: bool,
    ) -> Result<(), Error> {
        // Flags left from the previous transfer must not be taken for this one's.
        self.regs.write(regs::IRQSTATUS, status::EVENTS);
        self.regs
            .write(regs::BUF, buf::TXFIFO_CLR | buf::RXFIFO_CLR);
        self.regs.write(regs::SA, u32::from(address));
        // `len` was checked against MAX_TRANSFER_LEN, so it fits the 16-bit counter.
        self.regs.write(regs::CNT, transfer.len as u32);
        let mut control = con::I2C_EN | con::MST | con::STT;
        if !transfer.read {
            control |= con::TRX;
        }
        if stop {
            control |= con::STP;
        }
        self.regs.write(regs::CON, control);

        let mut cursor = Cursor::new(transfer);
        let mut moved = 0;
        let mut idle_polls = 0;
        loop {
            let flags = self.regs.read(regs::IRQSTATUS_RAW);
            if flags & status::AL != 0 {
                return Err(Error::ArbitrationLoss);
            }
            if flags & status::NACK != 0 {
                return Err(Error::Nack(self.nack_source(transfer)));
            }
            if flags & status::ROVR != 0 {
                return Err(Error::Overrun);
            }
            if flags & status::XUDF != 0 {
                return Err(Error::Underrun);
            }
            let mut progress = false;
            if transfer.read && flags & (status::RRDY | status::RDR) != 0 {
                if moved < transfer.len {
                    // DATA holds the byte in its low 8 bits.
                    let byte = self.regs.read(regs::DATA) as u8;
                    progress = cursor.put_read(ops, byte);
                    moved += 1;
                }
                self.regs.write(regs::IRQSTATUS, status::RRDY | status::RDR);
            }
            if !transfer.read && flags & (status::XRDY | status::XDR) != 0 {
                if let Some(byte) = cursor.next_write(ops) {
                    self.regs.write(regs::DATA, u32::from(byte));
                    moved += 1;
                    progress = true;
                }
                self.regs.write(regs::IRQSTATUS, status::XRDY | status::XDR);
            }
            if flags & status::ARDY != 0 && moved == transfer.len {
                self.regs.write(regs::IRQSTATUS, status::ARDY);
                return Ok(());
            }
            // Only a moved byte resets the budget, so the loop ends after at most
            // len × (budget + 1) polls whatever the flags do.
            if progress {
                idle_polls = 0;
            } else {
                idle_polls += 1;
                if idle_polls >= self.config.timeout_polls.max(1) {
                    return Err(Error::Timeout);
                }
            }
        }
    }

    /// Which acknowledge was missing. In a read only the address is acknowledged by the
    /// target. In a write, `CNT` reads the bytes not yet sent (TRM, I2C_CNT): all of them
    /// still there means the address phase failed.
    fn nack_source(&mut self, transfer: &Transfer) -> NoAcknowledgeSource {
        if transfer.read {
            return NoAcknowledgeSource::Address;
        }
        let remaining = (self.regs.read(regs::CNT) & 0xFFFF) as usize;
        if remaining == transfer.len {
            NoAcknowledgeSource::Address
        } else {
            NoAcknowledgeSource::Data
        }
    }

    /// Leaves the controller ready for the next transaction after `error`, the way
    /// Linux's i2c-omap does: STOP after a NACK, nothing but a clean-up after a lost
    /// arbitration, a full reset after anything the controller may be stuck in.
    fn recover(&mut self, error: Error) {
        match error {
            Error::Nack(_) => {
                // After a NACK the controller holds SCL low until told to STOP.
                let control = self.regs.read(regs::CON);
                self.regs.write(regs::CON, (control | con::STP) & !con::STT);
                if self.poll(|r| r.read(regs::IRQSTATUS_RAW) & status::BB == 0) {
                    self.clear_fifos_and_flags();
                } else {
                    self.reset();
                }
            }
            // The controller fell back to target mode (MST cleared); the winner's STOP
            // frees the bus, which the next transaction waits for.
            Error::ArbitrationLoss => self.clear_fifos_and_flags(),
            // A reset is harmless when another master holds the bus, and clears a busy
            // state the controller itself may be stuck in.
            Error::BusBusy | Error::Timeout | Error::Overrun | Error::Underrun => self.reset(),
            Error::TransferTooLong | Error::InvalidAddress(_) => {}
        }
    }

    fn clear_fifos_and_flags(&mut self) {
        self.regs
            .write(regs::BUF, buf::TXFIFO_CLR | buf::RXFIFO_CLR);
        self.regs.write(regs::IRQSTATUS, status::EVENTS);
    }

    fn reset(&mut self) {
        // A reset that times out leaves `needs_init` set: the next transaction retries it
        // and reports the failure then; this one keeps its own, more telling error.
        let _ = self.init();
    }
}

impl<R: Registers> ErrorType for Am335xI2c<R> {
    type Error = Error;
}

impl<R: Registers> I2c<SevenBitAddress> for Am335xI2c<R> {
    /// Runs `operations` under one START and one STOP. Adjacent operations of the same
    /// direction are one transfer; a change of direction is a repeated START. A
    /// transaction of only empty operations probes the address with a one-byte read.
    fn transaction(
        &mut self,
        address: SevenBitAddress,
        operations: &mut [Operation<'_>],
    ) -> Result<(), Self::Error> {
        self.run(address, operations)
    }
}
