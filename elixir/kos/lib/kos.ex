defmodule Kos do
  @moduledoc """
  KOS services for Elixir apps running on a KOS system.

  A BEAM app started by `kos run` holds the channels its manifest grants; this library
  reaches KOS through them, by way of the KOS NIF library (`Kos.Native`):

    * `Kos.Rng` — random bytes from the RNG server (`kos_rng_protocol`);
    * `Kos.Root` — restart applications, or ask for their state (`kos_root_protocol`,
      only where the manifest grants it);
    * `Kos.Msg` — serve a protocol from a process, connect to one, call and send;
    * `Kos.I2C` — I2C transactions through the I2C server (`kos_i2c_protocol`), limited
      to the addresses the manifest's `i2c_addresses` gives the app;
    * `Kos.CAN` — CAN frames through the CAN server (`kos_can_protocol`), with
      acceptance filters, frames arriving as messages;
    * `Kos.Orbit` — the device's authenticated connection to Orbit (for the device admin).

  Failures are values: `{:error, reason}`, where `reason` is one of `:not_granted`
  (the manifest's `dir_access_control` does not allow it), `:no_server` (the serving
  app is not up), `:closed` (the connection was lost; the next call reconnects),
  `:not_kos` (the VM was not started by `kos run`), `:timeout` (no reply in the time
  given), `:payload_too_large` (over 4096 bytes), `:busy` (the server is not keeping
  up), `:too_many_tokens`, `:no_msg_server`, `:already_serving` (another process of
  this VM serves that message server), `:calls_in_flight`, `:unknown_app` (from
  `Kos.Root`), `:refused` or `:io`; `nifs/kos_nif/src/reason.rs` is the one list.
  Arguments of the wrong type raise `ArgumentError`.
  """
end
