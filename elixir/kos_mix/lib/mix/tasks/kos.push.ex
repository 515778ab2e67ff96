defmodule Mix.Tasks.Kos.Push do
  @shortdoc "Upgrades a device through Orbit with the app's bundle"

  @moduledoc """
  Uploads the app's upgrade bundle (from `mix kos.build --bundle`) to Orbit for one
  device, then follows the upgrade to its result: the upload progress, the device's
  acknowledgement, and whether the new system was kept (`ok running VERSION`) or
  rolled back.

  The device must be registered with Orbit and connected through its device admin,
  and it accepts only bundles signed with its deployment's key. Before uploading, the
  task asks Orbit about the device: one that is not registered, or revoked, is an error
  at once; one that is offline is an error at once too, unless `--wait SECONDS` says to
  wait for it to connect; one that already runs the bundle's version is warned about
  (the push goes on: a reinstall).

  ## Command line options

    * `--orbit URL` — Orbit's address (`http://HOST:PORT`; default: `ORBIT_URL`, else
      `http://127.0.0.1:4000`, where `mix kos.orbit.start` listens)
    * `--device NAME` — the device to upgrade (required)
    * `--bundle PATH` — the bundle (default: the one `mix kos.build --bundle` wrote
      last, whatever its `--version` or `--output`)
    * `--wait SECONDS` — wait up to this long for an offline device to connect
      (default: fail at once)
    * `--token TOKEN` — Orbit's admin token (default: `ORBIT_TOKEN`)
    * `--orbit-data DIR` — take the admin token from this Orbit data directory
      (default: the one `mix kos.orbit.start` uses, if it has a token)
    * `--kos-root PATH` — the KOS checkout (for the `orbit` client)

  ## Examples

      mix kos.build --bundle --key deploy.pem
      mix kos.push --orbit http://127.0.0.1:4000 --device my-device --orbit-data orbit-data
      ORBIT_TOKEN=... mix kos.push --orbit https://orbit.example.com --device pump-17
  """

  use Mix.Task

  @switches [
    orbit: :string,
    device: :string,
    bundle: :string,
    token: :string,
    orbit_data: :string,
    kos_root: :string,
    wait: :integer
  ]
  @aliases [o: :orbit, d: :device, b: :bundle, t: :token]

  @impl true
  def run(argv) do
    opts = KosMix.options!(argv, @switches, @aliases, "kos.push")

    device = opts[:device] || Mix.raise("--device NAME is required: the device to upgrade")
    bundle = opts[:bundle] || default_bundle()

    unless File.regular?(bundle) do
      Mix.raise("""
      The bundle #{bundle} does not exist. Make it with:
          mix kos.build --bundle --key DEPLOYMENT_KEY.pem
      """)
    end

    # An Orbit that is not there is the first thing to say.
    KosMix.Orbit.reachable!(
      opts[:orbit] || System.get_env("ORBIT_URL") || KosMix.Orbit.default_url()
    )

    version = bundle_version!(opts, bundle)
    ready!(opts, device, version)
    Mix.shell().info("kos.push: #{Path.relative_to_cwd(bundle)} (#{version}) → #{device}")
    KosMix.Orbit.run!(opts, ["upgrade", device, bundle])
  end

  # The bundle `mix kos.build --bundle` wrote last; before any, the project version's.
  defp default_bundle do
    config = Mix.Project.config()

    unless config[:app] do
      Mix.raise("Outside a mix project, give the bundle with --bundle PATH")
    end

    dir = KosMix.Image.paths().dir

    case File.read(Path.join(dir, "last-bundle")) do
      {:ok, path} -> String.trim(path)
      {:error, _} -> Path.join(dir, "#{config[:app]}-#{config[:version]}.tar.gz")
    end
  end

  # The version the bundle's index declares (`kos bundle show`).
  defp bundle_version!(opts, bundle) do
    kos = KosMix.Checkout.binary!(KosMix.Checkout.root(opts), "kos")

    case System.cmd(kos, ["bundle", "show", bundle], stderr_to_stdout: true) do
      {"version " <> rest, 0} -> rest |> String.split([",", " "], parts: 2) |> hd()
      {text, _} -> Mix.raise("#{bundle} is not an upgrade bundle:\n#{text}")
    end
  end

  # Registered, not revoked, online (or waited for), and told if it runs this already.
  defp ready!(opts, device, version, waited \\ 0) do
    case KosMix.Orbit.device_status(opts, device) do
      :unknown ->
        Mix.raise("""
        No device #{inspect(device)} is registered with this Orbit. Register it first:
            orbit device register #{device} --public-key DEVICE.pub.pem
        """)

      {:revoked, _} ->
        Mix.raise("#{device} is revoked: Orbit refuses it")

      {:online, ^version} ->
        Mix.shell().info(
          "kos.push: warning: #{device} already runs #{version}; pushing it again (a reinstall)"
        )

      {:online, _} ->
        :ok

      {:offline, last} ->
        wait = opts[:wait] || 0

        cond do
          waited == 0 and wait > 0 ->
            Mix.shell().info("kos.push: #{device} is offline; waiting up to #{wait} s for it")
            Process.sleep(1_000)
            ready!(opts, device, version, 1)

          waited > 0 and waited < wait ->
            Process.sleep(1_000)
            ready!(opts, device, version, waited + 1)

          true ->
            Mix.raise(
              "#{device} is offline#{if last, do: " (it last ran #{last})", else: ""}#{if wait > 0, do: " and did not connect within #{wait} s", else: ""}: push again when it is connected, or pass --wait SECONDS"
            )
        end
    end
  end
end
