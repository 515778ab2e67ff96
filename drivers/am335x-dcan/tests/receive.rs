//! Reception through the FIFO: arrival order, acceptance filtering, message lost.

mod common;

use am335x_dcan::model::{DcanModel, Delivery};
use am335x_dcan::regs::{ifcmd, IF2};
use am335x_dcan::{CanFrame, Config, Dcan, Error, Filter, Registers};
use common::{data, eid, sid, started};
use embedded_can::nb::Can;
use embedded_can::{Frame, Id};

#[test]
fn frames_come_out_of_the_fifo_in_arrival_order() {
    let mut can = started(Config::new(500_000).with_objects(4, 2));
    for n in 0..3u8 {
        let delivery = can.registers_mut().inject_frame(data(0x300, &[n]));
        assert_eq!(
            delivery,
            Delivery::Stored {
                object: n + 1,
                overwrote: false
            }
        );
    }
    for n in 0..3u8 {
        let frame = can.receive().expect("frame waiting");
        assert_eq!(frame.data(), &[n]);
    }
    assert_eq!(can.receive(), Err(nb::Error::WouldBlock));
}

#[test]
fn order_survives_frames_arriving_while_the_fifo_is_being_read() {
    // Rounds of: `a` arrive, `b` are read, `c` more arrive, then the FIFO is drained.
    // Objects read but not yet released stay locked, so up to 4 frames fit between
    // two drains of a 4-object FIFO.
    let mut can = started(Config::new(500_000).with_objects(4, 2));
    let mut next_in = 0u16;
    let mut next_out = 0u16;
    let rounds = [
        (1, 0, 3),
        (3, 1, 1),
        (2, 2, 2),
        (4, 3, 0),
        (2, 1, 2),
        (1, 1, 3),
    ];
    for (round, &(a, b, c)) in rounds.iter().cycle().take(30).enumerate() {
        for (arrivals, reads) in [(a, b), (c, usize::MAX)] {
            for _ in 0..arrivals {
                let delivery = can
                    .registers_mut()
                    .inject_frame(data(0x42, &next_in.to_le_bytes()));
                assert!(
                    matches!(
                        delivery,
                        Delivery::Stored {
                            overwrote: false,
                            ..
                        }
                    ),
                    "round {round}: {delivery:?}"
                );
                next_in += 1;
            }
            for _ in 0..reads {
                match can.receive() {
                    Ok(frame) => {
                        assert_eq!(frame.data(), &next_out.to_le_bytes(), "round {round}");
                        next_out += 1;
                    }
                    Err(nb::Error::WouldBlock) => break,
                    Err(e) => panic!("round {round}: unexpected {e:?}"),
                }
            }
        }
        assert_eq!(next_out, next_in, "round {round} drained");
    }
}

/// Registers that inject a frame into the model just before the driver's n-th
/// "release" transfer (IF2 read with only NewDat clearing), to play a frame arriving
/// while the driver releases a batch.
struct ArrivesDuringRelease {
    model: DcanModel,
    releases: u32,
    arrivals: Vec<(u32, CanFrame)>,
}

impl Registers for ArrivesDuringRelease {
    fn read(&mut self, offset: u32) -> u32 {
        self.model.read(offset)
    }

    fn write(&mut self, offset: u32, value: u32) {
        if offset == IF2.cmd && value & !ifcmd::MSG_NUM_MASK == ifcmd::TXRQST_NEWDAT {
            self.releases += 1;
            let releases = self.releases;
            for (_, frame) in self.arrivals.iter().filter(|(at, _)| *at == releases) {
                self.model.inject_frame(*frame);
            }
        }
        self.model.write(offset, value)
    }
}

#[test]
fn a_frame_arriving_during_a_release_is_read_before_newer_ones() {
    let regs = ArrivesDuringRelease {
        model: DcanModel::new(),
        releases: 0,
        // C arrives before object 1 is released: it lands in object 3, the lowest
        // free one. D arrives after: it lands in the freshly released object 1.
        arrivals: vec![(1, data(0x9, b"C")), (2, data(0x9, b"D"))],
    };
    let mut can = Dcan::new(regs, Config::new(500_000).with_objects(4, 2));
    can.init().expect("init");
    can.registers_mut().model.inject_frame(data(0x9, b"A"));
    can.registers_mut().model.inject_frame(data(0x9, b"B"));
    let mut got = Vec::new();
    while let Ok(frame) = can.receive() {
        got.push(frame.data()[0]);
    }
    assert_eq!(got, b"ABCD");
}

#[test]
fn extended_and_remote_frames_are_received_as_such() {
    let mut can = started(Config::new(500_000));
    let ext = CanFrame::new(eid(0x0123_4567), &[1, 2]).expect("frame");
    let remote = CanFrame::new_remote(sid(0x55), 3).expect("remote");
    can.registers_mut().inject_frame(ext);
    can.registers_mut().inject_frame(remote);
    assert_eq!(can.receive(), Ok(ext));
    let got = can.receive().expect("remote frame");
    assert!(got.is_remote_frame());
    assert_eq!(got.dlc(), 3);
    assert_eq!(got.id(), Id::Standard(sid(0x55)));
}

#[test]
fn the_acceptance_filter_drops_a_non_matching_frame() {
    let filter = Filter::standard(sid(0x120), 0x7F0); // 0x120..=0x12F
    let mut can = started(Config::new(500_000).with_filter(filter));
    let model = can.registers_mut();
    assert!(matches!(
        model.inject_frame(data(0x12A, &[1])),
        Delivery::Stored { object: 1, .. }
    ));
    assert_eq!(model.inject_frame(data(0x130, &[2])), Delivery::NoMatch);
    assert_eq!(
        model.inject_frame(CanFrame::new(eid(0x12A), &[3]).expect("frame")),
        Delivery::NoMatch,
        "extended frames do not pass a standard filter"
    );
    assert_eq!(can.receive().map(|f| f.data()[0]), Ok(1));
    assert_eq!(can.receive(), Err(nb::Error::WouldBlock));
}

#[test]
fn an_extended_filter_and_changing_it_at_run_time() {
    let mut can =
        started(Config::new(500_000).with_filter(Filter::extended(eid(0x18FF_0000), 0x1FFF_0000)));
    let pass = CanFrame::new(eid(0x18FF_1234), &[1]).expect("frame");
    let fail = CanFrame::new(eid(0x18FE_1234), &[2]).expect("frame");
    assert!(matches!(
        can.registers_mut().inject_frame(pass),
        Delivery::Stored { .. }
    ));
    assert_eq!(can.registers_mut().inject_frame(fail), Delivery::NoMatch);
    assert_eq!(can.receive(), Ok(pass));

    can.set_filter(Filter::accept_all()).expect("set filter");
    assert!(matches!(
        can.registers_mut().inject_frame(fail),
        Delivery::Stored { .. }
    ));
    assert!(matches!(
        can.registers_mut().inject_frame(data(0x1, &[])),
        Delivery::Stored { .. }
    ));
    assert_eq!(can.receive(), Ok(fail));
    assert_eq!(can.receive().map(|f| f.id()), Ok(Id::Standard(sid(0x1))));
}

#[test]
fn message_lost_is_reported_once_as_an_overrun() {
    let mut can = started(Config::new(500_000).with_objects(3, 1));
    // Objects 1 and 2 lock, object 3 (EoB) is overwritten by frames 2 and 3.
    for n in 0..4u8 {
        can.registers_mut().inject_frame(data(0x7, &[n]));
    }
    assert_eq!(can.receive().map(|f| f.data()[0]), Ok(0));
    assert_eq!(can.receive().map(|f| f.data()[0]), Ok(1));
    assert_eq!(can.receive(), Err(nb::Error::Other(Error::Overrun)));
    assert_eq!(
        can.receive().map(|f| f.data()[0]),
        Ok(3),
        "the surviving frame follows the overrun"
    );
    assert_eq!(can.receive(), Err(nb::Error::WouldBlock));
    // MsgLst was cleared: the next round has no overrun.
    can.registers_mut().inject_frame(data(0x7, &[4]));
    assert_eq!(can.receive().map(|f| f.data()[0]), Ok(4));
    assert_eq!(can.receive(), Err(nb::Error::WouldBlock));
    assert_eq!(can.registers().ignored_writes(), 0);
}

#[test]
fn the_overrun_error_maps_to_embedded_can_overrun() {
    use embedded_can::{Error as _, ErrorKind};
    assert_eq!(Error::Overrun.kind(), ErrorKind::Overrun);
    assert_eq!(Error::BusOff.kind(), ErrorKind::Other);
}

#[test]
fn loopback_receives_its_own_frames_without_a_bus() {
    let mut can = started(Config::new(1_000_000).with_loopback(true));
    can.transmit(&data(0x321, &[7, 7])).expect("transmit");
    assert_eq!(can.receive().map(|f| f.data().to_vec()), Ok(vec![7, 7]));
    assert_eq!(
        can.registers_mut().inject_frame(data(1, &[])),
        Delivery::NotListening,
        "internal loopback ignores CAN_RX"
    );
}
