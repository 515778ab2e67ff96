//! The KOS NIF library: what the `kos` Elixir library calls into.
//!
//! It takes over the message-server channels that `kos run` handed the VM (the same
//! handoff native apps use) the first time a service is asked for, and offers the
//! KOS client services to Elixir. Loaded by `Kos.Native` with `:erlang.load_nif`.
//! No NIF waits on another app on a normal scheduler: message calls send and return,
//! their replies arriving as Erlang messages (`replies`); connecting, re-keying the
//! RNG and asking `_root` run on dirty I/O schedulers. A slow or stuck server never
//! stalls the VM.

mod msg;
mod orbit;
mod reason;
mod replies;
mod rng;
mod root;
mod session;

rustler::init!("Elixir.Kos.Native");
