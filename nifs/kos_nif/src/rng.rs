//! `Kos.Rng`: random bytes from the RNG server.

use std::sync::Mutex;

use kos_rng_client::RngClient;
use rustler::{Binary, Env, NewBinary};

use crate::reason::Reason;
use crate::session::kos;

mod atoms {
    rustler::atoms! { slow }
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

/// One connection per VM, made on first use; dropped after a failure so the next
/// call reconnects (e.g. after the RNG server restarted).
static CLIENT: Mutex<Option<RngClient>> = Mutex::new(None);

fn fill(out: &mut [u8]) -> Result<(), Reason> {
    let kos = kos()?;
    let mut client = CLIENT.lock().unwrap_or_else(|p| p.into_inner());
    if client.is_none() {
        *client = Some(RngClient::connect(kos)?);
    }
    let result = client
        .as_mut()
        .expect("connected above")
        .request_stream(out);
    result.map_err(|e| {
        *client = None;
        Reason::from(e)
    })
}

/// `Kos.Native.rng_bytes_fast(n)`: `{:ok, binary}` when the VM's client-side generator
/// can serve `n` bytes without any message, else `:slow` (then `rng_bytes/1`, which
/// may wait, is called). Runs on a normal scheduler and never waits: the lock is only
/// tried.
#[rustler::nif]
fn rng_bytes_fast(env: Env<'_>, n: usize) -> rustler::Term<'_> {
    use rustler::Encoder;
    if n > fast_path_max() {
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
        // Tell the scheduler how much of its slice a large fill used (100 % per ~1 ms).
        if n > 64 << 10 {
            rustler::schedule::consume_timeslice(env, (n >> 14).min(100) as i32);
        }
        let bin: Binary = bin.into();
        (rustler::types::atom::ok(), bin).encode(env)
    } else {
        atoms::slow().encode(env)
    }
}

/// `Kos.Native.rng_bytes(n)`: `{:ok, binary}` or `{:error, reason}`. Runs on a dirty
/// I/O scheduler: it may wait for the server (a re-key, a reconnect).
#[rustler::nif(schedule = "DirtyIo")]
fn rng_bytes<'a>(env: Env<'a>, n: usize) -> Result<Binary<'a>, Reason> {
    let mut bin = NewBinary::new(env, n);
    fill(bin.as_mut_slice())?;
    Ok(bin.into())
}
