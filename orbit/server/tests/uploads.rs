//! Bundle uploads against what an unauthenticated or greedy client can do: the token
//! is checked before any of the body is read, a declared size over the limit is
//! refused at once, uploads beyond the cap are refused rather than queued, and a
//! broken upload leaves no file behind. (Before, the whole body — up to 512 MiB — was
//! read into memory before the token was looked at.)

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use orbit::{Orbit, Running, Settings};

async fn start(data: &Path) -> Running {
    let o = orbit::start(
        Orbit::open(data, Settings::default()).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let key = SigningKey::from_bytes(&[5; 32]);
    o.orbit
        .store
        .register("dev1", key.verifying_key().as_bytes(), orbit::now_ms())
        .unwrap();
    o
}

/// Sends an upload's head (and `first` bytes of body) on a raw socket, never the rest.
fn begin_upload(addr: SocketAddr, token: Option<&str>, length: u64, first: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "POST /api/devices/dev1/upgrade HTTP/1.1\r\nHost: orbit\r\n{auth}Content-Type: application/gzip\r\nContent-Length: {length}\r\n\r\n"
    )
    .unwrap();
    s.write_all(first).unwrap();
    s
}

/// The status line's code of the answer on `s` (within its read timeout).
fn status(s: &mut TcpStream) -> u16 {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n") && s.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&head).into_owned();
    line.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no answer: {line:?}"))
}

fn partial_uploads(data: &Path) -> usize {
    std::fs::read_dir(data.join("bundles"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_without_the_token_is_refused_before_its_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let o = start(dir.path()).await;
    let addr = o.addr;
    let code = tokio::task::spawn_blocking(move || {
        // 500 MB declared, not a byte of it sent: the refusal comes anyway.
        let mut s = begin_upload(addr, None, 500_000_000, b"");
        status(&mut s)
    })
    .await
    .unwrap();
    assert_eq!(code, 401);
    assert_eq!(partial_uploads(dir.path()), 0);
    o.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_size_over_the_limit_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let o = start(dir.path()).await;
    let (addr, token) = (o.addr, o.orbit.admin_token.clone());
    let code = tokio::task::spawn_blocking(move || {
        let mut s = begin_upload(
            addr,
            Some(&token),
            orbit::bundles::MAX_BUNDLE_BYTES + 1,
            b"",
        );
        status(&mut s)
    })
    .await
    .unwrap();
    assert_eq!(code, 413);
    assert_eq!(partial_uploads(dir.path()), 0);
    o.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_beyond_the_cap_are_refused_and_a_broken_one_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let o = start(dir.path()).await;
    let (addr, token) = (o.addr, o.orbit.admin_token.clone());
    let data = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        // As many uploads as Orbit takes, each begun and left hanging...
        let hanging: Vec<TcpStream> = (0..orbit::bundles::MAX_UPLOADS)
            .map(|_| begin_upload(addr, Some(&token), 1 << 20, &[0x1f; 4096]))
            .collect();
        // ...are on disk as partial files once Orbit has their first bytes (bounded).
        let deadline = Instant::now() + Duration::from_secs(10);
        while partial_uploads(&data) < hanging.len() {
            assert!(Instant::now() < deadline, "the uploads never started");
            std::thread::yield_now();
        }
        // One more is refused at once, not queued behind them.
        let mut extra = begin_upload(addr, Some(&token), 1 << 20, b"");
        assert_eq!(status(&mut extra), 503);
        // Broken off, they leave nothing behind, and uploads are taken again.
        drop(hanging);
        let deadline = Instant::now() + Duration::from_secs(10);
        while partial_uploads(&data) > 0 {
            assert!(Instant::now() < deadline, "broken uploads left files");
            std::thread::yield_now();
        }
        let mut garbage = begin_upload(addr, Some(&token), 3, b"abc");
        assert_eq!(status(&mut garbage), 400, "whole, but not a bundle");
        assert_eq!(partial_uploads(&data), 0);
    })
    .await
    .unwrap();
    o.stop().await;
}
