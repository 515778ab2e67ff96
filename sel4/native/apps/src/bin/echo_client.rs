//! Calls the echo server three times and prints each reply, then exits.
#![no_std]
#![no_main]

use core::fmt::Write;

use kos_sel4_apps::ECHO_PROTOCOL;
use kos_sel4_sdk::{say, Component};

struct Line([u8; 32], usize);

impl Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = (self.1 + s.len()).min(self.0.len());
        self.0[self.1..end].copy_from_slice(&s.as_bytes()[..end - self.1]);
        self.1 = end;
        Ok(())
    }
}

fn run(c: &Component) -> u64 {
    let Ok(echo) = c.connect(ECHO_PROTOCOL) else {
        say!(c, "connect {ECHO_PROTOCOL}: not granted");
        return 1;
    };
    say!(c, "connected to {ECHO_PROTOCOL}");
    for n in 1..=3u64 {
        let mut hello = Line([0; 32], 0);
        let _ = write!(hello, "hello #{n}");
        let mut out = [0u8; 32];
        match echo.call(7, 0, &hello.0[..hello.1], &mut out) {
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
