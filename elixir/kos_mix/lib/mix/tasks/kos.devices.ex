defmodule Mix.Tasks.Kos.Devices do
  @shortdoc "Lists the devices Orbit knows and whether they are alive"

  @moduledoc """
  Lists the devices registered with Orbit: whether each is online now, when it was
  last seen, the version it runs and its last ping.

  ## Command line options

    * `--orbit URL` — Orbit's address (`http://HOST:PORT`; default: `ORBIT_URL`, else
      `http://127.0.0.1:4000`, where `mix kos.orbit.start` listens)
    * `--token TOKEN` — Orbit's admin token (default: `ORBIT_TOKEN`)
    * `--orbit-data DIR` — take the admin token from this Orbit data directory
      (default: the one `mix kos.orbit.start` uses, if it has a token)
    * `--kos-root PATH` — the KOS checkout (for the `orbit` client)

  ## Examples

      mix kos.devices --orbit http://127.0.0.1:4000 --orbit-data orbit-data
      ORBIT_URL=https://orbit.example.com ORBIT_TOKEN=... mix kos.devices
  """

  use Mix.Task

  @switches [orbit: :string, token: :string, orbit_data: :string, kos_root: :string]
  @aliases [o: :orbit, t: :token]

  @impl true
  def run(argv) do
    opts = KosMix.options!(argv, @switches, @aliases, "kos.devices")

    KosMix.Orbit.run!(opts, ["devices"])
  end
end
