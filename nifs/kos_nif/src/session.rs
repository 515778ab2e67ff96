//! The VM's KOS session: its handoff, taken once per VM.

use std::sync::OnceLock;

use kos_client::{Error, Kos};

/// The VM's view of KOS, or why there is none (the VM was not started by `kos run`).
pub fn kos() -> Result<&'static Kos, String> {
    static KOS: OnceLock<Result<Kos, String>> = OnceLock::new();
    KOS.get_or_init(|| Kos::from_env().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// The atom an Elixir caller matches on for each failure.
pub fn reason(error: &Error) -> &'static str {
    use kos_client::Refusal;
    match error {
        Error::Refused(Refusal::NotGranted) => "not_granted",
        Error::Refused(Refusal::NotPublished) | Error::Timeout => "no_server",
        Error::Refused(Refusal::TooManyTokens) => "too_many_tokens",
        Error::Refused(Refusal::Busy) | Error::QueueFull => "busy",
        Error::Refused(_) => "refused",
        Error::Closed => "closed",
        Error::PayloadTooLarge(_) => "payload_too_large",
        Error::NoSuchMsgServer(_) => "no_msg_server",
        Error::Handoff(_) => "not_kos",
        Error::Protocol(_) | Error::Io(_) => "io",
    }
}

/// `:ok` or `{:error, reason}` — what Elixir expects from an operation without a
/// value (rustler would encode `Ok(())` as `{:ok, {}}`).
pub fn ok_or_error<'a>(env: rustler::Env<'a>, result: Result<(), &str>) -> rustler::Term<'a> {
    use rustler::Encoder;
    match result {
        Ok(()) => rustler::types::atom::ok().encode(env),
        Err(r) => (
            rustler::types::atom::error(),
            rustler::Atom::from_str(env, r).expect("atom"),
        )
            .encode(env),
    }
}
