//! `Kos.Root`: asking the root server to restart applications or report on them.

use std::time::Duration;

use kos_client::{root, Message};
use rustler::{Atom, Env};

use crate::session::{kos, reason};

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

fn status_atom(env: Env<'_>, status: u64) -> Result<(), Atom> {
    match status {
        root::STATUS_OK => Ok(()),
        root::STATUS_UNKNOWN_APP => Err(Atom::from_str(env, "unknown_app").expect("atom")),
        _ => Err(Atom::from_str(env, "refused").expect("atom")),
    }
}

/// `Kos.Native.restart_all()`: `:ok` or `{:error, reason}`.
#[rustler::nif(schedule = "DirtyIo")]
fn restart_all(env: Env<'_>) -> Result<(), Atom> {
    let (status, _) = call(Message::new(root::RESTART_ALL, b""))
        .map_err(|r| Atom::from_str(env, r).expect("atom"))?;
    status_atom(env, status)
}

/// `Kos.Native.restart_app(name)`: `:ok` or `{:error, reason}`.
#[rustler::nif(schedule = "DirtyIo")]
fn restart_app(env: Env<'_>, name: String) -> Result<(), Atom> {
    let (status, _) = call(Message::new(root::RESTART_APP, name.as_bytes()))
        .map_err(|r| Atom::from_str(env, r).expect("atom"))?;
    status_atom(env, status)
}

/// `Kos.Native.status()`: `{:ok, text}` (one line per app) or `{:error, reason}`.
#[rustler::nif(schedule = "DirtyIo")]
fn status(env: Env<'_>) -> Result<String, Atom> {
    let (status, payload) =
        call(Message::new(root::STATUS, b"")).map_err(|r| Atom::from_str(env, r).expect("atom"))?;
    status_atom(env, status)?;
    Ok(String::from_utf8_lossy(&payload).into_owned())
}
