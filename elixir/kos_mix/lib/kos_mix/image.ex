defmodule KosMix.Image do
  @moduledoc """
  A system image of an app, as `mix kos.build` writes it under `_build/kos/`:

      _build/kos/image/system.dts        the system manifest (KosMix.SystemManifest)
      _build/kos/image/system.dtb        the same, compiled by dtc
      _build/kos/image/elixir/<app>/_build/prod/lib/*/ebin   each BEAM app and its deps
      _build/kos/image/elixir/<app>/sys.config               from config/config.exs
      _build/kos/bin/                    native system apps and the KOS NIF library

  `image/` is what `_root` switches to in an upgrade and what a bundle carries; `bin/`
  stays beside it because a device has its own native binaries (an upgrade bundle
  holds the manifest and the BEAM apps).
  """

  alias KosMix.{AppManifest, Checkout, Services, SystemManifest}

  defstruct [:dir, :image, :bin, :manifest]

  @type t :: %__MODULE__{dir: Path.t(), image: Path.t(), bin: Path.t(), manifest: Path.t()}

  @doc "Where the image of the current project goes."
  @spec paths() :: t()
  def paths do
    dir = Path.join(Path.dirname(Mix.Project.build_path()), "kos")
    image = Path.join(dir, "image")

    %__MODULE__{
      dir: dir,
      image: image,
      bin: Path.join(dir, "bin"),
      manifest: Path.join(image, "system.dts")
    }
  end

  @doc """
  Writes the image of the compiled current project: its app, or every app of an
  umbrella (a list). Raises, naming the cause, when KOS is not built, dtc is missing,
  or the manifest breaks a rule.
  """
  @spec write!(AppManifest.t() | [AppManifest.t()], String.t(), Path.t()) :: t()
  def write!(%AppManifest{} = app, version, root), do: write!([app], version, root)

  def write!(apps, version, root) when is_list(apps) do
    kos = Checkout.binary!(root, "kos")
    nif = Checkout.binary!(root, "libkos_nif.so")
    natives = native_system_apps(apps, root) |> Enum.map(&Checkout.binary!(root, &1))

    admin_lib =
      if Enum.any?(apps, & &1.device_admin), do: Checkout.system_app_lib!(root, "device_admin")

    paths = paths()

    File.rm_rf!(paths.image)
    File.mkdir_p!(paths.image)
    File.write!(paths.manifest, SystemManifest.render(apps, version, root))

    # An umbrella's apps share one build: each VM gets all of it and starts its own.
    for app <- apps do
      copy_libs!(Path.join(Mix.Project.build_path(), "lib"), beam_lib(paths, app.name))

      write_sys_config!(
        Mix.Project.config()[:config_path] || "config/config.exs",
        Path.join([paths.image, "elixir", app.name, "sys.config"])
      )
    end

    if admin_lib, do: copy_libs!(admin_lib, beam_lib(paths, "device_admin"))

    compile_dtb!(paths.manifest, Path.join(paths.image, "system.dtb"))
    check!(kos, paths.manifest)

    File.rm_rf!(paths.bin)
    File.mkdir_p!(paths.bin)
    Enum.each([nif | natives], &link!(&1, Path.join(paths.bin, Path.basename(&1))))
    paths
  end

  defp native_system_apps(apps, root) do
    apps
    |> Enum.flat_map(& &1.uses)
    |> Enum.map(&Services.fetch/1)
    # A protocol another app of the system serves has no system app.
    |> Enum.reject(&is_nil/1)
    |> Enum.map(& &1.server)
    |> Enum.uniq()
    |> Enum.filter(&(Services.kind(root, &1) == :native))
  end

  defp beam_lib(paths, name),
    do: Path.join([paths.image, "elixir", name, "_build", "prod", "lib"])

  # Only what a VM loads: each library's ebin (and priv, for NIFs and data).
  defp copy_libs!(from, to) do
    for lib <- File.ls!(from), sub <- ["ebin", "priv"] do
      src = Path.join([from, lib, sub])
      dst = Path.join([to, lib, sub])

      if File.dir?(src) do
        File.mkdir_p!(Path.dirname(dst))
        # A dev build links priv/ to the sources; a bundle must hold real files.
        File.cp_r!(src, dst, dereference_symlinks: true)
      end
    end
  end

  @doc """
  Writes the configuration in `source` (a project's `config/config.exs`, with what it
  imports) to `target` as a `sys.config`: `kos run` starts the app's VM with `-config`
  when the image has one. Nothing is written when there is no `source`.
  """
  @spec write_sys_config!(Path.t(), Path.t()) :: :ok
  def write_sys_config!(source, target) do
    if File.regular?(source) do
      config =
        try do
          Config.Reader.read!(source, env: Mix.env(), target: Mix.target())
        rescue
          e -> Mix.raise("#{source} cannot be read: #{Exception.message(e)}")
        end

      File.write!(target, :io_lib.format(~c"~tp.~n", [config]))
    end

    :ok
  end

  defp compile_dtb!(dts, dtb) do
    dtc =
      System.find_executable("dtc") ||
        Mix.raise(
          "dtc (the device tree compiler) is missing: install it with apt-get install device-tree-compiler"
        )

    case System.cmd(dtc, ["-q", "-I", "dts", "-O", "dtb", "-o", dtb, dts], stderr_to_stdout: true) do
      {_, 0} -> :ok
      {out, _} -> Mix.raise("dtc could not compile #{dts}:\n#{out}")
    end
  end

  # `kos manifest check` applies every rule the root server will, and names the node.
  defp check!(kos, manifest) do
    case System.cmd(kos, ["manifest", "check", manifest], stderr_to_stdout: true) do
      {_, 0} -> :ok
      {out, _} -> Mix.raise("the system manifest breaks a KOS rule:\n#{out}")
    end
  end

  # Hard links keep a rebuild from copying the (large, debug) binaries again.
  defp link!(src, dst) do
    case File.ln(src, dst) do
      :ok -> :ok
      {:error, _} -> File.cp!(src, dst)
    end
  end
end
