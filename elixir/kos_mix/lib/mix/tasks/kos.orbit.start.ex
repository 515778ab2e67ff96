defmodule Mix.Tasks.Kos.Orbit.Start do
  @shortdoc "Runs a local Orbit for development"

  @moduledoc """
  Runs Orbit, the KOS fleet service, from your KOS checkout in this terminal: devices
  connect to it, and `mix kos.devices` and `mix kos.push` talk to it with no options.
  It prints the dashboard's address (with its admin token); its data (SQLite store,
  instance id, admin token) stays in the data directory between runs.

  Register a device once, with the public half of its key:

      openssl genpkey -algorithm ed25519 -out device.pem
      openssl pkey -in device.pem -pubout -out device.pub.pem
      KOS_ROOT/target/debug/orbit device register my-device --public-key device.pub.pem

  (`orbit` with no `--data` uses the same data directory as this task.) The task prints
  these commands with its own paths when it starts.

  Ctrl-C twice stops it (the first opens mix's break menu).

  ## Command line options

    * `--listen ADDR` — where it listens (default: `127.0.0.1:4000`; plain `ws://` is
      refused beyond loopback, see `orbit serve --help` for TLS)
    * `--data DIR` — its data directory (default: `ORBIT_DATA`, else `KOS_ORBIT_DATA`,
      else `~/.kos/orbit-data`, as for the `orbit` binary)
    * `--kos-root PATH` — the KOS checkout (for the `orbit` binary)

  ## Examples

      mix kos.orbit.start
      mix kos.orbit.start --listen 127.0.0.1:4100 --data /tmp/orbit-data
  """

  use Mix.Task

  @switches [listen: :string, data: :string, kos_root: :string]
  @aliases [l: :listen, d: :data]

  @impl true
  def run(argv) do
    opts = KosMix.options!(argv, @switches, @aliases, "kos.orbit.start")

    listen = opts[:listen] || "127.0.0.1:4000"

    unless listen =~ ~r/^[^:\s]+:\d+$/ do
      Mix.raise("--listen #{listen} is not HOST:PORT (e.g. 127.0.0.1:4000)")
    end

    data = Path.expand(opts[:data] || KosMix.Orbit.default_data())
    File.mkdir_p!(data)
    orbit = KosMix.Checkout.binary!(KosMix.Checkout.root(opts), "orbit")

    Mix.shell().info(
      "kos.orbit.start: Orbit on #{listen}, data in #{data} (Ctrl-C twice stops it)"
    )

    Mix.shell().info(register_hint(orbit, data))

    case System.cmd(orbit, ["--data", data, "serve", "--listen", listen, "--stop-on-eof"],
           into: IO.stream(:stdio, :line),
           stderr_to_stdout: true
         ) do
      {_, 0} -> :ok
      {_, status} -> Mix.raise("orbit serve exited with status #{status} (is #{listen} taken?)")
    end
  end

  @doc false
  # How to register a device with this Orbit, with its real binary and data directory.
  def register_hint(orbit, data) do
    """
    kos.orbit.start: register a device once, with the public half of its key:
        openssl genpkey -algorithm ed25519 -out device.pem
        openssl pkey -in device.pem -pubout -out device.pub.pem
        #{orbit} --data #{data} device register my-device --public-key device.pub.pem
    then give device_admin the device's name and device.pem in kos.exs (mix kos.devices lists devices)\
    """
  end
end
