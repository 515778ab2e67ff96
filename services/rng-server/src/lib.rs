//! The RNG server on the hosted platform: the transport-free
//! [`kos_rng::service::RngService`] as a [`kos_service::Service`], reseeded from the
//! operating system's entropy when its policy says so, and served by the one
//! event loop every server uses (`kos_client::serve`). Replies never wait, so one slow
//! or dead client cannot stall the others, and every reply's bytes are wiped once
//! sent.

use kos_client::kos_service::{Call, Client, Ready, Reply, Service};
use kos_client::MAX_PAYLOAD;
use kos_rng::protocol::Status;
use kos_rng::service::RngService;
use kos_rng::KEY_BYTES;
use zeroize::Zeroize;

/// Fresh entropy for a seed or a reseed, from the operating system.
pub fn os_entropy() -> std::io::Result<[u8; KEY_BYTES]> {
    let mut seed = [0u8; KEY_BYTES];
    getrandom::fill(&mut seed).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(seed)
}

/// `kos_rng_protocol` served from an [`RngService`], reseeding it from the OS.
pub struct RngServer<L> {
    service: RngService,
    /// After a failed reseed, the next try waits a second (not every wake-up).
    retry_at_ms: u64,
    log: L,
}

impl<L: Fn(&str)> RngServer<L> {
    /// Serves `service` (whose clock counts from the loop's start), logging to `log`.
    pub fn new(service: RngService, log: L) -> Self {
        RngServer {
            service,
            retry_at_ms: 0,
            log,
        }
    }
}

impl<L: Fn(&str)> Service for RngServer<L> {
    type Status = Status;

    fn call(
        &mut self,
        _client: Client<'_>,
        call: Call<'_>,
        out: &mut [u8; MAX_PAYLOAD],
        _now_us: u64,
    ) -> Reply<Status> {
        Reply::Now(self.service.handle(call.label, call.param, out))
    }

    fn wait_us(&self, now_us: u64) -> u64 {
        let now_ms = now_us / 1000;
        let until_reseed = self
            .service
            .millis_to_reseed(now_ms)
            .max(self.retry_at_ms.saturating_sub(now_ms));
        until_reseed.clamp(1, 60_000) * 1000
    }

    fn tick(&mut self, now_us: u64, _out: &mut [u8; MAX_PAYLOAD], _ready: &mut Ready<'_, Status>) {
        let now_ms = now_us / 1000;
        if !self.service.reseed_due(now_ms) || now_ms < self.retry_at_ms {
            return;
        }
        let served = self.service.bytes_since_reseed();
        match os_entropy() {
            Ok(mut entropy) => {
                self.service.reseed(&entropy, now_ms);
                entropy.zeroize();
                (self.log)(&format!(
                    "reseeded from OS entropy after {served} bytes: generation {}",
                    self.service.generation()
                ));
            }
            // Keep serving from the current key: it is still secret.
            Err(e) => {
                self.retry_at_ms = now_ms + 1_000;
                (self.log)(&format!("reseed failed, will retry in 1 s: {e}"));
            }
        }
    }

    /// Served randomness does not linger in our memory.
    fn replied(&mut self, payload: &mut [u8]) {
        payload.zeroize();
    }
}
