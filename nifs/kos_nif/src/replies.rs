//! Replies as messages: how `Kos.Msg.call/4` waits without holding any scheduler.
//!
//! The VM's calls in flight are one `kos_client::Calls` set. `msg_call_start` starts a
//! call from the calling (normal) scheduler without waiting and records the caller;
//! one thread per VM waits in `Calls::wait` and sends each reply to its caller as
//! `{:kos_reply, ref, {:ok, {label, param, payload}}}` (or `{:error, :closed}` when the
//! server is gone). The caller waits in an ordinary `receive`, so a stuck server costs
//! it a timeout and costs the VM nothing: no dirty scheduler is held per call, and any
//! number of calls can be outstanding. The ordering rules that make this safe live in
//! `kos_client::Calls`, not here.

use std::sync::OnceLock;

use kos_client::{CallId, Calls, Message, SharedToken};
use rustler::env::SavedTerm;
use rustler::{Encoder, LocalPid, OwnedEnv, Term};

use crate::msg::message_term;
use crate::reason::Reason;

mod atoms {
    rustler::atoms! { kos_reply }
}

/// Takes a reply in Rust instead of handing it to the caller (a key that must never
/// reach an Erlang heap); the caller then hears only `:ok` or why not.
pub type Consume = fn(Message<'_>) -> Result<(), Reason>;

/// Who waits for one call: the process and the `ref` it matches on.
pub struct Caller {
    pid: LocalPid,
    env: OwnedEnv,
    tag: SavedTerm,
    consume: Option<Consume>,
}

impl Caller {
    /// `pid`, matching on `tag` (copied into an environment of its own); it receives
    /// `{:kos_reply, tag, {:ok, {label, param, payload}} | {:error, reason}}`.
    pub fn new(pid: LocalPid, tag: Term<'_>) -> Caller {
        let env = OwnedEnv::new();
        let tag = env.save(tag);
        Caller {
            pid,
            env,
            tag,
            consume: None,
        }
    }

    /// Like [`Caller::new`], but the reply goes to `consume` on the reply thread and
    /// the caller receives `{:kos_reply, tag, :ok | {:error, reason}}`.
    pub fn consumed_by(pid: LocalPid, tag: Term<'_>, consume: Consume) -> Caller {
        Caller {
            consume: Some(consume),
            ..Caller::new(pid, tag)
        }
    }

    /// Sends `{:kos_reply, tag, result}` to the caller.
    fn answer(mut self, result: Result<Message<'_>, Reason>) {
        let consume = self.consume;
        let _ = self.env.send_and_clear(&self.pid, |env| {
            let result = match (result, consume) {
                (Ok(m), None) => (
                    rustler::types::atom::ok(),
                    message_term(env, m.label, m.param, m.payload),
                )
                    .encode(env),
                (Ok(m), Some(consume)) => match consume(m) {
                    Ok(()) => rustler::types::atom::ok().encode(env),
                    Err(r) => (rustler::types::atom::error(), r).encode(env),
                },
                (Err(r), _) => (rustler::types::atom::error(), r).encode(env),
            };
            (atoms::kos_reply(), self.tag.load(env), result).encode(env)
        });
    }
}

/// The VM's calls in flight, and the thread that finishes them, started on first use.
pub fn calls() -> Result<&'static Calls<Caller>, Reason> {
    static CALLS: OnceLock<Option<&'static Calls<Caller>>> = OnceLock::new();
    CALLS
        .get_or_init(|| {
            let calls: &'static Calls<Caller> = Box::leak(Box::new(Calls::new().ok()?));
            std::thread::Builder::new()
                .name("kos-replies".into())
                .spawn(move || loop {
                    let waited = calls.wait(None, |caller, result| {
                        caller.answer(result.map_err(Reason::from));
                    });
                    // A failed wait (out of memory for the poll set) must not spin.
                    if waited.is_err() {
                        std::thread::sleep(std::time::Duration::from_millis(10));
                    }
                })
                .ok()?;
            Some(calls)
        })
        .ok_or(Reason::Io)
}

/// Starts `msg` on `token` for `caller`; the reply reaches the caller as a message.
pub fn start(token: &SharedToken, msg: Message<'_>, caller: Caller) -> Result<CallId, Reason> {
    Ok(calls()?.start(token, msg, caller)?)
}
