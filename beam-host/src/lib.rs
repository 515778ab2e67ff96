//! Launching BEAM instances under KOS.
//!
//! Every `kind = "beam"` app runs in its own Erlang VM: `erl` (which execs
//! `beam.smp`) with emulator flags that `erts-port` derives from the app's
//! `memory_mib`, the app's compiled code and Elixir's on the code path, and an
//! `-eval` that starts the OTP application as permanent — so the VM ends when the app
//! does, and the root server's supervision takes over. A memory cgroup makes the
//! budget a hard limit where the kernel offers one ([`budget`]). No distribution is
//! started, so no `epmd` is ever left behind.

pub mod budget;
mod launch;

pub use launch::{locate_app, locate_config, BeamLaunch, LocateError, ERL, STARTED_MARKER};

/// The environment variable naming the directory of the KOS NIF library
/// (`libkos_nif.so`), which the `kos` Elixir library loads.
pub const ENV_NIF_DIR: &str = "KOS_NIF_DIR";
