//! `Kos.Rng`: random bytes from the RNG server.

use std::sync::Mutex;

use kos_rng_client::RngClient;
use rustler::{Atom, Binary, Env, NewBinary};

use crate::session::{kos, reason};

mod atoms {
    rustler::atoms! { error, slow }
}

/// Largest request the fast path serves on a normal scheduler: well under the ~1 ms a
/// NIF may hold a scheduler (64 KiB of keystream takes about 40 µs).
const FAST_PATH_MAX: usize = 64 * 1024;

/// One connection per VM, made on first use; dropped after a failure so the next
/// call reconnects (e.g. after the RNG server restarted).
static CLIENT: Mutex<Option<RngClient>> = Mutex::new(None);

fn fill(out: &mut [u8]) -> Result<(), &'static str> {
    let kos = kos().map_err(|_| "not_kos")?;
    let mut client = CLIENT.lock().unwrap_or_else(|p| p.into_inner());
    if client.is_none() {
        *client = Some(RngClient::connect(kos).map_err(|e| reason(&e))?);
    }
    let result = client
        .as_mut()
        .expect("connected above")
        .request_stream(out);
    result.map_err(|e| {
        *client = None;
        reason(&e)
    })
}

/// `Kos.Native.rng_bytes_fast(n)`: `{:ok, binary}` when the VM's client-side generator
/// can serve `n` bytes without any message, else `:slow` (then `rng_bytes/1`, which
/// may wait, is called). Runs on a normal scheduler and never waits: the lock is only
/// tried.
#[rustler::nif]
fn rng_bytes_fast(env: Env<'_>, n: usize) -> rustler::Term<'_> {
    use rustler::Encoder;
    if n > FAST_PATH_MAX {
        return atoms::slow().encode(env);
    }
    let Ok(mut client) = CLIENT.try_lock() else {
        return atoms::slow().encode(env);
    };
    let Some(client) = client.as_mut() else {
        return atoms::slow().encode(env);
    };
    let mut bin = NewBinary::new(env, n);
    if client.try_local(bin.as_mut_slice()) {
        let bin: Binary = bin.into();
        (rustler::types::atom::ok(), bin).encode(env)
    } else {
        atoms::slow().encode(env)
    }
}

/// `Kos.Native.rng_bytes(n)`: `{:ok, binary}` or `{:error, reason}`. Runs on a dirty
/// I/O scheduler: it may wait for the server (a re-key, a reconnect).
#[rustler::nif(schedule = "DirtyIo")]
fn rng_bytes<'a>(env: Env<'a>, n: usize) -> Result<Binary<'a>, Atom> {
    let mut bin = NewBinary::new(env, n);
    match fill(bin.as_mut_slice()) {
        Ok(()) => Ok(bin.into()),
        Err(r) => Err(Atom::from_str(env, r).unwrap_or_else(|_| atoms::error())),
    }
}
