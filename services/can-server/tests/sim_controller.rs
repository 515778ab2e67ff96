//! The simulated bus as the CAN service's controller: no frame is ever lost to a
//! full set of mailboxes.

use embedded_can::{Frame as _, StandardId};
use kos_can::{Controller, Frame};
use kos_can_server::sim::SimCan;

fn frame(id: u16) -> Frame {
    Frame::new(StandardId::new(id).unwrap(), &[id as u8]).unwrap()
}

#[test]
fn full_mailboxes_say_would_block_instead_of_dropping_a_frame() {
    let mut can = SimCan::new(500_000, 1);
    // Lowest priority first, so each later frame would win a full mailbox.
    for id in [0x300, 0x200, 0x100] {
        assert_eq!(can.transmit(&frame(id)), Ok(()));
    }
    assert_eq!(can.transmit(&frame(0x050)), Err(nb::Error::WouldBlock));
    // The wire carries all three (the ECU acknowledges them); none was pushed out.
    can.bus.advance_to(10_000);
    let me = can.node_id();
    let stats = can.bus.status(me).unwrap().stats;
    assert_eq!((stats.tx_frames, stats.tx_dropped), (3, 0));
    assert_eq!(can.transmit(&frame(0x050)), Ok(()));
}
