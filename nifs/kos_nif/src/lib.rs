//! The KOS NIF library: what the `kos` Elixir library calls into.
//!
//! It takes over the message-server channels that `kos run` handed the VM (the same
//! handoff native apps use) the first time a service is asked for, and offers the
//! KOS client services to Elixir. Loaded by `Kos.Native` with `:erlang.load_nif`.
//! Calls that may wait on another app run on dirty I/O schedulers, so a slow server
//! never stalls the VM's normal schedulers.

mod msg;
mod rng;
mod root;
mod session;

rustler::init!("Elixir.Kos.Native");
