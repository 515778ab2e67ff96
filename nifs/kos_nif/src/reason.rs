//! Every failure a NIF reports, as the atom Elixir matches on: the one place where a
//! `kos_client::Error` (or a root-server status) becomes `{:error, reason}`.

use kos_client::{Error, Refusal};

/// Why an operation failed; encoded as its snake-case atom (`NoServer` is
/// `:no_server`). `Kos`'s module documentation lists them for users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, rustler::NifUnitEnum)]
pub enum Reason {
    /// The manifest's `dir_access_control` does not allow it.
    NotGranted,
    /// The protocol is not served now (its app is not up).
    NoServer,
    /// The app holds as many tokens as a message server allows.
    TooManyTokens,
    /// The server's queue is full; nothing was sent.
    Busy,
    /// Refused for another reason of the message server or `_root`.
    Refused,
    /// The channel is gone: the server went away or the token was revoked.
    Closed,
    /// Over `kos_msg::MAX_PAYLOAD` bytes.
    PayloadTooLarge,
    /// The manifest does not connect this app to that message server.
    NoMsgServer,
    /// The VM was not started by `kos run`.
    NotKos,
    /// This message server is served by another process of this VM already.
    AlreadyServing,
    /// A waiting request on a token with calls in flight.
    CallsInFlight,
    /// `_root` knows no app of that name.
    UnknownApp,
    /// The operating system refused, or a peer broke the protocol.
    Io,
}

impl From<&Error> for Reason {
    fn from(error: &Error) -> Reason {
        match error {
            Error::Refused(Refusal::NotGranted) => Reason::NotGranted,
            Error::Refused(Refusal::NotPublished) | Error::Timeout => Reason::NoServer,
            Error::Refused(Refusal::TooManyTokens) => Reason::TooManyTokens,
            Error::Refused(Refusal::Busy) | Error::QueueFull => Reason::Busy,
            Error::Refused(_) => Reason::Refused,
            Error::Closed => Reason::Closed,
            Error::PayloadTooLarge(_) => Reason::PayloadTooLarge,
            Error::NoSuchMsgServer(_) => Reason::NoMsgServer,
            Error::Handoff(_) => Reason::NotKos,
            Error::AlreadyServing => Reason::AlreadyServing,
            Error::CallsInFlight => Reason::CallsInFlight,
            Error::Protocol(_) | Error::Io(_) => Reason::Io,
        }
    }
}

impl From<Error> for Reason {
    fn from(error: Error) -> Reason {
        Reason::from(&error)
    }
}

/// `:ok` or `{:error, reason}`: what Elixir expects from an operation without a value
/// (rustler would encode `Ok(())` as `{:ok, {}}`).
pub fn ok_or_error<'a>(env: rustler::Env<'a>, result: Result<(), Reason>) -> rustler::Term<'a> {
    use rustler::Encoder;
    match result {
        Ok(()) => rustler::types::atom::ok().encode(env),
        Err(r) => (rustler::types::atom::error(), r).encode(env),
    }
}
