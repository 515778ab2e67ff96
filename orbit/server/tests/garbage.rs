//! A device that sends garbage: each undecodable message is dropped and the device
//! stays (a few are logged, the rest counted), until it has sent too many — then it is
//! dropped, and its garbage cannot flood Orbit's log.

use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use futures_util::{SinkExt, StreamExt};
use orbit::{Orbit, Settings};
use orbit_protocol::{ToDevice, ToOrbit};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_sending_garbage_is_dropped_after_too_much_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let o = orbit::start(
        Orbit::open(&dir.path().join("data"), Settings::default()).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let key = SigningKey::from_bytes(&[6; 32]);
    o.orbit
        .store
        .register("dev1", key.verifying_key().as_bytes(), orbit::now_ms())
        .unwrap();
    let id = orbit_device::Identity {
        name: "dev1".into(),
        key,
    };
    let url = format!("ws://{}{}", o.addr, orbit_protocol::DEVICE_PATH);
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let next = |m: Message| match m {
        Message::Text(t) => serde_json::from_str::<ToDevice>(&t).unwrap(),
        other => panic!("{other:?}"),
    };
    let ToDevice::Challenge { nonce, orbit } = next(ws.next().await.unwrap().unwrap()) else {
        panic!("no challenge")
    };
    let hello = orbit_device::answer_challenge(&id, "1.0.0", &nonce, &orbit).unwrap();
    ws.send(Message::text(serde_json::to_string(&hello).unwrap()))
        .await
        .unwrap();
    assert!(matches!(
        next(ws.next().await.unwrap().unwrap()),
        ToDevice::Welcome
    ));

    // A little garbage is dropped; the device stays, and what it says next counts.
    for _ in 0..5 {
        ws.send(Message::text("{not json")).await.unwrap();
    }
    let status = ToOrbit::Status {
        version: "9.9.9".into(),
    };
    ws.send(Message::text(serde_json::to_string(&status).unwrap()))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while o
        .orbit
        .store
        .device("dev1")
        .unwrap()
        .unwrap()
        .version
        .as_deref()
        != Some("9.9.9")
    {
        assert!(
            Instant::now() < deadline,
            "the status after garbage was not taken"
        );
        tokio::task::yield_now().await;
    }
    // A flood of it ends the connection.
    for _ in 0..orbit::device_ws::MAX_GARBAGE {
        if ws.send(Message::text("\u{1b}[31mgarbage")).await.is_err() {
            break;
        }
    }
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a device flooding garbage stayed connected");
    o.stop().await;
}
