//! `Kos.Root`: asking the root server to restart applications or report on them.

use std::time::Duration;

use kos_client::{root, Message};
use rustler::{Atom, Env, Term};

use crate::session::{kos, ok_or_error, reason};

fn call(msg: Message<'_>) -> Result<(u64, Vec<u8>), &'static str> {
    let kos = kos().map_err(|_| "not_kos")?;
    let mut last = "no_msg_server";
    for msg_server in kos.msg_servers() {
        match msg_server.connect_wait(root::PROTOCOL, Duration::from_secs(5)) {
            Ok(mut token) => {
                let reply = token.call(msg).map_err(|e| reason(&e))?;
                return Ok((reply.label, reply.payload));
            }
            Err(e) => last = reason(&e),
        }
    }
    Err(last)
}

fn check_status(status: u64) -> Result<(), &'static str> {
    match status {
        root::STATUS_OK => Ok(()),
        root::STATUS_UNKNOWN_APP => Err("unknown_app"),
        _ => Err("refused"),
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
fn status(env: Env<'_>) -> Result<String, Atom> {
    let to_atom = |r: &str| Atom::from_str(env, r).expect("atom");
    let (status, payload) = call(Message::new(root::STATUS, b"")).map_err(to_atom)?;
    check_status(status).map_err(to_atom)?;
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
            let bad = Atom::from_str(env, "bad_image").expect("atom");
            (error, (bad, String::from_utf8_lossy(&text).into_owned())).encode(env)
        }
        Ok((status, _)) => ok_or_error(env, check_status(status)),
        Err(r) => ok_or_error(env, Err(r)),
    }
}
