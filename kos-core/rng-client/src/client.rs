//! The Rust client of `kos_rng_protocol`.

use std::time::{Duration, Instant};

use kos_client::{Error, Kos, Message, MsgServer, Refusal, Token, MAX_PAYLOAD};
use kos_msg::rng::{KEY, PROTOCOL, READ, STATUS_OK};
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

/// A connection to the RNG server.
pub struct RngClient {
    token: Token,
    local: Option<Local>,
}

impl RngClient {
    /// Connects to `kos_rng_protocol` on whichever of the app's message servers
    /// grants it, waiting up to [`CONNECT_TIMEOUT`] for the server to come up.
    pub fn connect(kos: &Kos) -> Result<RngClient, Error> {
        let mut last =
            Error::NoSuchMsgServer("(none: the manifest gives this app no msg_servers)".into());
        for msg_server in kos.msg_servers() {
            match RngClient::connect_on(msg_server, CONNECT_TIMEOUT) {
                Err(e) if e.is_refusal(Refusal::NotGranted) => last = e,
                other => return other,
            }
        }
        Err(last)
    }

    /// Connects through one message server.
    pub fn connect_on(
        msg_server: &std::sync::Arc<MsgServer>,
        timeout: Duration,
    ) -> Result<RngClient, Error> {
        Ok(RngClient {
            token: msg_server.connect_wait(PROTOCOL, timeout)?,
            local: None,
        })
    }

    /// Fills `out` with random bytes (`kos_request_rng_stream`), from the client-side
    /// generator, asking the server for a new key when the current one is spent.
    pub fn request_stream(&mut self, out: &mut [u8]) -> Result<(), Error> {
        let mut rest = out;
        while !rest.is_empty() {
            let local = match &mut self.local {
                Some(l)
                    if l.left > 0
                        && l.keyed_at.elapsed() < REKEY_AFTER
                        && l.forks == crate::fork::generation() =>
                {
                    l
                }
                _ => self.rekey()?,
            };
            let n = rest.len().min(local.left.min(usize::MAX as u64) as usize);
            let (now, later) = rest.split_at_mut(n);
            local.rng.fill(now);
            local.left -= n as u64;
            rest = later;
        }
        Ok(())
    }

    /// Fills `out` from the client-side generator only if that needs no message (the
    /// key is fresh and has budget left); `false` leaves `out` untouched. For callers
    /// that must never wait — an Erlang scheduler — with [`RngClient::request_stream`]
    /// as the fallback where waiting is allowed.
    pub fn try_local(&mut self, out: &mut [u8]) -> bool {
        match &mut self.local {
            Some(l)
                if l.left >= out.len() as u64
                    && l.keyed_at.elapsed() < REKEY_AFTER
                    && l.forks == crate::fork::generation() =>
            {
                l.rng.fill(out);
                l.left -= out.len() as u64;
                true
            }
            _ => false,
        }
    }

    fn rekey(&mut self) -> Result<&mut Local, Error> {
        // The old generator is dropped (and wiped) before the new key arrives.
        self.local = None;
        let mut key = [0u8; KEY_BYTES];
        self.token
            .call_with(Message::new(KEY, b""), None, |reply| {
                if reply.label == STATUS_OK && reply.payload.len() == KEY_BYTES {
                    key.copy_from_slice(reply.payload);
                    Ok(())
                } else {
                    Err(Error::Protocol(kos_msg::FrameError::Malformed))
                }
            })??;
        let local = self.local.insert(Local {
            rng: FastKeyErasure::new(key),
            left: REKEY_BYTES,
            keyed_at: Instant::now(),
            forks: crate::fork::generation(),
        });
        key.zeroize();
        // The key also sat in the token's receive buffer: wipe it there too.
        self.token.wipe_buffer();
        Ok(local)
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
                    if reply.label == STATUS_OK && reply.payload.len() == wanted {
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
