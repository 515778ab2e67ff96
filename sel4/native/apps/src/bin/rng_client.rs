//! Asks the RNG server for random bytes three times over its granted endpoint, prints
//! them, and exits.
#![cfg_attr(not(feature = "hosted"), no_std, no_main)]

extern crate alloc;

use alloc::string::String;
use core::fmt::Write;

use kos_rng::protocol::{Status, PROTOCOL, READ};
use kos_sel4_sdk::kos_service::Status as _;
use kos_sel4_sdk::{say, Component};

fn run(c: &Component) -> u64 {
    let rng = match c.connect(PROTOCOL) {
        Ok(rng) => rng,
        Err(refusal) => {
            say!(c, "connect {PROTOCOL} refused: {refusal}");
            return 1;
        }
    };
    say!(c, "connected to {PROTOCOL}");
    for round in 1..=3 {
        let mut out = [0u8; 32];
        match rng.call(READ, 32, &[], &mut out) {
            Ok(a) if a.status == Status::Ok.label() && a.len == 32 => {
                let mut hex = String::with_capacity(64);
                for b in &out {
                    let _ = write!(hex, "{b:02x}");
                }
                say!(c, "random {round}: {hex} (generation {})", a.param);
            }
            other => {
                say!(c, "read failed: {other:?}");
                return 1;
            }
        }
    }
    0
}

kos_sel4_sdk::main!(run);
