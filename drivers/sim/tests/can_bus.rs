//! The simulated CAN bus: exchange, arbitration, wire time, filters, overruns and fault
//! confinement, observed through `embedded_can::nb::Can` as a CAN server would.

use embedded_can::nb::Can;
use embedded_can::{ExtendedId, Frame, StandardId};
use kos_sim_devices::can::{
    frame_bits, CanError, CanFrame, ErrorState, Filter, NodeConfig, NodeId, Received, SimCanBus,
};

const BITRATE: u32 = 500_000;

fn std_frame(id: u16, data: &[u8]) -> CanFrame {
    CanFrame::standard(id, data).unwrap()
}

fn send(bus: &mut SimCanBus, node: NodeId, frame: CanFrame) {
    bus.node(node).unwrap().transmit(&frame).unwrap();
}

fn drain(bus: &mut SimCanBus, node: NodeId) -> Vec<Received> {
    let mut node = bus.node(node).unwrap();
    let mut frames = Vec::new();
    for _ in 0..1000 {
        match node.receive_timed() {
            Ok(received) => frames.push(received),
            Err(nb::Error::WouldBlock) => break,
            Err(nb::Error::Other(e)) => panic!("{e:?}"),
        }
    }
    frames
}

fn ids(received: &[Received]) -> Vec<u32> {
    received.iter().map(|r| r.frame.raw_id()).collect()
}

#[test]
fn two_nodes_exchange_frames() {
    let mut bus = SimCanBus::new(BITRATE);
    let a = bus.add_node();
    let b = bus.add_node();
    send(&mut bus, a, std_frame(0x123, &[1, 2, 3]));
    bus.advance_to(1_000);
    let got = drain(&mut bus, b);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].frame.data(), &[1, 2, 3]);
    // The sender does not hear itself.
    assert!(drain(&mut bus, a).is_empty());
    send(&mut bus, b, std_frame(0x321, &[9]));
    bus.advance_to(2_000);
    assert_eq!(ids(&drain(&mut bus, a)), [0x321]);
    assert_eq!(bus.status(a).unwrap().stats.tx_frames, 1);
    assert_eq!(bus.status(a).unwrap().stats.rx_frames, 1);
    assert_eq!(bus.stats().frames, 2);
}

#[test]
fn simultaneous_frames_are_delivered_in_arbitration_order() {
    let mut bus = SimCanBus::new(BITRATE);
    let nodes: Vec<NodeId> = (0..3).map(|_| bus.add_node()).collect();
    let listener = bus.add_node();
    send(&mut bus, nodes[0], std_frame(0x300, &[0]));
    send(&mut bus, nodes[1], std_frame(0x100, &[1]));
    send(&mut bus, nodes[2], std_frame(0x200, &[2]));
    bus.advance_to(10_000);
    let got = drain(&mut bus, listener);
    assert_eq!(ids(&got), [0x100, 0x200, 0x300]);
    // Back to back: each frame starts as the previous one's intermission ends.
    let t0 = bus.frame_time_us(&got[0].frame);
    assert_eq!(got[0].at_us, t0);
    assert_eq!(got[1].at_us, t0 + bus.frame_time_us(&got[1].frame));
    // The 0x300 sender heard the two winners.
    assert_eq!(ids(&drain(&mut bus, nodes[0])), [0x100, 0x200]);
}

#[test]
fn standard_beats_extended_and_data_beats_remote_on_the_wire() {
    let mut bus = SimCanBus::new(BITRATE);
    let senders: Vec<NodeId> = (0..4).map(|_| bus.add_node()).collect();
    let listener = bus.add_node();
    let base = 0x155u16;
    let extended = CanFrame::extended(u32::from(base) << 18, &[4]).unwrap();
    let extended_remote =
        CanFrame::new_remote(ExtendedId::new(u32::from(base) << 18).unwrap(), 1).unwrap();
    let standard_remote = CanFrame::new_remote(StandardId::new(base).unwrap(), 1).unwrap();
    let standard = std_frame(base, &[1]);
    send(&mut bus, senders[0], extended_remote);
    send(&mut bus, senders[1], extended);
    send(&mut bus, senders[2], standard_remote);
    send(&mut bus, senders[3], standard);
    bus.advance_to(10_000);
    let got: Vec<CanFrame> = drain(&mut bus, listener).iter().map(|r| r.frame).collect();
    assert_eq!(got, [standard, standard_remote, extended, extended_remote]);
}

#[test]
fn frames_occupy_the_wire_for_their_counted_bits() {
    // At 500 kbit/s a bit is 2 µs. Counts: SOF 1, arbitration 12 (std) or 32 (ext),
    // control 6, data 8·n, CRC 15, then CRC delimiter, ACK slot, ACK delimiter, EOF 7
    // and intermission 3 (13), plus the stuff bits of the part from SOF to CRC.
    let cases: [(CanFrame, u32, u32); 5] = [
        // All dominant through the CRC (the CRC of zeros is zero): 34 bits, a stuff bit
        // after every fifth: 6.
        (std_frame(0x000, &[]), 6, 53),
        // 0 11111[0]11111[0]11 00000[1]0 + CRC 0x54EA = 101010011101010: 3 stuff bits.
        (CanFrame::new_remote(StandardId::MAX, 0).unwrap(), 3, 50),
        // Alternating bits barely stuff: 0 10101010101 0 0 0 0001 10101010 + CRC: 2.
        (std_frame(0x555, &[0xAA]), 2, 57),
        // An OBD-II request: 98 bits before stuffing, 4 stuff bits.
        (
            std_frame(0x7DF, &[0x02, 0x01, 0x0C, 0x55, 0x55, 0x55, 0x55, 0x55]),
            4,
            115,
        ),
        // An extended UDS-style frame: 118 bits before stuffing, 11 stuff bits.
        (
            CanFrame::extended(0x18DA_F110, &[0x02, 0x01, 0x0C, 0, 0, 0, 0, 0]).unwrap(),
            11,
            142,
        ),
    ];
    for (frame, stuff, total) in cases {
        let bits = frame_bits(&frame);
        let data_bits = 8 * frame.data().len() as u32;
        let arbitration = if frame.is_extended() { 32 } else { 12 };
        assert_eq!(
            bits.unstuffed,
            1 + arbitration + 6 + data_bits + 15,
            "{frame:?}"
        );
        assert_eq!(bits.stuff, stuff, "{frame:?}");
        assert_eq!(bits.total, total, "{frame:?}");

        let mut bus = SimCanBus::new(BITRATE);
        let a = bus.add_node();
        let b = bus.add_node();
        send(&mut bus, a, frame);
        let wire_us = u64::from(total) * 2;
        bus.advance_to(wire_us - 1);
        assert!(drain(&mut bus, b).is_empty(), "{frame:?} arrived early");
        bus.advance_to(wire_us);
        let got = drain(&mut bus, b);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].at_us, wire_us);
        assert_eq!(bus.stats().busy_bits, u64::from(total));
    }
}

#[test]
fn a_frame_queued_later_starts_at_the_bus_time_it_was_queued() {
    let mut bus = SimCanBus::new(BITRATE);
    let a = bus.add_node();
    let b = bus.add_node();
    bus.advance_to(5_000);
    send(&mut bus, a, std_frame(0x000, &[]));
    bus.advance_to(6_000);
    assert_eq!(drain(&mut bus, b)[0].at_us, 5_000 + 106);
}

#[test]
fn acceptance_filters_keep_only_matching_frames() {
    let mut bus = SimCanBus::new(BITRATE);
    let a = bus.add_node();
    let b = bus.add_node();
    bus.set_filters(
        b,
        &[
            Filter::standard(0x100, 0x7F0),
            Filter::extended(0x1234_5600, 0x1FFF_FF00),
        ],
    )
    .unwrap();
    for frame in [
        std_frame(0x105, &[]),
        std_frame(0x205, &[]),
        CanFrame::extended(0x105, &[]).unwrap(),
        CanFrame::extended(0x1234_56AB, &[]).unwrap(),
    ] {
        send(&mut bus, a, frame);
        bus.advance_to(bus.now_us() + 1_000);
    }
    assert_eq!(ids(&drain(&mut bus, b)), [0x105, 0x1234_56AB]);
    let stats = bus.status(b).unwrap().stats;
    assert_eq!((stats.rx_frames, stats.rx_filtered), (2, 2));
    // Filtered frames were still acknowledged: the sender saw no errors.
    assert_eq!(bus.status(a).unwrap().stats.tx_ack_errors, 0);
    // No filters at all: nothing is kept.
    bus.set_filters(b, &[]).unwrap();
    send(&mut bus, a, std_frame(0x105, &[]));
    bus.advance_to(bus.now_us() + 1_000);
    assert!(drain(&mut bus, b).is_empty());
}

#[test]
fn a_full_receive_queue_overruns_and_says_so_once() {
    let mut bus = SimCanBus::new(BITRATE);
    let sender = bus.add_node_with(NodeConfig {
        tx_mailboxes: 8,
        rx_queue: 4,
    });
    let slow = bus.add_node_with(NodeConfig {
        tx_mailboxes: 1,
        rx_queue: 4,
    });
    for id in 0..6u16 {
        send(&mut bus, sender, std_frame(0x100 + id, &[id as u8]));
    }
    bus.advance_to(10_000);
    let mut node = bus.node(slow).unwrap();
    assert_eq!(node.receive(), Err(nb::Error::Other(CanError::Overrun)));
    let mut kept = Vec::new();
    while let Ok(frame) = node.receive() {
        kept.push(frame.raw_id());
    }
    // The oldest four were kept; the last two were lost.
    assert_eq!(kept, [0x100, 0x101, 0x102, 0x103]);
    assert_eq!(node.receive(), Err(nb::Error::WouldBlock));
    assert_eq!(bus.status(slow).unwrap().stats.rx_overruns, 2);
}

#[test]
fn full_mailboxes_block_or_displace_a_lower_priority_frame() {
    let mut bus = SimCanBus::new(BITRATE);
    let a = bus.add_node();
    let _b = bus.add_node();
    let mut node = bus.node(a).unwrap();
    for id in [0x300, 0x200, 0x250] {
        assert_eq!(node.transmit(&std_frame(id, &[])), Ok(None));
    }
    assert_eq!(
        node.transmit(&std_frame(0x400, &[])),
        Err(nb::Error::WouldBlock)
    );
    assert_eq!(
        node.transmit(&std_frame(0x100, &[])),
        Ok(Some(std_frame(0x300, &[])))
    );
}

#[test]
fn a_lone_node_goes_error_passive_then_bus_off_and_recovers() {
    let mut bus = SimCanBus::new(BITRATE);
    let lone = bus.add_node();
    let other = bus.add_node();
    bus.set_connected(other, false).unwrap();
    let frame = std_frame(0x000, &[]);
    send(&mut bus, lone, frame);

    // No acknowledgement: an error frame and a retry, TEC +8 each time while active.
    // Each attempt is 34 + 6 stuffed bits, CRC delimiter and ACK slot (42), then the
    // error frame (17): 59 bits = 118 µs.
    bus.advance_to(118);
    let status = bus.status(lone).unwrap();
    assert_eq!((status.counters.tec, status.stats.tx_ack_errors), (8, 1));
    bus.advance_to(16 * 118);
    let status = bus.status(lone).unwrap();
    assert_eq!(status.counters.tec, 128);
    assert_eq!(status.state, ErrorState::ErrorPassive);

    // ISO 11898-1 rule 3, exception 1: an error-passive sender that misses the ACK
    // does not count it, so a node alone on a bus stays error passive.
    bus.advance_to(100_000);
    let status = bus.status(lone).unwrap();
    assert_eq!(status.counters.tec, 128);
    assert!(status.stats.tx_ack_errors > 300);

    // A failing transceiver does count: 16 bit errors take it past 255 to bus-off.
    bus.inject_tx_errors(lone, 16).unwrap();
    bus.advance_to(110_000);
    let status = bus.status(lone).unwrap();
    assert_eq!(status.state, ErrorState::BusOff);
    assert_eq!((status.counters.tec, status.stats.bus_off_count), (256, 1));

    // Bus-off: nothing goes on the wire, and new frames are refused.
    let busy = bus.stats().busy_bits;
    bus.advance_to(200_000);
    assert_eq!(bus.stats().busy_bits, busy);
    assert_eq!(
        bus.node(lone).unwrap().transmit(&std_frame(0x001, &[])),
        Err(nb::Error::Other(CanError::BusOff))
    );

    // Another node joins; recovery takes 128 × 11 recessive bits = 2816 µs.
    bus.set_connected(other, true).unwrap();
    bus.recover(lone).unwrap();
    bus.advance_to(200_000 + 2_815);
    assert_eq!(bus.status(lone).unwrap().state, ErrorState::BusOff);
    assert!(bus.status(lone).unwrap().recovering);
    bus.advance_to(200_000 + 2_816);
    let status = bus.status(lone).unwrap();
    assert_eq!(status.state, ErrorState::ErrorActive);
    assert_eq!(status.counters.tec, 0);

    // The frame still in its mailbox now goes out, acknowledged.
    bus.advance_to(210_000);
    let got = drain(&mut bus, other);
    assert_eq!(ids(&got), [0x000]);
    assert_eq!(got[0].at_us, 200_000 + 2_816 + 106);
    assert_eq!(bus.status(lone).unwrap().stats.tx_frames, 1);
}

#[test]
fn bit_errors_raise_the_receivers_rec_and_the_frame_is_retried() {
    let mut bus = SimCanBus::new(BITRATE);
    let a = bus.add_node();
    let b = bus.add_node();
    bus.inject_tx_errors(a, 2).unwrap();
    send(&mut bus, a, std_frame(0x010, &[1, 2]));
    bus.advance_to(5_000);
    assert_eq!(ids(&drain(&mut bus, b)), [0x010]);
    let sender = bus.status(a).unwrap();
    let receiver = bus.status(b).unwrap();
    // +8 +8 −1 for the sender; +1 +1 −1 for the receiver.
    assert_eq!(sender.counters.tec, 15);
    assert_eq!(receiver.counters.rec, 1);
    assert_eq!(bus.stats().error_frames, 2);
}

#[test]
fn injected_receive_errors_make_a_node_passive_until_it_receives() {
    let mut bus = SimCanBus::new(BITRATE);
    let a = bus.add_node();
    let b = bus.add_node();
    bus.inject_rx_errors(b, 128).unwrap();
    assert_eq!(bus.status(b).unwrap().state, ErrorState::ErrorPassive);
    send(&mut bus, a, std_frame(0x010, &[]));
    bus.advance_to(1_000);
    let status = bus.status(b).unwrap();
    assert_eq!(status.state, ErrorState::ErrorActive);
    assert_eq!(status.counters.rec, 119);
}

#[test]
fn an_unknown_node_is_refused() {
    let mut bus = SimCanBus::new(BITRATE);
    let mut other = SimCanBus::new(BITRATE);
    other.add_node();
    let foreign = other.add_node();
    assert!(bus.node(foreign).is_none());
    assert!(bus.set_connected(foreign, false).is_err());
    assert!(bus.status(foreign).is_none());
}
