//! Staying connected for good: [`run`] connects, serves and, after every failure or
//! disconnect, waits by the endpoint's [`Backoff`] before trying again.

use std::time::Duration;

use orbit_protocol::ToOrbit;

use crate::journal::Journal;
use crate::{connect_to, Endpoint, Handler, Identity};

/// Reconnection delays: exponential from `min` to `max`, each with up to 50 % random
/// jitter so a fleet that lost Orbit at once does not come back at once.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// First delay after a failure.
    pub min: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            min: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The delay before attempt `failures` (1 = after the first failure).
    pub fn delay(&self, failures: u32, jitter: f64) -> Duration {
        let exp = self
            .min
            .saturating_mul(1u32 << failures.saturating_sub(1).min(16));
        let base = exp.min(self.max);
        base.mul_f64(1.0 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

/// A jitter value in [0, 1) from the clock's low bits (no RNG needed for spreading
/// reconnects).
fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    f64::from(nanos % 1000) / 1000.0
}

/// What [`run`] needs to keep a device connected: where Orbit is, who the device is,
/// and the version it runs.
pub struct Config {
    /// Orbit's address, TLS roots and reconnect policy.
    pub endpoint: Endpoint,
    /// The device's name and key.
    pub identity: Identity,
    /// The running system's version, asked anew at each connect (it changes with
    /// upgrades).
    pub version: Box<dyn Fn() -> String + Send + Sync>,
    /// Where results Orbit has not recorded are kept across runs, if anywhere.
    pub journal: Option<Journal>,
}

impl Config {
    /// A device `identity` connecting to `endpoint`, always reporting `version`.
    pub fn new(endpoint: Endpoint, identity: Identity, version: &str) -> Config {
        let version = version.to_string();
        Config {
            endpoint,
            identity,
            version: Box::new(move || version.clone()),
            journal: None,
        }
    }

    /// The same, keeping unrecorded results in `journal` (see [`Journal`]).
    pub fn with_journal(mut self, journal: Journal) -> Config {
        self.journal = Some(journal);
        self
    }
}

/// Keeps the device of `config` connected to Orbit until `stop` resolves: connects,
/// serves, and after every failure or disconnect waits per the endpoint's backoff.
/// `on_event` hears every connect and disconnect, for the device's log. Messages on
/// `outgoing` are sent on the current connection (or the next one, if there is none
/// now). Results Orbit has not acknowledged are kept across connections.
pub async fn run<H: Handler>(
    config: &Config,
    handler: &mut H,
    outgoing: &mut tokio::sync::mpsc::UnboundedReceiver<ToOrbit>,
    mut on_event: impl FnMut(&str),
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut failures = 0u32;
    // What an earlier run left unrecorded goes first.
    let mut kept = match config.journal.as_ref().map(Journal::load) {
        Some(Ok(kept)) => kept,
        Some(Err(e)) => {
            on_event(&format!("results journal unreadable, starting afresh: {e}"));
            Vec::new()
        }
        None => Vec::new(),
    };
    loop {
        let attempt = async {
            match connect_to(&config.endpoint, &config.identity, &(config.version)()).await {
                Ok(session) => {
                    on_event("connected to Orbit");
                    let journal = config.journal.as_ref();
                    Ok(session
                        .serve_journaled(handler, outgoing, &mut kept, journal)
                        .await)
                }
                Err(e) => Err(e),
            }
        };
        let outcome = tokio::select! {
            outcome = attempt => outcome,
            () = &mut stop => return,
        };
        match outcome {
            // A session that ran resets the backoff: the link was good.
            Ok(ended) => {
                failures = 1;
                on_event(&format!("disconnected from Orbit: {ended}"));
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                on_event(&format!("{e}"));
            }
        }
        let wait = config.endpoint.backoff.delay(failures, jitter());
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = &mut stop => return,
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_with_bounded_jitter() {
        let b = Backoff {
            min: Duration::from_millis(100),
            max: Duration::from_secs(2),
        };
        assert_eq!(b.delay(1, 0.0), Duration::from_millis(100));
        assert_eq!(b.delay(3, 0.0), Duration::from_millis(400));
        assert_eq!(b.delay(30, 0.0), Duration::from_secs(2));
        assert_eq!(b.delay(30, 1.0), Duration::from_secs(3));
    }
}
