//! Asks the RNG server for random bytes three times over its granted endpoint, prints
//! them, and exits.
#![no_std]
#![no_main]

use core::fmt::Write;

use kos_rng::protocol::{Status, PROTOCOL, READ};
use kos_sel4_sdk::kos_service::Status as _;
use kos_sel4_sdk::{say, Component};

/// Hex of `bytes`, in a fixed buffer.
struct Hex([u8; 64], usize);

impl Write for Hex {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = (self.1 + s.len()).min(self.0.len());
        self.0[self.1..end].copy_from_slice(&s.as_bytes()[..end - self.1]);
        self.1 = end;
        Ok(())
    }
}

fn run(c: &Component) -> u64 {
    let Ok(rng) = c.connect(PROTOCOL) else {
        say!(c, "connect {PROTOCOL}: not granted");
        return 1;
    };
    say!(
        c,
        "connected to {PROTOCOL} (capability in slot {})",
        rng.slot()
    );
    for round in 1..=3 {
        let mut out = [0u8; 32];
        match rng.call(READ, 32, &[], &mut out) {
            Ok(a) if a.status == Status::Ok.label() && a.len == 32 => {
                let mut hex = Hex([0; 64], 0);
                for b in &out {
                    let _ = write!(hex, "{b:02x}");
                }
                let text = core::str::from_utf8(&hex.0[..hex.1]).unwrap_or("");
                say!(c, "random {round}: {text} (generation {})", a.param);
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
