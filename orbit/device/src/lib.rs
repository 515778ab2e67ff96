//! The device side of Orbit: connect, prove the device's identity, answer commands.
//!
//! [`connect`] opens the WebSocket to Orbit's [`DEVICE_PATH`], answers the challenge
//! with the device's Ed25519 key ([`answer_challenge`]) and returns a [`Session`] once
//! Orbit welcomes it. [`Session::serve`] then acknowledges every command at once, hands
//! it to a [`Handler`] and reports its result, until the connection ends. [`run`] keeps a device connected for good,
//! reconnecting with exponential backoff and jitter. The device admin's NIF runs this
//! on its own tokio runtime; the tests use it as the device.

pub mod images;
pub mod stage;

use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::{Signer, SigningKey};
use futures_util::{SinkExt, StreamExt};
use orbit_protocol::{transcript, Command, ToDevice, ToOrbit, DEVICE_PATH};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use orbit_protocol;

/// How long Orbit gets to send its challenge, and then its verdict.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where Orbit is: its URL (`ws://host:port` on loopback, `wss://host` elsewhere) and,
/// for `wss://`, which certificate authorities to trust.
#[derive(Clone)]
pub struct Endpoint {
    /// Orbit's base URL; the device path is added.
    pub url: String,
    tls: Option<Arc<rustls::ClientConfig>>,
    /// How [`run`] spaces reconnects to it.
    pub backoff: Backoff,
}

impl Endpoint {
    /// Orbit at `url`; `wss://` is checked against the public web roots (webpki-roots).
    pub fn new(url: &str) -> Endpoint {
        Endpoint {
            url: url.to_string(),
            tls: None,
            backoff: Backoff::default(),
        }
    }

    /// The same endpoint with another reconnect policy.
    pub fn with_backoff(mut self, backoff: Backoff) -> Endpoint {
        self.backoff = backoff;
        self
    }

    /// Orbit at `url`, whose certificate must chain to a CA in `ca_pem` (the
    /// deployment's own CA, or Orbit's self-signed certificate).
    pub fn with_ca_pem(url: &str, ca_pem: &str) -> Result<Endpoint, Error> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::CertificateDer;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            let cert = cert.map_err(|e| Error::Key(format!("CA certificate: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| Error::Key(format!("CA certificate: {e}")))?;
        }
        if roots.is_empty() {
            return Err(Error::Key("no certificate in the CA file".into()));
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Key(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Endpoint {
            url: url.to_string(),
            tls: Some(Arc::new(config)),
            backoff: Backoff::default(),
        })
    }

    fn public_roots() -> Arc<rustls::ClientConfig> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        Arc::new(config)
    }
}

/// Who the device is: its registered name and private key.
pub struct Identity {
    /// The name Orbit knows the device by.
    pub name: String,
    /// The private half of the key registered with Orbit.
    pub key: SigningKey,
}

impl Identity {
    /// Loads the key from a PKCS#8 PEM file as `openssl genpkey -algorithm ed25519` writes.
    pub fn from_pem(name: &str, pem: &str) -> Result<Identity, Error> {
        use ed25519_dalek::pkcs8::DecodePrivateKey;
        let key = SigningKey::from_pkcs8_pem(pem)
            .map_err(|e| Error::Key(format!("not an Ed25519 private key (PKCS#8 PEM): {e}")))?;
        Ok(Identity {
            name: name.to_string(),
            key,
        })
    }
}

/// Why a connection could not be made or ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The device key could not be read.
    Key(String),
    /// Orbit could not be reached (or the WebSocket upgrade failed).
    Connect(String),
    /// Orbit refused the device, with its reason.
    Refused(String),
    /// Orbit sent something this device does not understand.
    Protocol(String),
    /// The connection ended.
    Closed(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Key(e) => write!(f, "device key: {e}"),
            Error::Connect(e) => write!(f, "cannot reach Orbit: {e}"),
            Error::Refused(r) => write!(f, "Orbit refused this device: {r}"),
            Error::Protocol(e) => write!(f, "protocol error: {e}"),
            Error::Closed(e) => write!(f, "connection closed: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// What the device does with Orbit's commands.
pub trait Handler {
    /// Carries out command `id` (Orbit's id): `Ok` with a detail (for an upgrade, the
    /// version now running), or `Err` with the reason. `orbit_http` is Orbit's base URL
    /// for downloads. It has been acknowledged already.
    fn handle(
        &mut self,
        id: u64,
        command: &Command,
        orbit_http: &str,
    ) -> impl std::future::Future<Output = Result<String, String>> + Send;

    /// The result of command `id` is on its way to Orbit: a restart of the device's
    /// own software can start now without losing the report.
    fn result_sent(&mut self, _id: u64) {}

    /// Command `id` broke the protocol's rules ([`Command::check`]) and was refused
    /// without reaching [`Handler::handle`]; `why` says which rule. For the device's log.
    fn refused(&mut self, _id: u64, _why: &str) {}

    /// Messages to send as soon as a connection is authenticated: the results of
    /// commands that outlived the previous connection (an upgrade, reported by the
    /// system that came up after it).
    fn on_connect(&mut self) -> Vec<ToOrbit> {
        Vec::new()
    }
}

/// The [`ToOrbit::Hello`] that answers a challenge: the signature over
/// [`transcript`] binds the nonce to this device, this Orbit and the endpoint.
pub fn answer_challenge(
    id: &Identity,
    version: &str,
    nonce_hex: &str,
    orbit: &str,
) -> Result<ToOrbit, Error> {
    let nonce =
        hex::decode(nonce_hex).map_err(|_| Error::Protocol("challenge nonce is not hex".into()))?;
    if nonce.len() != orbit_protocol::NONCE_BYTES {
        return Err(Error::Protocol(format!(
            "challenge nonce of {} bytes",
            nonce.len()
        )));
    }
    let signature = id
        .key
        .sign(&transcript(&id.name, &nonce, orbit, DEVICE_PATH));
    Ok(ToOrbit::Hello {
        device: id.name.clone(),
        version: version.to_string(),
        signature: hex::encode(signature.to_bytes()),
    })
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// An authenticated connection to Orbit.
pub struct Session {
    ws: Socket,
    /// Orbit's base URL for HTTP (bundle downloads), derived from the WebSocket URL.
    http_base: String,
}

/// Connects to Orbit at `orbit_url` (`ws://host:port`; the device path is added) and
/// authenticates as `id`, reporting `version` as the running system's.
pub async fn connect(orbit_url: &str, id: &Identity, version: &str) -> Result<Session, Error> {
    connect_to(&Endpoint::new(orbit_url), id, version).await
}

/// [`connect`] to an [`Endpoint`] (for `wss://` with the deployment's own CA).
pub async fn connect_to(
    endpoint: &Endpoint,
    id: &Identity,
    version: &str,
) -> Result<Session, Error> {
    let base = endpoint.url.trim_end_matches('/');
    let url = format!("{base}{DEVICE_PATH}");
    let tls = match &endpoint.tls {
        Some(config) => config.clone(),
        None => Endpoint::public_roots(),
    };
    let connector = tokio_tungstenite::Connector::Rustls(tls);
    let handshake =
        tokio_tungstenite::connect_async_tls_with_config(&url, None, false, Some(connector));
    let (mut ws, _) = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake)
        .await
        .map_err(|_| Error::Connect(format!("{url}: timed out")))?
        .map_err(|e| Error::Connect(format!("{url}: {e}")))?;
    let (nonce, orbit) = match next_message(&mut ws).await? {
        ToDevice::Challenge { nonce, orbit } => (nonce, orbit),
        other => {
            return Err(Error::Protocol(format!(
                "expected a challenge, got {other:?}"
            )))
        }
    };
    send(&mut ws, &answer_challenge(id, version, &nonce, &orbit)?).await?;
    match next_message(&mut ws).await? {
        ToDevice::Welcome => {}
        ToDevice::Refused { reason } => return Err(Error::Refused(reason)),
        other => {
            return Err(Error::Protocol(format!(
                "expected a verdict, got {other:?}"
            )))
        }
    }
    let http_base = base
        .replacen("ws://", "http://", 1)
        .replacen("wss://", "https://", 1);
    Ok(Session { ws, http_base })
}

async fn send(ws: &mut Socket, msg: &ToOrbit) -> Result<(), Error> {
    let text = serde_json::to_string(msg).map_err(|e| Error::Protocol(e.to_string()))?;
    ws.send(Message::text(text))
        .await
        .map_err(|e| Error::Closed(e.to_string()))
}

/// The next protocol message, skipping WebSocket pings (tungstenite answers them).
async fn next_message(ws: &mut Socket) -> Result<ToDevice, Error> {
    loop {
        let frame = tokio::time::timeout(HANDSHAKE_TIMEOUT, ws.next())
            .await
            .map_err(|_| Error::Protocol("Orbit sent nothing in time".into()))?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(&text)
                    .map_err(|e| Error::Protocol(format!("{e}: {text}")))
            }
            Some(Ok(Message::Close(c))) => {
                return Err(Error::Closed(
                    c.map(|c| c.reason.to_string()).unwrap_or_default(),
                ))
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(Error::Closed(e.to_string())),
            None => return Err(Error::Closed("end of stream".into())),
        }
    }
}

impl Session {
    /// Answers commands until the connection ends, and says why it ended.
    pub async fn serve<H: Handler>(self, handler: &mut H) -> Error {
        let (_none, mut outgoing) = tokio::sync::mpsc::unbounded_channel();
        self.serve_with(handler, &mut outgoing).await
    }

    /// [`Session::serve`], also sending whatever arrives on `outgoing` (a device's own
    /// reports, such as an upgrade confirmed after its trial). Results Orbit has not
    /// acknowledged are lost when the connection ends: [`run`] keeps them.
    pub async fn serve_with<H: Handler>(
        self,
        handler: &mut H,
        outgoing: &mut tokio::sync::mpsc::UnboundedReceiver<ToOrbit>,
    ) -> Error {
        self.serve_keeping(handler, outgoing, &mut Vec::new()).await
    }

    /// [`Session::serve_with`], keeping every result until Orbit acknowledges it
    /// ([`ToDevice::Recorded`]): `kept` holds those of earlier connections, sent again
    /// first, and on return those of this one that Orbit never acknowledged.
    ///
    /// The link keeps reading while a command runs: Orbit's WebSocket pings are
    /// answered (tungstenite queues the pong as it reads), so a long download and
    /// verification does not get the device dropped. Commands that arrive meanwhile
    /// are acknowledged at once and run in order after it; a command breaking the
    /// protocol's rules gets its failure result without reaching the handler.
    pub async fn serve_keeping<H: Handler>(
        self,
        handler: &mut H,
        outgoing: &mut tokio::sync::mpsc::UnboundedReceiver<ToOrbit>,
        kept: &mut Vec<ToOrbit>,
    ) -> Error {
        let Session { mut ws, http_base } = self;
        // The handler's own reports (results of commands that outlived their
        // connection) are kept like any other result until Orbit has them.
        let reports = handler.on_connect();
        kept.extend(
            reports
                .iter()
                .filter(|m| matches!(m, ToOrbit::Result { .. }))
                .cloned(),
        );
        let others = reports
            .into_iter()
            .filter(|m| !matches!(m, ToOrbit::Result { .. }));
        let first: Vec<ToOrbit> = kept.iter().cloned().chain(others).collect();
        for msg in &first {
            if let Err(e) = send(&mut ws, msg).await {
                return e;
            }
        }
        let mut link = Link {
            ws,
            outgoing,
            outgoing_open: true,
            waiting: std::collections::VecDeque::new(),
            unacknowledged: std::mem::take(kept),
        };
        let ended = link.serve(handler, &http_base).await;
        *kept = link.unacknowledged;
        ended
    }
}

impl Link<'_> {
    /// Runs commands until the connection ends.
    async fn serve<H: Handler>(&mut self, handler: &mut H, http_base: &str) -> Error {
        loop {
            let (id, command) = match self.waiting.pop_front() {
                Some(next) => next,
                None => match self.next_command().await {
                    Ok(next) => next,
                    Err(e) => return e,
                },
            };
            let outcome = match command.check() {
                Ok(()) => {
                    let running = handler.handle(id, &command, http_base);
                    match self.while_running(running).await {
                        Ok(outcome) => outcome,
                        Err(e) => return e,
                    }
                }
                Err(why) => {
                    handler.refused(id, &why);
                    Err(why)
                }
            };
            let (ok, detail) = match outcome {
                Ok(d) => (true, d),
                Err(d) => (false, d),
            };
            let upgraded = ok && matches!(command, Command::Upgrade { .. });
            let result = ToOrbit::Result {
                id,
                ok,
                detail: detail.clone(),
            };
            // Kept until Orbit says it has it, sent again on the next connection if not.
            self.unacknowledged.push(result.clone());
            if let Err(e) = send(&mut self.ws, &result).await {
                return e;
            }
            handler.result_sent(id);
            if upgraded {
                if let Err(e) = send(&mut self.ws, &ToOrbit::Status { version: detail }).await {
                    return e;
                }
            }
        }
    }
}

/// An authenticated connection being served: the socket, the device's own reports to
/// send, and commands acknowledged while another ran.
struct Link<'o> {
    ws: Socket,
    outgoing: &'o mut tokio::sync::mpsc::UnboundedReceiver<ToOrbit>,
    outgoing_open: bool,
    waiting: std::collections::VecDeque<(u64, Command)>,
    /// Results sent (or to send) that Orbit has not acknowledged yet.
    unacknowledged: Vec<ToOrbit>,
}

/// What the link brought: a frame, or a report of the device's own to send.
enum Event {
    Frame(Option<Result<Message, tokio_tungstenite::tungstenite::Error>>),
    Report(Option<ToOrbit>),
}

impl Link<'_> {
    /// Reads until a command arrives (sending the device's reports meanwhile) and
    /// acknowledges it.
    async fn next_command(&mut self) -> Result<(u64, Command), Error> {
        loop {
            let event = self.next_event().await;
            if let Some(command) = self.take(event).await? {
                return Ok(command);
            }
        }
    }

    /// Drives `running` (a command's handler) to its end while the link goes on:
    /// pings answered, reports sent, new commands acknowledged and kept for later.
    async fn while_running<F: std::future::Future>(
        &mut self,
        running: F,
    ) -> Result<F::Output, Error> {
        tokio::pin!(running);
        loop {
            // Only the waits race the command: what arrived is dealt with whole.
            let event = tokio::select! {
                outcome = &mut running => return Ok(outcome),
                event = self.next_event() => event,
            };
            if let Some(command) = self.take(event).await? {
                self.waiting.push_back(command);
            }
        }
    }

    /// The next frame or report. Cancel-safe: both waits lose nothing when dropped.
    async fn next_event(&mut self) -> Event {
        tokio::select! {
            frame = self.ws.next() => Event::Frame(frame),
            out = self.outgoing.recv(), if self.outgoing_open => Event::Report(out),
        }
    }

    /// Acts on an event: a report is sent, a command acknowledged and returned.
    async fn take(&mut self, event: Event) -> Result<Option<(u64, Command)>, Error> {
        let text = match event {
            Event::Report(Some(msg)) => {
                send(&mut self.ws, &msg).await?;
                return Ok(None);
            }
            Event::Report(None) => {
                self.outgoing_open = false;
                return Ok(None);
            }
            Event::Frame(Some(Ok(Message::Text(text)))) => text,
            Event::Frame(Some(Ok(Message::Close(c)))) => {
                return Err(Error::Closed(
                    c.map(|c| c.reason.to_string()).unwrap_or_default(),
                ))
            }
            // Pings are answered by tungstenite as it reads; nothing else to do.
            Event::Frame(Some(Ok(_))) => return Ok(None),
            Event::Frame(Some(Err(e))) => return Err(Error::Closed(e.to_string())),
            Event::Frame(None) => return Err(Error::Closed("end of stream".into())),
        };
        match serde_json::from_str::<ToDevice>(&text) {
            Ok(ToDevice::Command { id, command }) => {
                send(&mut self.ws, &ToOrbit::Ack { id }).await?;
                Ok(Some((id, command)))
            }
            Ok(ToDevice::Recorded { id }) => {
                self.unacknowledged
                    .retain(|r| !matches!(r, ToOrbit::Result { id: got, .. } if *got == id));
                Ok(None)
            }
            Ok(other) => {
                tracing::warn!("ignoring unexpected message from Orbit: {other:?}");
                Ok(None)
            }
            // A newer Orbit may send commands this device does not know: say so.
            Err(e) => {
                tracing::warn!("ignoring undecodable message from Orbit: {e}");
                Ok(None)
            }
        }
    }
}

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

/// Keeps the device connected to Orbit until `stop` resolves: connects, serves,
/// and after every failure or disconnect waits per the endpoint's backoff. `version` is asked
/// anew at each connect (it changes with upgrades). `on_event` hears every
/// connect and disconnect, for the device's log. Messages on `outgoing` are sent on
/// the current connection (or the next one, if there is none now).
pub async fn run<H: Handler>(
    endpoint: &Endpoint,
    id: &Identity,
    version: impl Fn() -> String,
    handler: &mut H,
    outgoing: &mut tokio::sync::mpsc::UnboundedReceiver<ToOrbit>,
    mut on_event: impl FnMut(&str),
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut failures = 0u32;
    // Results Orbit has not acknowledged, kept across connections.
    let mut kept = Vec::new();
    loop {
        let attempt = async {
            match connect_to(endpoint, id, &version()).await {
                Ok(session) => {
                    on_event("connected to Orbit");
                    Ok(session.serve_keeping(handler, outgoing, &mut kept).await)
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
        let wait = endpoint.backoff.delay(failures, jitter());
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

    #[test]
    fn a_challenge_answer_verifies_under_the_device_key_only_for_its_transcript() {
        use ed25519_dalek::Verifier;
        let id = Identity {
            name: "dev1".into(),
            key: SigningKey::from_bytes(&[7; 32]),
        };
        let nonce = [9u8; 32];
        let ToOrbit::Hello { signature, .. } =
            answer_challenge(&id, "1.0", &hex::encode(nonce), "orbit-a").unwrap()
        else {
            panic!("not a hello")
        };
        let sig = ed25519_dalek::Signature::from_slice(&hex::decode(signature).unwrap()).unwrap();
        let public = id.key.verifying_key();
        assert!(public
            .verify(&transcript("dev1", &nonce, "orbit-a", DEVICE_PATH), &sig)
            .is_ok());
        assert!(public
            .verify(&transcript("dev1", &nonce, "orbit-b", DEVICE_PATH), &sig)
            .is_err());
        assert!(answer_challenge(&id, "1.0", "zz", "o").is_err());
        assert!(answer_challenge(&id, "1.0", "00", "o").is_err());
    }
}
