//! `kos_client::serve`, the one loop every server runs, driving a scripted service
//! over a real hosted message server: held calls answered when the service says,
//! a held call replaced by a newer one, refused clients, ticks without calls.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use kos_client::kos_service::{Admission, Answer, Call, Client, Ready, Reply, Service, Status};
use kos_client::{Calls, Error, Message, MsgServer, SharedToken, MAX_PAYLOAD};
use kos_msg_server::hosted::HostedMsgServer;
use kos_msg_server::AccessPolicy;

struct Policy;
impl AccessPolicy for Policy {
    fn may_serve(&self, app: &str, protocol: &str) -> bool {
        (app, protocol) == ("server", "script")
    }
    fn may_use(&self, app: &str, protocol: &str) -> bool {
        matches!(app, "client" | "late" | "refused") && protocol == "script"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Said {
    Done,
    Released,
    Replaced,
    NoRoom,
}

impl Status for Said {
    fn label(self) -> u64 {
        self as u64 + 100
    }

    fn name(self) -> &'static str {
        match self {
            Said::Done => "Done",
            Said::Released => "Released",
            Said::Replaced => "Replaced",
            Said::NoRoom => "NoRoom",
        }
    }
}

/// Labels of the scripted protocol.
const ECHO: u64 = 1;
const HOLD: u64 = 2;
const RELEASE: u64 = 3;

/// What the service saw, reported to the test as it happens.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Connected(String),
    Disconnected(String),
    Tick,
}

struct Script {
    seen: Sender<Seen>,
    /// Badges whose held call the next tick answers.
    release: Vec<u64>,
    ticks_wanted: bool,
}

impl Service for Script {
    type Status = Said;

    fn connected(&mut self, client: Client<'_>, _now_us: u64) -> Admission<Said> {
        let _ = self.seen.send(Seen::Connected(client.app.to_string()));
        if client.app == "refused" {
            Admission::Refuse(Answer::new(Said::NoRoom))
        } else {
            Admission::Admit
        }
    }

    fn disconnected(&mut self, client: Client<'_>) {
        let _ = self.seen.send(Seen::Disconnected(client.app.to_string()));
    }

    fn call(
        &mut self,
        client: Client<'_>,
        call: Call<'_>,
        out: &mut [u8; MAX_PAYLOAD],
        _now_us: u64,
    ) -> Reply<Said> {
        match call.label {
            HOLD => Reply::Hold {
                previous: Some(Answer::new(Said::Replaced)),
            },
            RELEASE => {
                self.release.push(call.param);
                Reply::Now(Answer::new(Said::Done))
            }
            _ => {
                out[..call.payload.len()].copy_from_slice(call.payload);
                Reply::Now(
                    Answer::new(Said::Done)
                        .with_param(client.badge)
                        .with_len(call.payload.len()),
                )
            }
        }
    }

    fn wait_us(&self, _now_us: u64) -> u64 {
        if self.ticks_wanted {
            1_000
        } else {
            60_000_000
        }
    }

    fn tick(&mut self, _now_us: u64, out: &mut [u8; MAX_PAYLOAD], ready: &mut Ready<'_, Said>) {
        if self.ticks_wanted {
            let _ = self.seen.send(Seen::Tick);
        }
        for badge in self.release.drain(..) {
            out[..8].copy_from_slice(b"released");
            ready(badge, Answer::new(Said::Released).with_len(8), &out[..8]);
        }
    }
}

struct System {
    msg: HostedMsgServer<Policy>,
    seen: Receiver<Seen>,
    _serving: thread::JoinHandle<Error>,
}

fn app(msg: &HostedMsgServer<Policy>, name: &str) -> Arc<MsgServer> {
    let ch = msg.attach(name).unwrap();
    MsgServer::new("main", ch.request, ch.event)
}

fn system(ticks_wanted: bool) -> System {
    let msg = HostedMsgServer::new("main", Policy, 64, Arc::new(|_: &str| {}));
    let server = app(&msg, "server");
    server.publish("script").unwrap();
    let serving = server.serve().unwrap();
    let (tx, seen) = channel();
    let handle = thread::spawn(move || {
        let mut script = Script {
            seen: tx,
            release: Vec::new(),
            ticks_wanted,
        };
        kos_client::serve(serving, &mut script, |_| {})
    });
    System {
        msg,
        seen,
        _serving: handle,
    }
}

impl System {
    fn next_seen(&self) -> Seen {
        self.seen
            .recv_timeout(Duration::from_secs(5))
            .expect("the service hears of it")
    }
}

fn status(label: u64) -> u64 {
    label - 100
}

#[test]
fn a_held_call_is_answered_when_the_service_says_and_a_newer_one_replaces_it() {
    let sys = system(false);
    let client = app(&sys.msg, "client");
    let holder = client.connect("script").unwrap();
    let badge = holder.badge();
    let holder: SharedToken = Arc::new(Mutex::new(holder));
    let calls = Calls::new().unwrap();
    // Two held calls on one token, in order: the second replaces the first, which is
    // answered at once with the service's `previous`.
    calls
        .start(&holder, Message::new(HOLD, b""), "first")
        .unwrap();
    calls
        .start(&holder, Message::new(HOLD, b""), "second")
        .unwrap();
    assert_eq!(finish(&calls), ("first", Said::Replaced as u64, vec![]));
    assert_eq!(calls.in_flight(), 1, "the second is held");
    // Another token of the app asks the service to release it: the next tick does.
    let mut releaser = client.connect("script").unwrap();
    let done = releaser
        .call(Message::new(RELEASE, b"").with_param(badge))
        .unwrap();
    assert_eq!(status(done.label), Said::Done as u64);
    assert_eq!(
        finish(&calls),
        ("second", Said::Released as u64, b"released".to_vec())
    );
}

/// The next call of `calls` to finish (bounded: 5 s): its caller, status, payload.
fn finish(calls: &Calls<&'static str>) -> (&'static str, u64, Vec<u8>) {
    let mut got = None;
    for _ in 0..50 {
        calls
            .wait(Some(Duration::from_millis(100)), |caller, reply| {
                let reply = reply.unwrap();
                got = Some((caller, status(reply.label), reply.payload.to_vec()));
            })
            .unwrap();
        if let Some(got) = got.take() {
            return got;
        }
    }
    panic!("no call finished");
}

#[test]
fn a_refused_client_gets_the_refusal_to_every_call_and_is_never_served() {
    let sys = system(false);
    let mut refused = app(&sys.msg, "refused").connect("script").unwrap();
    for _ in 0..3 {
        let reply = refused.call(Message::new(ECHO, b"let me in")).unwrap();
        assert_eq!(status(reply.label), Said::NoRoom as u64);
        assert!(reply.payload.is_empty());
    }
    assert_eq!(sys.next_seen(), Seen::Connected("refused".into()));
    drop(refused);
    // Its going is not the service's business (it was never admitted): the next
    // thing the service hears of is the next client.
    let mut late = app(&sys.msg, "late").connect("script").unwrap();
    assert_eq!(late.call(Message::new(ECHO, b"hi")).unwrap().payload, b"hi");
    assert_eq!(sys.next_seen(), Seen::Connected("late".into()));
    drop(late);
    assert_eq!(sys.next_seen(), Seen::Disconnected("late".into()));
}

#[test]
fn the_service_ticks_without_calls_as_often_as_it_asks() {
    let sys = system(true);
    for _ in 0..5 {
        assert_eq!(sys.next_seen(), Seen::Tick);
    }
}
