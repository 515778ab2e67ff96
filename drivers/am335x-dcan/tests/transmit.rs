//! Transmission: frames reach the model's wire with the right id, DLC and data, in
//! arbitration order, and a full set of transmit objects means `WouldBlock`.

mod common;

use am335x_dcan::model::{DcanModel, TxAttempt};
use am335x_dcan::regs::{self, ifarb, ifcmd, ifmctl, IF1};
use am335x_dcan::{CanFrame, Config, Registers};
use common::{data, eid, sid, started};
use embedded_can::nb::Can;
use embedded_can::{Frame, Id};

#[test]
fn a_standard_data_frame_goes_out_with_its_id_dlc_and_data() {
    let mut can = started(Config::new(500_000));
    can.transmit(&data(0x123, &[0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3]))
        .expect("transmit");
    let sent = can
        .registers_mut()
        .pop_wire()
        .expect("one frame on the wire");
    assert_eq!(sent.frame.id(), Id::Standard(sid(0x123)));
    assert!(!sent.frame.is_extended());
    assert!(!sent.frame.is_remote_frame());
    assert_eq!(sent.frame.dlc(), 7);
    assert_eq!(sent.frame.data(), &[0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3]);
    assert_eq!(
        sent.object, 17,
        "first transmit object after a 16-object FIFO"
    );
    assert!(can.registers_mut().pop_wire().is_none());
}

#[test]
fn an_extended_data_frame_keeps_all_29_bits() {
    let mut can = started(Config::new(500_000));
    let frame = CanFrame::new(eid(0x1ABC_DEF0), &[9; 8]).expect("frame");
    can.transmit(&frame).expect("transmit");
    let sent = can.registers_mut().pop_wire().expect("frame on the wire");
    assert_eq!(sent.frame.id(), Id::Extended(eid(0x1ABC_DEF0)));
    assert_eq!(sent.frame.data(), &[9; 8]);
    assert_eq!(sent.frame, frame);
}

#[test]
fn a_remote_frame_goes_out_as_a_remote_frame_with_its_dlc() {
    let mut can = started(Config::new(500_000));
    let frame = CanFrame::new_remote(sid(0x7FF), 4).expect("remote");
    can.transmit(&frame).expect("transmit");
    let sent = can.registers_mut().pop_wire().expect("frame on the wire");
    assert!(sent.frame.is_remote_frame());
    assert_eq!(sent.frame.dlc(), 4);
    assert!(sent.frame.data().is_empty());
    assert_eq!(sent.frame.id(), Id::Standard(sid(0x7FF)));
    // Remote frames are sent from a Dir = 0 object.
    let object = can.registers().object(sent.object).expect("object");
    assert_eq!(object.arb & ifarb::DIR, 0);
}

#[test]
fn a_zero_length_frame_is_sent_with_dlc_0() {
    let mut can = started(Config::new(125_000));
    can.transmit(&data(0x10, &[])).expect("transmit");
    let sent = can.registers_mut().pop_wire().expect("frame");
    assert_eq!(sent.frame.dlc(), 0);
    assert!(sent.frame.data().is_empty());
}

#[test]
fn frames_leave_in_the_order_they_were_queued() {
    let mut can = started(Config::new(500_000).with_objects(4, 3));
    can.registers_mut().hold_transmissions(true);
    for n in 0..3u8 {
        can.transmit(&data(0x100 + u16::from(n), &[n]))
            .expect("queued");
    }
    assert_eq!(can.registers().wire_len(), 0, "held");
    can.registers_mut().hold_transmissions(false);
    let order: Vec<u8> = can.registers().wire().map(|w| w.frame.data()[0]).collect();
    assert_eq!(order, [0, 1, 2]);
    // The objects are reused only once all are done, so order survives wrapping.
    can.registers_mut().hold_transmissions(true);
    for n in 3..6u8 {
        can.transmit(&data(0x100, &[n])).expect("queued after wrap");
    }
    can.registers_mut().hold_transmissions(false);
    let order: Vec<u8> = can.registers().wire().map(|w| w.frame.data()[0]).collect();
    assert_eq!(order, [0, 1, 2, 3, 4, 5]);
}

#[test]
fn all_transmit_objects_pending_means_would_block() {
    let mut can = started(Config::new(500_000).with_objects(8, 4));
    can.registers_mut().hold_transmissions(true);
    for n in 0..4u8 {
        can.transmit(&data(0x200, &[n])).expect("free object");
    }
    assert_eq!(can.transmit(&data(0x200, &[4])), Err(nb::Error::WouldBlock));
    // One sent is not enough: objects are reused only when all are done.
    let first = can.registers_mut().transmit_next();
    assert!(matches!(first, Some(TxAttempt::Sent { object: 9, .. })));
    assert_eq!(can.transmit(&data(0x200, &[4])), Err(nb::Error::WouldBlock));
    can.registers_mut().hold_transmissions(false);
    can.transmit(&data(0x200, &[4]))
        .expect("objects free again");
    assert_eq!(can.registers().wire_len(), 5);
}

#[test]
fn the_model_sends_the_lowest_numbered_pending_object_first() {
    // Drive the model directly through the IF registers: request object 20, then 18.
    let mut model = DcanModel::new();
    model.write(regs::CTL, 0); // leave Init with every object invalid
    model.hold_transmissions(true);
    for (object, id) in [(20u8, 0x020u32), (18, 0x018)] {
        model.write(
            IF1.arb,
            ifarb::MSGVAL | ifarb::DIR | (id << ifarb::STD_ID_SHIFT),
        );
        model.write(IF1.mctl, ifmctl::EOB | 1);
        model.write(IF1.data, u32::from(object));
        model.write(
            IF1.cmd,
            ifcmd::WR
                | ifcmd::ARB
                | ifcmd::CONTROL
                | ifcmd::DATA_A
                | ifcmd::TXRQST_NEWDAT
                | u32::from(object),
        );
        while model.read(IF1.cmd) & ifcmd::BUSY != 0 {}
    }
    assert_eq!(model.read(regs::TXRQ12), (1 << 17) | (1 << 19));
    assert_eq!(model.read(regs::TXRQ_X), 0b100, "objects 17..=24 group");
    model.hold_transmissions(false);
    let objects: Vec<u8> = model.wire().map(|w| w.object).collect();
    assert_eq!(objects, [18, 20]);
    assert_eq!(model.read(regs::TXRQ12), 0);
    assert_eq!(model.ignored_writes(), 0);
}

#[test]
fn transmit_before_init_is_refused() {
    let mut can = am335x_dcan::Dcan::new(DcanModel::new(), Config::new(500_000));
    assert_eq!(
        can.transmit(&data(1, &[])),
        Err(nb::Error::Other(am335x_dcan::Error::NotInitialised))
    );
}
