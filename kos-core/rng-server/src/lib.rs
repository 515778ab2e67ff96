//! The RNG server's event loop on the hosted platform.
//!
//! It moves calls between a [`kos_client::Server`] and the transport-free
//! [`kos_rng::service::RngService`], reseeds it from the operating system's entropy
//! when its policy says so, and never blocks on a client: replies go out without
//! waiting, so one slow or dead client cannot stall the others.

use std::time::{Duration, Instant};

use kos_client::{Error, Incoming, Message, Server, MAX_PAYLOAD};
use kos_rng::service::RngService;
use kos_rng::KEY_BYTES;
use zeroize::Zeroize;

/// Fresh entropy for a seed or a reseed, from the operating system.
pub fn os_entropy() -> std::io::Result<[u8; KEY_BYTES]> {
    let mut seed = [0u8; KEY_BYTES];
    getrandom::fill(&mut seed).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(seed)
}

/// Serves `kos_rng_protocol` on `server` until its message server goes away (the
/// error says why). `started` is the instant the service's clock counts from.
pub fn serve(
    mut server: Server,
    mut service: RngService,
    started: Instant,
    log: impl Fn(&str),
) -> Error {
    let now_ms = || started.elapsed().as_millis() as u64;
    let mut out = Box::new([0u8; MAX_PAYLOAD]);
    // After a failed reseed, wait a second before trying again (not every wake-up).
    let mut retry_at = 0;
    loop {
        if service.reseed_due(now_ms()) && now_ms() >= retry_at {
            let served = service.bytes_since_reseed();
            match os_entropy() {
                Ok(mut entropy) => {
                    service.reseed(&entropy, now_ms());
                    entropy.zeroize();
                    log(&format!(
                        "reseeded from OS entropy after {served} bytes: generation {}",
                        service.generation()
                    ));
                }
                // Keep serving from the current key: it is still secret.
                Err(e) => {
                    retry_at = now_ms() + 1_000;
                    log(&format!("reseed failed, will retry in 1 s: {e}"));
                }
            }
        }
        let until_reseed = service
            .millis_to_reseed(now_ms())
            .max(retry_at.saturating_sub(now_ms()));
        let timeout = Duration::from_millis(until_reseed.clamp(1, 60_000));
        match server.next(Some(timeout)) {
            Ok(None) => {}
            Ok(Some(Incoming::Call { reply_to, msg, .. })) => {
                let answer = service.handle(msg.label, msg.param, &mut out);
                let reply =
                    Message::new(answer.status, &out[..answer.len]).with_param(answer.param);
                // A client gone meanwhile (or not reading) is its own problem.
                let _ = server.reply(reply_to, reply);
                // Served randomness does not linger in our memory.
                out[..answer.len].zeroize();
            }
            Ok(Some(Incoming::Connected(c))) => {
                log(&format!("client {} connected (badge {})", c.app, c.badge))
            }
            Ok(Some(Incoming::Disconnected(c))) => log(&format!(
                "client {} disconnected (badge {})",
                c.app, c.badge
            )),
            Ok(Some(Incoming::Send { from, .. })) => {
                log(&format!("ignored a one-way message from {}", from.app))
            }
            Ok(Some(Incoming::Rejected { from, error })) => {
                log(&format!("rejected a frame from {}: {error}", from.app))
            }
            Err(e) => return e,
        }
    }
}
