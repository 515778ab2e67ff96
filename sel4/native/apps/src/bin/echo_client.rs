//! Calls the echo server three times and prints each reply, then exits.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;

use kos_sel4_apps::ECHO_PROTOCOL;
use kos_sel4_sdk::{say, Component};

fn run(c: &Component) -> u64 {
    let echo = match c.connect(ECHO_PROTOCOL) {
        Ok(echo) => echo,
        Err(refusal) => {
            say!(c, "connect {ECHO_PROTOCOL} refused: {refusal}");
            return 1;
        }
    };
    say!(c, "connected to {ECHO_PROTOCOL} (slot {})", echo.slot());
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
    0
}

kos_sel4_sdk::main!(run);
