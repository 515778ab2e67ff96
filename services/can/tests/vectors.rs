//! `kos_can_protocol`'s wire vectors for the Elixir library (`Kos.CAN`): frames as
//! the library must encode them, records it must decode or refuse, filters and the
//! status report, all produced by this crate's own encoders and decoders. See
//! `kos-wire-vectors` for how the file is kept in step.

use embedded_can::{ExtendedId, Frame as _, StandardId};
use kos_can::protocol::*;
use kos_can::{BusState, ControllerStatus, Fault, Frame};
use kos_wire_vectors::{
    atom, boolean, bytes, check, failure_statuses, int, record, text, tuple, Term,
};

/// What `Kos.CAN` calls a bus state.
fn state_atom(state: BusState) -> Term {
    atom(match state {
        BusState::ErrorActive => "error_active",
        BusState::ErrorPassive => "error_passive",
        BusState::BusOff => "bus_off",
    })
}

/// What `Kos.CAN` calls an event's fault (`none` for no fault).
fn fault_atom(fault: Option<Fault>) -> Term {
    atom(match fault {
        None => "none",
        Some(Fault::Overrun) => "overrun",
        Some(Fault::Bit) => "bit",
        Some(Fault::Stuff) => "stuff",
        Some(Fault::Crc) => "crc",
        Some(Fault::Form) => "form",
        Some(Fault::Acknowledge) => "ack",
        Some(Fault::Other) => "other",
    })
}

/// A frame as the fields of a `%Kos.CAN.Frame{}`.
fn frame_term(frame: &Frame, timestamp_us: u64) -> Term {
    record([
        ("id", int(frame.raw_id())),
        ("extended", boolean(frame.is_extended())),
        ("remote", boolean(frame.is_remote_frame())),
        ("data", bytes(frame.data())),
        ("dlc", int(frame.dlc() as u64)),
        ("timestamp_us", int(timestamp_us)),
    ])
}

fn record_term(r: &Record) -> Term {
    match &r.content {
        Content::Frame(frame) => tuple([atom("frame"), frame_term(frame, r.timestamp_us)]),
        Content::Event(event) => tuple([
            atom("bus_event"),
            record([
                ("state", state_atom(event.status.state)),
                ("tec", int(event.status.tec)),
                ("rec", int(event.status.rec)),
                ("error", fault_atom(event.error)),
                ("dropped", int(event.dropped)),
                ("timestamp_us", int(r.timestamp_us)),
            ]),
        ]),
    }
}

fn frames() -> Vec<Frame> {
    let std = |id, data: &[u8]| Frame::new(StandardId::new(id).unwrap(), data).unwrap();
    let ext = |id, data: &[u8]| Frame::new(ExtendedId::new(id).unwrap(), data).unwrap();
    vec![
        std(0x7DF, &[2, 1, 0x0C, 0, 0, 0, 0, 0]),
        std(0x000, &[]),
        std(0x7FF, &[0xDE, 0xAD]),
        ext(0x1FFF_FFFF, &[1, 2, 3]),
        ext(0x0000_0800, &[]),
        Frame::new_remote(StandardId::new(0x123).unwrap(), 4).unwrap(),
        Frame::new_remote(ExtendedId::new(0x1ABC_DEF0).unwrap(), 8).unwrap(),
        Frame::new_remote(StandardId::new(0x456).unwrap(), 0).unwrap(),
    ]
}

fn events() -> Vec<BusEvent> {
    let status = |state, tec, rec| ControllerStatus { state, tec, rec };
    vec![
        BusEvent {
            status: status(BusState::BusOff, 255, 3),
            error: Some(Fault::Acknowledge),
            dropped: 7,
        },
        BusEvent {
            status: status(BusState::ErrorPassive, 128, 0),
            error: Some(Fault::Bit),
            dropped: 0,
        },
        BusEvent {
            status: status(BusState::ErrorActive, 0, 0),
            error: None,
            dropped: 70_000,
        },
        BusEvent {
            status: status(BusState::ErrorActive, 1, 2),
            error: Some(Fault::Overrun),
            dropped: 1,
        },
    ]
}

/// Good records with one byte changed, so the decoder must refuse them.
fn malformed() -> Vec<([u8; RECORD_LEN], &'static str)> {
    let frame = Record::frame(
        Frame::new(StandardId::new(0x123).unwrap(), &[1]).unwrap(),
        5,
    );
    let event = Record::event(events()[0], 5);
    let with = |r: &Record, at: usize, byte: u8| {
        let mut b = r.encode();
        b[at] = byte;
        b
    };
    let cases = vec![
        (with(&frame, 5, 2), "unknown record kind"),
        (with(&frame, 6, 1), "reserved byte"),
        (with(&frame, 7, 0x80), "reserved byte"),
        (with(&frame, 3, 0x20), "id bit 29"),
        (with(&frame, 1, 0x08), "standard id above 0x7ff"),
        (with(&frame, 4, 9), "dlc above 8"),
        (with(&event, 8, 3), "unknown bus state"),
        (with(&event, 11, 8), "unknown error kind"),
    ];
    for (bytes, why) in &cases {
        assert!(Record::decode(bytes).is_err(), "{why}: accepted");
    }
    cases
}

#[test]
fn vectors() {
    let mut terms = vec![
        tuple([atom("protocol"), text(PROTOCOL)]),
        tuple([
            atom("labels"),
            record([
                ("send", int(SEND)),
                ("set_filters", int(SET_FILTERS)),
                ("recv", int(RECV)),
                ("status", int(STATUS)),
            ]),
        ]),
        failure_statuses(Status::ALL),
        tuple([
            atom("limits"),
            record([
                ("record_len", int(RECORD_LEN as u64)),
                ("max_records", int(MAX_RECORDS as u64)),
                ("filter_len", int(FILTER_LEN as u64)),
                ("max_filters", int(MAX_FILTERS as u64)),
            ]),
        ]),
    ];
    // What the library sends: frames with no timestamp (a SEND ignores it).
    for frame in frames() {
        let bytes_ = Record::frame(frame, 0).encode();
        terms.push(tuple([
            atom("encode"),
            frame_term(&frame, 0),
            bytes(&bytes_),
        ]));
    }
    // What the server sends back.
    let mut records: Vec<Record> = frames()
        .into_iter()
        .enumerate()
        .map(|(i, f)| Record::frame(f, 1_000_000 * i as u64 + 17))
        .collect();
    records.extend(events().into_iter().map(|e| Record::event(e, u64::MAX - 1)));
    for r in &records {
        let encoded = r.encode();
        assert_eq!(Record::decode(&encoded), Ok(*r));
        terms.push(tuple([atom("decode"), bytes(&encoded), record_term(r)]));
    }
    for (b, why) in malformed() {
        terms.push(tuple([atom("reject"), bytes(&b), text(why)]));
    }
    let filters = [
        (atom("all"), Filter::ACCEPT_ALL),
        (
            tuple([int(0x0C0), int(0x7FF)]),
            Filter::standard(0x0C0, 0x7FF),
        ),
        (
            tuple([int(0x700), int(0x700)]),
            Filter::standard(0x700, 0x700),
        ),
        (
            tuple([int(0x18DA_F110u32), int(0x1FFF_FF00u32), atom("extended")]),
            Filter::extended(0x18DA_F110, 0x1FFF_FF00),
        ),
    ];
    for (elixir, filter) in filters {
        terms.push(tuple([atom("filter"), elixir, bytes(&filter.encode())]));
    }
    let report = StatusReport {
        status: ControllerStatus {
            state: BusState::ErrorPassive,
            tec: 130,
            rec: 4,
        },
        frames_sent: 1 << 40,
        frames_received: 12_345,
        bus_errors: 3,
        bus_off_events: 1,
        bitrate: 500_000,
    };
    let encoded = report.encode();
    assert_eq!(StatusReport::decode(&encoded), Some(report));
    terms.push(tuple([
        atom("status_report"),
        bytes(&encoded),
        record([
            ("state", state_atom(report.status.state)),
            ("tec", int(report.status.tec)),
            ("rec", int(report.status.rec)),
            ("frames_sent", int(report.frames_sent)),
            ("frames_received", int(report.frames_received)),
            ("bus_errors", int(report.bus_errors)),
            ("bus_off_events", int(report.bus_off_events)),
            ("bitrate", int(report.bitrate)),
        ]),
    ]));
    check("kos_can_protocol", "kos_can::protocol", &terms);
}
