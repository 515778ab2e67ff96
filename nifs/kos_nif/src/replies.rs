//! Replies as messages: how `Kos.Msg.call/4` waits without holding any scheduler.
//!
//! `msg_call_start` sends the call from the calling (normal) scheduler without waiting
//! and registers the caller here; one thread per VM polls the channels of every token
//! with calls outstanding and sends each reply to its caller as
//! `{:kos_reply, ref, {:ok, {label, param, payload}}}` (or `{:error, :closed}` when the
//! server is gone). The caller waits in an ordinary `receive`, so a stuck server costs
//! it a timeout and costs the VM nothing: no dirty scheduler is held per call, and any
//! number of calls can be outstanding.
//!
//! Lock order is token, then registry: a call is registered while its token is still
//! locked from sending it, and the thread reads a token's replies under that same lock,
//! so no reply can be read before its caller is known.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::{Mutex, OnceLock};

use kos_client::{Error, Token};
use rustler::env::SavedTerm;
use rustler::{Encoder, LocalPid, OwnedEnv, ResourceArc};

use crate::msg::{message_term, TokenRes};

mod atoms {
    rustler::atoms! { kos_reply, closed }
}

/// Who waits for one call: the process and the `ref` it matches on.
struct Caller {
    pid: LocalPid,
    env: OwnedEnv,
    tag: SavedTerm,
}

/// A token with calls outstanding.
struct Waiting {
    /// Keeps the token (and so its descriptor) alive while calls are outstanding.
    token: ResourceArc<TokenRes>,
    fd: RawFd,
    calls: HashMap<u32, Caller>,
}

/// The VM's outstanding calls and the thread that answers them.
pub struct Replies {
    /// Keyed by the token resource's address, stable while we hold a reference.
    waiting: Mutex<HashMap<usize, Waiting>>,
    /// Written to when a token joins, so the thread polls its channel too.
    wake_tx: UnixStream,
}

fn key(token: &ResourceArc<TokenRes>) -> usize {
    std::ptr::from_ref::<TokenRes>(token) as usize
}

/// The VM's reply thread, started on first use.
pub fn replies() -> Result<&'static Replies, &'static str> {
    static REPLIES: OnceLock<Result<&'static Replies, &'static str>> = OnceLock::new();
    *REPLIES.get_or_init(|| {
        let (wake_tx, wake_rx) = UnixStream::pair().map_err(|_| "io")?;
        wake_tx.set_nonblocking(true).map_err(|_| "io")?;
        wake_rx.set_nonblocking(true).map_err(|_| "io")?;
        let replies: &'static Replies = Box::leak(Box::new(Replies {
            waiting: Mutex::new(HashMap::new()),
            wake_tx,
        }));
        std::thread::Builder::new()
            .name("kos-replies".into())
            .spawn(move || replies.run(wake_rx))
            .map_err(|_| "io")?;
        Ok(replies)
    })
}

impl Replies {
    /// Records that `pid` waits for the reply to call `id` on `token`, matching on
    /// `tag`. Call with the token still locked from sending the call.
    pub fn register(
        &self,
        token: &ResourceArc<TokenRes>,
        locked: &Token,
        id: u32,
        pid: LocalPid,
        tag: rustler::Term<'_>,
    ) {
        let env = OwnedEnv::new();
        let tag = env.save(tag);
        let mut waiting = self.lock();
        let new = !waiting.contains_key(&key(token));
        waiting
            .entry(key(token))
            .or_insert_with(|| Waiting {
                token: token.clone(),
                fd: locked.channel_fd().as_raw_fd(),
                calls: HashMap::new(),
            })
            .calls
            .insert(id, Caller { pid, env, tag });
        drop(waiting);
        if new {
            // A full wake pipe already holds a wake-up: nothing is lost.
            let _ = (&self.wake_tx).write(&[1]);
        }
    }

    /// Forgets call `id` (its caller gave up); a reply that still comes is dropped.
    pub fn cancel(&self, token: &ResourceArc<TokenRes>, id: u32) {
        let mut waiting = self.lock();
        if let Some(w) = waiting.get_mut(&key(token)) {
            w.calls.remove(&id);
            if w.calls.is_empty() {
                waiting.remove(&key(token));
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<usize, Waiting>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn run(&self, mut wake_rx: UnixStream) {
        loop {
            let polled: Vec<(usize, ResourceArc<TokenRes>, RawFd)> = self
                .lock()
                .iter()
                .map(|(k, w)| (*k, w.token.clone(), w.fd))
                .collect();
            let mut fds: Vec<BorrowedFd<'_>> = vec![wake_rx.as_fd()];
            // SAFETY: each descriptor belongs to a token held alive by `polled`.
            fds.extend(
                polled
                    .iter()
                    .map(|(_, _, fd)| unsafe { BorrowedFd::borrow_raw(*fd) }),
            );
            let Ok(ready) = kos_transport::wait_readable(&fds, None) else {
                continue;
            };
            drop(fds);
            for i in ready {
                if i == 0 {
                    let mut sink = [0u8; 64];
                    while matches!(wake_rx.read(&mut sink), Ok(n) if n > 0) {}
                } else {
                    let (k, token, _) = &polled[i - 1];
                    self.deliver(*k, token);
                }
            }
        }
    }

    /// Reads every queued reply of one token and sends each to its caller.
    fn deliver(&self, k: usize, token: &ResourceArc<TokenRes>) {
        let mut got = Vec::new();
        let end = {
            let mut locked = token.0.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                let reply =
                    locked.try_reply_with(|id, m| (id, m.label, m.param, m.payload.to_vec()));
                match reply {
                    Ok(Some(reply)) => got.push(reply),
                    Ok(None) => break None,
                    Err(Error::Closed) | Err(Error::Io(_)) => break Some("closed"),
                    // A frame that is not a reply: the server is broken for this token.
                    Err(_) => break Some("io"),
                }
            }
        };
        let mut waiting = self.lock();
        let Some(w) = waiting.get_mut(&k) else { return };
        for (id, label, param, payload) in got {
            if let Some(mut c) = w.calls.remove(&id) {
                let _ = c.env.send_and_clear(&c.pid, |env| {
                    let reply = (
                        rustler::types::atom::ok(),
                        message_term(env, label, param, &payload),
                    );
                    (atoms::kos_reply(), c.tag.load(env), reply).encode(env)
                });
            }
        }
        if let Some(reason) = end {
            for (_, mut c) in w.calls.drain() {
                let _ = c.env.send_and_clear(&c.pid, |env| {
                    let reason = rustler::Atom::from_str(env, reason).unwrap_or(atoms::closed());
                    let reply = (rustler::types::atom::error(), reason);
                    (atoms::kos_reply(), c.tag.load(env), reply).encode(env)
                });
            }
        }
        if w.calls.is_empty() {
            waiting.remove(&k);
        }
    }
}
