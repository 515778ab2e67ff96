//! `Kos.Msg`: tokens, calls and serving protocols from Elixir.
//!
//! A token is a resource: when the last Elixir reference to it is gone, the token is
//! given back to its message server. Calls never wait in a NIF: the reply comes as a
//! message (`replies`). Serving runs a Rust thread per served
//! message server that waits on the channels and delivers every event to the owning
//! Erlang process as a message (`OwnedEnv::send_and_clear`); a call carries a
//! responder resource that `Kos.Msg.reply/3` answers from any process. The thread
//! ends, dropping its clients, when the owner is gone.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kos_client::{ClientInfo, Incoming, Message, MsgServer, Responder, SharedToken};
use rustler::{Binary, Encoder, Env, LocalPid, NewBinary, OwnedEnv, ResourceArc, Term};

use crate::reason::{ok_or_error, Reason};
use crate::replies::{self, Caller};
use crate::session::kos;

mod atoms {
    rustler::atoms! { kos_call, kos_send, kos_connected, kos_disconnected, kos_closed }
}

/// A token held by Elixir.
pub struct TokenRes(pub(crate) SharedToken);

#[rustler::resource_impl]
impl rustler::Resource for TokenRes {}

/// The right to answer one call.
pub struct ResponderRes(Responder);

#[rustler::resource_impl]
impl rustler::Resource for ResponderRes {}

fn msg_server(name: &str) -> Result<Arc<MsgServer>, Reason> {
    let kos = kos()?;
    Ok(if name.is_empty() {
        kos.only_msg_server()?
    } else {
        kos.msg_server(name)?
    })
}

/// `connect(msg_server, protocol, timeout_ms)`: waits up to `timeout_ms` for the
/// protocol to be published. `msg_server` `""` means the app's only one.
#[rustler::nif(schedule = "DirtyIo")]
fn msg_connect(
    server: String,
    protocol: String,
    timeout_ms: u64,
) -> Result<ResourceArc<TokenRes>, Reason> {
    let token = msg_server(&server)?.connect_wait(&protocol, Duration::from_millis(timeout_ms))?;
    Ok(ResourceArc::new(TokenRes(Arc::new(Mutex::new(token)))))
}

pub(crate) fn message_term<'a>(env: Env<'a>, label: u64, param: u64, payload: &[u8]) -> Term<'a> {
    let mut bin = NewBinary::new(env, payload.len());
    bin.as_mut_slice().copy_from_slice(payload);
    let bin: Binary = bin.into();
    (label, param, bin).encode(env)
}

/// `call_start(token, tag, label, param, payload)`: sends the call without waiting and
/// returns `{:ok, id}`; the reply comes to the calling process as
/// `{:kos_reply, tag, {:ok, {label, param, payload}} | {:error, reason}}` (see
/// `replies`). `{:error, :busy}` when the server's queue is full.
#[rustler::nif]
fn msg_call_start<'a>(
    env: Env<'a>,
    token: ResourceArc<TokenRes>,
    tag: Term<'a>,
    label: u64,
    param: u64,
    payload: Binary<'a>,
) -> Result<u32, Reason> {
    let msg = Message::new(label, payload.as_slice()).with_param(param);
    let id = replies::start(&token.0, msg, Caller::new(env.pid(), tag))?;
    Ok(id.into())
}

/// `call_cancel(token, id)`: the caller stopped waiting for call `id`.
#[rustler::nif]
fn msg_call_cancel(token: ResourceArc<TokenRes>, id: u32) -> rustler::Atom {
    if let Ok(calls) = replies::calls() {
        calls.cancel(&token.0, id.into());
    }
    rustler::types::atom::ok()
}

/// `send(token, label, param, payload)`: one way, never waiting (`{:error, :busy}` when
/// the server's queue is full).
#[rustler::nif]
fn msg_send<'a>(
    env: Env<'a>,
    token: ResourceArc<TokenRes>,
    label: u64,
    param: u64,
    payload: Binary,
) -> Term<'a> {
    let mut token = token.0.lock().unwrap_or_else(|p| p.into_inner());
    let sent = token.try_send(Message::new(label, payload.as_slice()).with_param(param));
    ok_or_error(env, sent.map_err(Reason::from))
}

/// `reply(responder, label, param, payload)`.
#[rustler::nif]
fn msg_reply<'a>(
    env: Env<'a>,
    responder: ResourceArc<ResponderRes>,
    label: u64,
    param: u64,
    payload: Binary,
) -> Term<'a> {
    let sent = responder
        .0
        .reply(Message::new(label, payload.as_slice()).with_param(param));
    ok_or_error(env, sent.map_err(Reason::from))
}

/// A client as the serving process sees it: `%{badge: 7, app: "display", protocol: "…"}`.
#[derive(rustler::NifMap)]
struct Client<'c> {
    badge: u64,
    app: &'c str,
    protocol: &'c str,
}

fn client_map<'a>(env: Env<'a>, c: &ClientInfo) -> Term<'a> {
    Client {
        badge: c.badge,
        app: &c.app,
        protocol: &c.protocol,
    }
    .encode(env)
}

/// `serve(msg_server, protocol)`: publishes `protocol` and delivers its events to the
/// calling process. One serving process per message server and VM.
#[rustler::nif(schedule = "DirtyIo")]
fn msg_serve(env: Env<'_>, server: String, protocol: String) -> Term<'_> {
    ok_or_error(env, start_serving(env, &server, protocol))
}

fn start_serving(env: Env<'_>, server: &str, protocol: String) -> Result<(), Reason> {
    // Serving first: a second serving process is refused before it could publish a
    // protocol whose clients would reach the first one.
    let mut serving = msg_server(server)?.serve()?;
    serving.publish(&protocol)?;
    let owner: LocalPid = env.pid();
    std::thread::Builder::new()
        .name(format!("kos-serve-{protocol}"))
        .spawn(move || {
            let mut out = OwnedEnv::new();
            loop {
                let event = match serving.next(None) {
                    Ok(Some(event)) => event,
                    Ok(None) => continue,
                    Err(_) => {
                        let _ =
                            out.send_and_clear(&owner, |env| (atoms::kos_closed(),).encode(env));
                        return;
                    }
                };
                // A dropped malformed frame is the server library's business, not the owner's.
                if matches!(event, Incoming::Rejected { .. }) {
                    continue;
                }
                let responder = match &event {
                    Incoming::Call { reply_to, .. } => serving.responder(*reply_to),
                    _ => None,
                };
                let sent = out.send_and_clear(&owner, |env| match &event {
                    Incoming::Call { from, msg, .. } => match responder {
                        Some(r) => (
                            atoms::kos_call(),
                            client_map(env, from),
                            ResourceArc::new(ResponderRes(r)),
                            message_term(env, msg.label, msg.param, &msg.payload),
                        )
                            .encode(env),
                        None => (atoms::kos_disconnected(), client_map(env, from)).encode(env),
                    },
                    Incoming::Send { from, msg, .. } => (
                        atoms::kos_send(),
                        client_map(env, from),
                        message_term(env, msg.label, msg.param, &msg.payload),
                    )
                        .encode(env),
                    Incoming::Connected(c) => {
                        (atoms::kos_connected(), client_map(env, c)).encode(env)
                    }
                    Incoming::Disconnected(c) | Incoming::Rejected { from: c, .. } => {
                        (atoms::kos_disconnected(), client_map(env, c)).encode(env)
                    }
                });
                // The owner is gone: stop serving; dropping the server cuts its clients.
                if sent.is_err() {
                    return;
                }
            }
        })
        .map_err(|_| Reason::Io)?;
    Ok(())
}
