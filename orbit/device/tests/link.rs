//! The device link while a command runs: a fake Orbit on loopback sends a command
//! whose handler takes as long as the test says, and checks that the link goes on —
//! WebSocket pings are answered, further commands are acknowledged at once and run in
//! order afterwards, a command breaking the protocol's rules gets its failure result
//! without reaching the handler. (Before, the link read nothing while a handler ran,
//! so Orbit dropped a device in the middle of a long upgrade.)

use std::time::Duration;

use ed25519_dalek::SigningKey;
use futures_util::{SinkExt, StreamExt};
use orbit_device::{Endpoint, Handler, Identity};
use orbit_protocol::{Command, ToDevice, ToOrbit};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

/// Handles `Restart` only once released; everything else at once. Tells the test
/// what reached it.
struct Slow {
    release: Option<oneshot::Receiver<()>>,
    seen: mpsc::UnboundedSender<(u64, String)>,
}

impl Handler for Slow {
    async fn handle(
        &mut self,
        id: u64,
        command: &Command,
        _http: &str,
    ) -> Result<String, orbit_device::CommandError> {
        let kind = format!("{command:?}");
        let _ = self.seen.send((id, kind.clone()));
        if matches!(command, Command::Restart) {
            if let Some(release) = self.release.take() {
                let _ = release.await;
            }
        }
        Ok(format!("done {id}"))
    }

    fn refused(&mut self, id: u64, why: &str) {
        let _ = self.seen.send((id, format!("refused: {why}")));
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn say(ws: &mut Ws, msg: &ToDevice) {
    ws.send(Message::text(serde_json::to_string(msg).unwrap()))
        .await
        .unwrap();
}

/// The next frame from the device, within 5 s.
async fn hear(ws: &mut Ws) -> Message {
    tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("the device said nothing for 5 s")
        .expect("the device hung up")
        .unwrap()
}

async fn hear_json(ws: &mut Ws) -> ToOrbit {
    loop {
        match hear(ws).await {
            Message::Text(t) => return serde_json::from_str(&t).unwrap(),
            Message::Pong(_) | Message::Ping(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_link_answers_pings_and_takes_commands_while_one_runs() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (release_tx, release_rx) = oneshot::channel();
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let device = tokio::spawn(async move {
        let id = Identity {
            name: "dev1".into(),
            key: SigningKey::from_bytes(&[3; 32]),
        };
        let session = orbit_device::connect_to(&Endpoint::new(&url), &id, "1.0.0")
            .await
            .unwrap();
        let mut handler = Slow {
            release: Some(release_rx),
            seen: seen_tx,
        };
        let (_keep, mut outgoing) = mpsc::unbounded_channel();
        session.serve_with(&mut handler, &mut outgoing).await
    });

    let (tcp, _) = listener.accept().await.unwrap();
    let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
    say(
        &mut ws,
        &ToDevice::Challenge {
            nonce: "00".repeat(orbit_protocol::NONCE_BYTES),
            orbit: "test-orbit".into(),
        },
    )
    .await;
    assert!(matches!(hear_json(&mut ws).await, ToOrbit::Hello { .. }));
    say(&mut ws, &ToDevice::Welcome).await;

    // A command that runs until released...
    say(
        &mut ws,
        &ToDevice::Command {
            id: 1,
            command: Command::Restart,
        },
    )
    .await;
    assert!(matches!(hear_json(&mut ws).await, ToOrbit::Ack { id: 1 }));
    assert_eq!(seen.recv().await.unwrap(), (1, "Restart".into()));
    // ...while pings are answered, with their payload...
    for beat in [&b"beat-1"[..], b"beat-2"] {
        ws.send(Message::Ping(beat.to_vec().into())).await.unwrap();
        match hear(&mut ws).await {
            Message::Pong(p) => assert_eq!(&p[..], beat),
            other => panic!("expected a pong, got {other:?}"),
        }
    }
    // ...and new commands, a bad one among them, are acknowledged at once.
    let bad = Command::Upgrade {
        url: "/device/bundles/x".into(),
        sha256: "0".repeat(64),
        size: 1,
        version: "../../victim".into(),
    };
    say(
        &mut ws,
        &ToDevice::Command {
            id: 2,
            command: bad,
        },
    )
    .await;
    say(
        &mut ws,
        &ToDevice::Command {
            id: 3,
            command: Command::Ping,
        },
    )
    .await;
    assert!(matches!(hear_json(&mut ws).await, ToOrbit::Ack { id: 2 }));
    assert!(matches!(hear_json(&mut ws).await, ToOrbit::Ack { id: 3 }));
    // Nothing else reached the handler while the first command ran.
    assert!(seen.try_recv().is_err());

    release_tx.send(()).unwrap();
    // Results in order: the long one, the refusal, the ping.
    let results: Vec<_> = [
        hear_json(&mut ws).await,
        hear_json(&mut ws).await,
        hear_json(&mut ws).await,
    ]
    .into_iter()
    .map(|r| match r {
        ToOrbit::Result { id, ok, detail } => (id, ok, detail),
        other => panic!("expected a result, got {other:?}"),
    })
    .collect();
    assert_eq!(results[0], (1, true, "done 1".into()));
    assert_eq!((results[1].0, results[1].1), (2, false));
    assert!(results[1].2.contains("version"), "{}", results[1].2);
    assert_eq!(results[2], (3, true, "done 3".into()));
    let refused = seen.recv().await.unwrap();
    assert_eq!(refused.0, 2);
    assert!(refused.1.starts_with("refused: "));
    assert_eq!(seen.recv().await.unwrap(), (3, "Ping".into()));

    ws.close(None).await.unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), device)
        .await
        .unwrap()
        .unwrap();
    assert!(ended.to_string().contains("closed"), "{ended}");
}

/// Answers every command at once.
struct Quick;

impl Handler for Quick {
    async fn handle(
        &mut self,
        id: u64,
        _: &Command,
        _: &str,
    ) -> Result<String, orbit_device::CommandError> {
        Ok(format!("done {id}"))
    }
}

async fn handshake(listener: &tokio::net::TcpListener) -> Ws {
    let (tcp, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("the device reconnects")
        .unwrap();
    let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
    say(
        &mut ws,
        &ToDevice::Challenge {
            nonce: "00".repeat(orbit_protocol::NONCE_BYTES),
            orbit: "test-orbit".into(),
        },
    )
    .await;
    assert!(matches!(hear_json(&mut ws).await, ToOrbit::Hello { .. }));
    say(&mut ws, &ToDevice::Welcome).await;
    ws
}

#[tokio::test(flavor = "current_thread")]
async fn a_result_orbit_did_not_acknowledge_is_sent_again_on_the_next_connection() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let device = quick_device(url, None, async {
        let _ = stopped.await;
    });
    let result = |ws_msg: ToOrbit| match ws_msg {
        ToOrbit::Result { id, ok, detail } => (id, ok, detail),
        other => panic!("expected a result, got {other:?}"),
    };

    // The link breaks after the result went out, before Orbit acknowledged it.
    let mut ws = handshake(&listener).await;
    say(
        &mut ws,
        &ToDevice::Command {
            id: 1,
            command: Command::Ping,
        },
    )
    .await;
    assert!(matches!(hear_json(&mut ws).await, ToOrbit::Ack { id: 1 }));
    assert_eq!(result(hear_json(&mut ws).await), (1, true, "done 1".into()));
    drop(ws);

    // The next connection starts with it; acknowledged now, with another command's.
    let mut ws = handshake(&listener).await;
    assert_eq!(result(hear_json(&mut ws).await), (1, true, "done 1".into()));
    say(&mut ws, &ToDevice::Recorded { id: 1 }).await;
    say(
        &mut ws,
        &ToDevice::Command {
            id: 2,
            command: Command::Ping,
        },
    )
    .await;
    assert!(matches!(hear_json(&mut ws).await, ToOrbit::Ack { id: 2 }));
    assert_eq!(result(hear_json(&mut ws).await), (2, true, "done 2".into()));
    say(&mut ws, &ToDevice::Recorded { id: 2 }).await;
    // A command after both acknowledgements: its answer comes before anything else,
    // so nothing was pending any more when the link broke again.
    say(
        &mut ws,
        &ToDevice::Command {
            id: 3,
            command: Command::Ping,
        },
    )
    .await;
    assert!(matches!(hear_json(&mut ws).await, ToOrbit::Ack { id: 3 }));
    drop(ws);

    // Result 3 was never acknowledged: it alone is sent again.
    let mut ws = handshake(&listener).await;
    assert_eq!(result(hear_json(&mut ws).await), (3, true, "done 3".into()));
    say(&mut ws, &ToDevice::Recorded { id: 3 }).await;
    say(
        &mut ws,
        &ToDevice::Command {
            id: 4,
            command: Command::Ping,
        },
    )
    .await;
    assert!(matches!(hear_json(&mut ws).await, ToOrbit::Ack { id: 4 }));
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), device)
        .await
        .unwrap()
        .unwrap();
}

/// A device answering every command at once ([`Quick`]) until `stop`, keeping its
/// unrecorded results in `journal` if given.
fn quick_device(
    url: String,
    journal: Option<std::path::PathBuf>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let id = Identity {
            name: "dev1".into(),
            key: SigningKey::from_bytes(&[4; 32]),
        };
        let endpoint = Endpoint::new(&url).with_backoff(orbit_device::Backoff {
            min: Duration::from_millis(10),
            max: Duration::from_millis(50),
        });
        let (_keep, mut outgoing) = mpsc::unbounded_channel();
        let mut config = orbit_device::Config::new(endpoint, id, "1.0.0");
        if let Some(journal) = journal {
            config = config.with_journal(orbit_device::Journal::at(&journal));
        }
        orbit_device::run(&config, &mut Quick, &mut outgoing, |_| {}, stop).await
    })
}

#[tokio::test(flavor = "current_thread")]
async fn a_result_survives_the_death_of_the_device_software_in_its_journal() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("results.json");

    // The device answers, and dies (aborted: nothing runs after) before Orbit
    // records the result.
    let device = quick_device(url.clone(), Some(journal.clone()), std::future::pending());
    let mut ws = handshake(&listener).await;
    say(
        &mut ws,
        &ToDevice::Command {
            id: 7,
            command: Command::Ping,
        },
    )
    .await;
    assert!(matches!(hear_json(&mut ws).await, ToOrbit::Ack { id: 7 }));
    let sent = hear_json(&mut ws).await;
    assert!(
        matches!(
            &sent,
            ToOrbit::Result {
                id: 7,
                ok: true,
                ..
            }
        ),
        "{sent:?}"
    );
    device.abort();
    let _ = device.await;
    drop(ws);
    assert!(journal.exists(), "written before the result went out");

    // The next run of the device software sends it first, and forgets it once recorded.
    let device = quick_device(url, Some(journal.clone()), std::future::pending());
    let mut ws = handshake(&listener).await;
    assert_eq!(hear_json(&mut ws).await, sent);
    say(&mut ws, &ToDevice::Recorded { id: 7 }).await;
    // A later command's acknowledgement shows the device has read the `recorded`.
    say(
        &mut ws,
        &ToDevice::Command {
            id: 8,
            command: Command::Ping,
        },
    )
    .await;
    assert!(matches!(hear_json(&mut ws).await, ToOrbit::Ack { id: 8 }));
    let kept = orbit_device::Journal::at(&journal).load().unwrap();
    assert!(
        kept.iter()
            .all(|r| !matches!(r, ToOrbit::Result { id: 7, .. })),
        "{kept:?}"
    );
    device.abort();
}
