//! Writing a KOS native app once, for seL4 and for the hosted environment.
//!
//! An app is a binary that names its main function with [`main!`] (`no_std` on seL4).
//! The SDK starts it, hands it a [`Component`], and when main returns ends it with that
//! status. Through the [`Component`] it
//!
//! - connects to a protocol ([`Component::connect`]): the message server's directory —
//!   `kos-msg-server`'s, under the manifest's `dir_access_control` — grants it a token
//!   and the SDK gives a [`Client`] over it, or the directory's [`Refusal`] (a granted
//!   protocol that is not published yet is waited for);
//! - publishes and serves a protocol with the one loop every KOS server has, over a
//!   `kos_service::Service` ([`Component::serve`]);
//! - logs lines that show under its name ([`say!`]), and reads its arguments and the
//!   clock.
//!
//! One source, two builds, chosen by feature:
//!
//! - `sel4` (default; `sel4.rs`): a component the root task built. Start-up from the
//!   environment page, the root task's directory over its endpoint, a token is a badged
//!   endpoint capability, calls in one IPC message (`kos_sel4_rt::wire`: up to
//!   `MAX_IPC_PAYLOAD` bytes in the message itself, larger ones up to KOS's 4096 in the
//!   token's shared frame), the serve loop over `ReplyRecv`, the kernel's console.
//! - `hosted` (`hosted.rs`): a Linux process `kos run` started. The channels `kos run`
//!   handed over (`kos_client`), a token is a socket to the server, the hosted serve
//!   loop (`kos_client::serve`), standard output (which `kos run` labels), the heap
//!   budget of `kos-heap`.
#![cfg_attr(not(feature = "hosted"), no_std)]

extern crate alloc;

#[cfg(all(feature = "sel4", feature = "hosted"))]
compile_error!("kos-sel4-sdk: build for one environment, `sel4` or `hosted`");

#[cfg(feature = "hosted")]
mod hosted;
#[cfg(feature = "sel4")]
mod sel4;

#[cfg(feature = "hosted")]
pub use hosted::*;
#[cfg(feature = "sel4")]
pub use sel4::*;

pub use kos_msg::{Refusal, MAX_PAYLOAD};
pub use kos_service;

/// Why a call did not get an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallError {
    /// The payload is over [`MAX_SHARED_PAYLOAD`], or the label over 20 bits.
    TooLarge,
    /// The reply is not a KOS message, or its payload does not fit `out`.
    BadReply,
    /// The server could not carry its answer.
    ReplyTooLarge,
    /// The service held the call, which the seL4 loop cannot do yet.
    HoldUnsupported,
    /// The capability is gone: the server ended (its endpoint went with it) and the
    /// kernel answered instead. Connect again to reach its next incarnation.
    ServerGone,
}

/// The answer to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    /// The reply's status label.
    pub status: u64,
    /// Its param.
    pub param: u64,
    /// Payload bytes written to the front of `out`.
    pub len: usize,
}

/// Names the app's main function: `kos_sel4_sdk::main!(run);` with
/// `fn run(c: &Component) -> u64` (the exit status).
#[cfg(feature = "sel4")]
#[macro_export]
macro_rules! main {
    ($main:path) => {
        #[no_mangle]
        extern "Rust" fn kos_component_main(c: &$crate::Component) -> u64 {
            $main(c)
        }
    };
}

/// Names the app's main function: `kos_sel4_sdk::main!(run);` with
/// `fn run(c: &Component) -> u64` (the exit status).
#[cfg(feature = "hosted")]
#[macro_export]
macro_rules! main {
    ($main:path) => {
        fn main() {
            $crate::run_hosted($main)
        }
    };
}

/// Logs a formatted line under the app's name: `say!(c, "read {} bytes", n)`.
#[macro_export]
macro_rules! say {
    ($c:expr, $($arg:tt)*) => {
        $c.log(format_args!($($arg)*))
    };
}
