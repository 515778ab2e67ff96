//! `Kos.Root`: asking the root server to restart applications or report on them.

use std::time::Duration;

use kos_client::{root, Message};
use rustler::{Env, Term};

use crate::reason::{ok_or_error, Reason};
use crate::session::kos;

fn call(msg: Message<'_>) -> Result<(u64, Vec<u8>), Reason> {
    let kos = kos()?;
    let mut last = Reason::NoMsgServer;
    for msg_server in kos.msg_servers() {
        match msg_server.connect_wait(root::PROTOCOL, Duration::from_secs(5)) {
            Ok(mut token) => {
                let reply = token.call(msg)?;
                return Ok((reply.label, reply.payload));
            }
            Err(e) => last = Reason::from(e),
        }
    }
    Err(last)
}

fn check_status(status: u64) -> Result<(), Reason> {
    match status {
        root::STATUS_OK => Ok(()),
        root::STATUS_UNKNOWN_APP => Err(Reason::UnknownApp),
        _ => Err(Reason::Refused),
    }
}

/// `Kos.Native.restart_all()`: `:ok` or `{:error, reason}`.
#[rustler::nif(schedule = "DirtyIo")]
fn restart_all(env: Env<'_>) -> Term<'_> {
    ok_or_error(
        env,
        call(Message::new(root::RESTART_ALL, b"")).and_then(|(s, _)| check_status(s)),
    )
}

/// `Kos.Native.restart_app(name)`: `:ok` or `{:error, reason}`.
#[rustler::nif(schedule = "DirtyIo")]
fn restart_app(env: Env<'_>, name: String) -> Term<'_> {
    ok_or_error(
        env,
        call(Message::new(root::RESTART_APP, name.as_bytes())).and_then(|(s, _)| check_status(s)),
    )
}

/// `Kos.Native.status()`: `{:ok, text}` (one line per app) or `{:error, reason}`.
#[rustler::nif(schedule = "DirtyIo")]
fn status() -> Result<String, Reason> {
    let (status, payload) = call(Message::new(root::STATUS, b""))?;
    check_status(status)?;
    Ok(String::from_utf8_lossy(&payload).into_owned())
}

/// `Kos.Native.root_upgrade(dir)`: `:ok` (the switch has begun; this VM is about to
/// be stopped), `{:error, {:bad_image, text}}` or `{:error, reason}`.
#[rustler::nif(schedule = "DirtyIo")]
fn root_upgrade(env: Env<'_>, dir: String) -> Term<'_> {
    use rustler::Encoder;
    let error = rustler::types::atom::error();
    match call(Message::new(root::UPGRADE, dir.as_bytes())) {
        Ok((root::STATUS_OK, _)) => rustler::types::atom::ok().encode(env),
        Ok((root::STATUS_BAD_IMAGE, text)) => {
            let bad = rustler::Atom::from_str(env, "bad_image").expect("atom");
            (error, (bad, String::from_utf8_lossy(&text).into_owned())).encode(env)
        }
        Ok((status, _)) => ok_or_error(env, check_status(status)),
        Err(r) => ok_or_error(env, Err(r)),
    }
}
