//! The seL4 call benchmark (`systems/bench-sel4.dts`, BENCHMARKS.md): in one boot, the
//! round trip of a bare `seL4_Call` to `bench_bare` against a KOS call through the SDK
//! (a directory-granted token, its badge, `rt::wire`, the serve loop, the echo
//! service) carrying the same bytes, rounds of each alternating, the median of each
//! in TSC ticks and their ratio. Under QEMU's TCG the ticks mean little and move from
//! run to run; booted with `--count-instructions` a tick is a guest instruction and
//! the figures repeat exactly. The ratio within one boot is the figure.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use kos_sel4_apps::{BENCH_BARE_PROTOCOL, ECHO_PROTOCOL};
use kos_sel4_sdk::rt::env::token_frame;
use kos_sel4_sdk::rt::{k, msg_info, syscall};
use kos_sel4_sdk::{say, Client, Component, MAX_SHARED_PAYLOAD};

/// Rounds of each kind, alternating; the median is reported.
const ROUNDS: usize = 5;

fn tsc() -> u64 {
    // SAFETY: rdtsc only reads the time-stamp counter (CR4.TSD is clear).
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Cycles per round trip of `calls` calls to `f`.
fn per_call(calls: u64, mut f: impl FnMut() -> bool) -> Option<u64> {
    let start = tsc();
    for _ in 0..calls {
        if !f() {
            return None;
        }
    }
    Some((tsc() - start) / calls)
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// A bare round trip of `words` message words through `bare`: seL4_Call, nothing else.
fn bare_call(bare: &Client<'_>, words: usize) -> bool {
    let m = syscall(k::SYS_CALL, bare.slot(), msg_info(0, 0, words), [0; 4]);
    m.length() == words
}

/// A bare round trip that moves `payload` through the token's shared frame, as a
/// program without KOS would move a page: copied in, a bare call of two words (the
/// bare server touches nothing), copied out to `out`.
fn bare_frame_call(bare: &Client<'_>, payload: &[u8], out: &mut [u8]) -> bool {
    // SAFETY: the root maps a read-write page there for every token it grants; the
    // bare server never touches it.
    let frame = unsafe {
        core::slice::from_raw_parts_mut(token_frame(bare.slot()) as *mut u8, MAX_SHARED_PAYLOAD)
    };
    frame[..payload.len()].copy_from_slice(payload);
    let ok = bare_call(bare, 2);
    out[..payload.len()].copy_from_slice(&frame[..payload.len()]);
    ok
}

/// The largest payload a KOS message carries inline (the bare server has no frame).
fn kos_sdk_inline() -> usize {
    kos_sel4_sdk::MAX_IPC_PAYLOAD
}

fn run(c: &Component) -> u64 {
    let calls: u64 = c
        .args()
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let (bare, kos) = match (c.connect(BENCH_BARE_PROTOCOL), c.connect(ECHO_PROTOCOL)) {
        (Ok(b), Ok(e)) => (b, e),
        (b, e) => {
            say!(c, "connect: {:?} / {:?}", b.err(), e.err());
            return 1;
        }
    };
    let payload: Vec<u8> = (0..MAX_SHARED_PAYLOAD).map(|i| (i * 31) as u8).collect();
    let mut out = vec![0u8; MAX_SHARED_PAYLOAD];
    say!(
        c,
        "bench: {ROUNDS} alternating rounds of {calls} round trips each; TSC {} MHz",
        c.tsc_mhz()
    );
    let null = median(
        (0..ROUNDS)
            .map(|_| per_call(calls, || bare_call(&bare, 0)).unwrap_or(0))
            .collect(),
    );
    say!(
        c,
        "bench: bare seL4_Call/ReplyRecv, 0 words: {null} TSC ticks per round trip"
    );
    // KOS's message is its header (param, length) and the payload's words; the bare
    // call carries as many words (for 4096 B, the header alone: the payload goes
    // through the token's shared frame).
    for bytes in [16usize, 256, 944, 4096] {
        let words = if bytes > kos_sel4_sdk::MAX_IPC_PAYLOAD {
            2
        } else {
            2 + bytes.div_ceil(8)
        };
        let mut bare_runs = Vec::new();
        let mut frame_runs = Vec::new();
        let mut client_runs = Vec::new();
        let mut kos_runs = Vec::new();
        for _ in 0..ROUNDS {
            bare_runs.push(per_call(calls, || bare_call(&bare, words)));
            if bytes > kos_sdk_inline() {
                frame_runs.push(per_call(calls, || {
                    bare_frame_call(&bare, &payload[..bytes], &mut out)
                }));
            }
            // The SDK's client against the bare server (which sends the same words
            // back, a well-formed KOS reply): what the client side adds alone.
            if bytes <= kos_sdk_inline() {
                client_runs.push(per_call(calls, || {
                    matches!(bare.call(1, 0, &payload[..bytes], &mut out), Ok(a) if a.len == bytes)
                }));
            }
            kos_runs.push(per_call(calls, || {
                matches!(kos.call(1, 0, &payload[..bytes], &mut out),
                    Ok(a) if a.len == bytes && out[bytes - 1] == payload[bytes - 1])
            }));
        }
        let all = |runs: Vec<Option<u64>>| runs.into_iter().collect::<Option<Vec<_>>>();
        let (Some(b), Some(fr), Some(cl), Some(kc)) = (
            all(bare_runs),
            all(frame_runs),
            all(client_runs),
            all(kos_runs),
        ) else {
            say!(c, "bench: {bytes} B: a call failed or came back wrong");
            return 1;
        };
        let (b, kc) = (median(b), median(kc));
        let or_dash = |runs: Vec<u64>| {
            if runs.is_empty() {
                alloc::string::String::from("-")
            } else {
                alloc::format!("{}", median(runs))
            }
        };
        let (client, frame) = (or_dash(cl), or_dash(fr));
        say!(
            c,
            "bench: {bytes} B: bare {words} words {b} ticks, bare through the frame {frame}, SDK client to the bare server {client}, KOS call {kc} TSC ticks per round trip: {}.{:02}x",
            kc / b.max(1),
            (kc * 100 / b.max(1)) % 100
        );
    }
    0
}

kos_sel4_sdk::main!(run);
