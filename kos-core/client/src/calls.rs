//! Calls in flight: started without waiting, finished by whichever thread waits.
//!
//! A caller that must never wait (an Erlang scheduler) starts a call with
//! [`Calls::start`], naming who waits for it (any value `C`: for the NIF, a process
//! and the reference it matches on). One thread loops on [`Calls::wait`], which
//! waits on the channel of every token with calls in flight at once and hands each
//! reply, borrowed, to its caller. A caller that gives up calls [`Calls::cancel`];
//! a reply that still comes is dropped. When a server goes away every call in flight
//! on its token finishes with [`Error::Closed`].
//!
//! Why this is safe without discipline from the user: a call is recorded while its
//! token is still locked from sending it, and replies are read only under that same
//! lock, so no reply can be read before its caller is known (lock order: token, then
//! the set). While a token has calls in flight, a waiting call on it
//! ([`Token::call`]) is refused with [`Error::CallsInFlight`] instead of taking
//! their replies. The waiting thread waits on its own handle of each channel, never
//! holding a token's lock while it waits, so starting a call never waits for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kos_msg::Message;
use kos_transport::{wakeup, Channel, Waker, Wakeup};

use crate::{Error, Token};

/// A token shared between the callers that start calls on it and the thread that
/// finishes them.
pub type SharedToken = Arc<Mutex<Token>>;

/// The id of a call in flight on one token. It converts to and from `u32` so that a
/// caller in another language (Elixir) can hold it and hand it back to cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CallId(u32);

impl From<CallId> for u32 {
    fn from(id: CallId) -> u32 {
        id.0
    }
}

impl From<u32> for CallId {
    fn from(id: u32) -> CallId {
        CallId(id)
    }
}

/// The calls in flight of a process (see the module documentation).
pub struct Calls<C> {
    pending: Mutex<HashMap<usize, Pending<C>>>,
    /// Held by the one thread in [`Calls::wait`].
    wakeup: Mutex<Wakeup>,
    /// Wakes that thread when a token joins the set.
    waker: Waker,
}

/// A token with calls in flight.
struct Pending<C> {
    token: SharedToken,
    channel: Arc<Channel>,
    callers: HashMap<u32, C>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A caller's callback that panicked must not wedge every later call.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A token's key in the set: its address, stable while the set holds a reference.
fn key(token: &SharedToken) -> usize {
    Arc::as_ptr(token) as usize
}

/// The same failure for each of several callers (an I/O error cannot be cloned).
fn for_each_caller(e: &Error) -> Error {
    match e {
        Error::Closed => Error::Closed,
        Error::Protocol(p) => Error::Protocol(*p),
        Error::Io(io) => Error::Io(std::io::Error::new(io.kind(), io.to_string())),
        _ => Error::Protocol(kos_msg::FrameError::Malformed),
    }
}

impl<C> Calls<C> {
    /// An empty set.
    pub fn new() -> Result<Calls<C>, Error> {
        let (wakeup, waker) = wakeup()?;
        Ok(Calls {
            pending: Mutex::new(HashMap::new()),
            wakeup: Mutex::new(wakeup),
            waker,
        })
    }

    /// Sends `msg` on `token` without waiting and records `caller` as waiting for the
    /// reply, which [`Calls::wait`] delivers. Fails with [`Error::QueueFull`] rather
    /// than wait for a server that is not reading; nothing is recorded then.
    pub fn start(&self, token: &SharedToken, msg: Message<'_>, caller: C) -> Result<CallId, Error> {
        let mut locked = lock(token);
        let id = locked.start_call(msg)?;
        locked.in_flight += 1;
        let mut pending = lock(&self.pending);
        let joined = !pending.contains_key(&key(token));
        pending
            .entry(key(token))
            .or_insert_with(|| Pending {
                token: token.clone(),
                channel: locked.channel().clone(),
                callers: HashMap::new(),
            })
            .callers
            .insert(id, caller);
        drop(pending);
        drop(locked);
        if joined {
            self.waker.wake();
        }
        Ok(CallId(id))
    }

    /// Forgets call `id` on `token` (its caller gave up) and gives back its caller,
    /// or `None` if it had finished already.
    pub fn cancel(&self, token: &SharedToken, id: CallId) -> Option<C> {
        let mut locked = lock(token);
        let mut pending = lock(&self.pending);
        let entry = pending.get_mut(&key(token))?;
        let caller = entry.callers.remove(&id.0)?;
        locked.in_flight = locked.in_flight.saturating_sub(1);
        if entry.callers.is_empty() {
            pending.remove(&key(token));
        }
        Some(caller)
    }

    /// Calls in flight now.
    pub fn in_flight(&self) -> usize {
        lock(&self.pending).values().map(|p| p.callers.len()).sum()
    }

    /// Waits up to `timeout` (for ever with `None`) until calls finish, and hands each
    /// finished call to `done` with its caller and the reply (borrowed) or why there
    /// is none. Returns how many finished; 0 when the time ran out, or when a token
    /// joined the set meanwhile (call again: the next wait includes it).
    ///
    /// One thread at a time waits; `done` runs on it with the token locked, so it
    /// must not start or cancel calls itself.
    pub fn wait(
        &self,
        timeout: Option<Duration>,
        mut done: impl FnMut(C, Result<Message<'_>, Error>),
    ) -> Result<usize, Error> {
        let wakeup = lock(&self.wakeup);
        let waiting: Vec<(SharedToken, Arc<Channel>)> = lock(&self.pending)
            .values()
            .map(|p| (p.token.clone(), p.channel.clone()))
            .collect();
        let channels: Vec<&Channel> = waiting.iter().map(|(_, c)| &**c).collect();
        let ready = wakeup.wait(&channels, timeout)?;
        drop(wakeup);
        let mut finished = 0;
        for i in ready.channels {
            finished += self.finish(&waiting[i].0, &mut done);
        }
        Ok(finished)
    }

    /// Reads every queued reply of `token` and hands each to its caller.
    fn finish(
        &self,
        token: &SharedToken,
        done: &mut impl FnMut(C, Result<Message<'_>, Error>),
    ) -> usize {
        let mut locked = lock(token);
        let mut finished = 0;
        loop {
            let read = locked.try_reply_with(|id, msg| {
                let caller = lock(&self.pending)
                    .get_mut(&key(token))
                    .and_then(|p| p.callers.remove(&id));
                // A reply to a cancelled call has no caller left: dropped.
                caller.map(|c| done(c, Ok(msg))).is_some()
            });
            match read {
                Ok(Some(true)) => {
                    finished += 1;
                    locked.in_flight = locked.in_flight.saturating_sub(1);
                }
                Ok(Some(false)) => {}
                Ok(None) => break,
                // The server is gone, or broke the protocol on this token: no call in
                // flight on it will be answered.
                Err(e) => {
                    let callers = lock(&self.pending)
                        .remove(&key(token))
                        .map(|p| p.callers)
                        .unwrap_or_default();
                    locked.in_flight = 0;
                    for caller in callers.into_values() {
                        finished += 1;
                        done(caller, Err(for_each_caller(&e)));
                    }
                    return finished;
                }
            }
        }
        let mut pending = lock(&self.pending);
        if pending
            .get(&key(token))
            .is_some_and(|p| p.callers.is_empty())
        {
            pending.remove(&key(token));
        }
        finished
    }
}
