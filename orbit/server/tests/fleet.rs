//! Orbit end to end on loopback: a real server, real WebSockets, real SQLite, keys made
//! by the `openssl` CLI, and `orbit-device` as the device.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use orbit::{Orbit, Running, Settings};
use orbit_device::orbit_protocol::{ToDevice, ToOrbit};
use orbit_device::{Backoff, Handler, Identity};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

fn fast() -> Settings {
    Settings {
        heartbeat: Duration::from_millis(200),
        dead_after: Duration::from_millis(1000),
        handshake_timeout: Duration::from_millis(1500),
        ..Settings::default()
    }
}

async fn start(data: &Path, listen: &str) -> Running {
    let orbit = Orbit::open(data, fast()).unwrap();
    orbit::start(orbit, listen.parse().unwrap()).await.unwrap()
}

/// `openssl genpkey` + `openssl pkey -pubout`: (private PEM, public PEM).
fn openssl_keypair(dir: &Path, name: &str) -> (String, String) {
    let key = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}.pub.pem"));
    let ok = Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(&key)
        .status()
        .unwrap()
        .success();
    assert!(ok, "openssl genpkey failed");
    let ok = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&public)
        .status()
        .unwrap()
        .success();
    assert!(ok, "openssl pkey -pubout failed");
    (
        std::fs::read_to_string(key).unwrap(),
        std::fs::read_to_string(public).unwrap(),
    )
}

/// An API call with the admin token; (status, body).
async fn api(o: &Running, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("http://{}{path}", o.addr);
    let auth = format!("Bearer {}", o.orbit.admin_token);
    let method = method.to_string();
    tokio::task::spawn_blocking(move || {
        let req = ureq::request(&method, &url).set("Authorization", &auth);
        let r = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        match r {
            Ok(resp) => (resp.status(), resp.into_json().unwrap_or_default()),
            Err(ureq::Error::Status(code, resp)) => (code, resp.into_json().unwrap_or_default()),
            Err(e) => panic!("transport: {e}"),
        }
    })
    .await
    .unwrap()
}

async fn register(o: &Running, name: &str, public_pem: &str) -> (u16, Value) {
    api(
        o,
        "POST",
        "/api/devices",
        Some(serde_json::json!({"name": name, "public_key": public_pem})),
    )
    .await
}

async fn device_view(o: &Running, name: &str) -> Value {
    let (_, list) = api(o, "GET", "/api/devices", None).await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .cloned()
        .unwrap_or_default()
}

/// Polls until the device's `online` flag is `want` (bounded: 5 s).
async fn wait_online(o: &Running, name: &str, want: bool) -> Duration {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(5) {
        if device_view(o, name).await["online"] == want {
            return t0.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{name} never became online={want}");
}

/// A device whose restarts are counted.
#[derive(Clone, Default)]
struct Counting(Arc<AtomicU32>);

impl Handler for Counting {
    async fn handle(
        &mut self,
        _id: u64,
        command: &orbit_device::orbit_protocol::Command,
        _orbit_http: &str,
    ) -> Result<String, orbit_device::CommandError> {
        use orbit_device::orbit_protocol::Command;
        match command {
            Command::Ping => Ok("pong".into()),
            Command::Restart => {
                let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
                Ok(format!("restart #{n} done"))
            }
            Command::Upgrade { .. } => Err(orbit_device::CommandError::Unavailable(
                "upgrades not supported by this test device".into(),
            )),
        }
    }
}

fn ws_url(o: &Running) -> String {
    format!("ws://{}", o.addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_device_is_alive_answers_ping_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let o = start(&dir.path().join("data"), "127.0.0.1:0").await;
    let (private, public) = openssl_keypair(dir.path(), "dev1");
    let (status, _) = register(&o, "dev1", &public).await;
    assert_eq!(status, 201);
    assert_eq!(device_view(&o, "dev1").await["online"], false);

    let id = Identity::from_pem("dev1", &private).unwrap();
    let session = orbit_device::connect(&ws_url(&o), &id, "1.0.0")
        .await
        .unwrap();
    let device = Counting::default();
    let mut handler = device.clone();
    let serving = tokio::spawn(async move { session.serve(&mut handler).await });
    wait_online(&o, "dev1", true).await;

    let (status, ping) = api(&o, "POST", "/api/devices/dev1/ping", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (ping["state"].as_str(), ping["detail"].as_str()),
        (Some("ok"), Some("pong")),
        "{ping}"
    );
    let view = device_view(&o, "dev1").await;
    assert!(view["rtt_ms"].as_f64().unwrap() > 0.0, "{view}");
    assert_eq!(view["version"], "1.0.0");

    let (_, restart) = api(&o, "POST", "/api/devices/dev1/restart", None).await;
    assert_eq!(restart["state"], "ok", "{restart}");
    assert_eq!(restart["detail"], "restart #1 done");
    assert_eq!(device.0.load(Ordering::SeqCst), 1);

    // Every command is on record with its result.
    let (_, cmds) = api(&o, "GET", "/api/commands?device=dev1", None).await;
    let kinds: Vec<_> = cmds
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["kind"].clone(), c["state"].clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("restart".into(), "ok".into()),
            ("ping".into(), "ok".into())
        ]
    );

    // The connection drops: offline within seconds, and commands fail as "offline".
    serving.abort();
    let took = wait_online(&o, "dev1", false).await;
    assert!(took < Duration::from_secs(3), "offline only after {took:?}");
    let (_, ping) = api(&o, "POST", "/api/devices/dev1/ping", None).await;
    assert_eq!(
        (ping["state"].as_str(), ping["detail"].as_str()),
        (Some("error"), Some("device offline"))
    );
    o.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_takes_openssl_keys_and_certificates_and_refuses_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let o = start(&dir.path().join("data"), "127.0.0.1:0").await;
    let (private, public) = openssl_keypair(dir.path(), "k");
    // A device registration certificate made with the openssl CLI.
    let cert = dir.path().join("dev2.crt");
    let ok = Command::new("openssl")
        .args(["req", "-x509", "-new", "-key"])
        .arg(dir.path().join("k.pem"))
        .args(["-subj", "/CN=dev2", "-days", "30", "-out"])
        .arg(&cert)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let cert = std::fs::read_to_string(cert).unwrap();
    assert_eq!(register(&o, "dev2", &cert).await.0, 201);
    // The certificate's key is the device's: it can log in with the private half.
    let id = Identity::from_pem("dev2", &private).unwrap();
    assert!(orbit_device::connect(&ws_url(&o), &id, "1").await.is_ok());

    let (status, body) = register(&o, "dev2", &public).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = register(&o, "dev3", &private).await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("PRIVATE key"),
        "{body}"
    );
    let (status, _) = register(
        &o,
        "dev3",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = register(&o, "../etc", &public).await;
    assert_eq!(status, 400, "{body}");
    // Without the admin token nothing is possible.
    let url = format!("http://{}/api/devices", o.addr);
    let code = tokio::task::spawn_blocking(move || match ureq::get(&url).call() {
        Err(ureq::Error::Status(code, _)) => code,
        other => panic!("expected a refusal, got {other:?}"),
    })
    .await
    .unwrap();
    assert_eq!(code, 401);
    o.stop().await;
}

/// The raw handshake, for attacks `orbit-device` would never make.
async fn raw_challenge(
    o: &Running,
) -> (
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    String,
    String,
) {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{}/device/ws", ws_url(o)))
        .await
        .unwrap();
    let Some(Ok(Message::Text(t))) = ws.next().await else {
        panic!("no challenge")
    };
    let ToDevice::Challenge { nonce, orbit } = serde_json::from_str(&t).unwrap() else {
        panic!("not a challenge: {t}")
    };
    (ws, nonce, orbit)
}

async fn verdict(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> ToDevice {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("verdict in time")
        {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).unwrap(),
            Some(Ok(_)) => continue,
            other => panic!("connection ended without a verdict: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unregistered_forged_replayed_stale_and_revoked_devices_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let o = start(&dir.path().join("data"), "127.0.0.1:0").await;
    let (private, public) = openssl_keypair(dir.path(), "real");
    let (other, _) = openssl_keypair(dir.path(), "other");
    assert_eq!(register(&o, "dev1", &public).await.0, 201);
    // Names that a path, a shell or an option parser would read as something else.
    for bad in [".", "..", "-rf", "_x", ""] {
        let (status, body) = register(&o, bad, &public).await;
        assert_eq!(status, 400, "{bad:?}: {body}");
    }
    let not_accepted = orbit_device::Error::Refused(orbit::device_ws::NOT_ACCEPTED.into());

    // An unknown name and a known one with a forged signature hear the same words, so
    // the registered names cannot be told from outside.
    let stranger = Identity::from_pem("nobody", &private).unwrap();
    let e = orbit_device::connect(&ws_url(&o), &stranger, "1")
        .await
        .err()
        .unwrap();
    assert_eq!(e, not_accepted);

    let forger = Identity::from_pem("dev1", &other).unwrap();
    let e = orbit_device::connect(&ws_url(&o), &forger, "1")
        .await
        .err()
        .unwrap();
    assert_eq!(e, not_accepted);

    // Replay: a valid answer to one challenge, sent on another connection.
    let real = Identity::from_pem("dev1", &private).unwrap();
    let (mut first, nonce, orbit_id) = raw_challenge(&o).await;
    let hello = orbit_device::answer_challenge(&real, "1", &nonce, &orbit_id).unwrap();
    let hello = serde_json::to_string(&hello).unwrap();
    first.send(Message::text(hello.clone())).await.unwrap();
    assert_eq!(verdict(&mut first).await, ToDevice::Welcome);
    let (mut second, _, _) = raw_challenge(&o).await;
    second.send(Message::text(hello)).await.unwrap();
    assert_eq!(
        verdict(&mut second).await,
        ToDevice::Refused {
            reason: orbit::device_ws::NOT_ACCEPTED.into()
        }
    );

    // A bad message from an authenticated device is dropped; the device stays.
    first
        .send(Message::text("{\"type\":\"format_disk\"}"))
        .await
        .unwrap();
    let status = ToOrbit::Status {
        version: "2".into(),
    };
    first
        .send(Message::text(serde_json::to_string(&status).unwrap()))
        .await
        .unwrap();
    let t0 = Instant::now();
    while device_view(&o, "dev1").await["version"] != "2" {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "the status never came"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(device_view(&o, "dev1").await["online"], true);
    drop(first);

    // Stale: no answer within the handshake timeout.
    let (mut slow, _, _) = raw_challenge(&o).await;
    assert!(
        matches!(verdict(&mut slow).await, ToDevice::Refused { reason } if reason.contains("in time"))
    );

    // Revocation cuts the live connection and refuses the next.
    let session = orbit_device::connect(&ws_url(&o), &real, "1")
        .await
        .unwrap();
    let serving = tokio::spawn(async move { session.serve(&mut Counting::default()).await });
    wait_online(&o, "dev1", true).await;
    let (status, _) = api(&o, "POST", "/api/devices/dev1/revoke", None).await;
    assert_eq!(status, 200);
    let ended = tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .expect("cut off")
        .unwrap();
    assert!(matches!(ended, orbit_device::Error::Closed(_)), "{ended}");
    wait_online(&o, "dev1", false).await;
    let e = orbit_device::connect(&ws_url(&o), &real, "1")
        .await
        .err()
        .unwrap();
    assert_eq!(e, not_accepted);
    o.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orbit_restarts_with_its_store_intact_and_the_device_reconnects_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = start(&data, "127.0.0.1:0").await;
    let addr: SocketAddr = o.addr;
    let (private, public) = openssl_keypair(dir.path(), "dev1");
    assert_eq!(register(&o, "dev1", &public).await.0, 201);

    let url = ws_url(&o);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let device = tokio::spawn(async move {
        let id = Identity::from_pem("dev1", &private).unwrap();
        let backoff = Backoff {
            min: Duration::from_millis(100),
            max: Duration::from_millis(400),
        };
        let mut handler = Counting::default();
        let (_tx, mut outgoing) = tokio::sync::mpsc::unbounded_channel();
        let config = orbit_device::Config::new(
            orbit_device::Endpoint::new(&url).with_backoff(backoff),
            id,
            "1.0.0",
        );
        orbit_device::run(&config, &mut handler, &mut outgoing, |_| {}, async {
            let _ = stop_rx.await;
        })
        .await;
    });
    wait_online(&o, "dev1", true).await;
    let (_, ping) = api(&o, "POST", "/api/devices/dev1/ping", None).await;
    assert_eq!(ping["state"], "ok");
    o.stop().await;

    // Same data directory, same port: a restarted Orbit.
    let o = start(&data, &addr.to_string()).await;
    wait_online(&o, "dev1", true).await;
    let (_, ping) = api(&o, "POST", "/api/devices/dev1/ping", None).await;
    assert_eq!(ping["state"], "ok", "{ping}");
    let (_, cmds) = api(&o, "GET", "/api/commands?device=dev1", None).await;
    assert_eq!(
        cmds.as_array().unwrap().len(),
        2,
        "the first Orbit's command is still on record"
    );
    let _ = stop_tx.send(());
    device.await.unwrap();
    o.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_command_reaches_every_online_device_and_counts_their_results() {
    let dir = tempfile::tempdir().unwrap();
    let o = start(&dir.path().join("data"), "127.0.0.1:0").await;
    let mut serving = Vec::new();
    for i in 0..3u8 {
        let key = ed25519_dalek::SigningKey::from_bytes(&[i + 1; 32]);
        let pem = {
            use ed25519_dalek::pkcs8::EncodePublicKey;
            key.verifying_key()
                .to_public_key_pem(Default::default())
                .unwrap()
        };
        let name = format!("dev{i}");
        assert_eq!(register(&o, &name, &pem).await.0, 201);
        let id = Identity { name, key };
        let session = orbit_device::connect(&ws_url(&o), &id, "1").await.unwrap();
        serving.push(tokio::spawn(async move {
            session.serve(&mut Counting::default()).await
        }));
    }
    // A fourth device is registered but offline: not part of the fleet command.
    let (_, public) = openssl_keypair(dir.path(), "dev3");
    assert_eq!(register(&o, "dev3", &public).await.0, 201);
    let (status, out) = api(&o, "POST", "/api/fleet/restart", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            out["devices"].as_u64(),
            out["ok"].as_u64(),
            out["failed"].as_u64()
        ),
        (Some(3), Some(3), Some(0)),
        "{out}"
    );
    // Upgrades go one device at a time, with their bundle; the fleet route refuses them.
    let (status, _) = api(&o, "POST", "/api/fleet/upgrade", None).await;
    assert_eq!(status, 400);
    let (_, cmds) = api(&o, "GET", "/api/commands", None).await;
    assert_eq!(
        cmds.as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kind"] == "restart" && c["state"] == "ok")
            .count(),
        3
    );
    for s in serving {
        s.abort();
    }
    o.stop().await;
}
