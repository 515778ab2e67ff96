defmodule KosMix do
  @moduledoc """
  The mix tasks of KOS, for Elixir developers building apps that run on a KOS system.

      mix kos.new hello          # a new KOS app from the templates
      cd hello
      mix kos.build              # compile it and make a system image
      mix kos.run                # boot that system here and stream its logs
      mix kos.orbit.start        # a local Orbit, in its own terminal
      mix kos.build --bundle --key deploy.pem
      mix kos.push --device my-device
      mix kos.devices

  The archive is built from a KOS checkout (`cd elixir/kos_mix && mix archive.install
  --force`) and remembers where that checkout is (`KosMix.Checkout`): the `kos` and
  `orbit` binaries, the KOS NIF library, the system apps and the `kos` Elixir library
  all come from it.
  """

  @doc """
  Parses a task's options with `OptionParser` (`strict:` its `@switches`), or raises
  naming what was not understood and where the task's help is.
  """
  @spec options!([String.t()], keyword(), keyword(), String.t()) :: keyword()
  def options!(argv, switches, aliases, task) do
    case OptionParser.parse(argv, strict: switches, aliases: aliases) do
      {opts, [], []} ->
        opts

      {_, args, invalid} ->
        Mix.raise(
          "Unexpected argument(s) #{inspect(args ++ Enum.map(invalid, &elem(&1, 0)))}. See: mix help #{task}"
        )
    end
  end
end
