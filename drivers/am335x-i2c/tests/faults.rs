//! Faults: each gives its own error, and the next transaction works.

mod common;

use am335x_i2c::model::{Am335xI2cModel, BusEvent, Fault};
use am335x_i2c::regs::{self, status};
use am335x_i2c::{Am335xI2c, Error, Registers};
use common::*;
use embedded_hal::i2c::{Error as _, ErrorKind, I2c, NoAcknowledgeSource};

/// The next transaction works and reaches the EEPROM.
fn assert_usable(
    i2c: &mut Driver<'_>,
    eeprom: &core::cell::RefCell<am335x_i2c::model::Eeprom<256>>,
) {
    i2c.write(EEPROM, &[0x70, 0xC3])
        .expect("the next transaction works");
    assert_eq!(eeprom.borrow().memory()[0x70], 0xC3);
    let mut back = [0u8];
    i2c.write_read(EEPROM, &[0x70], &mut back)
        .expect("and reads back");
    assert_eq!(back, [0xC3]);
    assert!(!i2c.registers().holds_bus());
}

#[test]
fn an_absent_target_is_an_address_nack_and_the_bus_is_released() {
    let eeprom = eeprom();
    let mut i2c = driver_with(&eeprom);
    let error = i2c.write(NOBODY, &[1, 2]).unwrap_err();
    assert_eq!(error, Error::Nack(NoAcknowledgeSource::Address));
    assert_eq!(
        error.kind(),
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address)
    );
    assert_eq!(
        take_trace(&mut i2c),
        [start(NOBODY, false, false, false), BusEvent::Stop]
    );
    let mut buffer = [0u8; 2];
    assert_eq!(
        i2c.read(NOBODY, &mut buffer),
        Err(Error::Nack(NoAcknowledgeSource::Address))
    );
    assert_usable(&mut i2c, &eeprom);
}

#[test]
fn a_refused_byte_is_a_data_nack_and_later_bytes_never_reach_the_target() {
    let eeprom = eeprom();
    eeprom.borrow_mut().set_ack_limit(Some(2));
    let mut i2c = driver_with(&eeprom);
    let error = i2c.write(EEPROM, &[0x00, 0x11, 0x22, 0x33]).unwrap_err();
    assert_eq!(error, Error::Nack(NoAcknowledgeSource::Data));
    assert_eq!(
        take_trace(&mut i2c),
        [
            start(EEPROM, false, false, true),
            wrote(0x00),
            wrote(0x11),
            BusEvent::Write {
                byte: 0x22,
                ack: false
            },
            BusEvent::Stop
        ]
    );
    assert_eq!(eeprom.borrow().memory()[..3], [0x11, 0xFF, 0xFF]);
    assert_eq!(eeprom.borrow().stops(), 1);
    eeprom.borrow_mut().set_ack_limit(None);
    assert_usable(&mut i2c, &eeprom);
}

#[test]
fn a_nack_of_the_first_byte_is_data_not_address() {
    let eeprom = eeprom();
    eeprom.borrow_mut().set_ack_limit(Some(0));
    let mut i2c = driver_with(&eeprom);
    assert_eq!(
        i2c.write(EEPROM, &[0x00]),
        Err(Error::Nack(NoAcknowledgeSource::Data))
    );
    eeprom.borrow_mut().set_ack_limit(None);
    assert_usable(&mut i2c, &eeprom);
}

#[test]
fn a_nack_in_the_middle_of_a_transaction_skips_the_rest_and_stops() {
    let eeprom = eeprom();
    eeprom.borrow_mut().set_ack_limit(Some(0));
    let mut i2c = driver_with(&eeprom);
    let mut buffer = [0u8; 2];
    assert_eq!(
        i2c.write_read(EEPROM, &[0x00], &mut buffer),
        Err(Error::Nack(NoAcknowledgeSource::Data))
    );
    let trace = take_trace(&mut i2c);
    assert_eq!(trace.last(), Some(&BusEvent::Stop));
    assert!(!trace.iter().any(|e| matches!(e, BusEvent::Read { .. })));
    eeprom.borrow_mut().set_ack_limit(None);
    assert_usable(&mut i2c, &eeprom);
}

#[test]
fn a_lost_arbitration_is_reported_and_the_next_transaction_waits_for_the_winner() {
    let eeprom = eeprom();
    let mut i2c = driver_with(&eeprom);
    i2c.registers_mut().inject(Fault::ArbitrationLoss);
    let error = i2c.write(EEPROM, &[0x00, 0x55]).unwrap_err();
    assert_eq!(error, Error::ArbitrationLoss);
    assert_eq!(error.kind(), ErrorKind::ArbitrationLoss);
    assert_eq!(take_trace(&mut i2c), [BusEvent::ArbitrationLost]);
    assert_eq!(eeprom.borrow().memory()[0], 0xFF);
    // The winner still holds the bus: the next transaction must wait for its STOP.
    assert!(i2c.registers().peek(regs::IRQSTATUS_RAW) & status::BB != 0);
    assert_usable(&mut i2c, &eeprom);
}

#[test]
fn a_bus_held_busy_is_bus_busy_without_any_start() {
    let eeprom = eeprom();
    let mut i2c = driver_with(&eeprom);
    i2c.registers_mut().inject(Fault::BusHeld);
    let error = i2c.write(EEPROM, &[0x00, 0x55]).unwrap_err();
    assert_eq!(error, Error::BusBusy);
    assert_eq!(error.kind(), ErrorKind::Bus);
    assert!(take_trace(&mut i2c).is_empty());
    i2c.registers_mut().clear_faults();
    assert_usable(&mut i2c, &eeprom);
}

#[test]
fn a_target_stretching_the_clock_forever_is_a_timeout_not_a_hang() {
    let eeprom = eeprom();
    let mut i2c = driver_with(&eeprom);
    i2c.registers_mut()
        .inject(Fault::ClockStretch { address: EEPROM });
    let error = i2c.write(EEPROM, &[0x00, 0x55]).unwrap_err();
    assert_eq!(error, Error::Timeout);
    assert_eq!(error.kind(), ErrorKind::Other);
    assert_eq!(eeprom.borrow().memory()[0], 0xFF);
    // Still stretched: the reset controller cannot get a START out either.
    let mut buffer = [0u8];
    assert_eq!(i2c.read(EEPROM, &mut buffer), Err(Error::Timeout));
    i2c.registers_mut().clear_faults();
    assert_usable(&mut i2c, &eeprom);
}

/// The model, plus one status event forced into the first status read after a START.
struct Glitch<'t> {
    model: Am335xI2cModel<'t>,
    event: Option<u32>,
}

impl Registers for Glitch<'_> {
    fn read(&mut self, offset: u32) -> u32 {
        let value = self.model.read(offset);
        if offset == regs::IRQSTATUS_RAW && self.model.holds_bus() {
            if let Some(event) = self.event.take() {
                return value | event;
            }
        }
        value
    }

    fn write(&mut self, offset: u32, value: u32) {
        self.model.write(offset, value)
    }
}

#[test]
fn overrun_and_underrun_reset_the_controller_and_are_reported_apart() {
    for (event, expected) in [
        (status::ROVR, Error::Overrun),
        (status::XUDF, Error::Underrun),
    ] {
        let eeprom = eeprom();
        let mut model = Am335xI2cModel::new();
        model.attach(EEPROM, &eeprom).expect("attach");
        let glitch = Glitch {
            model,
            event: Some(event),
        };
        let mut i2c = Am335xI2c::new(glitch, config()).expect("init");
        assert_eq!(i2c.write(EEPROM, &[0x00, 0x01]), Err(expected));
        // The reset let go of the bus; the next transaction starts afresh.
        assert!(!i2c.registers().model.holds_bus());
        i2c.write(EEPROM, &[0x10, 0x77]).expect("next transaction");
        assert_eq!(eeprom.borrow().memory()[0x10], 0x77);
    }
}

#[test]
fn every_error_variant_maps_to_an_embedded_hal_kind() {
    let cases = [
        (
            Error::Nack(NoAcknowledgeSource::Data),
            ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data),
        ),
        (Error::ArbitrationLoss, ErrorKind::ArbitrationLoss),
        (Error::BusBusy, ErrorKind::Bus),
        (Error::Timeout, ErrorKind::Other),
        (Error::Overrun, ErrorKind::Overrun),
        (Error::Underrun, ErrorKind::Other),
        (Error::TransferTooLong, ErrorKind::Other),
        (Error::InvalidAddress(0x90), ErrorKind::Other),
    ];
    for (error, kind) in cases {
        assert_eq!(error.kind(), kind, "{error}");
    }
}
