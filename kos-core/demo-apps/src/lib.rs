//! Small native KOS apps used by the demo system and the whole-system tests.
//!
//! Each binary in `src/bin` is one app: `echo_server` serves `kos_echo_protocol`,
//! `echo_client` calls it and rides out server restarts, `intruder` tries what the
//! manifest does not grant, `root_caller` asks `_root` to restart applications, and
//! `crasher` exits abnormally on purpose. They print what they do, one line per
//! event, which `kos run` logs under the app's name.

use kos_client::Kos;

/// The protocol the echo apps speak: a call's payload comes back unchanged, with the
/// caller's badge as the reply's `param`.
pub const ECHO_PROTOCOL: &str = "kos_echo_protocol";

/// Label of an echo call.
pub const ECHO: u64 = 1;

/// Takes over the channels `kos run` handed this process, or exits with a clear
/// message when it was started some other way.
pub fn kos() -> Kos {
    match Kos::from_env() {
        Ok(kos) => kos,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}

/// Prints one line and flushes it, so the root server logs it at once.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, $($arg)*);
        let _ = out.flush();
    }};
}
