//! One authenticated connection to Orbit: [`connect_to`] opens the WebSocket, answers
//! the challenge and waits for the verdict; [`Session::serve_keeping`] then runs the
//! link — commands acknowledged at once and handed to the [`Handler`] in order, pings
//! answered while one runs, results kept until Orbit records them.

use futures_util::{SinkExt, StreamExt};
use orbit_protocol::{Command, ToDevice, ToOrbit};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::journal::Journal;
use crate::{
    answer_challenge, CommandError, Endpoint, Error, Handler, Identity, HANDSHAKE_TIMEOUT,
};

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
    let url = endpoint.device_url();
    let connector = tokio_tungstenite::Connector::Rustls(endpoint.tls());
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
    Ok(Session {
        ws,
        http_base: endpoint.http_base(),
    })
}

async fn send(ws: &mut Socket, msg: &ToOrbit) -> Result<(), Error> {
    let text = serde_json::to_string(msg).map_err(|e| Error::Protocol(e.to_string()))?;
    ws.send(Message::text(text))
        .await
        .map_err(|e| Error::Closed(e.to_string()))
}

type Frame = Option<Result<Message, tokio_tungstenite::tungstenite::Error>>;

/// What a WebSocket frame means to the device, the one place frames are read: a text
/// message, nothing (pings, which tungstenite answers as it reads, pongs, binary), or
/// the end of the connection.
fn frame_text(frame: Frame) -> Result<Option<String>, Error> {
    match frame {
        Some(Ok(Message::Text(text))) => Ok(Some(text.to_string())),
        Some(Ok(Message::Close(c))) => Err(Error::Closed(
            c.map(|c| c.reason.to_string()).unwrap_or_default(),
        )),
        Some(Ok(_)) => Ok(None),
        Some(Err(e)) => Err(Error::Closed(e.to_string())),
        None => Err(Error::Closed("end of stream".into())),
    }
}

/// The next protocol message of the handshake, within [`HANDSHAKE_TIMEOUT`].
async fn next_message(ws: &mut Socket) -> Result<ToDevice, Error> {
    loop {
        let frame = tokio::time::timeout(HANDSHAKE_TIMEOUT, ws.next())
            .await
            .map_err(|_| Error::Protocol("Orbit sent nothing in time".into()))?;
        if let Some(text) = frame_text(frame)? {
            return serde_json::from_str(&text)
                .map_err(|e| Error::Protocol(format!("{e}: {text}")));
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
        self.serve_journaled(handler, outgoing, kept, None).await
    }

    /// [`Session::serve_keeping`], also writing the results kept to `journal` whenever
    /// they change — before a result is sent — so they outlive this process.
    pub async fn serve_journaled<H: Handler>(
        self,
        handler: &mut H,
        outgoing: &mut tokio::sync::mpsc::UnboundedReceiver<ToOrbit>,
        kept: &mut Vec<ToOrbit>,
        journal: Option<&Journal>,
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
        persist(journal, kept);
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
            journal,
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
                    Err(CommandError::Invalid(why))
                }
            };
            let (ok, detail) = match outcome {
                Ok(d) => (true, d),
                Err(e) => (false, e.to_string()),
            };
            let upgraded = ok && matches!(command, Command::Upgrade { .. });
            let result = ToOrbit::Result {
                id,
                ok,
                detail: detail.clone(),
            };
            // Kept until Orbit says it has it, sent again on the next connection if not
            // (and, with a journal, by the next run of the device software).
            self.unacknowledged.push(result.clone());
            persist(self.journal, &self.unacknowledged);
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
    /// Where they are also kept, if anywhere.
    journal: Option<&'o Journal>,
}

/// Writes the kept results to the journal; a failure is logged and the link goes on
/// (the results are still kept in memory and sent).
fn persist(journal: Option<&Journal>, kept: &[ToOrbit]) {
    if let Some(journal) = journal {
        if let Err(e) = journal.save(kept) {
            tracing::warn!("cannot write the results journal: {e}");
        }
    }
}

/// What the link brought: a frame, or a report of the device's own to send.
enum Event {
    Frame(Frame),
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
            Event::Frame(frame) => match frame_text(frame)? {
                Some(text) => text,
                None => return Ok(None),
            },
        };
        match serde_json::from_str::<ToDevice>(&text) {
            Ok(ToDevice::Command { id, command }) => {
                send(&mut self.ws, &ToOrbit::Ack { id }).await?;
                Ok(Some((id, command)))
            }
            Ok(ToDevice::Recorded { id }) => {
                self.unacknowledged
                    .retain(|r| !matches!(r, ToOrbit::Result { id: got, .. } if *got == id));
                persist(self.journal, &self.unacknowledged);
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
