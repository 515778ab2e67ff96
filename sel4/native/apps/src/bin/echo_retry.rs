//! A client that outlives its server's crash: calls the echo server, then makes the
//! call its manifest `args` name as fatal to the server (`panic_on` on the server's
//! side), sees that call end with the server gone instead of hanging, connects again
//! — held by the directory until the restarted server publishes — and calls the new
//! incarnation; then takes tokens until the directory refuses one (its limit).
#![cfg_attr(not(feature = "hosted"), no_std, no_main)]

extern crate alloc;

use kos_sel4_apps::ECHO_PROTOCOL;
use kos_sel4_sdk::{say, CallError, Component};

fn run(c: &Component) -> u64 {
    let Some(fatal) = c.args().next().and_then(|a| a.parse::<u64>().ok()) else {
        say!(c, "args: the label that makes the server fail");
        return 2;
    };
    let mut out = [0u8; 16];
    let echo = match c.connect(ECHO_PROTOCOL) {
        Ok(e) => e,
        Err(refusal) => {
            say!(c, "connect {ECHO_PROTOCOL} refused: {refusal}");
            return 1;
        }
    };
    match echo.call(7, 0, b"before", &mut out) {
        Ok(a) => say!(c, "before: {} (badge {:#x})", text(&out[..a.len]), a.param),
        Err(e) => {
            say!(c, "before: call failed: {e:?}");
            return 1;
        }
    }
    match echo.call(fatal, 0, b"fatal", &mut out) {
        Err(CallError::ServerGone) => say!(c, "fatal: the server is gone (ServerGone)"),
        other => {
            say!(c, "fatal: {other:?} (UNEXPECTED)");
            return 1;
        }
    }
    // The old capability stays empty; a new connect reaches the next incarnation.
    match echo.call(7, 0, b"stale", &mut out) {
        Err(CallError::ServerGone) => say!(c, "stale: still gone, as it should be"),
        other => {
            say!(c, "stale: {other:?} (UNEXPECTED)");
            return 1;
        }
    }
    let again = match c.connect(ECHO_PROTOCOL) {
        Ok(e) => e,
        Err(refusal) => {
            say!(c, "connect again refused: {refusal}");
            return 1;
        }
    };
    match again.call(7, 0, b"after", &mut out) {
        Ok(a) => say!(c, "after: {} (badge {:#x})", text(&out[..a.len]), a.param),
        Err(e) => {
            say!(c, "after: call failed: {e:?}");
            return 1;
        }
    }
    // The void token does not count; the live one does. More, up to the message
    // server's limit, then a refusal.
    let mut held = alloc::vec![again];
    while held.len() <= kos_msg::TOKEN_SLOTS {
        match c.connect(ECHO_PROTOCOL) {
            Ok(token) => held.push(token),
            Err(refusal) => {
                say!(
                    c,
                    "holds {} tokens; one more is refused: {refusal}",
                    held.len()
                );
                return 0;
            }
        }
    }
    say!(
        c,
        "holds {} tokens and none refused (UNEXPECTED)",
        held.len()
    );
    1
}

fn text(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).unwrap_or("?")
}

kos_sel4_sdk::main!(run);
