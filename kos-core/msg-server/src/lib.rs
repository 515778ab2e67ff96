//! The logic of a KOS message server, with no transport in it.
//!
//! A message server keeps a *directory*: which connection publishes which protocol
//! name, and which tokens (badged capabilities) it has granted to whom. Every
//! decision — may this app serve that protocol, may that app use it, has it room for
//! another token, may it revoke this one — is taken here, against an
//! [`AccessPolicy`] that the manifest's `dir_access_control` provides. The hosted
//! event loop (in `kos-root`) only moves frames between sockets and this state
//! machine (see [`hosted`], behind the `hosted` feature); on seL4 a different loop
//! drives the same code.
#![cfg_attr(not(feature = "hosted"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

mod directory;
#[cfg(feature = "hosted")]
pub mod hosted;

pub use directory::{AccessPolicy, ConnId, Detached, Directory, Grant};
