//! The service against a queue-backed controller: what each client receives, what
//! reaches the controller and in which order, and what the bus's troubles look like
//! from the clients' side.

extern crate std;

use std::vec::Vec;

use embedded_can::{ExtendedId, Frame as _, StandardId};

use super::fake::FakeController;
use super::*;
use crate::protocol::{Filter, FILTER_LEN, STATUS_REPORT_LEN};

const A: u64 = 0xA;
const B: u64 = 0xB;
const C: u64 = 0xC;
/// A time well after start, so "now" is never confused with "never".
const T0: u64 = 5_000_000;

fn service() -> CanService<FakeController> {
    CanService::new(FakeController::new(), Config::new(500_000))
}

fn std_frame(id: u16, data: &[u8]) -> Frame {
    Frame::new(StandardId::new(id).unwrap(), data).unwrap()
}

fn ext_frame(id: u32, data: &[u8]) -> Frame {
    Frame::new(ExtendedId::new(id).unwrap(), data).unwrap()
}

fn send_payload(frames: &[Frame]) -> Vec<u8> {
    frames
        .iter()
        .flat_map(|f| Record::frame(*f, 0).encode())
        .collect()
}

fn decode(bytes: &[u8]) -> Vec<Record> {
    bytes
        .chunks_exact(RECORD_LEN)
        .map(|r| Record::decode(r.try_into().unwrap()).unwrap())
        .collect()
}

fn frames(records: &[Record]) -> Vec<Frame> {
    records
        .iter()
        .filter_map(|r| match r.content {
            Content::Frame(f) => Some(f),
            Content::Event(_) => None,
        })
        .collect()
}

fn events(records: &[Record]) -> Vec<BusEvent> {
    records
        .iter()
        .filter_map(|r| match r.content {
            Content::Event(e) => Some(e),
            Content::Frame(_) => None,
        })
        .collect()
}

/// A call that must be answered at once: its answer and payload.
fn answer(
    s: &mut CanService<FakeController>,
    badge: u64,
    label: u64,
    param: u64,
    payload: &[u8],
) -> (Answer, Vec<u8>) {
    let mut out = [0u8; MAX_PAYLOAD];
    match s.handle(badge, label, param, payload, &mut out, T0) {
        Reply::Now(a) => (a, out[..a.len].to_vec()),
        Reply::Hold { .. } => panic!("label {label} was deferred"),
    }
}

fn set_filters(s: &mut CanService<FakeController>, badge: u64, filters: &[Filter]) {
    let payload: Vec<u8> = filters.iter().flat_map(Filter::encode).collect();
    let (a, _) = answer(s, badge, SET_FILTERS, 0, &payload);
    assert_eq!((a.status, a.param), (Status::Ok, filters.len() as u64));
}

fn send(s: &mut CanService<FakeController>, badge: u64, frames: &[Frame]) -> Answer {
    answer(s, badge, SEND, 0, &send_payload(frames)).0
}

/// RECV when records are expected to be pending.
fn recv(s: &mut CanService<FakeController>, badge: u64) -> Vec<Record> {
    let (a, payload) = answer(s, badge, RECV, MAX_RECORDS as u64, &[]);
    assert_eq!(a.status, Status::Ok);
    decode(&payload)
}

fn recv_reply(s: &mut CanService<FakeController>, badge: u64, now_us: u64) -> Reply {
    let mut out = [0u8; MAX_PAYLOAD];
    s.handle(badge, RECV, MAX_RECORDS as u64, &[], &mut out, now_us)
}

fn take(s: &mut CanService<FakeController>, badge: u64, now_us: u64) -> Option<Vec<Record>> {
    let mut out = [0u8; MAX_PAYLOAD];
    let a = s.take_pending(badge, &mut out, now_us)?;
    assert_eq!(a.status, Status::Ok);
    Some(decode(&out[..a.len]))
}

const DEFERRED: Reply = Reply::Hold { previous: None };

#[test]
fn each_client_gets_only_the_frames_its_filters_accept() {
    let mut s = service();
    set_filters(&mut s, A, &[Filter::standard(0x100, 0x7F0)]);
    set_filters(&mut s, B, &[Filter::extended(0x18FF_0000, 0x1FFF_0000)]);
    s.connect(C).unwrap(); // no filters: no frames
    let bus = [
        std_frame(0x101, &[1]),
        ext_frame(0x18FF_1234, &[2]),
        std_frame(0x200, &[3]),
        ext_frame(0x101, &[4]),
    ];
    s.controller_mut().rx.extend(bus.map(Ok));
    s.poll(T0);
    let a = recv(&mut s, A);
    assert_eq!(frames(&a), [bus[0]]);
    assert_eq!(a[0].timestamp_us, T0, "stamped when the server saw it");
    assert_eq!(frames(&recv(&mut s, B)), [bus[1]]);
    assert_eq!(recv_reply(&mut s, C, T0), DEFERRED);
    assert_eq!(s.report().frames_received, 4);
}

#[test]
fn clients_hear_each_other_but_not_themselves() {
    let mut s = service();
    set_filters(&mut s, A, &[Filter::ACCEPT_ALL]);
    set_filters(&mut s, B, &[Filter::ACCEPT_ALL]);
    set_filters(&mut s, C, &[Filter::standard(0x300, 0x7FF)]);
    let frame = std_frame(0x123, &[0xCA, 0xFE]);
    assert_eq!(
        send(&mut s, A, &[frame]),
        Answer::new(Status::Ok).with_param(1)
    );
    s.poll(T0);
    assert_eq!(s.controller().sent, [frame]);
    assert_eq!(frames(&recv(&mut s, B)), [frame]);
    assert_eq!(recv_reply(&mut s, A, T0), DEFERRED, "no echo to the sender");
    assert_eq!(
        recv_reply(&mut s, C, T0),
        DEFERRED,
        "C's filter refuses 0x123"
    );
}

#[test]
fn a_full_send_queue_says_how_many_were_queued() {
    let mut s = service();
    let many: Vec<Frame> = (0..40).map(|i| std_frame(i, &[i as u8])).collect();
    let full = Answer::new(Status::QueueFull).with_param(SEND_QUEUE as u64);
    assert_eq!(send(&mut s, A, &many), full);
    assert_eq!(
        send(&mut s, A, &many[..1]),
        Answer::new(Status::QueueFull).with_param(0)
    );
    s.poll(T0);
    assert_eq!(
        s.controller().sent,
        many[..SEND_QUEUE],
        "the first ones, in order"
    );
    assert_eq!(
        send(&mut s, A, &many[..1]),
        Answer::new(Status::Ok).with_param(1)
    );
}

#[test]
fn a_flooding_client_does_not_starve_another() {
    let mut s = service();
    let flood: Vec<Frame> = (0..32).map(|i| std_frame(0x100 + i, &[])).collect();
    let few: Vec<Frame> = (0..3).map(|i| std_frame(0x200 + i, &[])).collect();
    assert_eq!(send(&mut s, A, &flood).status, Status::Ok);
    assert_eq!(send(&mut s, B, &few).status, Status::Ok);
    // One transmit buffer freeing per poll, as on a saturated bus.
    for round in 0..6 {
        s.controller_mut().tx_budget = 1;
        s.poll(T0 + round);
    }
    let sent = &s.controller().sent;
    let expected = [flood[0], few[0], flood[1], few[1], flood[2], few[2]];
    assert_eq!(sent[..], expected, "senders take turns");
    s.controller_mut().tx_budget = usize::MAX;
    s.poll(T0 + 10);
    assert_eq!(s.controller().sent.len(), 35);
    assert_eq!(s.pending_tx(), 0);
}

#[test]
fn an_empty_recv_is_held_until_a_frame_arrives() {
    let mut s = service();
    set_filters(&mut s, A, &[Filter::ACCEPT_ALL]);
    assert_eq!(recv_reply(&mut s, A, T0), DEFERRED);
    s.poll(T0 + 1);
    assert!(s.ready_receivers(T0 + 1).is_empty());
    assert_eq!(take(&mut s, A, T0 + 1), None, "nothing to answer with yet");
    let frame = std_frame(0x42, &[1, 2, 3]);
    s.controller_mut().rx.push_back(Ok(frame));
    s.poll(T0 + 2);
    assert_eq!(s.ready_receivers(T0 + 2), [A]);
    let records = take(&mut s, A, T0 + 2).unwrap();
    assert_eq!(records, [Record::frame(frame, T0 + 2)]);
    assert!(s.ready_receivers(T0 + 2).is_empty(), "answered once");
    assert_eq!(take(&mut s, A, T0 + 2), None);
}

#[test]
fn a_new_recv_replaces_a_held_one() {
    let mut s = service();
    set_filters(&mut s, A, &[Filter::ACCEPT_ALL]);
    assert_eq!(recv_reply(&mut s, A, T0), DEFERRED);
    let again = recv_reply(&mut s, A, T0 + 1);
    assert_eq!(
        again,
        Reply::Hold {
            previous: Some(ANSWER_SUPERSEDED)
        }
    );
    // Even with records pending, the newer call is the one that gets them.
    s.controller_mut().rx.push_back(Ok(std_frame(1, &[])));
    s.poll(T0 + 2);
    assert_eq!(
        recv_reply(&mut s, A, T0 + 3),
        Reply::Hold {
            previous: Some(ANSWER_SUPERSEDED)
        }
    );
    assert_eq!(take(&mut s, A, T0 + 3).map(|r| r.len()), Some(1));
}

#[test]
fn a_held_recv_is_answered_empty_after_the_hold_limit() {
    let mut s = service();
    set_filters(&mut s, A, &[Filter::ACCEPT_ALL]);
    let hold = Config::new(0).max_hold_us;
    assert_eq!(s.next_deadline_us(), None);
    assert_eq!(recv_reply(&mut s, A, T0), DEFERRED);
    assert_eq!(s.next_deadline_us(), Some(T0 + hold));
    assert!(s.ready_receivers(T0 + hold - 1).is_empty());
    assert_eq!(s.ready_receivers(T0 + hold), [A]);
    assert_eq!(take(&mut s, A, T0 + hold), Some(Vec::new()));
    assert_eq!(s.next_deadline_us(), None);
}

#[test]
fn a_slow_reader_loses_its_oldest_frames_and_is_told_how_many() {
    let mut s = service();
    set_filters(&mut s, A, &[Filter::ACCEPT_ALL]);
    set_filters(&mut s, B, &[Filter::ACCEPT_ALL]);
    let bus: Vec<Frame> = (0..RECV_QUEUE as u16 + 2)
        .map(|i| std_frame(i, &[]))
        .collect();
    s.controller_mut().rx.extend(bus.iter().copied().map(Ok));
    s.poll(T0);
    let records = recv(&mut s, A);
    assert_eq!(records.len(), 1 + RECV_QUEUE);
    let overrun = BusEvent {
        status: ControllerStatus::ACTIVE,
        error: Some(Fault::Overrun),
        dropped: 2,
    };
    assert_eq!(
        records[0],
        Record::event(overrun, T0),
        "the gap comes first"
    );
    assert_eq!(frames(&records), bus[2..], "then the newest frames");
    assert_eq!(recv(&mut s, B).len(), 1 + RECV_QUEUE, "B lost its own two");
    assert_eq!(recv_reply(&mut s, A, T0), DEFERRED, "reported once");
}

#[test]
fn a_reply_carries_at_most_what_was_asked_and_says_what_is_left() {
    let mut s = service();
    set_filters(&mut s, A, &[Filter::ACCEPT_ALL]);
    s.controller_mut()
        .rx
        .extend((0..5).map(|i| Ok(std_frame(i, &[]))));
    s.poll(T0);
    let (a, payload) = answer(&mut s, A, RECV, 2, &[]);
    assert_eq!((a.status, a.param, a.len), (Status::Ok, 3, 2 * RECORD_LEN));
    assert_eq!(frames(&decode(&payload))[0].raw_id(), 0);
    let (a, _) = answer(&mut s, A, RECV, u64::MAX, &[]);
    assert_eq!((a.param, a.len), (0, 3 * RECORD_LEN));
}

#[test]
fn bus_off_refuses_sends_tells_everyone_and_recovers_after_the_delay() {
    let mut s = service();
    set_filters(&mut s, A, &[Filter::ACCEPT_ALL]);
    s.connect(B).unwrap();
    s.controller_mut().tx_budget = 0;
    assert_eq!(send(&mut s, A, &[std_frame(1, &[])]).status, Status::Ok);
    let bus_off = ControllerStatus {
        state: BusState::BusOff,
        tec: 255,
        rec: 0,
    };
    s.controller_mut().status = bus_off;
    s.poll(T0);
    assert_eq!(s.pending_tx(), 0, "stale frames are dropped");
    for client in [A, B] {
        let event = BusEvent {
            status: bus_off,
            error: None,
            dropped: 0,
        };
        assert_eq!(recv(&mut s, client), [Record::event(event, T0)]);
    }
    let frame = std_frame(2, &[9]);
    assert_eq!(send(&mut s, A, &[frame]), Answer::new(Status::BusOff));
    assert_eq!(s.report().bus_off_events, 1);

    let delay = Config::new(0).restart_delay_us;
    assert_eq!(s.next_deadline_us(), Some(T0 + delay));
    s.poll(T0 + delay - 1);
    assert_eq!(s.controller().recoveries, 0, "not before the delay");
    s.controller_mut().tx_budget = usize::MAX;
    s.poll(T0 + delay);
    assert_eq!(s.controller().recoveries, 1);
    for client in [A, B] {
        let back = events(&recv(&mut s, client));
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].status.state, BusState::ErrorActive);
    }
    assert_eq!(s.next_deadline_us(), None);
    assert_eq!(send(&mut s, A, &[frame]).status, Status::Ok);
    s.poll(T0 + delay + 1);
    assert_eq!(
        s.controller().sent,
        [frame],
        "only the frame sent after recovery"
    );
}

#[test]
fn recovery_is_retried_while_the_bus_stays_broken() {
    let mut controller = FakeController::new();
    controller.status.state = BusState::BusOff;
    controller.stuck = true;
    let mut s = CanService::new(controller, Config::new(500_000));
    let delay = Config::new(0).restart_delay_us;
    // Bus-off from the start: no change to notice, but recovery is still due.
    s.poll(T0);
    s.poll(T0 + delay);
    assert_eq!(s.controller().recoveries, 1);
    s.poll(T0 + delay + 1);
    assert_eq!(s.controller().recoveries, 1);
    s.poll(T0 + 2 * delay);
    assert_eq!(s.controller().recoveries, 2);
}

#[test]
fn error_states_and_faults_become_events() {
    let mut s = service();
    set_filters(&mut s, A, &[Filter::ACCEPT_ALL]);
    let passive = ControllerStatus {
        state: BusState::ErrorPassive,
        tec: 130,
        rec: 2,
    };
    let received = std_frame(8, &[]);
    let c = s.controller_mut();
    c.status = passive;
    c.rx.extend([Err(Fault::Crc), Ok(received)]);
    c.tx_fault = Some(Fault::Acknowledge);
    let refused = std_frame(7, &[1]);
    let next = std_frame(7, &[2]);
    assert_eq!(send(&mut s, A, &[refused, next]).status, Status::Ok);
    s.poll(T0);
    let got = events(&recv(&mut s, A));
    let errors: Vec<_> = got.iter().map(|e| e.error).collect();
    assert_eq!(errors, [None, Some(Fault::Crc), Some(Fault::Acknowledge)]);
    assert!(got.iter().all(|e| e.status == passive));
    assert_eq!(s.report().bus_errors, 2);
    // A fault ends that half of the poll; the rest goes at the next one.
    assert_eq!((s.controller().rx.len(), s.pending_tx()), (1, 1));
    s.poll(T0 + 1);
    assert_eq!(frames(&recv(&mut s, A)), [received]);
    assert_eq!(
        s.controller().sent,
        [next],
        "the refused frame is not retried"
    );
}

#[test]
fn malformed_requests_change_nothing() {
    let mut s = service();
    set_filters(&mut s, A, &[Filter::standard(0x100, 0x7FF)]);
    let good = Record::frame(std_frame(0x100, &[1]), 0).encode();
    let mut bad_dlc = good;
    bad_dlc[4] = 9;
    let mut event = good;
    event[5] = 1;
    let mut two = good.to_vec();
    two.extend_from_slice(&bad_dlc);
    let too_many_records = good.repeat(MAX_RECORDS + 1);
    let too_many_filters = Filter::ACCEPT_ALL.encode().repeat(17);
    let bad = [
        (SEND, 0, &[][..]),
        (SEND, 0, &good[..23]),
        (SEND, 0, &bad_dlc[..]),
        (SEND, 0, &event[..]),
        (SEND, 0, &two[..]),
        (SEND, 0, &too_many_records[..]),
        (SET_FILTERS, 0, &[0; FILTER_LEN - 1][..]),
        (SET_FILTERS, 0, &too_many_filters[..]),
        (RECV, 0, &[][..]),
        (RECV, 1, &[0][..]),
        (STATUS, 0, &[0][..]),
    ];
    for (label, param, payload) in bad {
        let (a, _) = answer(&mut s, A, label, param, payload);
        assert_eq!(a, Answer::new(Status::BadRequest), "label {label}");
    }
    assert_eq!(
        answer(&mut s, A, 99, 0, &[]).0.status,
        Status::UnknownOperation
    );
    assert_eq!(
        s.pending_tx(),
        0,
        "not even the valid first record was queued"
    );
    s.controller_mut().rx.push_back(Ok(std_frame(0x100, &[])));
    s.controller_mut().rx.push_back(Ok(std_frame(0x101, &[])));
    s.poll(T0);
    assert_eq!(
        frames(&recv(&mut s, A)).len(),
        1,
        "the old filter still applies"
    );
}

#[test]
fn clients_are_limited_and_disconnecting_frees_the_slot_and_its_queues() {
    let mut s = service();
    for badge in 0..MAX_CLIENTS as u64 {
        s.connect(badge).unwrap();
    }
    let late = 1000;
    let refused = Answer::new(Status::TooManyClients);
    assert_eq!(send(&mut s, late, &[std_frame(1, &[])]), refused);
    assert_eq!(s.connect(late), Err(TooManyClients));
    assert_eq!(
        answer(&mut s, late, STATUS, 0, &[]).0.status,
        Status::Ok,
        "needs no slot"
    );
    s.connect(0).unwrap(); // already connected: no new slot needed

    s.controller_mut().tx_budget = 0;
    assert_eq!(send(&mut s, 3, &[std_frame(1, &[])]).status, Status::Ok);
    assert_eq!(s.pending_tx(), 1);
    assert!(s.disconnect(3));
    assert!(!s.disconnect(3));
    assert_eq!(s.pending_tx(), 0);
    assert_eq!(send(&mut s, late, &[std_frame(1, &[])]).status, Status::Ok);
    assert_eq!(s.clients(), MAX_CLIENTS);
}

#[test]
fn status_reports_state_counters_and_bitrate() {
    let mut s = service();
    set_filters(&mut s, A, &[Filter::ACCEPT_ALL]);
    send(&mut s, B, &[std_frame(1, &[]), std_frame(2, &[])]);
    s.controller_mut().rx.push_back(Ok(std_frame(3, &[])));
    s.poll(T0);
    let (a, payload) = answer(&mut s, C, STATUS, 0, &[]);
    assert_eq!((a.status, a.len), (Status::Ok, STATUS_REPORT_LEN));
    let report = StatusReport::decode(payload[..].try_into().unwrap()).unwrap();
    assert_eq!(report.status, ControllerStatus::ACTIVE);
    assert_eq!((report.frames_sent, report.frames_received), (2, 1));
    assert_eq!((report.bus_errors, report.bus_off_events), (0, 0));
    assert_eq!(report.bitrate, 500_000);
}

/// xorshift64: reproducible noise without a dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn no_input_makes_the_service_panic() {
    let mut s = service();
    let mut noise = Noise(0x2545_F491_4F6C_DD1D);
    let mut out = [0u8; MAX_PAYLOAD];
    let mut payload = Vec::new();
    let mut now = T0;
    let mut held = [false; 24];
    let valid = Record::frame(ext_frame(0x1234, &[1, 2, 3]), 0).encode();
    for _ in 0..20_000 {
        now += noise.below(50_000);
        let badge = noise.below(held.len() as u64);
        let label = noise.below(6);
        let param = [0, 1, 2, 170, 171, noise.next()][noise.below(6) as usize];
        let len = [
            0,
            8,
            24,
            48,
            128,
            noise.below(MAX_PAYLOAD as u64 + 48) as usize,
        ][noise.below(6) as usize];
        payload.clear();
        for i in 0..len {
            // Mostly valid records and filters, with a byte broken now and then.
            let byte = match noise.below(16) {
                0 => noise.next() as u8,
                _ => valid[i % RECORD_LEN],
            };
            payload.push(byte);
        }
        match s.handle(badge, label, param, &payload, &mut out, now) {
            Reply::Now(a) => {
                assert_ne!(
                    a.status,
                    Status::Superseded,
                    "only a held RECV is superseded"
                );
                assert!(a.len <= MAX_PAYLOAD);
                if label == RECV && a.status == Status::Ok {
                    assert_eq!(a.len % RECORD_LEN, 0);
                    decode(&out[..a.len]);
                }
            }
            Reply::Hold { previous } => {
                assert_eq!(previous.is_some(), held[badge as usize]);
                held[badge as usize] = true;
            }
        }
        // The bus does its own things in between.
        let c = s.controller_mut();
        match noise.below(8) {
            0 => c.status.state = BusState::from_code(noise.below(3) as u8).unwrap(),
            1 => c.rx.push_back(Err(Fault::Form)),
            2 => c.tx_fault = Some(Fault::Bit),
            3 => c.tx_budget = noise.below(4) as usize,
            _ => {
                c.rx.extend((0..noise.below(20)).map(|i| Ok(std_frame(i as u16, &[]))))
            }
        }
        if noise.below(20) == 0 {
            held[badge as usize] = false;
            s.disconnect(badge);
        }
        s.poll(now);
        for ready in s.ready_receivers(now) {
            let a = s
                .take_pending(ready, &mut out, now)
                .expect("ready means answerable");
            assert_eq!(a.len % RECORD_LEN, 0);
            decode(&out[..a.len]);
            held[ready as usize] = false;
        }
    }
    assert!(s.report().frames_received > 1000);
    assert!(s.report().frames_sent > 100, "{:?}", s.report());
}

#[test]
fn an_overrun_is_reported_and_the_frames_behind_it_still_read() {
    let mut s = service();
    set_filters(&mut s, A, &[Filter::ACCEPT_ALL]);
    let (first, second) = (std_frame(1, &[1]), std_frame(2, &[2]));
    s.controller_mut()
        .rx
        .extend([Ok(first), Err(Fault::Overrun), Ok(second)]);
    s.poll(T0);
    // One poll drains it all: a hardware FIFO frees its slots only once read empty.
    assert!(s.controller().rx.is_empty());
    let got = recv(&mut s, A);
    assert_eq!(frames(&got), [first, second]);
    let errors: Vec<_> = events(&got).iter().map(|e| e.error).collect();
    assert_eq!(errors, [Some(Fault::Overrun)]);
}
