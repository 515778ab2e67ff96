//! The simulated I2C bus on its own: the transaction contract, wire time, and faults.

use std::cell::RefCell;
use std::rc::Rc;
use std::vec::Vec;

use embedded_hal::i2c::{I2c, NoAcknowledgeSource, Operation};
use kos_sim_devices::i2c::{
    AttachError, Error, SimDevice, SimI2cBus, FAST_MODE_HZ, STANDARD_MODE_HZ,
};
use kos_sim_devices::ManualClock;

/// What a device saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Start(bool),
    Write(u8),
    Read,
    Stop,
}

/// The shared record of wire events a test inspects after the bus has the device.
type Log = Rc<RefCell<Vec<(u64, Event)>>>;

/// A 256-byte register file that logs the wire events and NACKs writes to 0xFF.
struct Probe {
    log: Log,
    memory: [u8; 256],
    pointer: u8,
    first_byte: bool,
    stretch_us: u64,
}

impl Probe {
    fn new() -> (Self, Log) {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut memory = [0u8; 256];
        for (i, byte) in memory.iter_mut().enumerate() {
            *byte = i as u8 ^ 0x5A;
        }
        let probe = Self {
            log: log.clone(),
            memory,
            pointer: 0,
            first_byte: true,
            stretch_us: 0,
        };
        (probe, log)
    }
}

impl SimDevice for Probe {
    fn start(&mut self, now_us: u64, read: bool) {
        self.first_byte = true;
        self.log.borrow_mut().push((now_us, Event::Start(read)));
    }
    fn write(&mut self, now_us: u64, byte: u8) -> bool {
        self.log.borrow_mut().push((now_us, Event::Write(byte)));
        if self.first_byte {
            self.pointer = byte;
            self.first_byte = false;
            return true;
        }
        if self.pointer == 0xFF {
            return false;
        }
        self.memory[usize::from(self.pointer)] = byte;
        self.pointer = self.pointer.wrapping_add(1);
        true
    }
    fn read(&mut self, now_us: u64) -> u8 {
        self.log.borrow_mut().push((now_us, Event::Read));
        let value = self.memory[usize::from(self.pointer)];
        self.pointer = self.pointer.wrapping_add(1);
        value
    }
    fn stop(&mut self, now_us: u64) {
        self.log.borrow_mut().push((now_us, Event::Stop));
    }
    fn clock_stretch_us(&mut self, _now_us: u64) -> u64 {
        self.stretch_us
    }
}

const ADDR: u8 = 0x50;

#[test]
fn nobody_at_an_address_is_an_address_nack() {
    let clock = ManualClock::new(0);
    let mut bus = SimI2cBus::new(&clock, STANDARD_MODE_HZ);
    assert_eq!(
        bus.write(0x33, &[1]),
        Err(Error::Nack(NoAcknowledgeSource::Address))
    );
    assert_eq!(bus.stats().nacks, 1);
}

#[test]
fn a_device_nack_on_a_byte_is_a_data_nack_and_ends_the_transaction() {
    let clock = ManualClock::new(0);
    let mut bus = SimI2cBus::new(&clock, STANDARD_MODE_HZ);
    let (probe, log) = Probe::new();
    bus.attach(ADDR, probe).unwrap();
    assert_eq!(
        bus.write(ADDR, &[0xFF, 1, 2]),
        Err(Error::Nack(NoAcknowledgeSource::Data))
    );
    let events: Vec<Event> = log.borrow().iter().map(|(_, e)| e.clone()).collect();
    // The byte after the NACK is never sent; STOP follows.
    assert_eq!(
        events,
        [
            Event::Start(false),
            Event::Write(0xFF),
            Event::Write(1),
            Event::Stop
        ]
    );
}

#[test]
fn operations_of_one_direction_merge_and_a_change_is_a_repeated_start() {
    let clock = ManualClock::new(0);
    let mut bus = SimI2cBus::new(&clock, STANDARD_MODE_HZ);
    let (probe, log) = Probe::new();
    bus.attach(ADDR, probe).unwrap();
    let mut a = [0u8; 2];
    let mut b = [0u8; 1];
    bus.transaction(
        ADDR,
        &mut [
            Operation::Write(&[0x10]),
            Operation::Write(&[]),
            Operation::Read(&mut a),
            Operation::Read(&mut b),
            Operation::Write(&[0x20]),
        ],
    )
    .unwrap();
    assert_eq!(a, [0x10 ^ 0x5A, 0x11 ^ 0x5A]);
    assert_eq!(b, [0x12 ^ 0x5A]);
    let events: Vec<Event> = log.borrow().iter().map(|(_, e)| e.clone()).collect();
    assert_eq!(
        events,
        [
            Event::Start(false),
            Event::Write(0x10),
            Event::Start(true),
            Event::Read,
            Event::Read,
            Event::Read,
            Event::Start(false),
            Event::Write(0x20),
            Event::Stop,
        ]
    );
}

#[test]
fn wire_time_is_nine_bits_a_byte_plus_conditions() {
    let clock = ManualClock::new(0);
    let mut bus = SimI2cBus::new(&clock, FAST_MODE_HZ);
    let (probe, _) = Probe::new();
    bus.attach(ADDR, probe).unwrap();
    let mut data = [0u8; 8];
    bus.write_read(ADDR, &[0x00], &mut data).unwrap();
    // S + addr + reg + Sr + addr + 8 data + P = 1 + 9 + 9 + 1 + 9 + 72 + 1 = 102 bits,
    // 2.5 µs each at 400 kHz.
    assert_eq!(bus.stats().bus_time_ns, 255_000);
    assert_eq!(bus.stats().bytes, 9);
    bus.write(ADDR, &[0x00, 1, 2]).unwrap();
    // 1 + 9 + 27 + 1 = 38 bits = 95 µs.
    assert_eq!(bus.bus_time_us(), 255 + 95);
}

#[test]
fn devices_see_wire_time_and_transactions_never_overlap() {
    let clock = ManualClock::new(1_000);
    let mut bus = SimI2cBus::new(&clock, STANDARD_MODE_HZ);
    let (probe, log) = Probe::new();
    bus.attach(ADDR, probe).unwrap();
    bus.write(ADDR, &[0x00, 1]).unwrap();
    // The clock did not move, but the next START waits for the previous STOP.
    bus.write(ADDR, &[0x00, 1]).unwrap();
    let times: Vec<u64> = log.borrow().iter().map(|(t, _)| *t).collect();
    // S(10) + addr(90) = 100 µs to the first event; STOP at 1 + 27 + 1 bits = 290 µs.
    assert_eq!(times[0], 1_100);
    assert_eq!(times[3], 1_290);
    assert_eq!(times[4], 1_390);
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn an_unplugged_device_nacks_its_address_until_plugged_back() {
    let clock = ManualClock::new(0);
    let mut bus = SimI2cBus::new(&clock, STANDARD_MODE_HZ);
    let (probe, _) = Probe::new();
    bus.attach(ADDR, probe).unwrap();
    assert!(bus.set_connected(ADDR, false));
    assert_eq!(
        bus.write(ADDR, &[]),
        Err(Error::Nack(NoAcknowledgeSource::Address))
    );
    assert!(bus.set_connected(ADDR, true));
    assert_eq!(bus.write(ADDR, &[]), Ok(()));
    assert!(!bus.set_connected(0x51, false));
}

#[test]
fn sda_held_low_makes_the_bus_busy() {
    let clock = ManualClock::new(0);
    let mut bus = SimI2cBus::new(&clock, STANDARD_MODE_HZ);
    let (probe, _) = Probe::new();
    bus.attach(ADDR, probe).unwrap();
    bus.hold_bus(true);
    assert_eq!(bus.write(ADDR, &[0]), Err(Error::BusBusy));
    assert_eq!(bus.stats().bus_time_ns, 0);
    bus.hold_bus(false);
    assert_eq!(bus.write(ADDR, &[0]), Ok(()));
}

#[test]
fn a_clock_stretched_forever_times_out_after_the_timeout() {
    let clock = ManualClock::new(0);
    let mut bus = SimI2cBus::new(&clock, STANDARD_MODE_HZ);
    let (probe, _) = Probe::new();
    bus.attach(ADDR, probe).unwrap();
    bus.stretch_forever(ADDR, true);
    let mut byte = [0u8];
    assert_eq!(bus.read(ADDR, &mut byte), Err(Error::Timeout));
    // S + addr + P = 11 bits = 110 µs, plus the 25 ms the master waited.
    assert_eq!(bus.bus_time_us(), 25_110);
    assert_eq!(bus.stats().timeouts, 1);
    bus.stretch_forever(ADDR, false);
    assert_eq!(bus.read(ADDR, &mut byte), Ok(()));
}

#[test]
fn a_short_stretch_only_costs_time() {
    let clock = ManualClock::new(0);
    let mut bus = SimI2cBus::new(&clock, STANDARD_MODE_HZ);
    let (mut probe, _) = Probe::new();
    probe.stretch_us = 300;
    bus.attach(ADDR, probe).unwrap();
    bus.write(ADDR, &[0]).unwrap();
    // 1 + 9 + 9 + 1 = 20 bits = 200 µs, plus 300 µs of stretching.
    assert_eq!(bus.bus_time_us(), 500);
    bus.set_timeout_us(100);
    assert_eq!(bus.write(ADDR, &[0]), Err(Error::Timeout));
}

#[test]
fn an_injected_arbitration_loss_costs_one_transaction() {
    let clock = ManualClock::new(0);
    let mut bus = SimI2cBus::new(&clock, STANDARD_MODE_HZ);
    let (probe, log) = Probe::new();
    bus.attach(ADDR, probe).unwrap();
    bus.inject_arbitration_loss();
    assert_eq!(bus.write(ADDR, &[0]), Err(Error::ArbitrationLoss));
    // The device was never addressed.
    assert!(log.borrow().is_empty());
    assert_eq!(bus.write(ADDR, &[0]), Ok(()));
    assert_eq!(bus.stats().arbitration_losses, 1);
}

#[test]
fn reserved_and_taken_addresses_are_refused() {
    let clock = ManualClock::new(0);
    let mut bus = SimI2cBus::new(&clock, STANDARD_MODE_HZ);
    assert_eq!(
        bus.attach(0x03, Probe::new().0),
        Err(AttachError::InvalidAddress(0x03))
    );
    assert_eq!(
        bus.attach(0x80, Probe::new().0),
        Err(AttachError::InvalidAddress(0x80))
    );
    bus.attach(ADDR, Probe::new().0).unwrap();
    assert_eq!(
        bus.attach(ADDR, Probe::new().0),
        Err(AttachError::AddressInUse(ADDR))
    );
    assert!(bus.device::<Probe>(ADDR).is_some());
}

#[test]
fn errors_map_to_embedded_hal_kinds() {
    use embedded_hal::i2c::{Error as _, ErrorKind};
    assert_eq!(
        Error::Nack(NoAcknowledgeSource::Data).kind(),
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data)
    );
    assert_eq!(Error::ArbitrationLoss.kind(), ErrorKind::ArbitrationLoss);
    assert_eq!(Error::BusBusy.kind(), ErrorKind::Bus);
    assert_eq!(Error::Timeout.kind(), ErrorKind::Other);
}
