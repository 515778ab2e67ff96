//! What every KOS program on seL4 links.
//!
//! - [`k`]: the constants of the kernel build it runs on (`KOS_SEL4_CONSTANTS`,
//!   printed by kos-sel4-build's `constants.c` from that build's own headers): syscall
//!   numbers, invocation labels, object types and sizes, capability and message
//!   encodings, the IPC buffer's and the boot info's layouts.
//! - System calls ([`syscall`], [`recv`], [`IpcBuffer::call`], [`IpcBuffer::reply`]),
//!   the debug console ([`Console`]) and [`debug_halt`].
//! - [`env`]: the page the root task gives every component (its name, heap and
//!   arguments), written by the root and read by the SDK, and the requests a
//!   component sends the root (exit, publish, connect, who); [`wire`]: a KOS message
//!   (label, param, payload) in one IPC message.
//! - `memcpy`, `memmove`, `memset`, `memcmp`, `bcmp`: the host target's precompiled
//!   `compiler_builtins` leaves them to a C library a freestanding program lacks; and
//!   the unwinding hooks its precompiled `core` and `alloc` name (never called).
#![cfg_attr(not(test), no_std)]

/// The kernel build's constants.
#[allow(dead_code)]
pub mod k {
    include!(env!("KOS_SEL4_CONSTANTS"));
}

mod call;
pub mod env;
// A host test binary has its C library's.
#[cfg(not(test))]
mod mem;
#[cfg(not(test))]
mod unwind;
pub mod wire;

pub use call::*;
