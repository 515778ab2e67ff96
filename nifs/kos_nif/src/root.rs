//! `Kos.Root`: the VM's token to `_root`, and `kos_root_protocol`'s requests and
//! replies, encoded and decoded by `kos_msg::root` so the format is written once.
//!
//! The call itself is an ordinary `Kos.Msg.call` on that token: sent without waiting,
//! answered by message, so no scheduler waits for `_root`. Only the first use, which
//! connects (and may wait for `_root` to publish), runs on a dirty I/O scheduler; the
//! token is kept for the VM's life and replaced only after it was found closed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kos_client::root::{self, AppState, Request, Status};
use rustler::{Binary, Encoder, Env, NewBinary, ResourceArc, Term};

use crate::msg::TokenRes;
use crate::reason::Reason;
use crate::session::kos;

mod atoms {
    rustler::atoms! { bad_image }
}

/// The VM's token to `_root`, once connected.
static TOKEN: Mutex<Option<ResourceArc<TokenRes>>> = Mutex::new(None);

/// `root_token()`: `{:ok, token}` to `kos_root_protocol` on whichever of the app's
/// message servers grants it, connecting on first use; or `{:error, reason}`.
#[rustler::nif(schedule = "DirtyIo")]
fn root_token() -> Result<ResourceArc<TokenRes>, Reason> {
    let mut kept = TOKEN.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(token) = kept.as_ref() {
        return Ok(token.clone());
    }
    let mut last = Reason::NoMsgServer;
    for msg_server in kos()?.msg_servers() {
        match msg_server.connect_wait(root::PROTOCOL, Duration::from_secs(5)) {
            Ok(token) => {
                let token = ResourceArc::new(TokenRes(Arc::new(Mutex::new(token))));
                *kept = Some(token.clone());
                return Ok(token);
            }
            Err(e) => last = Reason::from(e),
        }
    }
    Err(last)
}

/// `root_forget(token)`: the token was found closed; the next `root_token()`
/// connects anew.
#[rustler::nif]
fn root_forget(token: ResourceArc<TokenRes>) -> rustler::Atom {
    let mut kept = TOKEN.lock().unwrap_or_else(|p| p.into_inner());
    if kept.as_ref().is_some_and(|k| Arc::ptr_eq(&k.0, &token.0)) {
        *kept = None;
    }
    rustler::types::atom::ok()
}

/// A request as Elixir writes it: `:restart_all`, `{:restart_app, name}`,
/// `{:status, from}`, `{:upgrade, dir}`.
#[derive(rustler::NifTaggedEnum)]
enum Op {
    RestartAll,
    RestartApp(String),
    Status(u32),
    Upgrade(String),
}

impl Op {
    fn request(&self) -> Request<'_> {
        match self {
            Op::RestartAll => Request::RestartAll,
            Op::RestartApp(name) => Request::RestartApp(name),
            Op::Status(from) => Request::Status { from: *from },
            Op::Upgrade(dir) => Request::Upgrade(dir),
        }
    }
}

/// `root_encode(op)`: `{label, param, payload}` of the call that carries `op`.
#[rustler::nif]
fn root_encode<'a>(env: Env<'a>, op: Op) -> Term<'a> {
    let msg = op.request().message();
    let mut payload = NewBinary::new(env, msg.payload.len());
    payload.as_mut_slice().copy_from_slice(msg.payload);
    (msg.label, msg.param, Binary::from(payload)).encode(env)
}

/// What an app is doing, as an atom (`:running`, `:stopping`, `:restarting`, `:down`).
#[derive(rustler::NifUnitEnum)]
enum State {
    Running,
    Stopping,
    Restarting,
    Down,
}

impl From<AppState> for State {
    fn from(s: AppState) -> State {
        match s {
            AppState::Running => State::Running,
            AppState::Stopping => State::Stopping,
            AppState::Restarting => State::Restarting,
            AppState::Down => State::Down,
        }
    }
}

/// One app of a STATUS reply, as an Elixir map (`Kos.Root.app_status/0`).
#[derive(rustler::NifMap)]
struct AppStatus {
    name: String,
    state: State,
    pid: Option<u32>,
    rss_kib: Option<u64>,
    restarts: u32,
}

/// `root_decode(op, label, param, payload)`: the reply to `op` as Elixir wants it —
/// `:ok`; for `{:status, from}`, `{:ok, apps, total}` (apps from `from` on; ask again
/// from where they end until `total` are read); or `{:error, :unknown_app}`,
/// `{:error, {:bad_image, text}}`, `{:error, :refused}`, `{:error, :io}`.
#[rustler::nif]
fn root_decode<'a>(env: Env<'a>, op: Op, label: u64, param: u64, payload: Binary<'a>) -> Term<'a> {
    let error = |why: Term<'a>| (rustler::types::atom::error(), why).encode(env);
    match Status::from_label(label) {
        Some(Status::Ok) => {}
        Some(Status::UnknownApp) => return error(Reason::UnknownApp.encode(env)),
        Some(Status::BadImage) => {
            let text = String::from_utf8_lossy(payload.as_slice()).into_owned();
            return error((atoms::bad_image(), text).encode(env));
        }
        _ => return error(Reason::Refused.encode(env)),
    }
    let Op::Status(_) = op else {
        return rustler::types::atom::ok().encode(env);
    };
    let apps: Result<Vec<AppStatus>, _> = root::decode_status_page(payload.as_slice())
        .map(|app| {
            app.map(|a| AppStatus {
                name: a.name.to_string(),
                state: a.state.into(),
                pid: a.pid,
                rss_kib: a.rss_kib,
                restarts: a.restarts,
            })
        })
        .collect();
    match apps {
        Ok(apps) => (rustler::types::atom::ok(), apps, param).encode(env),
        Err(_) => error(Reason::Io.encode(env)),
    }
}
