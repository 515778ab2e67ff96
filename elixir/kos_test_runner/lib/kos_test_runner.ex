defmodule KosTestRunner do
  @moduledoc """
  Runs an ExUnit suite inside a KOS system: a BEAM app whose `dir` (its application
  environment: the manifest's `env { dir = "…"; };`) is a directory of `*_test.exs` files (the `kos` library's `test/`). Under KOS every test runs,
  including those tagged `:kos` that need the system's services, except those tagged
  `:host` (about running outside a system). It prints ExUnit's
  report and then `kos_test_runner: N failures`, and halts with status 0 or 1.
  """
  use Application

  @impl true
  def start(_type, _args) do
    dir =
      Application.get_env(:kos_test_runner, :dir) ||
        raise ArgumentError, "kos_test_runner needs `dir` in its env node"

    Task.start(fn -> run(dir) end)
    Supervisor.start_link([], strategy: :one_for_one)
  end

  defp run(dir) do
    # What test_helper.exs does under KOS: everything runs, :kos tests included, but
    # those about life outside KOS (tagged :host).
    ExUnit.start(autorun: false, exclude: [:host])
    dir |> Path.join("*_test.exs") |> Path.wildcard() |> Enum.each(&Code.require_file/1)
    %{failures: failures} = ExUnit.run()
    IO.puts("kos_test_runner: #{failures} failures")
    System.halt(if failures == 0, do: 0, else: 1)
  end
end
