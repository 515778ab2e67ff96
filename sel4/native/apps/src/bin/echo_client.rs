//! Calls the echo server three times and prints each reply; then sends payloads from
//! the largest one seL4 IPC message carries to KOS's largest (4096 bytes: on seL4
//! through the token's shared frame) and checks each comes back whole; then exits.
//! One source for seL4 and hosted (`kos-sel4-sdk`).
#![cfg_attr(not(feature = "hosted"), no_std, no_main)]

extern crate alloc;

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use kos_sel4_apps::ECHO_PROTOCOL;
use kos_sel4_sdk::{say, CallError, Component, MAX_PAYLOAD};

fn run(c: &Component) -> u64 {
    let echo = match c.connect(ECHO_PROTOCOL) {
        Ok(echo) => echo,
        Err(refusal) => {
            say!(c, "connect {ECHO_PROTOCOL} refused: {refusal}");
            return 1;
        }
    };
    say!(c, "connected to {ECHO_PROTOCOL}");
    for n in 1..=3u64 {
        let hello = format!("hello #{n}");
        let mut out = [0u8; 32];
        match echo.call(7, 0, hello.as_bytes(), &mut out) {
            Ok(a) => say!(
                c,
                "reply {n}: {} (label {}, badge {:#x})",
                core::str::from_utf8(&out[..a.len]).unwrap_or("?"),
                a.status,
                a.param
            ),
            Err(e) => {
                say!(c, "call failed: {e:?}");
                return 1;
            }
        }
    }
    // 944 bytes: the most seL4 carries in the message itself (`rt::wire`); one more
    // goes through the token's shared frame there. Hosted, all go through the socket.
    for len in [944, 945, MAX_PAYLOAD] {
        let sent: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
        let mut back = vec![0u8; MAX_PAYLOAD];
        match echo.call(9, 0, &sent, &mut back) {
            Ok(a) if back[..a.len] == sent[..] => say!(c, "{len} bytes: echoed whole"),
            Ok(a) => {
                say!(
                    c,
                    "{len} bytes: {} came back, not the same (UNEXPECTED)",
                    a.len
                );
                return 1;
            }
            Err(e) => {
                say!(c, "{len} bytes: call failed: {e:?} (UNEXPECTED)");
                return 1;
            }
        }
    }
    let over = vec![0u8; MAX_PAYLOAD + 1];
    match echo.call(9, 0, &over, &mut [0u8; 8]) {
        Err(CallError::TooLarge) => say!(c, "{} bytes: refused, too large", over.len()),
        other => {
            say!(c, "{} bytes: {other:?} (UNEXPECTED)", over.len());
            return 1;
        }
    }
    0
}

kos_sel4_sdk::main!(run);
