//! Transfers through the driver and the model: bytes on the bus, START/STOP structure.

mod common;

use am335x_i2c::model::{Am335xI2cModel, BusEvent, Eeprom};
use am335x_i2c::{Am335xI2c, Error};
use common::*;
use core::cell::RefCell;
use embedded_hal::i2c::{I2c, Operation};

#[test]
fn write_sends_address_and_bytes_then_stops() {
    let eeprom = eeprom();
    let mut i2c = driver_with(&eeprom);
    i2c.write(EEPROM, &[0x10, 0xAA, 0xBB]).expect("write");
    assert_eq!(
        take_trace(&mut i2c),
        [
            start(EEPROM, false, false, true),
            wrote(0x10),
            wrote(0xAA),
            wrote(0xBB),
            BusEvent::Stop
        ]
    );
    assert!(!i2c.registers().holds_bus());
    let eeprom = eeprom.borrow();
    assert_eq!(eeprom.memory()[0x10..0x12], [0xAA, 0xBB]);
    assert_eq!(eeprom.stops(), 1);
}

#[test]
fn read_returns_the_targets_bytes_and_nacks_the_last() {
    let eeprom = eeprom();
    eeprom.borrow_mut().memory_mut()[..3].copy_from_slice(&[1, 2, 3]);
    let mut i2c = driver_with(&eeprom);
    let mut buffer = [0u8; 3];
    i2c.read(EEPROM, &mut buffer).expect("read");
    assert_eq!(buffer, [1, 2, 3]);
    assert_eq!(
        take_trace(&mut i2c),
        [
            start(EEPROM, true, false, true),
            got(1, true),
            got(2, true),
            got(3, false),
            BusEvent::Stop
        ]
    );
}

#[test]
fn write_read_uses_a_repeated_start_without_stop_in_between() {
    let eeprom = eeprom();
    eeprom.borrow_mut().memory_mut()[0x40..0x42].copy_from_slice(&[0x5A, 0xA5]);
    let mut i2c = driver_with(&eeprom);
    let mut buffer = [0u8; 2];
    i2c.write_read(EEPROM, &[0x40], &mut buffer)
        .expect("write_read");
    assert_eq!(buffer, [0x5A, 0xA5]);
    assert_eq!(
        take_trace(&mut i2c),
        [
            start(EEPROM, false, false, true),
            wrote(0x40),
            start(EEPROM, true, true, true),
            got(0x5A, true),
            got(0xA5, false),
            BusEvent::Stop
        ]
    );
}

#[test]
fn adjacent_operations_of_one_direction_share_a_transfer() {
    let eeprom = eeprom();
    let mut i2c = driver_with(&eeprom);
    let (mut first, mut second) = ([0u8; 1], [0u8; 2]);
    i2c.transaction(
        EEPROM,
        &mut [
            Operation::Write(&[0x08]),
            Operation::Write(&[]),
            Operation::Write(&[7, 8, 9]),
        ],
    )
    .expect("merged write");
    assert_eq!(
        take_trace(&mut i2c),
        [
            start(EEPROM, false, false, true),
            wrote(0x08),
            wrote(7),
            wrote(8),
            wrote(9),
            BusEvent::Stop
        ]
    );
    i2c.transaction(
        EEPROM,
        &mut [
            Operation::Write(&[0x08]),
            Operation::Read(&mut first),
            Operation::Read(&mut second),
        ],
    )
    .expect("merged read");
    assert_eq!((first, second), ([7], [8, 9]));
    assert_eq!(
        take_trace(&mut i2c),
        [
            start(EEPROM, false, false, true),
            wrote(0x08),
            start(EEPROM, true, true, true),
            got(7, true),
            got(8, true),
            got(9, false),
            BusEvent::Stop
        ]
    );
}

#[test]
fn every_change_of_direction_is_a_repeated_start_and_only_the_end_stops() {
    let eeprom = eeprom();
    eeprom.borrow_mut().memory_mut()[0x20] = 0x11;
    let mut i2c = driver_with(&eeprom);
    let mut byte = [0u8; 1];
    i2c.transaction(
        EEPROM,
        &mut [
            Operation::Write(&[0x20]),
            Operation::Read(&mut byte),
            Operation::Write(&[0x30, 0x99]),
        ],
    )
    .expect("transaction");
    assert_eq!(byte, [0x11]);
    assert_eq!(
        take_trace(&mut i2c),
        [
            start(EEPROM, false, false, true),
            wrote(0x20),
            start(EEPROM, true, true, true),
            got(0x11, false),
            start(EEPROM, false, true, true),
            wrote(0x30),
            wrote(0x99),
            BusEvent::Stop
        ]
    );
    assert_eq!(eeprom.borrow().memory()[0x30], 0x99);
    assert_eq!(eeprom.borrow().stops(), 1);
}

#[test]
fn transfers_longer_than_the_fifo_arrive_whole() {
    let eeprom = eeprom();
    let mut i2c = driver_with(&eeprom);
    let data: std::vec::Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
    let mut message = std::vec![0x00];
    message.extend_from_slice(&data);
    i2c.write(EEPROM, &message).expect("long write");
    assert_eq!(eeprom.borrow().memory()[..200], data[..]);

    let mut back = std::vec![0u8; 200];
    i2c.write_read(EEPROM, &[0x00], &mut back)
        .expect("long read");
    assert_eq!(back, data);
    assert!(!i2c.registers().trace_overflowed());
}

#[test]
fn a_transfer_of_65535_bytes_is_one_cnt_load() {
    let eeprom = eeprom();
    for (i, byte) in eeprom.borrow_mut().memory_mut().iter_mut().enumerate() {
        *byte = i as u8;
    }
    let mut i2c = driver_with(&eeprom);
    let mut buffer = std::vec![0u8; 65_535];
    i2c.read(EEPROM, &mut buffer).expect("65535-byte read");
    assert!(buffer.iter().enumerate().all(|(i, &b)| b == i as u8));
    let trace = i2c.registers().trace();
    let starts = trace
        .iter()
        .filter(|e| matches!(e, BusEvent::Start { .. }))
        .count();
    assert_eq!(starts, 1);
}

#[test]
fn more_than_65535_bytes_in_one_direction_are_refused_before_the_bus() {
    let eeprom = eeprom();
    let mut i2c = driver_with(&eeprom);
    let big = std::vec![0u8; 65_536];
    assert_eq!(i2c.write(EEPROM, &big), Err(Error::TransferTooLong));
    // Two writes that merge into one transfer are too long together.
    let half = std::vec![0u8; 40_000];
    assert_eq!(
        i2c.transaction(
            EEPROM,
            &mut [Operation::Write(&half), Operation::Write(&half)]
        ),
        Err(Error::TransferTooLong)
    );
    assert!(i2c.registers().trace().is_empty());
    i2c.write(EEPROM, &[0x00, 0x42]).expect("next write");
    assert_eq!(eeprom.borrow().memory()[0], 0x42);
}

#[test]
fn an_empty_write_probes_the_address_with_a_one_byte_read() {
    let eeprom = eeprom();
    let mut i2c = driver_with(&eeprom);
    i2c.write(EEPROM, &[]).expect("the EEPROM answers");
    assert_eq!(
        take_trace(&mut i2c),
        [
            start(EEPROM, true, false, true),
            got(0xFF, false),
            BusEvent::Stop
        ]
    );
    assert_eq!(
        i2c.write(NOBODY, &[]),
        Err(Error::Nack(embedded_hal::i2c::NoAcknowledgeSource::Address))
    );
}

#[test]
fn no_operations_put_nothing_on_the_bus() {
    let eeprom = eeprom();
    let mut i2c = driver_with(&eeprom);
    i2c.transaction(EEPROM, &mut []).expect("nothing to do");
    assert!(i2c.registers().trace().is_empty());
}

#[test]
fn addresses_beyond_7_bits_are_refused() {
    let eeprom = eeprom();
    let mut i2c = driver_with(&eeprom);
    assert_eq!(i2c.write(0x80, &[1]), Err(Error::InvalidAddress(0x80)));
    assert!(i2c.registers().trace().is_empty());
}

#[test]
fn two_targets_on_one_bus_each_get_their_own_bytes() {
    let (a, b) = (
        RefCell::new(Eeprom::<16>::new()),
        RefCell::new(Eeprom::<16>::new()),
    );
    let mut model = Am335xI2cModel::new();
    model.attach(0x50, &a).expect("attach a");
    model.attach(0x51, &b).expect("attach b");
    let mut i2c = Am335xI2c::new(model, config()).expect("init");
    i2c.write(0x50, &[0, 1]).expect("write a");
    i2c.write(0x51, &[0, 2]).expect("write b");
    assert_eq!((a.borrow().memory()[0], b.borrow().memory()[0]), (1, 2));
}
