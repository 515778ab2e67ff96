defmodule Mix.Tasks.Kos.Run do
  @shortdoc "Boots a hosted KOS system with the app and streams its logs"

  @moduledoc """
  Builds the app's system image (as `mix kos.build` does) and boots it on a hosted
  KOS system: the root server, the message server, the system apps the app uses, and
  the app in its own memory-capped Erlang VM. Every line an app prints is streamed,
  prefixed with its name.

  Ctrl-C stops the system cleanly. As with `mix phx.server`, the first Ctrl-C opens
  the Erlang break menu of mix's own VM; a second Ctrl-C (or `a`) leaves it. The
  system runs `kos run --stop-on-eof` and so stops as soon as mix is gone: every app is
  asked to stop (SIGTERM), and killed only after its stop timeout.

  ## Command line options

    * `--stop-after DURATION` — stop the system by itself after this long (`30s`, `2m`)
    * `--vm-profile PROFILE` — how the VMs are tuned: `minimal` (default), `embedded`
      or `stock`
    * `--upgrade-trial DURATION` — after an upgrade, how long the new system must stay
      up before it is kept (default: 10s)
    * `--no-build` — boot the image already in `_build/kos/` as it is
    * `--kos-root PATH` — the KOS checkout (default: `KOS_ROOT`, else the checkout
      this archive was built from)

  ## Examples

      mix kos.run
      mix kos.run --stop-after 30s
      mix kos.run --vm-profile stock
  """

  use Mix.Task

  @switches [
    stop_after: :string,
    vm_profile: :string,
    upgrade_trial: :string,
    build: :boolean,
    kos_root: :string
  ]
  @aliases [s: :stop_after]
  @profiles ~w(minimal embedded stock)

  @impl true
  def run(argv) do
    opts = KosMix.options!(argv, @switches, @aliases, "kos.run")

    if opts[:vm_profile] && opts[:vm_profile] not in @profiles do
      Mix.raise(
        "--vm-profile #{opts[:vm_profile]}: the profiles are #{Enum.join(@profiles, ", ")}"
      )
    end

    {paths, root} =
      if Keyword.get(opts, :build, true) do
        Mix.Tasks.Kos.Build.build(Keyword.take(opts, [:kos_root]))
      else
        paths = KosMix.Image.paths()

        unless File.regular?(paths.manifest) do
          Mix.raise("--no-build, but there is no image in #{paths.dir}: run mix kos.build first")
        end

        {paths, KosMix.Checkout.root(opts)}
      end

    kos = KosMix.Checkout.binary!(root, "kos")

    args =
      ["run", Path.join(paths.image, "system.dtb"), "--stop-on-eof"] ++
        ["--lock", Path.join(paths.dir, "run.lock")] ++
        ["--beam-dir", Path.join(paths.image, "elixir"), "--bin-dir", paths.bin] ++
        if(opts[:stop_after], do: ["--stop-after", opts[:stop_after]], else: []) ++
        if(opts[:vm_profile], do: ["--vm-profile", opts[:vm_profile]], else: []) ++
        if(opts[:upgrade_trial], do: ["--upgrade-trial", opts[:upgrade_trial]], else: [])

    Mix.shell().info(
      "kos.run: booting #{Path.relative_to_cwd(paths.image)} (Ctrl-C twice, or Ctrl-C then a, stops it)"
    )

    case System.cmd(kos, args, into: IO.stream(:stdio, :line), stderr_to_stdout: true) do
      {_, 0} -> Mix.shell().info("kos.run: the system stopped")
      {_, status} -> Mix.raise("the KOS system exited with status #{status} (its log is above)")
    end
  end
end
