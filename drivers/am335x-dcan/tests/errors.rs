//! Fault confinement: error counters, error passive, bus-off, recovery, LEC mapping.

mod common;

use am335x_dcan::model::{TxAttempt, RECOVERY_SEQUENCES};
use am335x_dcan::{BusState, Config, Error, Lec};
use common::{data, started};
use embedded_can::nb::Can;
use embedded_can::{ErrorKind, Frame};

#[test]
fn ack_errors_drive_the_node_error_passive_then_bus_off_and_recover() {
    let mut can = started(Config::new(500_000));
    assert_eq!(can.state(), BusState::ErrorActive);

    // Nobody acknowledges: 16 failed attempts take TEC to 128.
    can.registers_mut().hold_transmissions(true);
    can.registers_mut().inject_tx_errors(Lec::Ack, 16);
    can.transmit(&data(0x10, &[1])).expect("queued");
    for _ in 0..12 {
        can.registers_mut().transmit_next();
    }
    assert_eq!(can.error_counters(), (96, 0));
    assert!(can.warning(), "EWarn at 96");
    assert_eq!(can.state(), BusState::ErrorActive);
    for _ in 0..4 {
        can.registers_mut().transmit_next();
    }
    assert_eq!(can.error_counters(), (128, 0));
    assert_eq!(can.state(), BusState::ErrorPassive);
    assert_eq!(can.last_error(), Some(Lec::Ack));
    assert_eq!(Lec::Ack.kind(), Some(ErrorKind::Acknowledge));

    // Error passive and still no ack: TEC stays put (ISO 11898-1 rule 3 exception).
    can.registers_mut().inject_tx_errors(Lec::Ack, 5);
    for _ in 0..5 {
        can.registers_mut().transmit_next();
    }
    assert_eq!(can.error_counters().0, 128);

    // Bit errors do count: 16 more take TEC past 255.
    can.registers_mut().inject_tx_errors(Lec::Bit0, 16);
    for _ in 0..16 {
        assert!(matches!(
            can.registers_mut().transmit_next(),
            Some(TxAttempt::Failed {
                error: Lec::Bit0,
                ..
            })
        ));
    }
    assert_eq!(can.state(), BusState::BusOff);
    assert!(can.registers().in_init(), "the controller set Init");
    assert_eq!(
        can.transmit(&data(0x11, &[2])),
        Err(nb::Error::Other(Error::BusOff))
    );

    // Recovery: clear Init, then 129 x 11 recessive bits.
    can.registers_mut().hold_transmissions(false);
    can.recover().expect("recover");
    assert!(!can.registers().in_init());
    can.registers_mut().idle_bits(11 * (RECOVERY_SEQUENCES - 1));
    assert_eq!(can.state(), BusState::BusOff, "one sequence short");
    assert_eq!(
        can.last_error(),
        Some(Lec::Bit0),
        "recovery progress shows as Bit0"
    );
    can.registers_mut().idle_bits(11);
    assert_eq!(can.state(), BusState::ErrorActive);
    assert_eq!(can.error_counters(), (0, 0));

    // The frame queued before bus-off went out on recovery; sending works again.
    let first = can.registers_mut().pop_wire().expect("queued frame sent");
    assert_eq!(first.frame.id(), data(0x10, &[]).id());
    can.transmit(&data(0x12, &[3]))
        .expect("transmit after recovery");
    assert_eq!(
        can.registers_mut().pop_wire().map(|w| w.frame.data()[0]),
        Some(3)
    );
}

#[test]
fn recovery_does_not_start_while_init_is_set() {
    let mut can = started(Config::new(500_000));
    can.registers_mut().inject_tx_errors(Lec::Bit1, 32);
    can.transmit(&data(0x1, &[])).expect("queued");
    assert_eq!(can.state(), BusState::BusOff);
    can.registers_mut().idle_bits(11 * 200);
    assert_eq!(
        can.state(),
        BusState::BusOff,
        "Init still set: nothing counted"
    );
    assert_eq!(can.registers().recovery_progress(), 0);
    can.recover().expect("recover");
    can.registers_mut().idle_bits(11 * RECOVERY_SEQUENCES);
    assert_eq!(can.state(), BusState::ErrorActive);
}

#[test]
fn successful_transmissions_count_tec_back_down() {
    let mut can = started(Config::new(500_000));
    can.registers_mut().inject_tx_errors(Lec::Ack, 3);
    can.transmit(&data(0x1, &[]))
        .expect("sent after three retries");
    assert_eq!(can.error_counters().0, 3 * 8 - 1);
    for _ in 0..5 {
        can.transmit(&data(0x1, &[])).expect("sent");
    }
    assert_eq!(can.error_counters().0, 3 * 8 - 6);
    assert_eq!(can.registers().wire_len(), 6);
}

#[test]
fn receive_errors_raise_rec_up_to_receive_error_passive() {
    let mut can = started(Config::new(500_000));
    can.registers_mut().inject_rx_errors(Lec::Crc, 100);
    assert_eq!(can.error_counters(), (0, 100));
    assert!(can.warning());
    assert_eq!(can.state(), BusState::ErrorActive);
    assert_eq!(can.last_error().and_then(Lec::kind), Some(ErrorKind::Crc));
    can.registers_mut().inject_rx_errors(Lec::Stuff, 28);
    assert_eq!(can.error_counters(), (0, 128), "RP reported as 128");
    assert_eq!(can.state(), BusState::ErrorPassive);
    // A good frame brings REC back under the passive level.
    can.registers_mut().inject_frame(data(0x5, &[]));
    assert_eq!(can.error_counters(), (0, 127));
    assert_eq!(can.state(), BusState::ErrorActive);
}

#[test]
fn last_error_codes_map_to_embedded_can_kinds() {
    let cases = [
        (Lec::Stuff, Some(ErrorKind::Stuff)),
        (Lec::Form, Some(ErrorKind::Form)),
        (Lec::Ack, Some(ErrorKind::Acknowledge)),
        (Lec::Bit1, Some(ErrorKind::Bit)),
        (Lec::Bit0, Some(ErrorKind::Bit)),
        (Lec::Crc, Some(ErrorKind::Crc)),
        (Lec::NoError, None),
        (Lec::NoEvent, None),
    ];
    for (lec, kind) in cases {
        assert_eq!(lec.kind(), kind, "{lec:?}");
        assert_eq!(Lec::from_es(lec.bits()), lec);
    }
}

#[test]
fn last_error_is_taken_once_even_though_es_reads_clear_lec() {
    let mut can = started(Config::new(500_000));
    can.registers_mut().hold_transmissions(true);
    can.registers_mut().inject_tx_errors(Lec::Form, 1);
    can.transmit(&data(0x1, &[])).expect("queued");
    can.registers_mut().transmit_next();
    // `state` reads ES, which resets LEC to 7; the error must survive that, and the
    // successful retry after it (LEC = 0).
    assert_eq!(can.state(), BusState::ErrorActive);
    can.registers_mut().hold_transmissions(false);
    assert_eq!(can.registers().wire_len(), 1);
    assert_eq!(can.last_error(), Some(Lec::Form));
    assert_eq!(can.last_error(), None);
}

#[test]
fn recover_when_not_bus_off_does_nothing() {
    let mut can = started(Config::new(500_000));
    can.recover().expect("no-op");
    assert_eq!(can.state(), BusState::ErrorActive);
    assert!(!can.registers().in_init());
}
