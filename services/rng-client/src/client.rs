//! The Rust client of `kos_rng_protocol`.

use std::time::{Duration, Instant};

use kos_client::{Error, Kos, Message, MsgServer, Refusal, Token, MAX_PAYLOAD};
use kos_rng::protocol::{Status, KEY, PROTOCOL, READ};
use kos_rng::{FastKeyErasure, KEY_BYTES};
use zeroize::Zeroize;

/// Output of a client-side generator before it asks the server for a new key.
///
/// Reseeds reach clients through [`REKEY_AFTER`]; this bound only caps what one server key
/// yields, and is set well above common request sizes so that a stream of 1 MiB requests
/// costs a server round trip once per 16 of them rather than every time.
pub const REKEY_BYTES: u64 = 16 << 20;
/// Age of a client-side key after which it is replaced.
pub const REKEY_AFTER: Duration = Duration::from_secs(1);
/// How long [`RngClient::connect`] waits for the server to publish the protocol.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A generator keyed by the server.
struct Local {
    rng: FastKeyErasure,
    left: u64,
    keyed_at: Instant,
    /// The fork generation it was keyed in ([`crate::fork`]): after a fork, parent and
    /// child would otherwise draw the same bytes from copies of one generator.
    forks: u64,
}

/// The client-side generator, apart from any connection: filled from while its key is
/// fresh and has budget, re-keyed from a `KEY` reply. [`RngClient`] pairs it with a
/// token and waits for keys; a caller that must never wait (the NIF) asks for keys
/// itself, without waiting (`kos_client::Calls`), and installs them here.
pub struct LocalGenerator {
    local: Option<Local>,
}

impl Default for LocalGenerator {
    fn default() -> Self {
        LocalGenerator::new()
    }
}

impl LocalGenerator {
    /// A generator with no key yet.
    pub const fn new() -> LocalGenerator {
        LocalGenerator { local: None }
    }

    fn usable(&mut self) -> Option<&mut Local> {
        self.local.as_mut().filter(|l| {
            l.left > 0 && l.keyed_at.elapsed() < REKEY_AFTER && l.forks == crate::fork::generation()
        })
    }

    /// Fills all of `out` if the current key has the budget, else leaves it untouched
    /// and returns `false` (a key is needed, or a bigger budget).
    pub fn try_fill(&mut self, out: &mut [u8]) -> bool {
        match self.usable() {
            Some(l) if l.left >= out.len() as u64 => {
                l.rng.fill(out);
                l.left -= out.len() as u64;
                true
            }
            _ => false,
        }
    }

    /// Fills as much of `out` as the current key allows; returns how many bytes (0
    /// when a new key is needed).
    pub fn fill_some(&mut self, out: &mut [u8]) -> usize {
        let Some(l) = self.usable() else { return 0 };
        let n = out.len().min(l.left.min(usize::MAX as u64) as usize);
        l.rng.fill(&mut out[..n]);
        l.left -= n as u64;
        n
    }

    /// The call that asks the RNG server for a key.
    pub const fn key_request() -> Message<'static> {
        Message::new(KEY, b"")
    }

    /// Drops the current generator (wiping it) and seeds a new one from the reply to
    /// [`LocalGenerator::key_request`]. Call it on a token made with
    /// `Token::set_secret_replies`, so the key leaves no copy in its receive buffer.
    pub fn install_key(&mut self, reply: Message<'_>) -> Result<(), Error> {
        self.local = None;
        if Status::from_label(reply.label) != Some(Status::Ok) || reply.payload.len() != KEY_BYTES {
            return Err(Error::Protocol(kos_msg::FrameError::Malformed));
        }
        let mut key = [0u8; KEY_BYTES];
        key.copy_from_slice(reply.payload);
        self.local = Some(Local {
            rng: FastKeyErasure::new(key),
            left: REKEY_BYTES,
            keyed_at: Instant::now(),
            forks: crate::fork::generation(),
        });
        key.zeroize();
        Ok(())
    }
}

/// A connection to the RNG server.
pub struct RngClient {
    token: Token,
    local: LocalGenerator,
}

impl RngClient {
    /// Connects to `kos_rng_protocol` on whichever of the app's message servers
    /// grants it, waiting up to [`CONNECT_TIMEOUT`] for the server to come up.
    pub fn connect(kos: &Kos) -> Result<RngClient, Error> {
        Ok(RngClient {
            token: connect_token(kos)?,
            local: LocalGenerator::new(),
        })
    }

    /// Connects through one message server.
    pub fn connect_on(
        msg_server: &std::sync::Arc<MsgServer>,
        timeout: Duration,
    ) -> Result<RngClient, Error> {
        Ok(RngClient {
            token: connect_token_on(msg_server, timeout)?,
            local: LocalGenerator::new(),
        })
    }

    /// Fills `out` with random bytes (`kos_request_rng_stream`), from the client-side
    /// generator, asking the server for a new key when the current one is spent.
    pub fn request_stream(&mut self, out: &mut [u8]) -> Result<(), Error> {
        let mut rest = out;
        while !rest.is_empty() {
            let n = match self.local.fill_some(rest) {
                0 => {
                    self.rekey()?;
                    continue;
                }
                n => n,
            };
            rest = &mut rest[n..];
        }
        Ok(())
    }

    /// Fills `out` from the client-side generator only if that needs no message (the
    /// key is fresh and has budget left); `false` leaves `out` untouched.
    pub fn try_local(&mut self, out: &mut [u8]) -> bool {
        self.local.try_fill(out)
    }

    fn rekey(&mut self) -> Result<(), Error> {
        let local = &mut self.local;
        self.token
            .call_with(LocalGenerator::key_request(), None, |reply| {
                local.install_key(reply)
            })?
    }
    /// Fills `out` with bytes that all come from the server's own generator, one
    /// payload-sized read at a time (the server holds at most one payload for us).
    pub fn read_from_server(&mut self, out: &mut [u8]) -> Result<(), Error> {
        for chunk in out.chunks_mut(MAX_PAYLOAD) {
            let wanted = chunk.len();
            self.token.call_with(
                Message::new(READ, b"").with_param(wanted as u64),
                None,
                |reply| {
                    if Status::from_label(reply.label) == Some(Status::Ok)
                        && reply.payload.len() == wanted
                    {
                        chunk.copy_from_slice(reply.payload);
                        Ok(())
                    } else {
                        Err(Error::Protocol(kos_msg::FrameError::Malformed))
                    }
                },
            )??;
        }
        Ok(())
    }
}

/// A token to `kos_rng_protocol` on whichever of the app's message servers grants it,
/// waiting up to [`CONNECT_TIMEOUT`] for the server to come up; its replies are wiped
/// from its buffer once read (they hold keys).
pub fn connect_token(kos: &Kos) -> Result<Token, Error> {
    let mut last =
        Error::NoSuchMsgServer("(none: the manifest gives this app no msg_servers)".into());
    for msg_server in kos.msg_servers() {
        match connect_token_on(msg_server, CONNECT_TIMEOUT) {
            Err(e) if e.is_refusal(Refusal::NotGranted) => last = e,
            other => return other,
        }
    }
    Err(last)
}

fn connect_token_on(
    msg_server: &std::sync::Arc<MsgServer>,
    timeout: Duration,
) -> Result<Token, Error> {
    let mut token = msg_server.connect_wait(PROTOCOL, timeout)?;
    token.set_secret_replies(true);
    Ok(token)
}
