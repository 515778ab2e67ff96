defmodule Mix.Tasks.Kos.Push do
  @shortdoc "Upgrades a device through Orbit with the app's bundle"

  @moduledoc """
  Uploads the app's upgrade bundle (from `mix kos.build --bundle`) to Orbit for one
  device, then follows the upgrade to its result: the upload progress, the device's
  acknowledgement, and whether the new system was kept (`ok running VERSION`) or
  rolled back.

  The device must be registered with Orbit and connected through its device admin,
  and it accepts only bundles signed with its deployment's key.

  ## Command line options

    * `--orbit URL` — Orbit's address (`http://HOST:PORT`; default: `ORBIT_URL`, else
      `http://127.0.0.1:4000`, where `mix kos.orbit.start` listens)
    * `--device NAME` — the device to upgrade (required)
    * `--bundle PATH` — the bundle (default: `_build/kos/APP-VERSION.tar.gz`, as
      `mix kos.build --bundle` writes it for the project's version)
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
    kos_root: :string
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

    Mix.shell().info("kos.push: #{Path.relative_to_cwd(bundle)} → #{device}")
    KosMix.Orbit.run!(opts, ["upgrade", device, bundle])
  end

  defp default_bundle do
    config = Mix.Project.config()

    unless config[:app] do
      Mix.raise("Outside a mix project, give the bundle with --bundle PATH")
    end

    Path.join(KosMix.Image.paths().dir, "#{config[:app]}-#{config[:version]}.tar.gz")
  end
end
