defmodule Mix.Tasks.Kos.New do
  @shortdoc "Creates a new KOS app"

  @moduledoc """
  Creates a new KOS app: a mix project whose application runs in its own Erlang VM on
  a KOS system.

      mix kos.new NAME [--module MODULE] [--memory MIB]

  The project has:

    * `mix.exs` — with the `kos` library of your KOS checkout as a path dependency;
    * `lib/NAME.ex` — the app: random bytes from the KOS RNG server through `Kos.Rng`,
      logged at an interval, under `lib/NAME/application.ex`'s supervisor;
    * `kos.exs` — the app's entry in the system manifest: memory budget, the protocols
      it uses, its arguments (and, commented out, the device admin for Orbit);
    * `test/NAME_test.exs` — a test to run with `mix test`;
    * `README.md`.

  With `--system`, it creates a product of several apps instead: an umbrella project
  `NAME` whose `apps/NAME_sensor` serves `NAME_protocol` (each call answered with a
  reading from `Kos.Rng`) and `apps/NAME_display` calls it every second and logs it —
  two VMs talking over `Kos.Msg`, each app's `kos.exs` saying what it `serves` and
  `uses`. `mix kos.build`, `kos.run`, `kos.build --bundle` and `kos.push` at the
  umbrella's root make and run one system of every app.

  NAME is the OTP app name and the app's name in the manifest: lowercase letters,
  digits and underscores, starting with a letter, as long as the manifest allows
  (`kos manifest limits`: 32 bytes), and not the name of an Erlang/OTP, Elixir or KOS
  system app. The project is created in a new
  directory `NAME` under the current one.

  ## Command line options

    * `--system` — a product of several apps (an umbrella), as above
    * `--module MODULE` — the app's main module (default: NAME in CamelCase)
    * `--memory MIB` — the VM's memory budget in `kos.exs` (default: 48)
    * `--kos-root PATH` — the KOS checkout (default: `KOS_ROOT`, else the checkout
      this archive was built from)

  ## Examples

      mix kos.new hello
      mix kos.new weather_probe --module Probe --memory 32
      mix kos.new --system shop
  """

  use Mix.Task

  @switches [module: :string, memory: :integer, kos_root: :string, system: :boolean]
  @aliases [m: :module]

  @reserved ~w(kos kos_mix device_admin rng_server i2c_server can_server elixir logger mix
               eex ex_unit iex kernel stdlib compiler crypto ssl public_key inets asn1 sasl
               runtime_tools os_mon tools observer erts)

  @impl true
  def run(argv) do
    {opts, args, invalid} = OptionParser.parse(argv, strict: @switches, aliases: @aliases)

    if invalid != [] do
      Mix.raise("Invalid option(s) #{inspect(invalid)}. See: mix help kos.new")
    end

    name =
      case args do
        [name] -> name
        [] -> Mix.raise("Expected the app's name: mix kos.new NAME (see mix help kos.new)")
        _ -> Mix.raise("Expected one app name, got: #{Enum.join(args, " ")}")
      end

    root = KosMix.Checkout.root(opts)
    limits = KosMix.Limits.fetch!(root)
    kind = if opts[:system], do: :system, else: :app
    # A system's apps are NAME_sensor and NAME_display: those must be names too.
    check_name!(if(kind == :system, do: name <> "_display", else: name), limits)
    module = opts[:module] || Macro.camelize(name)

    unless module =~ ~r/^[A-Z][A-Za-z0-9_]*(\.[A-Z][A-Za-z0-9_]*)*$/ do
      Mix.raise("--module #{module} is not a valid Elixir module name (e.g. Hello or My.Hello)")
    end

    memory = opts[:memory] || 48

    unless memory in limits.memory_mib do
      Mix.raise(
        "--memory #{memory}: the budget must be #{limits.memory_mib.first} to #{limits.memory_mib.last} MiB"
      )
    end

    dir = Path.expand(name)

    if File.exists?(dir) do
      Mix.raise("#{dir} already exists: choose another name, or remove it first")
    end

    assigns = [app: name, module: module, kos_path: KosMix.Checkout.kos_library(root)]

    for {path, contents} <- KosMix.Template.render(assigns, kind) do
      contents =
        if path == "kos.exs",
          do: String.replace(contents, "memory_mib: 48", "memory_mib: #{memory}"),
          else: contents

      target = Path.join(dir, path)
      File.mkdir_p!(Path.dirname(target))
      File.write!(target, contents)
      Mix.shell().info([:green, "* creating ", :reset, Path.relative_to_cwd(target)])
    end

    what = if kind == :system, do: "system of two apps", else: "app"

    Mix.shell().info("""

    Your KOS #{what} is ready. Next:

        cd #{name}
        mix kos.build     # compile it and make the system image
        mix kos.run       # boot it on a hosted KOS system (Ctrl-C twice stops it)
        mix test
    """)
  end

  defp check_name!(name, limits) do
    max = limits.name_len.last

    cond do
      byte_size(name) > max ->
        Mix.raise(
          "#{inspect(name)} is too long for a manifest node name: at most #{max} characters"
        )

      not KosMix.Limits.valid_name?(name, limits) ->
        Mix.raise(
          "#{inspect(name)} is not a valid app name: use lowercase letters, digits and _, starting with a letter (e.g. hello_kos)"
        )

      name in @reserved ->
        Mix.raise(
          "#{inspect(name)} is taken by an Erlang/OTP, Elixir or KOS app: choose another name"
        )

      true ->
        :ok
    end
  end
end
