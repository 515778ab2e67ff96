//! `Kos.Rng`: random bytes from the VM's own generator, keyed by the RNG server.
//!
//! Requests are filled from a `kos_rng_client::LocalGenerator` and never wait for the
//! server: when its key is spent (16 MiB or 1 s), `Kos.Rng` asks for a new one with
//! `rng_rekey_start`, a call through the VM's `kos_client::Calls` like any
//! `Kos.Msg.call`. The reply thread installs the key itself (`Caller::consumed_by`),
//! so the key never reaches an Erlang heap, and the token wipes its buffer after
//! every reply. Only connecting (the first use, or after the server restarted) runs
//! on a dirty I/O scheduler, and only fills too large for a normal scheduler on a
//! dirty CPU one.

use std::sync::{Arc, Mutex};

use kos_client::{Message, SharedToken};
use kos_rng_client::LocalGenerator;
use rustler::{Binary, Encoder, Env, NewBinary, Term};

use crate::reason::Reason;
use crate::replies::{self, Caller};
use crate::session::kos;

mod atoms {
    rustler::atoms! { rekey, too_large, busy, more, not_connected }
}

/// Largest request the fast path serves on a normal scheduler, kept within the ~1 ms a
/// NIF may hold one. Filling a fresh 1 MiB binary costs about 0.5 ms where chacha20 runs
/// its AVX-512 backend (7.5 GB/s; most of the time is the binary's page faults, which
/// `:crypto.strong_rand_bytes/1` pays too, also on a normal scheduler); with AVX2 only
/// (1.7 GB/s) the keystream alone takes 0.6 ms per MiB, so the bound is lower there.
fn fast_path_max() -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512vl")
    {
        return 1 << 20;
    }
    256 << 10
}

/// The VM's generator.
static GENERATOR: Mutex<LocalGenerator> = Mutex::new(LocalGenerator::new());
/// The VM's token to the RNG server, once connected.
static TOKEN: Mutex<Option<SharedToken>> = Mutex::new(None);

/// `rng_bytes_fast(n)`: `{:ok, binary}` from the VM's generator on this (normal)
/// scheduler; `:rekey` when its key is spent, `:too_large` over the fast path's bound,
/// `:busy` while another process fills. Never waits: the lock is only tried.
#[rustler::nif]
fn rng_bytes_fast(env: Env<'_>, n: usize) -> Term<'_> {
    if n > fast_path_max() {
        return atoms::too_large().encode(env);
    }
    let Ok(mut generator) = GENERATOR.try_lock() else {
        return atoms::busy().encode(env);
    };
    let mut bin = NewBinary::new(env, n);
    if !generator.try_fill(bin.as_mut_slice()) {
        return atoms::rekey().encode(env);
    }
    // Tell the scheduler how much of its slice a large fill used (100 % per ~1 ms).
    if n > 64 << 10 {
        rustler::schedule::consume_timeslice(env, (n >> 14).min(100) as i32);
    }
    let bin: Binary = bin.into();
    (rustler::types::atom::ok(), bin).encode(env)
}

/// `rng_bytes_large(n)`: fills on a dirty CPU scheduler (CPU work only, no waiting
/// for the server): `{:ok, binary}` of `n` bytes, or `{:more, binary}` with what the
/// current key allowed (possibly nothing); re-key, then ask for the rest.
#[rustler::nif(schedule = "DirtyCpu")]
fn rng_bytes_large(env: Env<'_>, n: usize) -> Term<'_> {
    let mut generator = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
    let mut bin = NewBinary::new(env, n);
    let filled = generator.fill_some(bin.as_mut_slice());
    drop(generator);
    if filled == n {
        let bin: Binary = bin.into();
        return (rustler::types::atom::ok(), bin).encode(env);
    }
    let part = Binary::from(bin)
        .make_subbinary(0, filled)
        .expect("a sub-binary within the bounds just filled");
    (atoms::more(), part).encode(env)
}

/// Installs the key of a `KEY` reply into the VM's generator (on the reply thread).
fn install(reply: Message<'_>) -> Result<(), Reason> {
    let mut generator = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
    Ok(generator.install_key(reply)?)
}

/// `rng_rekey_start(tag)`: asks the RNG server for a key without waiting: `{:ok, id}`,
/// then `{:kos_reply, tag, :ok | {:error, reason}}` once the key is installed;
/// `{:error, :not_connected}` before `rng_connect/0`.
#[rustler::nif]
fn rng_rekey_start<'a>(env: Env<'a>, tag: Term<'a>) -> Term<'a> {
    let Some(token) = TOKEN.lock().unwrap_or_else(|p| p.into_inner()).clone() else {
        return (rustler::types::atom::error(), atoms::not_connected()).encode(env);
    };
    let caller = Caller::consumed_by(env.pid(), tag, install);
    match replies::start(&token, LocalGenerator::key_request(), caller) {
        Ok(id) => (rustler::types::atom::ok(), u32::from(id)).encode(env),
        Err(r) => (rustler::types::atom::error(), r).encode(env),
    }
}

/// `rng_rekey_cancel(id)`: the caller stopped waiting for key request `id`.
#[rustler::nif]
fn rng_rekey_cancel(id: u32) -> rustler::Atom {
    let token = TOKEN.lock().unwrap_or_else(|p| p.into_inner()).clone();
    if let (Some(token), Ok(calls)) = (token, replies::calls()) {
        calls.cancel(&token, id.into());
    }
    rustler::types::atom::ok()
}

/// `rng_connect()`: connects the VM's token to the RNG server (a dirty I/O scheduler:
/// it may wait for the server to come up). `:ok` or `{:error, reason}`.
#[rustler::nif(schedule = "DirtyIo")]
fn rng_connect(env: Env<'_>) -> Term<'_> {
    let mut kept = TOKEN.lock().unwrap_or_else(|p| p.into_inner());
    let connected = match kept.as_ref() {
        Some(_) => Ok(()),
        None => kos().and_then(|kos| {
            let token = kos_rng_client::connect_token(kos)?;
            *kept = Some(Arc::new(Mutex::new(token)));
            Ok(())
        }),
    };
    crate::reason::ok_or_error(env, connected)
}

/// `rng_forget()`: the token was found closed (the server restarted); the next
/// `rng_connect/0` makes a new one.
#[rustler::nif]
fn rng_forget() -> rustler::Atom {
    *TOKEN.lock().unwrap_or_else(|p| p.into_inner()) = None;
    rustler::types::atom::ok()
}
