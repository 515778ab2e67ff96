//! The register model on its own: reset, status views, a transfer driven by hand.

use core::cell::RefCell;

use am335x_i2c::model::{Am335xI2cModel, AttachError, BusEvent, Eeprom};
use am335x_i2c::regs::{self, bufstat, con, status, sysc, syss};
use am335x_i2c::Registers;

#[test]
fn power_on_values_follow_the_trm() {
    let model = Am335xI2cModel::new();
    for offset in [
        regs::SYSC,
        regs::IRQSTATUS_RAW,
        regs::IRQSTATUS,
        regs::IRQENABLE_SET,
        regs::CNT,
        regs::CON,
        regs::PSC,
        regs::SCLL,
        regs::SCLH,
    ] {
        assert_eq!(model.peek(offset), 0, "register {offset:#x}");
    }
    assert_eq!(model.peek(regs::SYSS), syss::RDONE);
    // 32-byte FIFOs: depth code 2.
    assert_eq!(model.peek(regs::BUFSTAT) & bufstat::FIFODEPTH_MASK, 2 << 14);
}

#[test]
fn soft_reset_restores_reset_values_and_rdone_waits_for_enable() {
    let mut model = Am335xI2cModel::new();
    model.write(regs::PSC, 3);
    model.write(regs::SCLL, 53);
    model.write(regs::IRQENABLE_SET, status::ARDY);
    model.write(regs::SYSC, sysc::SRST);
    assert_eq!(model.read(regs::PSC), 0);
    assert_eq!(model.read(regs::SCLL), 0);
    assert_eq!(model.read(regs::IRQENABLE_SET), 0);
    // SRST self-clears; RDONE stays low while the module is disabled.
    assert_eq!(model.read(regs::SYSC) & sysc::SRST, 0);
    for _ in 0..5 {
        assert_eq!(model.read(regs::SYSS) & syss::RDONE, 0);
    }
    model.write(regs::CON, con::I2C_EN);
    assert_eq!(model.read(regs::SYSS) & syss::RDONE, syss::RDONE);
}

#[test]
fn status_is_write_one_to_clear_with_raw_and_enabled_views() {
    let mut model = Am335xI2cModel::new();
    // Writing 1 to the raw view sets events (the TRM's debug path).
    model.write(regs::IRQSTATUS_RAW, status::AL | status::NACK);
    assert_eq!(model.peek(regs::IRQSTATUS_RAW), status::AL | status::NACK);
    // Nothing enabled: the enabled view shows nothing.
    assert_eq!(model.peek(regs::IRQSTATUS), 0);
    model.write(regs::IRQENABLE_SET, status::NACK);
    assert_eq!(model.peek(regs::IRQSTATUS), status::NACK);
    model.write(regs::IRQENABLE_CLR, status::NACK);
    assert_eq!(model.peek(regs::IRQENABLE_SET), 0);
    // Writing 1 to IRQSTATUS clears that event in both views, 0s change nothing.
    model.write(regs::IRQSTATUS, status::NACK);
    assert_eq!(model.peek(regs::IRQSTATUS_RAW), status::AL);
    model.write(regs::IRQSTATUS, 0);
    assert_eq!(model.peek(regs::IRQSTATUS_RAW), status::AL);
}

#[test]
fn dividers_only_change_while_the_module_is_disabled() {
    let mut model = Am335xI2cModel::new();
    model.write(regs::CON, con::I2C_EN);
    model.write(regs::PSC, 3);
    assert_eq!(model.peek(regs::PSC), 0);
    model.write(regs::CON, 0);
    model.write(regs::PSC, 3);
    assert_eq!(model.peek(regs::PSC), 3);
}

#[test]
fn a_write_driven_by_hand_follows_the_trm_sequence() {
    let eeprom = RefCell::new(Eeprom::<16>::new());
    let mut model = Am335xI2cModel::new();
    model.attach(0x50, &eeprom).expect("attach");
    model.write(regs::CON, con::I2C_EN);
    model.write(regs::SA, 0x50);
    model.write(regs::CNT, 2);
    model.write(
        regs::CON,
        con::I2C_EN | con::MST | con::TRX | con::STT | con::STP,
    );
    // The START goes out and the controller asks for the first byte; the bus is busy.
    let flags = model.read(regs::IRQSTATUS_RAW);
    assert_eq!(
        flags & (status::XRDY | status::BB),
        status::XRDY | status::BB
    );
    assert_eq!(model.peek(regs::CON) & con::STT, 0, "STT clears once sent");
    assert_eq!(model.peek(regs::CNT), 2);
    model.write(regs::DATA, 0x03);
    model.write(regs::IRQSTATUS, status::XRDY);
    // The byte goes out; CNT counts down and XRDY asks for the next.
    let flags = model.read(regs::IRQSTATUS_RAW);
    assert_ne!(flags & status::XRDY, 0);
    assert_eq!(model.peek(regs::CNT), 1);
    model.write(regs::DATA, 0x44);
    model.write(regs::IRQSTATUS, status::XRDY);
    // Last byte: ARDY, then the STOP frees the bus and clears STP and MST.
    let flags = model.read(regs::IRQSTATUS_RAW);
    assert_eq!(
        flags & (status::ARDY | status::BF | status::BB),
        status::ARDY | status::BF
    );
    assert_eq!(model.peek(regs::CON) & (con::STP | con::MST), 0);
    // After the STOP, CNT reads the value written again.
    assert_eq!(model.peek(regs::CNT), 2);
    assert_eq!(
        model.trace(),
        [
            BusEvent::Start {
                address: 0x50,
                read: false,
                repeated: false,
                ack: true
            },
            BusEvent::Write {
                byte: 0x03,
                ack: true
            },
            BusEvent::Write {
                byte: 0x44,
                ack: true
            },
            BusEvent::Stop
        ]
    );
    drop(model);
    assert_eq!(eeprom.borrow().memory()[3], 0x44);
}

#[test]
fn without_stp_the_bus_stays_held_until_the_cpu_asks_for_a_stop() {
    let eeprom = RefCell::new(Eeprom::<16>::new());
    let mut model = Am335xI2cModel::new();
    model.attach(0x50, &eeprom).expect("attach");
    model.write(regs::CON, con::I2C_EN);
    model.write(regs::SA, 0x50);
    model.write(regs::CNT, 1);
    model.write(regs::CON, con::I2C_EN | con::MST | con::STT);
    assert!(
        (0..10).any(|_| model.read(regs::IRQSTATUS_RAW) & status::ARDY != 0),
        "the one-byte read completes"
    );
    assert_eq!(model.read(regs::DATA), 0xFF);
    assert!(model.holds_bus());
    assert_ne!(model.read(regs::IRQSTATUS_RAW) & status::BB, 0);
    model.write(regs::CON, con::I2C_EN | con::MST | con::STP);
    model.read(regs::IRQSTATUS_RAW);
    assert!(!model.holds_bus());
    assert_eq!(model.trace().last(), Some(&BusEvent::Stop));
}

#[test]
fn thresholds_above_one_byte_raise_draining_flags_for_the_tail() {
    let eeprom = RefCell::new(Eeprom::<16>::new());
    let mut model = Am335xI2cModel::new();
    model.attach(0x50, &eeprom).expect("attach");
    model.write(regs::CON, con::I2C_EN);
    // TX threshold 4 bytes; a 6-byte write: one XRDY for 4, then XDR for the last 2.
    model.write(regs::BUF, 3);
    model.write(regs::SA, 0x50);
    model.write(regs::CNT, 6);
    model.write(
        regs::CON,
        con::I2C_EN | con::MST | con::TRX | con::STT | con::STP,
    );
    assert_ne!(model.read(regs::IRQSTATUS_RAW) & status::XRDY, 0);
    for byte in [0, 1, 2, 3] {
        model.write(regs::DATA, byte);
    }
    model.write(regs::IRQSTATUS, status::XRDY);
    let flags = model.read(regs::IRQSTATUS_RAW);
    assert_eq!(flags & (status::XRDY | status::XDR), status::XDR);
    assert_eq!(model.peek(regs::BUFSTAT) & bufstat::TXSTAT_MASK, 2);
}

#[test]
fn attaching_checks_addresses_and_capacity() {
    let targets: [RefCell<Eeprom<1>>; 9] = Default::default();
    let mut model = Am335xI2cModel::new();
    assert_eq!(
        model.attach(0x80, &targets[0]),
        Err(AttachError::InvalidAddress(0x80))
    );
    for (i, target) in targets.iter().take(8).enumerate() {
        model.attach(0x10 + i as u8, target).expect("room");
    }
    assert_eq!(
        model.attach(0x10, &targets[8]),
        Err(AttachError::AddressTaken(0x10))
    );
    assert_eq!(model.attach(0x60, &targets[8]), Err(AttachError::Full));
    assert!(model.detach(0x10));
    model.attach(0x60, &targets[8]).expect("room again");
}
