//! Initialisation against the model: the TRM sequence leaves the objects as
//! configured, honours the register protection rules, and every wait is bounded.

mod common;

use am335x_dcan::model::DcanModel;
use am335x_dcan::regs::{self, ctl, es, ifarb, ifmctl, ifmsk};
use am335x_dcan::{Config, ConfigError, Dcan, Error, Filter, Registers, Wait};
use common::{sid, started};

#[test]
fn init_sets_up_the_fifo_and_leaves_the_transmit_objects_invalid() {
    let can = started(Config::new(500_000).with_objects(6, 4));
    let model = can.registers();
    for n in 1..=6u8 {
        let o = model.object(n).expect("object");
        assert!(o.is_valid(), "FIFO object {n} valid");
        assert_eq!(o.mctl & ifmctl::UMASK, ifmctl::UMASK);
        let eob = if n == 6 { ifmctl::EOB } else { 0 };
        assert_eq!(
            o.mctl & ifmctl::EOB,
            eob,
            "EoB only on the last FIFO object"
        );
        assert_eq!(o.arb & ifarb::DIR, 0, "receive direction");
    }
    for n in 7..=64u8 {
        assert!(!model.object(n).expect("object").is_valid(), "object {n}");
    }
    assert_eq!(
        model.ignored_writes(),
        0,
        "no write hit a protected register"
    );
    assert_eq!(model.ctl() & (ctl::INIT | ctl::CCE), 0);
}

#[test]
fn a_standard_filter_is_written_into_every_fifo_object() {
    let can = started(
        Config::new(500_000)
            .with_objects(2, 1)
            .with_filter(Filter::standard(sid(0x123), 0x7FF)),
    );
    for n in 1..=2u8 {
        let o = can.registers().object(n).expect("object");
        assert_eq!(o.arb & ifarb::ID_MASK, 0x123 << ifarb::STD_ID_SHIFT);
        assert_eq!(o.msk & ifmsk::MSK_MASK, 0x7FF << ifarb::STD_ID_SHIFT);
        assert_ne!(o.msk & ifmsk::MXTD, 0);
    }
}

#[test]
fn init_clears_objects_left_over_in_the_message_ram() {
    let mut model = DcanModel::new();
    model.write(regs::IF1.arb, ifarb::MSGVAL | ifarb::DIR);
    model.write(regs::IF1.cmd, regs::ifcmd::WR | regs::ifcmd::ARB | 40);
    assert!(model.object(40).expect("object").is_valid());
    let mut can = Dcan::new(model, Config::new(500_000));
    can.init().expect("init");
    assert!(!can.registers().object(40).expect("object").is_valid());
}

#[test]
fn the_model_protects_btr_unless_init_and_cce_are_set() {
    let mut model = DcanModel::new();
    model.write(regs::BTR, 0x1C42);
    assert_eq!(model.btr(), 0x2301, "CCE clear: write ignored");
    assert_eq!(model.ignored_writes(), 1);
    model.write(regs::CTL, ctl::INIT | ctl::CCE);
    model.write(regs::BTR, 0x1C42);
    assert_eq!(model.btr(), 0x1C42);
}

#[test]
fn reading_es_clears_the_status_flags_and_lec() {
    let mut can = started(Config::new(500_000));
    can.transmit_one();
    let model = can.registers_mut();
    let first = model.read(regs::ES);
    assert_ne!(first & es::TX_OK, 0);
    assert_eq!(first & es::LEC_MASK, 0, "no error");
    let second = model.read(regs::ES);
    assert_eq!(second & es::TX_OK, 0);
    assert_eq!(second & es::LEC_MASK, 7, "no event since the last read");
}

#[test]
fn a_stuck_interface_ends_in_a_timeout() {
    let mut model = DcanModel::new();
    model.set_stuck_busy(true);
    let mut can = Dcan::new(model, Config::new(500_000).with_poll_budget(50));
    assert_eq!(can.init(), Err(Error::Timeout(Wait::InterfaceBusy)));
}

#[test]
fn the_driver_waits_out_a_slow_interface() {
    let mut model = DcanModel::new();
    model.set_busy_reads(20);
    let mut can = Dcan::new(model, Config::new(500_000).with_poll_budget(50));
    can.init().expect("Busy clears within the budget");
    assert_eq!(can.registers().ignored_writes(), 0);
}

#[test]
fn an_impossible_object_split_is_a_configuration_error() {
    let mut can = Dcan::new(DcanModel::new(), Config::new(500_000).with_objects(60, 8));
    assert_eq!(
        can.init(),
        Err(Error::Config(ConfigError::ObjectLayout {
            rx_fifo_len: 60,
            tx_objects: 8
        }))
    );
}

/// Sends one frame so ES has something to report.
trait TransmitOne {
    fn transmit_one(&mut self);
}

impl TransmitOne for Dcan<DcanModel> {
    fn transmit_one(&mut self) {
        use embedded_can::nb::Can;
        self.transmit(&common::data(0x1, &[])).expect("transmit");
    }
}
