//! The client library against a real hosted message server, in one process: apps are
//! threads holding the same socket channels `kos run` hands to processes.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use kos_client::{Calls, Error, Incoming, Message, MsgServer, Refusal, Server, SharedToken};
use kos_msg_server::hosted::HostedMsgServer;
use kos_msg_server::AccessPolicy;

/// `echo` is served by `server` and used by `client` and `client2`; `vault` is served
/// by `vault` and used by `client`; `intruder` has no grant.
struct Matrix;
impl AccessPolicy for Matrix {
    fn may_serve(&self, app: &str, protocol: &str) -> bool {
        (app, protocol) == ("server", "echo") || (app, protocol) == ("vault", "vault")
    }
    fn may_use(&self, app: &str, protocol: &str) -> bool {
        matches!(
            (app, protocol),
            ("client" | "client2", "echo") | ("client", "vault")
        )
    }
}

struct System {
    msg: HostedMsgServer<Matrix>,
    log: Arc<Mutex<Vec<String>>>,
}

fn system(max_tokens: usize) -> System {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    let msg = HostedMsgServer::new(
        "main",
        Matrix,
        max_tokens,
        Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_string())),
    );
    System { msg, log }
}

impl System {
    fn app(&self, name: &str) -> Arc<MsgServer> {
        let ch = self.msg.attach(name).unwrap();
        MsgServer::new("main", ch.request, ch.event)
    }
}

/// Raw frames on `channels`' request channel: asks for an `echo` token as a
/// misbehaving client would, and returns its badge and data channel.
fn raw_connect(channels: &kos_msg_server::hosted::AppChannels) -> (u64, kos_transport::Channel) {
    use kos_msg::{Control, Reply, Request};
    let mut buf = [0u8; kos_transport::RECV_BUFFER];
    let connect = Control {
        seq: 1,
        body: Request::Connect { protocol: "echo" },
    };
    channels.request.send(&connect, None).unwrap();
    let granted = channels
        .request
        .recv::<Control<Reply>>(&mut buf)
        .unwrap()
        .unwrap();
    let Reply::Granted { badge } = granted.frame.unwrap().body else {
        panic!("not granted")
    };
    (badge, granted.token.expect("token channel"))
}

/// Another client is served as before; then the echo server is told to stop, and
/// what it saw is returned.
fn check_others_served(sys: &System, serving: thread::JoinHandle<Vec<Incoming>>) -> Vec<Incoming> {
    let mut token = sys.app("client2").connect("echo").unwrap();
    assert_eq!(
        token.call(Message::new(0, b"")).unwrap().payload,
        b"client2"
    );
    token.send(Message::new(999, b"")).unwrap();
    serving.join().unwrap()
}

/// Calls `send` until it fails other than with `WouldBlock` (the peer cut us off),
/// for at most 10 s; never blocks, so a missing cut-off fails the test instead of
/// hanging it. Returns whether we were cut off.
fn flood_until_cut(mut send: impl FnMut() -> std::io::Result<()>) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        match send() {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(1))
            }
            Err(_) => return true,
        }
    }
    false
}

/// A message server with `server` publishing `echo` and serving it on a thread
/// ([`spawn_echo`]).
fn echo_system() -> (System, thread::JoinHandle<Vec<Incoming>>) {
    let sys = system(64);
    let server = sys.app("server");
    server.publish("echo").unwrap();
    let serving = spawn_echo(server.serve().unwrap());
    (sys, serving)
}

/// Serves `echo` until the message server goes away: replies with the payload and
/// the caller's app name in `param`'s place as label 100 + badge.
fn spawn_echo(server: Server) -> thread::JoinHandle<Vec<Incoming>> {
    thread::spawn(move || {
        let mut server = server;
        let mut seen = Vec::new();
        while let Ok(Some(incoming)) = server.next(Some(Duration::from_secs(5))) {
            if let Incoming::Call {
                from,
                reply_to,
                msg,
                ..
            } = &incoming
            {
                let mut payload = from.app.clone().into_bytes();
                payload.extend_from_slice(&msg.payload);
                if server
                    .reply(
                        *reply_to,
                        Message::new(from.badge, &payload).with_param(msg.param),
                    )
                    .is_err()
                {
                    continue;
                }
            }
            let stop = matches!(&incoming, Incoming::Send { msg, .. } if msg.label == 999);
            seen.push(incoming);
            if stop {
                break;
            }
        }
        seen
    })
}

#[test]
fn a_granted_client_calls_and_the_server_sees_its_badge() {
    let (sys, serving) = echo_system();
    let client = sys.app("client");
    let mut token = client.connect("echo").unwrap();
    let reply = token.call(Message::new(1, b"-hi").with_param(42)).unwrap();
    assert_eq!(reply.label, token.badge(), "server saw the token's badge");
    assert_eq!(reply.param, 42);
    assert_eq!(
        reply.payload, b"client-hi",
        "server saw the client's manifest name"
    );
    token.send(Message::new(999, b"")).unwrap();
    let seen = serving.join().unwrap();
    assert!(
        matches!(&seen[0], Incoming::Connected(c) if c.app == "client" && c.protocol == "echo")
    );
}

#[test]
fn clients_are_told_apart_by_badge() {
    let (sys, serving) = echo_system();
    let mut a = sys.app("client").connect("echo").unwrap();
    let mut b = sys.app("client2").connect("echo").unwrap();
    assert_ne!(a.badge(), b.badge());
    assert_eq!(a.call(Message::new(0, b"")).unwrap().payload, b"client");
    assert_eq!(b.call(Message::new(0, b"")).unwrap().payload, b"client2");
    a.send(Message::new(999, b"")).unwrap();
    serving.join().unwrap();
}

#[test]
fn a_client_without_a_grant_is_refused_and_the_server_serves_on() {
    let (sys, serving) = echo_system();
    let intruder = sys.app("intruder");
    assert!(matches!(
        intruder.connect("echo"),
        Err(Error::Refused(Refusal::NotGranted))
    ));
    assert!(matches!(
        intruder.publish("echo"),
        Err(Error::Refused(Refusal::NotGranted))
    ));
    assert!(sys
        .log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("intruder") && l.contains("not granted")));
    let mut token = sys.app("client").connect("echo").unwrap();
    assert_eq!(
        token.call(Message::new(0, b"!")).unwrap().payload,
        b"client!"
    );
    token.send(Message::new(999, b"")).unwrap();
    serving.join().unwrap();
}

#[test]
fn connect_wait_rides_out_a_late_publish() {
    let sys = system(64);
    let server = sys.app("server");
    let client = sys.app("client");
    assert!(matches!(
        client.connect("echo"),
        Err(Error::Refused(Refusal::NotPublished))
    ));
    let waiting = {
        let client = client.clone();
        thread::spawn(move || client.connect_wait("echo", Duration::from_secs(5)))
    };
    // The app's other requests go on meanwhile: the wait holds no request channel.
    assert!(!client.is_published("echo").unwrap());
    server.publish("echo").unwrap();
    let serving = spawn_echo(server.serve().unwrap());
    let mut token = waiting.join().unwrap().unwrap();
    assert_eq!(token.call(Message::new(0, b"")).unwrap().payload, b"client");
    token.send(Message::new(999, b"")).unwrap();
    serving.join().unwrap();
}

#[test]
fn connect_wait_gives_up_after_its_timeout_and_refuses_what_is_not_granted_at_once() {
    let sys = system(64);
    let client = sys.app("client");
    let started = std::time::Instant::now();
    assert!(matches!(
        client.connect_wait("echo", Duration::from_millis(50)),
        Err(Error::Refused(Refusal::NotPublished))
    ));
    assert!(started.elapsed() >= Duration::from_millis(50));
    let intruder = sys.app("intruder");
    assert!(matches!(
        intruder.connect_wait("echo", Duration::from_secs(3600)),
        Err(Error::Refused(Refusal::NotGranted))
    ));
}

/// One raw AwaitPublished request for `protocol` on `channels`: the reply and the
/// notice channel, if any.
fn raw_await(
    channels: &kos_msg_server::hosted::AppChannels,
    seq: u32,
    protocol: &str,
) -> (kos_msg::Reply, Option<kos_transport::Channel>) {
    use kos_msg::{Control, Reply, Request};
    let mut buf = [0u8; kos_transport::RECV_BUFFER];
    let request = Control {
        seq,
        body: Request::AwaitPublished { protocol },
    };
    channels.request.send(&request, None).unwrap();
    let reply = channels
        .request
        .recv::<Control<Reply>>(&mut buf)
        .unwrap()
        .unwrap();
    (reply.frame.unwrap().body, reply.token)
}

#[test]
fn a_publish_ends_every_wait_for_it_and_waits_per_connection_are_bounded() {
    use kos_msg::Reply;
    let sys = system(64);
    let raw = sys.msg.attach("client").unwrap();
    let (reply, notice) = raw_await(&raw, 1, "echo");
    assert_eq!(reply, Reply::Waiting);
    let notice = notice.expect("a notice channel");
    assert!(
        !notice.wait_readable(Some(Duration::ZERO)).unwrap(),
        "not yet"
    );
    // Fifteen more waits are fine; the seventeenth is refused, not stored.
    let mut more: Vec<_> = (2..=16)
        .map(|seq| raw_await(&raw, seq, "echo").1.expect("a notice"))
        .collect();
    assert_eq!(raw_await(&raw, 17, "echo").0, Reply::Refused(Refusal::Busy));
    // A wait the client gave up is forgotten, which makes room again.
    more.pop();
    assert_eq!(raw_await(&raw, 18, "echo").0, Reply::Waiting);
    let server = sys.app("server");
    server.publish("echo").unwrap();
    // The publish closes every notice: each waiter learns it at once.
    assert!(notice.wait_readable(Some(Duration::from_secs(5))).unwrap());
    let mut buf = [0u8; 8];
    assert!(notice.recv_bytes(&mut buf).unwrap().closed);
    for n in &more {
        assert!(n.wait_readable(Some(Duration::from_secs(5))).unwrap());
    }
    // Published now: answered at once, with no notice.
    let (reply, notice) = raw_await(&raw, 19, "echo");
    assert_eq!(reply, Reply::Published(true));
    assert!(notice.is_none());
    // Not granted: refused like a connect.
    let intruder = sys.msg.attach("intruder").unwrap();
    assert_eq!(
        raw_await(&intruder, 1, "echo").0,
        Reply::Refused(Refusal::NotGranted)
    );
}

#[test]
fn the_token_limit_is_enforced_per_app() {
    let sys = system(3);
    let server = sys.app("server");
    server.publish("echo").unwrap();
    let client = sys.app("client");
    let tokens: Vec<_> = (0..3).map(|_| client.connect("echo").unwrap()).collect();
    assert!(matches!(
        client.connect("echo"),
        Err(Error::Refused(Refusal::TooManyTokens))
    ));
    drop(tokens);
    assert!(
        client.connect("echo").is_ok(),
        "dropping tokens gives the slots back"
    );
}

#[test]
fn a_revoked_token_fails_as_closed() {
    let sys = system(64);
    let server = sys.app("server");
    server.publish("echo").unwrap();
    let mut serving = server.serve().unwrap();
    let mut token = sys.app("client").connect("echo").unwrap();
    let Some(Incoming::Connected(info)) = serving.next(Some(Duration::from_secs(5))).unwrap()
    else {
        panic!("expected a connection")
    };
    serving.revoke(info.badge).unwrap();
    assert!(matches!(
        token.call(Message::new(0, b"")),
        Err(Error::Closed)
    ));
}

#[test]
fn a_server_that_dies_mid_call_leaves_the_caller_with_closed() {
    let sys = system(64);
    let server = sys.app("server");
    server.publish("echo").unwrap();
    let mut serving = server.serve().unwrap();
    let client = sys.app("client");
    let mut token = client.connect("echo").unwrap();
    let dying = thread::spawn(move || {
        // Take the call, then die without replying: every channel of the app closes.
        while let Ok(Some(incoming)) = serving.next(Some(Duration::from_secs(5))) {
            if matches!(incoming, Incoming::Call { .. }) {
                break;
            }
        }
        drop(serving);
        drop(server);
    });
    assert!(matches!(
        token.call(Message::new(0, b"")),
        Err(Error::Closed)
    ));
    dying.join().unwrap();
    // The protocol is unpublished with its server gone: the message server notices the
    // hang-up on its own event loop, so wait (bounded) until it has.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while client.is_published("echo").unwrap() {
        assert!(
            std::time::Instant::now() < deadline,
            "still published 5 s after its server died"
        );
        thread::yield_now();
    }
}

#[test]
fn oversized_payloads_are_refused_before_sending() {
    let sys = system(64);
    let server = sys.app("server");
    server.publish("echo").unwrap();
    let mut token = sys.app("client").connect("echo").unwrap();
    let big = vec![0u8; kos_client::MAX_PAYLOAD + 1];
    assert!(matches!(
        token.call(Message::new(0, &big)),
        Err(Error::PayloadTooLarge(_))
    ));
}

#[test]
fn call_timeout_gives_up_and_a_late_reply_is_not_mistaken_for_the_next() {
    let sys = system(64);
    let server = sys.app("server");
    server.publish("echo").unwrap();
    let mut serving = server.serve().unwrap();
    let mut token = sys.app("client").connect("echo").unwrap();
    // The server answers the first call only once the client has given up on it.
    let (gave_up, given_up) = std::sync::mpsc::channel::<()>();
    let slow = thread::spawn(move || {
        let mut n = 0;
        while let Ok(Some(incoming)) = serving.next(Some(Duration::from_secs(5))) {
            if let Incoming::Call { reply_to, msg, .. } = incoming {
                if n == 0 {
                    given_up.recv_timeout(Duration::from_secs(5)).unwrap();
                }
                n += 1;
                serving
                    .reply(reply_to, Message::new(msg.label, b""))
                    .unwrap();
                if n == 2 {
                    break;
                }
            }
        }
    });
    assert!(matches!(
        token.call_timeout(Message::new(1, b""), Duration::from_millis(20)),
        Err(Error::Timeout)
    ));
    gave_up.send(()).unwrap();
    assert_eq!(token.call(Message::new(2, b"")).unwrap().label, 2);
    slow.join().unwrap();
}

#[test]
fn malformed_frames_are_rejected_and_both_servers_carry_on() {
    use kos_msg::{Control, DataFrame, Reply};
    use kos_transport::RECV_BUFFER;

    let (sys, serving) = echo_system();
    // A misbehaving client speaks raw frames on the channels it was handed.
    let raw = sys.msg.attach("client").unwrap();
    let mut buf = [0u8; RECV_BUFFER];
    raw.request
        .send_bytes(&[kos_msg::PROTOCOL_VERSION, 0xEE, 0xEE], None)
        .unwrap();
    let reply = raw
        .request
        .recv::<Control<Reply>>(&mut buf)
        .unwrap()
        .unwrap();
    assert_eq!(reply.frame.unwrap().body, Reply::Refused(Refusal::BadFrame));
    raw.request
        .send_bytes(&[kos_msg::PROTOCOL_VERSION + 7, 0], None)
        .unwrap();
    let reply = raw
        .request
        .recv::<Control<Reply>>(&mut buf)
        .unwrap()
        .unwrap();
    assert_eq!(reply.frame.unwrap().body, Reply::Refused(Refusal::BadFrame));
    // The message server still grants a token to the same connection.
    let (_, data) = raw_connect(&raw);
    // Garbage on the data channel: the protocol server answers Rejected and lives.
    data.send_bytes(
        &[kos_msg::PROTOCOL_VERSION, 0, 1, 2, 3, 4, 5, 6, 7, 8],
        None,
    )
    .unwrap();
    let rejected = data.recv::<DataFrame>(&mut buf).unwrap().unwrap();
    assert_eq!(rejected.frame.unwrap(), DataFrame::Rejected);
    data.send_bytes(&vec![1u8; RECV_BUFFER + 100], None)
        .unwrap();
    let rejected = data.recv::<DataFrame>(&mut buf).unwrap().unwrap();
    assert_eq!(rejected.frame.unwrap(), DataFrame::Rejected);
    // A frame that claims to carry a token but does not.
    let liar = kos_msg::Message {
        token: true,
        ..Message::new(1, b"")
    };
    data.send(&DataFrame::Send { msg: liar }, None).unwrap();
    let rejected = data.recv::<DataFrame>(&mut buf).unwrap().unwrap();
    assert_eq!(rejected.frame.unwrap(), DataFrame::Rejected);
    // A well-behaved client is served as before.
    let mut token = sys.app("client2").connect("echo").unwrap();
    assert_eq!(
        token.call(Message::new(0, b"?")).unwrap().payload,
        b"client2?"
    );
    token.send(Message::new(999, b"")).unwrap();
    let seen = serving.join().unwrap();
    assert_eq!(
        seen.iter()
            .filter(|i| matches!(i, Incoming::Rejected { .. }))
            .count(),
        3
    );
}

#[test]
fn a_token_moved_in_a_message_reaches_the_same_server_under_the_same_badge() {
    let (sys, _serving) = echo_system();
    let vault = sys.app("vault");
    vault.publish("vault").unwrap();
    let mut vault_server = vault.serve().unwrap();
    let client = sys.app("client");
    let echo = client.connect("echo").unwrap();
    let badge = echo.badge();
    let mut to_vault = client.connect("vault").unwrap();

    // The client moves its echo token to the vault.
    to_vault
        .send_transfer(Message::new(7, b"keep this"), echo)
        .unwrap();
    let mut kept = loop {
        match vault_server.next(Some(Duration::from_secs(5))).unwrap() {
            Some(Incoming::Send { msg, token, .. }) => {
                assert_eq!(msg.label, 7);
                break token.expect("the token came with the message");
            }
            Some(Incoming::Connected(_)) => continue,
            other => panic!("unexpected {other:?}"),
        }
    };
    // The vault calls the echo server with it: the server sees the client's badge and name.
    let reply = kept.call(Message::new(1, b"-via vault")).unwrap();
    assert_eq!(reply.label, badge);
    assert_eq!(reply.payload, b"client-via vault");

    // The vault hands it back in a reply; the client can use it again.
    let asking = thread::spawn(move || {
        to_vault.call_transfer(Message::new(8, b""), None, Some(Duration::from_secs(5)))
    });
    let Some(Incoming::Call {
        reply_to, token, ..
    }) = vault_server.next(Some(Duration::from_secs(5))).unwrap()
    else {
        panic!("expected the client's call")
    };
    assert!(token.is_none());
    vault_server
        .reply_transfer(reply_to, Message::new(0, b""), kept)
        .unwrap();
    let (_, back) = asking.join().unwrap().unwrap();
    let mut back = back.expect("the token came back with the reply");
    assert_eq!(
        back.call(Message::new(1, b"!")).unwrap().payload,
        b"client!"
    );

    // The grant stays the client's: when the client goes, the token it gave away is void.
    drop(client);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut gone = false;
    while std::time::Instant::now() < deadline && !gone {
        thread::sleep(Duration::from_millis(10));
        gone = matches!(back.call(Message::new(1, b"")), Err(Error::Closed));
    }
    assert!(gone, "a moved token is void once its grantee disconnects");
}

#[test]
fn a_server_that_never_reads_its_events_cannot_stall_other_grants() {
    let (sys, serving) = echo_system();
    // The vault publishes, then never looks at its event channel.
    let vault = sys.app("vault");
    vault.publish("vault").unwrap();
    let client = sys.app("client");
    let mut busy = false;
    for _ in 0..5_000 {
        match client.connect("vault") {
            Ok(token) => drop(token),
            Err(e) if e.is_refusal(Refusal::Busy) => {
                busy = true;
                break;
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert!(
        busy,
        "the vault's event queue filled and new clients were refused"
    );
    // Everyone else is served as before.
    check_others_served(&sys, serving);
}

#[test]
fn a_released_token_stops_working() {
    use kos_msg::{Control, Reply, Request};
    use kos_transport::RECV_BUFFER;

    let (sys, serving) = echo_system();
    // A client that gives its token back but tries to keep using it.
    let raw = sys.msg.attach("client").unwrap();
    let mut buf = [0u8; RECV_BUFFER];
    let (badge, data) = raw_connect(&raw);
    raw.request
        .send(
            &Control {
                seq: 2,
                body: Request::Release { badge },
            },
            None,
        )
        .unwrap();
    let done = raw
        .request
        .recv::<Control<Reply>>(&mut buf)
        .unwrap()
        .unwrap();
    assert_eq!(done.frame.unwrap().body, Reply::Done);
    let call = kos_msg::DataFrame::Call {
        id: 1,
        msg: Message::new(0, b""),
    };
    let sent = data.send(&call, None);
    let answer = data.recv_bytes(&mut buf).unwrap();
    assert!(
        sent.is_err() || answer.closed,
        "the released channel is cut"
    );
    let mut token = sys.app("client2").connect("echo").unwrap();
    token.send(Message::new(999, b"")).unwrap();
    serving.join().unwrap();
}

#[test]
fn a_client_that_stops_reading_its_replies_is_cut_off_and_others_are_served() {
    use kos_msg::DataFrame;

    let (sys, serving) = echo_system();
    // A raw client floods calls and never reads a reply.
    let channels = sys.msg.attach("client").unwrap();
    let (_, flooder) = raw_connect(&channels);
    // Room for the echo server's prefix: every call gets a reply.
    let payload = [0u8; 4000];
    let mut id = 0u32;
    let cut = flood_until_cut(|| {
        id += 1;
        let call = DataFrame::Call {
            id,
            msg: Message::new(1, &payload),
        };
        flooder.try_send(&call, None)
    });
    assert!(
        cut,
        "the server cut the flooding client off instead of blocking on it"
    );
    // Meanwhile another client is served.
    check_others_served(&sys, serving);
}

#[test]
fn a_client_that_floods_garbage_without_reading_is_cut_off_and_others_are_served() {
    let (sys, serving) = echo_system();
    let channels = sys.msg.attach("client").unwrap();
    let (_, flooder) = raw_connect(&channels);
    let garbage = [kos_msg::PROTOCOL_VERSION, 0xEE, 0xEE, 0xEE];
    let cut = flood_until_cut(|| flooder.try_send_bytes(&garbage, None));
    assert!(
        cut,
        "the server cut the client off instead of blocking on its notices"
    );
    check_others_served(&sys, serving);
}

/// Waits on `calls` until `n` calls finished (bounded: 5 s), collecting each
/// caller's value with the reply's payload or the error.
fn finish<C>(calls: &Calls<C>, n: usize) -> Vec<(C, Result<Vec<u8>, String>)> {
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while got.len() < n && std::time::Instant::now() < deadline {
        calls
            .wait(Some(Duration::from_millis(100)), |caller, reply| {
                got.push((
                    caller,
                    reply.map(|m| m.payload.to_vec()).map_err(|e| e.to_string()),
                ));
            })
            .unwrap();
    }
    got
}

#[test]
fn calls_started_without_waiting_are_answered_to_their_callers() {
    let (sys, serving) = echo_system();
    let token: SharedToken = Arc::new(Mutex::new(sys.app("client").connect("echo").unwrap()));
    let calls = Calls::new().unwrap();
    // Nothing in flight: a wait says so instead of blocking.
    assert_eq!(calls.wait(Some(Duration::ZERO), |_, _| ()).unwrap(), 0);
    for i in 0..5u8 {
        calls
            .start(&token, Message::new(1, &[b'0' + i]), i)
            .unwrap();
    }
    assert_eq!(calls.in_flight(), 5);
    // A waiting call would take their replies: refused, nothing sent.
    assert!(matches!(
        token.lock().unwrap().call(Message::new(1, b"x")),
        Err(Error::CallsInFlight)
    ));
    let mut got = finish(&calls, 5);
    got.sort();
    let want: Vec<(u8, Result<Vec<u8>, String>)> = (0..5u8)
        .map(|i| (i, Ok([b"client".as_slice(), &[b'0' + i]].concat())))
        .collect();
    assert_eq!(got, want, "every call answered once, to its own caller");
    assert_eq!(calls.in_flight(), 0);
    // Once they are done, waiting calls work again on the same token.
    assert_eq!(
        token
            .lock()
            .unwrap()
            .call(Message::new(1, b"y"))
            .unwrap()
            .payload,
        b"clienty"
    );
    assert!(matches!(
        calls.start(&token, Message::new(1, &[0; kos_msg::MAX_PAYLOAD + 1]), 9),
        Err(Error::PayloadTooLarge(_))
    ));
    token.lock().unwrap().send(Message::new(999, b"")).unwrap();
    serving.join().unwrap();
}

#[test]
fn a_cancelled_call_gives_its_caller_back_and_its_late_reply_is_dropped() {
    let sys = system(64);
    let server_app = sys.app("server");
    server_app.publish("echo").unwrap();
    let mut server = server_app.serve().unwrap();
    let token: SharedToken = Arc::new(Mutex::new(sys.app("client").connect("echo").unwrap()));
    let calls = Calls::new().unwrap();
    let first = calls
        .start(&token, Message::new(1, b"a"), "gave up")
        .unwrap();
    calls.start(&token, Message::new(1, b"b"), "waits").unwrap();
    assert_eq!(calls.cancel(&token, first), Some("gave up"));
    assert_eq!(calls.cancel(&token, first), None, "cancelled once");
    // The server answers both; only the caller still waiting hears of it.
    for _ in 0..2 {
        let Some(Incoming::Call { reply_to, msg, .. }) = next_call(&mut server) else {
            panic!("a call")
        };
        server
            .reply(reply_to, Message::new(0, &msg.payload))
            .unwrap();
    }
    let got = finish(&calls, 1);
    assert_eq!(got, [("waits", Ok(b"b".to_vec()))]);
    assert_eq!(calls.in_flight(), 0);
}

/// The next call on `server`, skipping connection notices (bounded: 5 s).
fn next_call(server: &mut Server) -> Option<Incoming> {
    loop {
        match server.next(Some(Duration::from_secs(5))).unwrap()? {
            Incoming::Connected(_) => continue,
            other => return Some(other),
        }
    }
}

#[test]
fn calls_in_flight_whose_server_dies_end_in_closed_for_every_caller() {
    let sys = system(64);
    let server_app = sys.app("server");
    server_app.publish("echo").unwrap();
    let server = server_app.serve().unwrap();
    let token: SharedToken = Arc::new(Mutex::new(sys.app("client").connect("echo").unwrap()));
    let calls = Calls::new().unwrap();
    calls.start(&token, Message::new(1, b"never"), 1).unwrap();
    calls
        .start(&token, Message::new(1, b"answered"), 2)
        .unwrap();
    // The server goes away with both calls unanswered: both callers must learn it.
    drop(server);
    drop(server_app);
    let mut got = finish(&calls, 2);
    got.sort();
    let closed = Err(Error::Closed.to_string());
    assert_eq!(got, [(1, closed.clone()), (2, closed)]);
    assert!(matches!(
        calls.start(&token, Message::new(1, b""), 3),
        Err(Error::Closed)
    ));
}

#[test]
fn a_wait_in_progress_takes_in_a_token_that_joins_from_another_thread() {
    let (sys, serving) = echo_system();
    let token: SharedToken = Arc::new(Mutex::new(sys.app("client").connect("echo").unwrap()));
    let calls = Arc::new(Calls::new().unwrap());
    let waiter = {
        let calls = calls.clone();
        thread::spawn(move || finish(&calls, 1))
    };
    // The waiter may already be waiting on an empty set; the start wakes it.
    calls.start(&token, Message::new(1, b"late"), ()).unwrap();
    assert_eq!(waiter.join().unwrap(), [((), Ok(b"clientlate".to_vec()))]);
    token.lock().unwrap().send(Message::new(999, b"")).unwrap();
    serving.join().unwrap();
}

#[test]
fn try_send_reports_a_full_queue_instead_of_waiting() {
    let sys = system(64);
    let server_app = sys.app("server");
    server_app.publish("echo").unwrap();
    // Served by nobody: its queue fills up.
    let _server = server_app.serve().unwrap();
    let mut token = sys.app("client").connect("echo").unwrap();
    let payload = [7u8; 4000];
    let mut full = false;
    for _ in 0..100_000 {
        match token.try_send(Message::new(1, &payload)) {
            Ok(()) => continue,
            Err(Error::QueueFull) => {
                full = true;
                break;
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert!(full, "a queue that nobody reads must fill, and say so");
    let token: SharedToken = Arc::new(Mutex::new(token));
    let calls = Calls::new().unwrap();
    assert!(matches!(
        calls.start(&token, Message::new(1, &payload), ()),
        Err(Error::QueueFull)
    ));
    assert_eq!(calls.in_flight(), 0, "a call not sent is not recorded");
}
