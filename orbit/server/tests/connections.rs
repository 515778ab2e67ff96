//! Connections that say nothing cannot pile up: past `max_connections` a new one is
//! closed as soon as it is accepted, and one with nothing moving for `idle_timeout`
//! is closed — after which Orbit takes connections again. (Before, 200 half-open
//! sockets stayed open for ever.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use orbit::{Orbit, Settings};

/// Whether Orbit closed `s` (a read ends) within `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 64];
    matches!(s.read(&mut buf), Ok(0))
        || matches!(s.read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_are_capped_and_closed_when_idle() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        max_connections: 2,
        idle_timeout: Duration::from_millis(1500),
        ..Settings::default()
    };
    let o = orbit::start(
        Orbit::open(&dir.path().join("data"), settings).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let addr = o.addr;
    tokio::task::spawn_blocking(move || {
        // Two connections that never send a byte take both places...
        let mut silent: Vec<TcpStream> =
            (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
        // ...(bounded: until Orbit has accepted them, a third is still let in)...
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut third = loop {
            let mut s = TcpStream::connect(addr).unwrap();
            if closed_within(&mut s, Duration::from_millis(200)) {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "a third connection was never refused"
            );
        };
        // ...so a third is closed at once, without an answer.
        let mut buf = [0u8; 1];
        assert!(matches!(third.read(&mut buf), Ok(0) | Err(_)));
        // Idle, the two are closed by Orbit (well within 5 s)...
        for s in &mut silent {
            assert!(
                closed_within(s, Duration::from_secs(5)),
                "an idle connection stayed open"
            );
        }
        // ...and a real request is served again.
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET /health HTTP/1.1\r\nHost: orbit\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("ok"), "{answer}");
    })
    .await
    .unwrap();
    o.stop().await;
}
