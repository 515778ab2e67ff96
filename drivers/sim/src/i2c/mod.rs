//! A simulated I2C bus: devices attach at 7-bit addresses, a master drives it through
//! embedded-hal 1.0's `I2c`, and faults a technician would meet on a bench (an unplugged
//! sensor, SDA stuck low, a device that never releases the clock, a second master) can
//! be switched on and off.
//!
//! The bus never sleeps. It computes how long each transaction would occupy the wire at
//! its speed, hands each device the wire time of every event, and adds the time up for
//! statistics. A transaction starts at the owner's clock or, if the previous one would
//! still be on the wire, when that one ends — the wire is serial, so device time never
//! runs backwards.

mod device;
mod error;
mod wire;

use alloc::boxed::Box;
use alloc::vec::Vec;
use embedded_hal::i2c::{ErrorType, I2c, NoAcknowledgeSource, Operation, SevenBitAddress};

pub use device::SimDevice;
pub use error::{AttachError, Error};

use crate::Clock;
use device::AnyDevice;
use wire::{Wire, BYTE_BITS, CONDITION_BITS};

/// Standard-mode SCL frequency.
pub const STANDARD_MODE_HZ: u32 = 100_000;
/// Fast-mode SCL frequency.
pub const FAST_MODE_HZ: u32 = 400_000;
/// The default clock-stretch timeout: SMBus's t_TIMEOUT,min of 25 ms.
pub const DEFAULT_TIMEOUT_US: u64 = 25_000;

/// Counters of everything the bus has done, for the I2C server's statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct I2cStats {
    /// Transactions attempted, including failed ones.
    pub transactions: u64,
    /// Data bytes moved (written or read), not counting address bytes.
    pub bytes: u64,
    /// Transactions that ended in a NACK, address or data.
    pub nacks: u64,
    /// Transactions refused because SDA was held low.
    pub busy: u64,
    /// Transactions lost to another master.
    pub arbitration_losses: u64,
    /// Transactions abandoned because a device stretched the clock too long.
    pub timeouts: u64,
    /// Total time the transactions occupied the wire, in nanoseconds.
    pub bus_time_ns: u64,
}

/// One attached device and the faults injected at its address.
struct Slot {
    address: u8,
    device: Box<dyn AnyDevice>,
    connected: bool,
    stretch_forever: bool,
}

/// How a transaction ended on the wire, which decides whether a STOP follows.
enum Ending {
    /// The master sends STOP (after success, a NACK or a timeout).
    Stop(Result<(), Error>),
    /// The master lost arbitration and leaves the wire without a STOP.
    Lost,
}

/// A simulated I2C bus driven by the owner's clock.
pub struct SimI2cBus<C: Clock> {
    clock: C,
    speed_hz: u32,
    timeout_us: u64,
    slots: Vec<Slot>,
    sda_held: bool,
    arbitration_losses: u32,
    wire_free_ns: u64,
    stats: I2cStats,
}

impl<C: Clock> SimI2cBus<C> {
    /// An empty bus clocked at `speed_hz` (see [`STANDARD_MODE_HZ`], [`FAST_MODE_HZ`]).
    pub fn new(clock: C, speed_hz: u32) -> Self {
        Self {
            clock,
            speed_hz: speed_hz.max(1),
            timeout_us: DEFAULT_TIMEOUT_US,
            slots: Vec::new(),
            sda_held: false,
            arbitration_losses: 0,
            wire_free_ns: 0,
            stats: I2cStats::default(),
        }
    }

    /// Attaches `device` at the 7-bit `address`, connected.
    pub fn attach(
        &mut self,
        address: u8,
        device: impl SimDevice + 'static,
    ) -> Result<(), AttachError> {
        // 0x00–0x07 and 0x78–0x7F are reserved by the I2C specification (UM10204 §3.1.12).
        if !(0x08..=0x77).contains(&address) {
            return Err(AttachError::InvalidAddress(address));
        }
        if self.slot_index(address).is_some() {
            return Err(AttachError::AddressInUse(address));
        }
        self.slots.push(Slot {
            address,
            device: Box::new(device),
            connected: true,
            stretch_forever: false,
        });
        Ok(())
    }

    /// The device at `address` as its concrete type, if it is a `T`.
    pub fn device<T: SimDevice + 'static>(&self, address: u8) -> Option<&T> {
        let index = self.slot_index(address)?;
        self.slots.get(index)?.device.as_any().downcast_ref()
    }

    /// The device at `address` as its concrete type, to change its environment or state.
    pub fn device_mut<T: SimDevice + 'static>(&mut self, address: u8) -> Option<&mut T> {
        let index = self.slot_index(address)?;
        self.slots
            .get_mut(index)?
            .device
            .as_any_mut()
            .downcast_mut()
    }

    /// Plugs the device at `address` in or out; an unplugged device NACKs its address.
    /// Returns `false` if nothing is attached there.
    pub fn set_connected(&mut self, address: u8, connected: bool) -> bool {
        self.with_slot(address, |slot| slot.connected = connected)
    }

    /// Makes the device at `address` stretch the clock forever once addressed, so every
    /// transaction to it times out. Returns `false` if nothing is attached there.
    pub fn stretch_forever(&mut self, address: u8, stretch: bool) -> bool {
        self.with_slot(address, |slot| slot.stretch_forever = stretch)
    }

    /// Holds SDA low (a stuck device or a short): every transaction fails with `BusBusy`.
    pub fn hold_bus(&mut self, held: bool) {
        self.sda_held = held;
    }

    /// Makes the next transaction lose arbitration to another master during its address
    /// byte. Calls add up: each injected loss costs one transaction.
    pub fn inject_arbitration_loss(&mut self) {
        self.arbitration_losses = self.arbitration_losses.saturating_add(1);
    }

    /// Sets how long the master waits for a stretched clock before giving up.
    pub fn set_timeout_us(&mut self, timeout_us: u64) {
        self.timeout_us = timeout_us;
    }

    /// The SCL frequency in hertz.
    pub fn speed_hz(&self) -> u32 {
        self.speed_hz
    }

    /// Counters and accumulated bus time.
    pub fn stats(&self) -> I2cStats {
        self.stats
    }

    /// Total time the transactions so far have occupied the wire, in microseconds.
    pub fn bus_time_us(&self) -> u64 {
        self.stats.bus_time_ns / 1000
    }

    /// When the last transaction left the wire, in µs. The bus does not sleep, so an
    /// owner whose clock moved less than the wire time can catch up to this.
    pub fn wire_free_us(&self) -> u64 {
        self.wire_free_ns / 1000
    }

    /// The clock the bus reads.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    fn slot_index(&self, address: u8) -> Option<usize> {
        self.slots.iter().position(|slot| slot.address == address)
    }

    fn with_slot(&mut self, address: u8, f: impl FnOnce(&mut Slot)) -> bool {
        match self.slots.iter_mut().find(|slot| slot.address == address) {
            Some(slot) => {
                f(slot);
                true
            }
            None => false,
        }
    }

    /// Runs one transaction on the wire: START, the operations, STOP.
    fn run(&mut self, address: u8, operations: &mut [Operation<'_>]) -> Result<(), Error> {
        self.stats.transactions += 1;
        if self.sda_held {
            // A master checks that the bus is free before START; nothing goes on the wire.
            self.stats.busy += 1;
            return Err(Error::BusBusy);
        }
        let start_ns = self
            .clock
            .now_us()
            .saturating_mul(1000)
            .max(self.wire_free_ns);
        let mut wire = Wire::new(start_ns, self.speed_hz);
        wire.clock(CONDITION_BITS);
        let ending = self.exchange(&mut wire, address, operations);
        let result = match ending {
            Ending::Lost => {
                self.stats.arbitration_losses += 1;
                Err(Error::ArbitrationLoss)
            }
            Ending::Stop(result) => {
                wire.clock(CONDITION_BITS);
                if let Some(slot) = self
                    .slots
                    .iter_mut()
                    .find(|s| s.address == address && s.connected)
                {
                    slot.device.stop(wire.now_us());
                }
                result
            }
        };
        match result {
            Err(Error::Nack(_)) => self.stats.nacks += 1,
            Err(Error::Timeout) => self.stats.timeouts += 1,
            _ => {}
        }
        self.stats.bus_time_ns = self.stats.bus_time_ns.saturating_add(wire.elapsed_ns());
        self.wire_free_ns = wire.now_ns();
        result
    }

    /// Everything between START and STOP. Consecutive operations of one direction share
    /// one address phase; a change of direction is a repeated START (embedded-hal 1.0's
    /// `transaction` contract).
    fn exchange(
        &mut self,
        wire: &mut Wire,
        address: u8,
        operations: &mut [Operation<'_>],
    ) -> Ending {
        if self.arbitration_losses > 0 {
            self.arbitration_losses -= 1;
            // The other master's address differs somewhere in the first byte; count it whole.
            wire.clock(BYTE_BITS);
            return Ending::Lost;
        }
        let timeout_us = self.timeout_us;
        let Some(slot) = self
            .slots
            .iter_mut()
            .find(|s| s.address == address && s.connected)
        else {
            wire.clock(BYTE_BITS);
            return Ending::Stop(Err(Error::Nack(NoAcknowledgeSource::Address)));
        };
        if operations.is_empty() {
            // An address-only probe: the device acknowledges and the master stops.
            return Ending::Stop(slot.address_phase(wire, false, timeout_us));
        }
        let mut direction = None;
        let mut bytes = 0u64;
        let mut result = Ok(());
        for operation in operations.iter_mut() {
            let read = matches!(operation, Operation::Read(_));
            if direction != Some(read) {
                if direction.is_some() {
                    wire.clock(CONDITION_BITS);
                }
                direction = Some(read);
                result = slot.address_phase(wire, read, timeout_us);
                if result.is_err() {
                    break;
                }
            }
            result = match operation {
                Operation::Write(data) => slot.write(wire, data, &mut bytes),
                Operation::Read(buffer) => {
                    slot.read(wire, buffer, &mut bytes);
                    Ok(())
                }
            };
            if result.is_err() {
                break;
            }
        }
        self.stats.bytes += bytes;
        Ending::Stop(result)
    }
}

impl Slot {
    /// The address byte, the device's ACK, and any clock stretching that follows.
    fn address_phase(&mut self, wire: &mut Wire, read: bool, timeout_us: u64) -> Result<(), Error> {
        wire.clock(BYTE_BITS);
        self.device.start(wire.now_us(), read);
        let stretch_us = if self.stretch_forever {
            u64::MAX
        } else {
            self.device.clock_stretch_us(wire.now_us())
        };
        if stretch_us > timeout_us {
            wire.stretch(timeout_us);
            return Err(Error::Timeout);
        }
        wire.stretch(stretch_us);
        Ok(())
    }

    fn write(&mut self, wire: &mut Wire, data: &[u8], bytes: &mut u64) -> Result<(), Error> {
        for &byte in data {
            wire.clock(BYTE_BITS);
            *bytes += 1;
            if !self.device.write(wire.now_us(), byte) {
                return Err(Error::Nack(NoAcknowledgeSource::Data));
            }
        }
        Ok(())
    }

    fn read(&mut self, wire: &mut Wire, buffer: &mut [u8], bytes: &mut u64) {
        // The master ACKs every byte but the last, which it NACKs before STOP or Sr; the
        // device needs no telling, as it only stops driving SDA.
        for byte in buffer.iter_mut() {
            *byte = self.device.read(wire.now_us());
            wire.clock(BYTE_BITS);
            *bytes += 1;
        }
    }
}

impl<C: Clock> ErrorType for SimI2cBus<C> {
    type Error = Error;
}

impl<C: Clock> I2c<SevenBitAddress> for SimI2cBus<C> {
    fn transaction(&mut self, address: u8, operations: &mut [Operation<'_>]) -> Result<(), Error> {
        self.run(address, operations)
    }
}
