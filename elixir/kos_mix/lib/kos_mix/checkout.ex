defmodule KosMix.Checkout do
  @moduledoc """
  Where the KOS checkout is, and what the tasks take from it.

  The checkout is, in order: the `--kos-root` option, the `KOS_ROOT` environment
  variable, or the checkout this archive was built from (remembered at compile time).
  Its Rust build (`cargo build --workspace`, as `scripts/test.sh` and `scripts/demo.sh`
  run it) gives the `kos` and `orbit` binaries, the native system apps and the KOS NIF
  library, in `target/debug` (or `target/release` with `KOS_BUILD=release`).
  """

  # This file is elixir/kos_mix/lib/kos_mix/checkout.ex in the checkout.
  @built_from Path.expand("../../../..", __DIR__)

  @doc "The KOS checkout to use, given the task's parsed options."
  @spec root(keyword()) :: Path.t()
  def root(opts \\ []) do
    root = opts[:kos_root] || System.get_env("KOS_ROOT") || @built_from
    root = Path.expand(root)

    unless File.regular?(Path.join(root, "kos-core/cli/Cargo.toml")) do
      Mix.raise("""
      #{root} is not a KOS checkout (no kos-core/cli/Cargo.toml there).
      Point the tasks at one with --kos-root PATH or the KOS_ROOT environment variable,
      or reinstall the archive from your checkout: cd KOS/elixir/kos_mix && mix archive.install --force
      """)
    end

    root
  end

  @doc "The directory of the Rust build: binaries and the NIF library."
  @spec bin_dir(Path.t()) :: Path.t()
  def bin_dir(root) do
    profile = if System.get_env("KOS_BUILD") == "release", do: "release", else: "debug"
    Path.join([root, "target", profile])
  end

  @doc "A binary of the Rust build, or a `Mix.raise` that says how to build it."
  @spec binary!(Path.t(), String.t()) :: Path.t()
  def binary!(root, name) do
    path = Path.join(bin_dir(root), name)

    if File.regular?(path) do
      path
    else
      Mix.raise("""
      KOS is not built: #{path} is missing.
      Build it once with: cd #{root} && cargo build --workspace
      (or run #{root}/scripts/test.sh, which installs what is missing and builds everything)
      """)
    end
  end

  @doc "The `kos` Elixir library, as a path dependency for apps."
  @spec kos_library(Path.t()) :: Path.t()
  def kos_library(root), do: Path.join([root, "elixir", "kos"])

  @doc """
  The compiled libraries (`_build/<env>/lib`) of a system BEAM app of the checkout,
  such as `device_admin`, or a `Mix.raise` that says how to compile it.
  """
  @spec system_app_lib!(Path.t(), String.t()) :: Path.t()
  def system_app_lib!(root, app) do
    project = Path.join([root, "elixir", app])

    found =
      Enum.find(["prod", "dev"], fn env ->
        File.dir?(Path.join([project, "_build", env, "lib", app, "ebin"]))
      end)

    if found do
      Path.join([project, "_build", found, "lib"])
    else
      Mix.raise("""
      The KOS system app #{app} is not compiled (#{project}/_build is missing).
      Compile it once with: cd #{project} && mix compile
      """)
    end
  end
end
