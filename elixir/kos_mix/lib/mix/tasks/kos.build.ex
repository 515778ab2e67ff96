defmodule Mix.Tasks.Kos.Build do
  @shortdoc "Compiles the app and writes its KOS system image (and upgrade bundle)"

  @moduledoc """
  Compiles the app and writes the system image that `mix kos.run` boots and an
  upgrade carries:

      _build/kos/image/system.dts   the manifest, from kos.exs
      _build/kos/image/system.dtb   the manifest compiled by dtc
      _build/kos/image/elixir/      the compiled app and its dependencies (and the
                                    device admin, when kos.exs asks for it), and the
                                    app's sys.config from config/config.exs
      _build/kos/bin/               the native system apps and the KOS NIF library

  The manifest holds the app (its memory budget and arguments), the system apps that
  serve the protocols `kos.exs` lists under `uses`, and their grants; it is checked
  against every KOS rule before anything is called built.

  At the root of an umbrella (`mix kos.new --system`), the system holds every app under
  `apps/` that has a `kos.exs`: a protocol one app `serves` is granted to the apps that
  `uses` it, a `uses` that neither KOS nor an app serves is refused, and a
  `device_admin` may sit in the root's own `kos.exs`.

  With `--bundle`, the image is also signed into an upgrade bundle (`.tar.gz`) that
  Orbit accepts and `mix kos.push` uploads. The signing key is the deployment's
  Ed25519 private key (PEM, as `openssl genpkey -algorithm ed25519` writes it); devices
  accept only bundles signed with it.

  ## Command line options

    * `--bundle` — also write the signed upgrade bundle
    * `--key PATH` — the signing key for `--bundle` (default: `KOS_SIGNING_KEY`)
    * `--version VERSION` — the version the bundle and the device report (default: the
      project's version)
    * `--output PATH` — where the bundle goes (default: `_build/kos/APP-VERSION.tar.gz`)
    * `--kos-root PATH` — the KOS checkout (default: `KOS_ROOT`, else the checkout
      this archive was built from)

  ## Examples

      mix kos.build
      mix kos.build --bundle --key ~/keys/deploy.pem
      KOS_SIGNING_KEY=deploy.pem mix kos.build --bundle --version 1.2.0
  """

  use Mix.Task

  @switches [bundle: :boolean, key: :string, version: :string, output: :string, kos_root: :string]
  @aliases [b: :bundle, k: :key, o: :output]

  @impl true
  def run(argv) do
    opts = KosMix.options!(argv, @switches, @aliases, "kos.build")

    build(opts)
  end

  @doc false
  # Also used by kos.run: builds and returns `{image paths, kos checkout}`.
  def build(opts) do
    Mix.Project.get() ||
      Mix.raise("mix kos.build must run inside a mix project (cd into your app)")

    config = Mix.Project.config()
    root = KosMix.Checkout.root(opts)
    version = opts[:version] || config[:version] || "0.0.0"
    limits = KosMix.Limits.fetch!(root)
    # One app, or every app of an umbrella that has a kos.exs: one system of them.
    {app, manifest} =
      if Mix.Project.umbrella?(),
        do: umbrella_apps!(limits),
        else: {config[:app], KosMix.AppManifest.read!(File.cwd!(), config[:app], limits)}

    Enum.each(List.wrap(manifest), &KosMix.AppManifest.check_admin_files!(&1, File.cwd!()))

    # A bundle needs a key; say so before the build rather than after it.
    key = if opts[:bundle], do: signing_key!(opts)

    Mix.Task.run("compile", [])
    paths = KosMix.Image.write!(manifest, version, root)
    Mix.shell().info("kos.build: image #{Path.relative_to_cwd(paths.image)} (#{app} #{version})")

    if key do
      out = opts[:output] || Path.join(paths.dir, "#{app}-#{version}.tar.gz")
      bundle!(root, paths, key, version, out)
    end

    {paths, root}
  end

  # The umbrella's apps with a kos.exs, each told which protocols the others serve, and
  # the system's name (the umbrella's directory); a device admin in the root kos.exs
  # goes to the first app (one per system).
  defp umbrella_apps!(limits) do
    children =
      Mix.Project.apps_paths()
      |> Enum.filter(fn {_app, path} -> File.regular?(Path.join(path, "kos.exs")) end)
      |> Enum.sort()

    if children == [] do
      Mix.raise(
        "kos.build: no app under #{inspect(Mix.Project.config()[:apps_path] || "apps")} has a kos.exs"
      )
    end

    served = fn path -> KosMix.AppManifest.served(path) end

    apps =
      for {app, path} <- children do
        others =
          children |> Enum.reject(&(elem(&1, 0) == app)) |> Enum.flat_map(&served.(elem(&1, 1)))

        KosMix.AppManifest.read!(path, app, limits, others)
      end

    admin = root_admin!()

    apps =
      case {admin, Enum.count(apps, & &1.device_admin)} do
        {nil, n} when n <= 1 -> apps
        {admin, 0} -> List.update_at(apps, 0, &%{&1 | device_admin: admin})
        _ -> Mix.raise("kos.build: one device_admin per system (in kos.exs or one app's)")
      end

    {Path.basename(File.cwd!()), apps}
  end

  # `device_admin` from the umbrella's own kos.exs, if it has one.
  defp root_admin! do
    file = "kos.exs"

    if File.regular?(file) do
      {term, _} = Code.eval_file(file)

      unless Keyword.keyword?(term) and Keyword.keys(term) -- [:device_admin] == [] do
        Mix.raise(
          "#{file} (the system's own): only `device_admin` goes here, got: #{inspect(term)}"
        )
      end

      case term[:device_admin] do
        nil ->
          nil

        admin ->
          KosMix.AppManifest.parse!(
            [device_admin: admin],
            file,
            :system,
            KosMix.Limits.fetch!(KosMix.Checkout.root([]))
          ).device_admin
      end
    end
  end

  defp signing_key!(opts) do
    key =
      opts[:key] || System.get_env("KOS_SIGNING_KEY") ||
        Mix.raise("""
        --bundle needs the deployment's signing key: pass --key PATH or set KOS_SIGNING_KEY.
        Make one with: openssl genpkey -algorithm ed25519 -out deploy.pem
        (devices are given its public half: openssl pkey -in deploy.pem -pubout)
        """)

    unless File.regular?(key), do: Mix.raise("the signing key #{key} does not exist")
    Path.expand(key)
  end

  defp bundle!(root, paths, key, version, out) do
    kos = KosMix.Checkout.binary!(root, "kos")
    args = ["bundle", "create", paths.image, "-o", out, "--key", key, "--version", version]

    case System.cmd(kos, args ++ ["--bin-dir", paths.bin], stderr_to_stdout: true) do
      {_, 0} ->
        Mix.shell().info("kos.build: bundle #{Path.relative_to_cwd(out)} (version #{version})")
        # What `mix kos.push` pushes by default: the bundle just built, whatever its name.
        File.write!(Path.join(paths.dir, "last-bundle"), Path.expand(out) <> "\n")

      {output, _} ->
        Mix.raise("kos bundle create failed:\n#{output}")
    end
  end
end
