//! The device endpoint: challenge–response authentication, then commands.
//!
//! Each connection gets a fresh 32-byte nonce. The device must answer within the
//! handshake timeout with a signature over [`orbit_protocol::transcript`] of its
//! registered name, that nonce, this Orbit's id and the endpoint path; an unknown or
//! revoked name, a bad signature or a late answer is refused and the connection
//! closed. The first three are told apart only in Orbit's log: the device hears the
//! one [`NOT_ACCEPTED`], and an unknown name costs the same signature check as a known
//! one, so names cannot be enumerated from outside. A signature is useless elsewhere: another connection has another nonce, and
//! another Orbit another id. Once in, the connection is pinged every heartbeat and
//! dropped when nothing has come from the device for `dead_after`, so a device whose
//! link died shows offline within seconds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use futures_util::{SinkExt, StreamExt};
use orbit_protocol::{transcript, ToDevice, ToOrbit, DEVICE_PATH, NONCE_BYTES};
use tokio::sync::mpsc;

use crate::hub::{Outcome, Outgoing};
use crate::{now_ms, Orbit};

/// Serves one device connection from upgrade to close.
pub async fn serve(socket: WebSocket, orbit: Arc<Orbit>, peer: String) {
    let (mut sink, mut stream) = socket.split();
    let name = match authenticate(&mut sink, &mut stream, &orbit).await {
        Ok(name) => name,
        Err(Refusal { why, told }) => {
            tracing::warn!(%peer, "device refused: {why}");
            let refused = ToDevice::Refused { reason: told };
            let _ = sink.send(text(&refused)).await;
            let _ = sink.close().await;
            return;
        }
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (conn, replaced) = orbit.hub.attach(&name, tx, now_ms());
    // Commands in flight on the connection this one replaces.
    settle_dropped(&orbit, replaced);
    tracing::info!(device = %name, %peer, "device connected");
    let mut last_heard = Instant::now();
    let mut heartbeat = tokio::time::interval(orbit.settings.heartbeat);
    let mut garbage = 0usize;
    let why = loop {
        tokio::select! {
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(t))) => {
                    last_heard = Instant::now();
                    let msg = match serde_json::from_str::<ToOrbit>(t.as_str()) {
                        Ok(msg) => msg,
                        // A bad message is dropped and the device stays, up to a point:
                        // the first few are logged, the rest counted, and a device that
                        // keeps sending garbage is dropped (its log cannot flood ours).
                        Err(e) => {
                            garbage += 1;
                            if garbage <= LOGGED_GARBAGE {
                                tracing::warn!(device = %name, "undecodable message dropped: {e}");
                            }
                            if garbage == LOGGED_GARBAGE {
                                tracing::warn!(device = %name, "further undecodable messages are counted, not logged");
                            }
                            if garbage >= MAX_GARBAGE {
                                break format!("{garbage} undecodable messages: dropped");
                            }
                            continue;
                        }
                    };
                    if let Some(reply) = handle(&orbit, &name, msg) {
                        if let Err(e) = sink.send(text(&reply)).await {
                            break format!("send failed: {e}");
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None => break "closed by the device".to_string(),
                Some(Ok(_)) => last_heard = Instant::now(),
                Some(Err(e)) => break format!("connection error: {e}"),
            },
            out = rx.recv() => match out {
                Some(Outgoing::Msg(m)) => {
                    if let Err(e) = sink.send(text(&m)).await {
                        break format!("send failed: {e}");
                    }
                }
                Some(Outgoing::Close(reason)) => {
                    let _ = sink.send(text(&ToDevice::Refused { reason: reason.clone() })).await;
                    let _ = sink.close().await;
                    break reason;
                }
                None => break "orbit stopping".to_string(),
            },
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > orbit.settings.dead_after {
                    break format!("silent for {:?}", last_heard.elapsed());
                }
                if sink.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break "ping failed".to_string();
                }
            }
        }
    };
    settle_dropped(&orbit, orbit.hub.detach(&name, conn));
    let _ = orbit.store.seen(&name, now_ms(), None, None);
    tracing::info!(device = %name, "device disconnected: {why}");
}

/// Records what became of commands in flight on a connection that ended.
fn settle_dropped(orbit: &Orbit, dropped: Vec<crate::hub::Dropped>) {
    for (id, kind, acked) in dropped {
        // An upgrade restarts the device on purpose: its result comes from the system
        // that comes up next, on a later connection. Any other command the device took
        // may have finished: its result comes when it reconnects (the device keeps it
        // until Orbit has it), or `reconcile` ends it at its deadline.
        if kind == "upgrade" {
            let _ = orbit.store.update_command(
                id,
                "acked",
                "device restarting into the new system",
                None,
            );
        } else if acked {
            let _ = orbit.store.update_command(
                id,
                "acked",
                "device disconnected; its result may come when it reconnects",
                None,
            );
        } else {
            let _ = orbit.store.update_command(
                id,
                "error",
                "device disconnected before taking it",
                Some(now_ms()),
            );
        }
    }
}

fn text(m: &ToDevice) -> Message {
    Message::Text(
        serde_json::to_string(m)
            .expect("protocol messages encode")
            .into(),
    )
}

type Sink = futures_util::stream::SplitSink<WebSocket, Message>;
type Stream = futures_util::stream::SplitStream<WebSocket>;

/// What a device that named an unknown or revoked device, or signed badly, is told:
/// the same words for all three.
pub const NOT_ACCEPTED: &str = "not accepted: unknown device, revoked, or bad signature";

/// Why a device was refused: `why` for Orbit's log, `told` for the device.
struct Refusal {
    why: String,
    told: String,
}

impl From<String> for Refusal {
    /// A refusal that says nothing about which devices exist: told as it is.
    fn from(why: String) -> Refusal {
        Refusal {
            told: why.clone(),
            why,
        }
    }
}

/// A refusal the device hears as [`NOT_ACCEPTED`].
fn not_accepted(why: String) -> Refusal {
    Refusal {
        why,
        told: NOT_ACCEPTED.into(),
    }
}

/// Runs the challenge; returns the device's name, or why it is refused.
async fn authenticate(
    sink: &mut Sink,
    stream: &mut Stream,
    orbit: &Orbit,
) -> Result<String, Refusal> {
    let mut nonce = [0u8; NONCE_BYTES];
    getrandom::fill(&mut nonce).map_err(|e| format!("no randomness for a nonce: {e}"))?;
    let challenge = ToDevice::Challenge {
        nonce: hex::encode(nonce),
        orbit: orbit.id.clone(),
    };
    sink.send(text(&challenge))
        .await
        .map_err(|e| e.to_string())?;
    let hello = tokio::time::timeout(orbit.settings.handshake_timeout, next_text(stream))
        .await
        .map_err(|_| "no answer to the challenge in time (stale)".to_string())??;
    let (device, version, signature) = match serde_json::from_str::<ToOrbit>(&hello) {
        Ok(ToOrbit::Hello {
            device,
            version,
            signature,
        }) => (device, version, signature),
        Ok(_) => return Err(String::from("expected hello").into()),
        Err(e) => return Err(format!("malformed hello: {e}").into()),
    };
    let record = orbit.store.device(&device).map_err(|e| e.to_string())?;
    // An unknown name is checked against a key no signature matches, so it takes as
    // long as a known one.
    let key = match &record {
        Some(r) => VerifyingKey::from_bytes(&r.public_key)
            .map_err(|_| String::from("stored key unusable"))?,
        None => unknown_device_key(),
    };
    let signed = hex::decode(&signature)
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
        .is_some_and(|sig| {
            key.verify(&transcript(&device, &nonce, &orbit.id, DEVICE_PATH), &sig)
                .is_ok()
        });
    match record {
        None => return Err(not_accepted(format!("unregistered device {device:?}"))),
        Some(r) if r.revoked => return Err(not_accepted(format!("device {device:?} is revoked"))),
        Some(_) if !signed => {
            return Err(not_accepted(format!("bad signature for device {device:?}")))
        }
        Some(_) => {}
    }
    sink.send(text(&ToDevice::Welcome))
        .await
        .map_err(|e| e.to_string())?;
    let _ = orbit.store.seen(&device, now_ms(), Some(&version), None);
    Ok(device)
}

/// A valid public key whose private half no one has (the key of a fixed seed, hashed
/// once more): what an unknown name's signature is checked against.
fn unknown_device_key() -> VerifyingKey {
    static KEY: std::sync::OnceLock<VerifyingKey> = std::sync::OnceLock::new();
    *KEY.get_or_init(|| {
        use sha2::Digest;
        let seed: [u8; 32] = sha2::Sha256::digest(b"orbit: no device has this key").into();
        ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key()
    })
}

async fn next_text(stream: &mut Stream) -> Result<String, String> {
    loop {
        match stream.next().await {
            Some(Ok(Message::Text(t))) => return Ok(t.to_string()),
            Some(Ok(Message::Close(_))) | None => return Err("closed during the handshake".into()),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.to_string()),
        }
    }
}

/// Undecodable messages logged per connection before they are only counted.
const LOGGED_GARBAGE: usize = 3;
/// Undecodable messages after which a connection is dropped.
pub const MAX_GARBAGE: usize = 100;

/// Acts on one message of `name`'s; what to answer, if anything (every result is
/// answered [`ToDevice::Recorded`], so the device can forget it).
fn handle(orbit: &Orbit, name: &str, msg: ToOrbit) -> Option<ToDevice> {
    match msg {
        ToOrbit::Ack { id } => {
            if orbit.hub.on_ack(name, id) {
                let _ = orbit.store.update_command(id, "acked", "", None);
            }
        }
        ToOrbit::Result { id, ok, detail } => {
            let outcome = Outcome {
                ok,
                detail: detail.clone(),
            };
            let Some(finished) = orbit.hub.on_result(name, id, outcome) else {
                late_result(orbit, name, id, ok, &detail);
                return Some(ToDevice::Recorded { id });
            };
            let state = if ok { "ok" } else { "error" };
            let _ = orbit
                .store
                .update_command(id, state, &detail, Some(now_ms()));
            let rtt = (finished.kind == "ping").then(|| millis(finished.round_trip));
            let _ = orbit.store.seen(name, now_ms(), None, rtt);
            tracing::info!(device = %name, id, kind = finished.kind, ok, "command finished: {detail}");
            return Some(ToDevice::Recorded { id });
        }
        ToOrbit::Status { version } => {
            let _ = orbit.store.seen(name, now_ms(), Some(&version), None);
        }
        ToOrbit::Hello { .. } => {
            tracing::warn!(device = %name, "hello after authentication ignored")
        }
    }
    None
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A result for a command that is not in flight on this connection: recorded for an
/// unfinished command of this device (an upgrade reported by the system that came up
/// after it, or a result the device kept because an earlier connection broke before
/// Orbit acknowledged it); anything else (finished already, another device's) is
/// dropped, so a command finishes once.
fn late_result(orbit: &Orbit, name: &str, id: u64, ok: bool, detail: &str) {
    match orbit.store.command(id) {
        Ok(Some(c)) if c.device == name && (c.state == "acked" || c.state == "sent") => {
            let state = if ok { "ok" } else { "error" };
            let _ = orbit
                .store
                .update_command(id, state, detail, Some(now_ms()));
            tracing::info!(device = %name, id, kind = %c.kind, ok, "command finished late: {detail}");
        }
        _ => tracing::warn!(device = %name, id, "result for a command not in flight to it dropped"),
    }
}
