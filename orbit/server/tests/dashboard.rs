//! The dashboard in a real browser: headless Chromium (Debian's package, installed by
//! `scripts/test.sh`) driven over the DevTools protocol shows a connected device as
//! online, and its ping button sends a ping whose result appears on the page.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use orbit::{Orbit, Settings};
use orbit_device::orbit_protocol::Command as OrbitCommand;
use orbit_device::{Handler, Identity};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

struct Pong;

impl Handler for Pong {
    async fn handle(
        &mut self,
        _: u64,
        c: &OrbitCommand,
        _: &str,
    ) -> Result<String, orbit_device::CommandError> {
        match c {
            OrbitCommand::Ping => Ok("pong".into()),
            _ => Err(orbit_device::CommandError::Unavailable(
                "not in this test".into(),
            )),
        }
    }
}

struct Browser(Child);

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts headless Chromium on `url` and returns it with its DevTools port.
fn chromium(url: &str, profile: &Path) -> (Browser, u16) {
    let child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium (Debian package `chromium`; scripts/test.sh installs it)");
    let browser = Browser(child);
    // Chromium writes the port it chose to DevToolsActivePort (bounded wait).
    let file = profile.join("DevToolsActivePort");
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(20) {
        if let Some(port) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|s| s.lines().next()?.trim().parse().ok())
        {
            return (browser, port);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("chromium did not open its DevTools port");
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The DevTools connection to the page showing `url_prefix`.
async fn page(port: u16, url_prefix: &str) -> Socket {
    let t0 = Instant::now();
    loop {
        let list: Value = tokio::task::spawn_blocking(move || {
            ureq::get(&format!("http://127.0.0.1:{port}/json/list"))
                .call()
                .ok()
                .and_then(|r| r.into_json().ok())
                .unwrap_or(Value::Null)
        })
        .await
        .unwrap();
        let target = list.as_array().into_iter().flatten().find(|t| {
            t["type"] == "page" && t["url"].as_str().is_some_and(|u| u.starts_with(url_prefix))
        });
        if let Some(ws) = target.and_then(|t| t["webSocketDebuggerUrl"].as_str()) {
            return tokio_tungstenite::connect_async(ws).await.unwrap().0;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "no page for {url_prefix}: {list}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Calls DevTools method `method` and returns its result.
async fn call(ws: &mut Socket, id: u64, method: &str, params: Value) -> Value {
    let req = json!({"id": id, "method": method, "params": params});
    ws.send(Message::text(req.to_string())).await.unwrap();
    loop {
        let Some(Ok(Message::Text(t))) = ws.next().await else {
            panic!("DevTools connection lost")
        };
        let v: Value = serde_json::from_str(&t).unwrap();
        if v["id"] == id {
            assert!(v.get("error").is_none(), "{method}: {v}");
            return v["result"].clone();
        }
    }
}

/// Puts `file` into the page's `<input type=file>` matching `selector`, as a user
/// choosing it would.
async fn choose_file(ws: &mut Socket, n: &mut u64, selector: &str, file: &Path) {
    *n += 1;
    let doc = call(ws, *n, "DOM.getDocument", json!({})).await;
    *n += 1;
    let node = call(
        ws,
        *n,
        "DOM.querySelector",
        json!({"nodeId": doc["root"]["nodeId"], "selector": selector}),
    )
    .await;
    *n += 1;
    call(
        ws,
        *n,
        "DOM.setFileInputFiles",
        json!({"nodeId": node["nodeId"], "files": [file.to_str().unwrap()]}),
    )
    .await;
}

/// Evaluates `js` in the page and returns its value.
async fn eval(ws: &mut Socket, id: u64, js: &str) -> Value {
    let req = json!({"id": id, "method": "Runtime.evaluate", "params": {"expression": js, "returnByValue": true}});
    ws.send(Message::text(req.to_string())).await.unwrap();
    loop {
        let Some(Ok(Message::Text(t))) = ws.next().await else {
            panic!("DevTools connection lost")
        };
        let v: Value = serde_json::from_str(&t).unwrap();
        if v["id"] == id {
            return v["result"]["result"]["value"].clone();
        }
    }
}

/// Polls `js` until it is `true` (bounded: 15 s).
async fn until(ws: &mut Socket, next_id: &mut u64, js: &str) {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(15) {
        *next_id += 1;
        if eval(ws, *next_id, js).await == Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    *next_id += 1;
    let body = eval(ws, *next_id, "document.body.innerText").await;
    panic!("never true: {js}\npage:\n{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_a_device_online_and_pings_it_with_a_click() {
    let dir = tempfile::tempdir().unwrap();
    let o = orbit::start(
        Orbit::open(&dir.path().join("data"), Settings::default()).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    o.orbit
        .store
        .register("dev1", key.verifying_key().as_bytes(), orbit::now_ms())
        .unwrap();
    let id = Identity {
        name: "dev1".into(),
        key,
    };
    let session = orbit_device::connect(&format!("ws://{}", o.addr), &id, "3.1.4")
        .await
        .unwrap();
    let device = tokio::spawn(async move { session.serve(&mut Pong).await });

    let base = format!("http://{}/", o.addr);
    let url = format!("{base}#token={}", o.orbit.admin_token);
    let profile = dir.path().join("chromium");
    let (_browser, port) = tokio::task::spawn_blocking(move || chromium(&url, &profile))
        .await
        .unwrap();
    let mut ws = page(port, &base).await;
    let mut n = 0;
    let row = r#"document.querySelector('tr[data-device="dev1"]')"#;
    until(
        &mut ws,
        &mut n,
        &format!(
            "{row}?.cells[1].textContent === 'online' && {row}.cells[3].textContent === '3.1.4'"
        ),
    )
    .await;
    // The token left the address bar once read.
    n += 1;
    assert_eq!(eval(&mut ws, n, "location.hash").await, "");

    n += 1;
    eval(
        &mut ws,
        n,
        &format!("{row}.querySelector('button[name=ping]').click()"),
    )
    .await;
    until(
        &mut ws,
        &mut n,
        "[...document.querySelectorAll('#commands tbody tr')].some(r => r.cells[2].textContent === 'ping' && r.cells[3].textContent === 'ok' && r.cells[4].textContent === 'pong')",
    )
    .await;
    let recorded = o.orbit.store.commands(Some("dev1"), 10).unwrap();
    assert_eq!(
        (recorded[0].kind.as_str(), recorded[0].state.as_str()),
        ("ping", "ok")
    );

    // Upgrade from the page: a file that is not a bundle is refused by Orbit...
    let junk = dir.path().join("junk.tar.gz");
    std::fs::write(&junk, b"not a bundle").unwrap();
    choose_file(&mut ws, &mut n, "#bundle", &junk).await;
    n += 1;
    eval(&mut ws, n, "document.getElementById('upgrade').click()").await;
    let progress = "document.getElementById('upgrade-progress').textContent";
    until(
        &mut ws,
        &mut n,
        &format!("{progress}.includes('refused: not a KOS upgrade bundle')"),
    )
    .await;
    // ...a real one is uploaded and sent to the device, whose answer the page shows.
    let src = dir.path().join("system");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("system.dts"), "/dts-v1/;\n/ { };\n").unwrap();
    let bundle = dir.path().join("good.tar.gz");
    let deploy = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    kos_bundle::create(&src, &bundle, "2.0.0", &deploy).unwrap();
    choose_file(&mut ws, &mut n, "#bundle", &bundle).await;
    n += 1;
    eval(&mut ws, n, "document.getElementById('upgrade').click()").await;
    until(
        &mut ws,
        &mut n,
        &format!("{progress}.startsWith('sent as command #')"),
    )
    .await;
    until(
        &mut ws,
        &mut n,
        "[...document.querySelectorAll('#commands tbody tr')].some(r => r.cells[2].textContent === 'upgrade' && r.cells[3].textContent === 'error' && r.cells[4].textContent === 'not in this test')",
    )
    .await;

    device.abort();
    until(
        &mut ws,
        &mut n,
        &format!("{row}?.cells[1].textContent === 'offline'"),
    )
    .await;
    o.stop().await;
}
