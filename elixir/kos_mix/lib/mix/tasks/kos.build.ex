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
    app = config[:app]
    root = KosMix.Checkout.root(opts)
    version = opts[:version] || config[:version] || "0.0.0"
    manifest = KosMix.AppManifest.read!(File.cwd!(), app, KosMix.Limits.fetch!(root))
    KosMix.AppManifest.check_admin_files!(manifest, File.cwd!())

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
