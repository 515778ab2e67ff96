//! A real device (`device_admin` in a system booted by `kos run`) against an Orbit that
//! is not ours: a hand-written server on loopback that welcomes the device and sends it
//! upgrade commands a real Orbit refuses to send. The device must not trust Orbit's
//! strings: a version that names a path fetches nothing, writes nothing and touches no
//! file outside the images directory; a version other than the signed one is refused.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use kos_system_tests::{openssl_keypair, RunningSystem};
use orbit_protocol::{Command, ToDevice, ToOrbit};
use sha2::Digest;
use tungstenite::Message;

/// What the fake Orbit saw: each command's result, in order.
type Results = mpsc::Receiver<(u64, bool, String)>;

/// Serves, on one loopback port as Orbit does, the device WebSocket (welcoming any
/// device, then sending `commands`) and `bundle` to any HTTP GET (counted in
/// `fetches`). Runs on its own threads, which end with the test process.
fn fake_orbit(
    commands: Vec<Command>,
    bundle: Vec<u8>,
    fetches: Arc<AtomicUsize>,
) -> (u16, Results) {
    fake_orbit_with(commands, bundle, fetches, None)
}

/// A slow network and an Orbit that pings: the bundle is sent 4 KiB at a time with
/// `drip` between pieces, and while a command runs the session pings every 100 ms,
/// counting the device's pongs in `Pinging::pongs`.
struct Pinging {
    drip: Duration,
    pongs: Arc<AtomicUsize>,
}

fn fake_orbit_with(
    commands: Vec<Command>,
    bundle: Vec<u8>,
    fetches: Arc<AtomicUsize>,
    pinging: Option<Pinging>,
) -> (u16, Results) {
    let pinging = pinging.map(Arc::new);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, results) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            if is_websocket(&stream) {
                let (commands, tx) = (commands.clone(), tx.clone());
                let pongs = pinging.as_ref().map(|p| p.pongs.clone());
                std::thread::spawn(move || device_session(stream, commands, tx, pongs));
            } else {
                fetches.fetch_add(1, Ordering::SeqCst);
                let bundle = bundle.clone();
                let drip = pinging.as_ref().map(|p| p.drip);
                std::thread::spawn(move || serve_file(stream, &bundle, drip));
            }
        }
    });
    (port, results)
}

/// Whether the request waiting on `stream` asks for a WebSocket (peeked, not read).
fn is_websocket(stream: &TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 2048];
    // The head arrives in one segment on loopback; peek until it is whole (bounded).
    for _ in 0..100 {
        let n = stream.peek(&mut buf).unwrap_or(0);
        let head = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
        if head.contains("\r\n\r\n") || n == buf.len() {
            return head.contains("upgrade: websocket");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn serve_file(mut stream: TcpStream, body: &[u8], drip: Option<Duration>) {
    use std::io::Write;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    match drip {
        None => {
            let _ = stream.write_all(body);
        }
        // The slow network is the scenario here, not a wait for anything.
        Some(pause) => {
            for piece in body.chunks(4096) {
                if stream.write_all(piece).is_err() {
                    return;
                }
                std::thread::sleep(pause);
            }
        }
    }
}

fn device_session(
    stream: TcpStream,
    commands: Vec<Command>,
    tx: mpsc::Sender<(u64, bool, String)>,
    pongs: Option<Arc<AtomicUsize>>,
) {
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let Ok(mut ws) = tungstenite::accept(stream) else {
        return;
    };
    // Whether it went out; a device that left ends the session.
    let send = |ws: &mut tungstenite::WebSocket<TcpStream>, msg: &ToDevice| {
        ws.send(Message::text(serde_json::to_string(msg).unwrap()))
            .is_ok()
    };
    let read = |ws: &mut tungstenite::WebSocket<TcpStream>| -> Option<ToOrbit> {
        loop {
            match ws.read().ok()? {
                Message::Text(t) => return serde_json::from_str(&t).ok(),
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    };
    let challenge = ToDevice::Challenge {
        nonce: "00".repeat(orbit_protocol::NONCE_BYTES),
        orbit: "not-orbit".into(),
    };
    if !send(&mut ws, &challenge) {
        return;
    }
    // Any answer is welcome: this Orbit is the attacker, not the gatekeeper.
    let Some(ToOrbit::Hello { .. }) = read(&mut ws) else {
        return;
    };
    if !send(&mut ws, &ToDevice::Welcome) {
        return;
    }
    if let Some(pongs) = &pongs {
        // Ping every 100 ms (a read that times out) while waiting for each result.
        ws.get_ref()
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        for (id, command) in (1..).zip(commands.clone()) {
            if !send(&mut ws, &ToDevice::Command { id, command }) {
                return;
            }
            loop {
                match ws.read() {
                    Ok(Message::Text(t)) => {
                        if let Ok(ToOrbit::Result {
                            id: got,
                            ok,
                            detail,
                        }) = serde_json::from_str(&t)
                        {
                            if got == id {
                                let _ = tx.send((id, ok, detail));
                                break;
                            }
                        }
                    }
                    Ok(Message::Pong(_)) => {
                        pongs.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(Message::Close(_)) => return,
                    Ok(_) => {}
                    Err(tungstenite::Error::Io(e))
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        if ws.send(Message::Ping(b"orbit".to_vec().into())).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
        }
        ws.get_ref()
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        while read(&mut ws).is_some() {}
        return;
    }
    for (id, command) in (1..).zip(commands) {
        if !send(&mut ws, &ToDevice::Command { id, command }) {
            return;
        }
        loop {
            match read(&mut ws) {
                Some(ToOrbit::Result {
                    id: got,
                    ok,
                    detail,
                }) if got == id => {
                    let _ = tx.send((id, ok, detail));
                    break;
                }
                Some(_) => continue,
                None => return,
            }
        }
    }
    // Keep the link open until the device goes, so it does not reconnect meanwhile.
    while read(&mut ws).is_some() {}
}

fn upgrade(bundle: &[u8], version: &str) -> Command {
    let sha256 = hex::encode(sha2::Sha256::digest(bundle));
    Command::Upgrade {
        url: format!("/device/bundles/{sha256}?token=t"),
        sha256,
        size: bundle.len() as u64,
        version: version.into(),
    }
}

/// Names directly under `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn upgrade_commands_from_a_hostile_orbit_touch_nothing_outside_the_images_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (device_key, _) = openssl_keypair(dir.path(), "dev1");
    let (deploy_pem, deploy_pub) = openssl_keypair(dir.path(), "deploy");
    let deploy =
        kos_bundle::signing_key_from_pem(&std::fs::read_to_string(deploy_pem).unwrap()).unwrap();
    // A genuine bundle, signed by the deployment key, at 2.0.0.
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("elixir")).unwrap();
    std::fs::write(src.join("system.dts"), "/dts-v1/;\n/ { };\n").unwrap();
    std::fs::write(src.join("elixir/VERSION"), "2.0.0\n").unwrap();
    kos_bundle::create(&src, Path::new(&path("good.tar.gz")), "2.0.0", &deploy).unwrap();
    let bundle = std::fs::read(path("good.tar.gz")).unwrap();
    // The images directory two levels down; the files the old device admin, told the
    // version "../../victim.x", would have created, overwritten and deleted.
    let images = dir.path().join("state/kos/images");
    std::fs::create_dir_all(&images).unwrap();
    std::fs::write(path("victim.download"), "precious").unwrap();
    std::fs::write(dir.path().join("state/victim.download"), "precious").unwrap();

    let fetches = Arc::new(AtomicUsize::new(0));
    let commands = vec![
        upgrade(&bundle, "../../victim.x"),
        upgrade(&bundle, "../../../victim.x"),
        upgrade(&bundle, "9.9.9"),
    ];
    let (port, results) = fake_orbit(commands, bundle, fetches.clone());
    let mut sys = RunningSystem::boot(&format!(
        r#"
    /include/ "services/device_admin.dtsi"
    apps {{
        device_admin {{ kind = "beam"; app = "device_admin"; memory_mib = <64>;
                        env {{ orbit_url = "ws://127.0.0.1:{port}"; device = "dev1"; key_file = "{}"; version = "1.0.0"; deployment_key = "{}"; images_dir = "{}"; }}; }};
    }};
"#,
        device_key.display(),
        deploy_pub.display(),
        images.display()
    ));
    let result = || {
        results
            .recv_timeout(Duration::from_secs(60))
            .expect("the device answers every command")
    };
    sys.wait_started("device_admin");
    for id in [1, 2] {
        sys.wait_for(&[
            "[device_admin]",
            &format!("refused command {id} from Orbit"),
        ]);
        let (got, ok, detail) = result();
        assert_eq!(got, id);
        assert!(!ok, "command {id} must fail: {detail}");
        assert!(
            detail.contains("a version starts with a letter or a digit"),
            "{detail}"
        );
    }
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        0,
        "a bad command fetches nothing"
    );
    // A well-formed version that is not the one the deployment signed.
    sys.wait_for(&["[device_admin]", "upgrade refused", "signed index says"]);
    let (_, ok, detail) = result();
    assert!(!ok);
    assert!(
        detail.contains("signed index says version 2.0.0, the command says 9.9.9"),
        "{detail}"
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 1);

    for victim in [path("victim.download"), path("state/victim.download")] {
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "precious",
            "{victim}"
        );
    }
    // Nothing staged. This Orbit never answers `recorded`, so the device keeps its
    // three results in its journal, for whichever run connects next.
    assert_eq!(names(&images), ["orbit-results.json"]);
    let journal: serde_json::Value =
        serde_json::from_slice(&std::fs::read(images.join("orbit-results.json")).unwrap()).unwrap();
    let ids: Vec<u64> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3], "{journal}");
    assert_eq!(names(&dir.path().join("state")), ["kos", "victim.download"]);
    assert_eq!(names(&dir.path().join("state/kos")), ["images"]);
    // The device admin refused and carried on: never restarted, nothing switched.
    assert_eq!(sys.events("device_admin", "started").len(), 1);
    assert!(sys.events("_root", "switch_asked").is_empty());
    assert!(sys.events("*", "upgrade_refused").is_empty());
    assert!(sys.stop().success());
}

#[test]
fn the_device_answers_pings_while_a_slow_bundle_downloads() {
    let dir = tempfile::tempdir().unwrap();
    let (device_key, _) = openssl_keypair(dir.path(), "dev1");
    let (_, deploy_pub) = openssl_keypair(dir.path(), "deploy");
    let images = dir.path().join("images");
    std::fs::create_dir_all(&images).unwrap();
    // What an earlier run left: a stage it died in, and two complete images.
    std::fs::create_dir_all(images.join("incoming-0123/image")).unwrap();
    std::fs::write(images.join("incoming-0123/bundle.download"), "half").unwrap();
    for (name, age) in [("image-old", 200), ("image-new", 100)] {
        std::fs::create_dir_all(images.join(name)).unwrap();
        let when = std::time::SystemTime::now() - Duration::from_secs(age);
        std::fs::File::open(images.join(name))
            .unwrap()
            .set_modified(when)
            .unwrap();
    }
    // 96 KiB of noise (the digest and size are right; it is no bundle), sent 4 KiB
    // every 100 ms: the download takes about 2.4 s, Orbit pings every 100 ms.
    let bundle: Vec<u8> = (0..96 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let pongs = Arc::new(AtomicUsize::new(0));
    let pinging = Pinging {
        drip: Duration::from_millis(100),
        pongs: pongs.clone(),
    };
    let fetches = Arc::new(AtomicUsize::new(0));
    let (port, results) = fake_orbit_with(
        vec![upgrade(&bundle, "2.0.0")],
        bundle,
        fetches.clone(),
        Some(pinging),
    );
    let mut sys = RunningSystem::boot(&format!(
        r#"
    /include/ "services/device_admin.dtsi"
    apps {{
        device_admin {{ kind = "beam"; app = "device_admin"; memory_mib = <64>;
                        env {{ orbit_url = "ws://127.0.0.1:{port}"; device = "dev1"; key_file = "{}"; version = "1.0.0"; deployment_key = "{}"; images_dir = "{}"; }}; }};
    }};
"#,
        device_key.display(),
        deploy_pub.display(),
        images.display()
    ));
    let (id, ok, detail) = results
        .recv_timeout(Duration::from_secs(60))
        .expect("the device answers the upgrade");
    assert_eq!((id, ok), (1, false), "noise is no bundle: {detail}");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    // About 24 pings went out during the download; the old link answered none until
    // the command was over.
    let answered = pongs.load(Ordering::SeqCst);
    assert!(
        answered >= 10,
        "only {answered} pongs during a 2.4 s download"
    );
    // At start the device admin removed the dead stage and all but the newest image
    // (this system runs from none of them); the refused bundle added nothing.
    sys.wait_for(&[
        "[device_admin]",
        "removed 1 partial stage(s) and 1 old image(s); kept image-new",
    ]);
    assert_eq!(names(&images), ["image-new", "orbit-results.json"]);
    assert!(sys.stop().success());
}
