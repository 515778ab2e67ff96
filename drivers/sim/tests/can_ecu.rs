//! The simulated engine ECU on the bus, as a scan tool sees it.

use embedded_can::nb::Can;
use embedded_can::Frame;
use kos_sim_devices::can::devices::obd;
use kos_sim_devices::can::devices::{Ecu, BROADCAST_ID, BROADCAST_PERIOD_US, RESPONSE_DELAY_US};
use kos_sim_devices::can::{Filter, Received, SimCanBus};

fn drain(bus: &mut SimCanBus, node: kos_sim_devices::can::NodeId) -> Vec<Received> {
    let mut node = bus.node(node).unwrap();
    let mut frames = Vec::new();
    for _ in 0..10_000 {
        match node.receive_timed() {
            Ok(received) => frames.push(received),
            Err(_) => break,
        }
    }
    frames
}

#[test]
fn the_ecu_broadcasts_engine_state_every_100_ms() {
    let mut bus = SimCanBus::new(500_000);
    let tester = bus.add_node_with(kos_sim_devices::can::NodeConfig {
        tx_mailboxes: 3,
        rx_queue: 64,
    });
    let ecu = bus.add_device(Ecu::new(9, 0));
    bus.advance_to(1_000_000);
    let got = drain(&mut bus, tester);
    // At 0, 100, …, 1000 ms; the one queued at 1000 ms is still on the wire.
    assert_eq!(got.len(), 10);
    for (i, received) in got.iter().enumerate() {
        assert_eq!(received.frame.raw_id(), u32::from(BROADCAST_ID));
        // Each goes out when queued; its length depends on its data's stuff bits.
        let frame_us = bus.frame_time_us(&received.frame);
        assert_eq!(received.at_us, i as u64 * BROADCAST_PERIOD_US + frame_us);
        let data = received.frame.data();
        assert_eq!(data[7], i as u8, "rolling counter");
        let rpm = obd::decode_rpm(data[0], data[1]);
        let coolant = i32::from(data[2]) - 40;
        // A cold engine just started: fast idle, coolant near ambient, standing still.
        assert!((1000.0..=1300.0).contains(&rpm), "{rpm}");
        assert!((19..=22).contains(&coolant), "{coolant}");
        assert_eq!(data[3], 0);
        let expected = bus
            .device::<Ecu>(ecu)
            .unwrap()
            .engine(i as u64 * BROADCAST_PERIOD_US);
        assert_eq!([data[0], data[1]], obd::encode_rpm(expected.rpm));
    }
}

#[test]
fn the_values_change_over_a_drive() {
    let mut bus = SimCanBus::new(500_000);
    let tester = bus.add_node();
    bus.set_filters(tester, &[Filter::standard(BROADCAST_ID, 0x7FF)])
        .unwrap();
    bus.add_device(Ecu::new(9, 0));
    let mut max_rpm: f64 = 0.0;
    let mut max_speed = 0u8;
    let mut last_coolant = 0;
    // Ten minutes, read every second (the queue holds 16 frames; 10 arrive a second).
    for second in 1..=600u64 {
        bus.advance_to(second * 1_000_000);
        for received in drain(&mut bus, tester) {
            let data = received.frame.data();
            max_rpm = max_rpm.max(obd::decode_rpm(data[0], data[1]));
            max_speed = max_speed.max(data[3]);
            last_coolant = i32::from(data[2]) - 40;
        }
    }
    assert!(max_rpm > 2000.0, "{max_rpm}");
    assert!(max_speed > 60, "{max_speed}");
    assert!(last_coolant > 80, "{last_coolant}");
    assert_eq!(bus.status(tester).unwrap().stats.rx_overruns, 0);
}

#[test]
fn the_ecu_answers_an_obd_rpm_request() {
    let mut bus = SimCanBus::new(500_000);
    let tester = bus.add_node();
    bus.set_filters(tester, &[Filter::standard(obd::RESPONSE_ID, 0x7FF)])
        .unwrap();
    let ecu = bus.add_device(Ecu::new(3, 0));
    // Half-way between broadcasts, so the wire is free.
    bus.advance_to(50_000);
    let request = obd::request(obd::PID_ENGINE_RPM).unwrap();
    bus.node(tester).unwrap().transmit(&request).unwrap();
    bus.advance_to(60_000);
    let got = drain(&mut bus, tester);
    assert_eq!(got.len(), 1);
    let response = got[0];
    assert_eq!(response.frame.raw_id(), u32::from(obd::RESPONSE_ID));
    let data = response.frame.data();
    assert_eq!(&data[..3], &[0x04, 0x41, 0x0C]);
    // The request ends 230 µs after it was sent; the ECU answers 2 ms later, and the
    // answer takes its own frame time.
    let replied_at = 50_000 + bus.frame_time_us(&request) + RESPONSE_DELAY_US;
    assert_eq!(
        response.at_us,
        replied_at + bus.frame_time_us(&response.frame)
    );
    let engine = bus.device::<Ecu>(ecu).unwrap().engine(replied_at);
    assert_eq!([data[3], data[4]], obd::encode_rpm(engine.rpm));
    assert!((obd::decode_rpm(data[3], data[4]) - engine.rpm).abs() <= 0.125);
    assert_eq!(bus.device::<Ecu>(ecu).unwrap().answered(), 1);
}

#[test]
fn the_ecu_reports_its_supported_pids_and_ignores_others() {
    let mut bus = SimCanBus::new(500_000);
    let tester = bus.add_node();
    bus.set_filters(tester, &[Filter::standard(obd::RESPONSE_ID, 0x7FF)])
        .unwrap();
    bus.add_device(Ecu::new(3, 0));
    bus.advance_to(20_000);
    let mut node = bus.node(tester).unwrap();
    node.transmit(&obd::request(obd::PID_SUPPORTED_01_20).unwrap())
        .unwrap();
    node.transmit(&obd::request(0x42).unwrap()).unwrap();
    bus.advance_to(40_000);
    let got = drain(&mut bus, tester);
    assert_eq!(got.len(), 1);
    assert_eq!(
        &got[0].frame.data()[..7],
        &[0x06, 0x41, 0x00, 0x08, 0x18, 0x00, 0x00]
    );
}
