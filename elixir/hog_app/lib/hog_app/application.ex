defmodule HogApp.Application do
  @moduledoc """
  A KOS BEAM app that keeps allocating — 4 MiB every 100 ms, all kept — until its
  memory budget stops it. Used to show that one instance over budget is stopped alone.
  """
  require Logger
  use Application

  @impl true
  def start(_type, _args) do
    Supervisor.start_link([{Task, &grow/0}], strategy: :one_for_one)
  end

  defp grow, do: grow([], 0)

  defp grow(kept, mib) do
    chunk = :binary.copy(<<mib::8>>, 4 * 1024 * 1024)
    Logger.info("holding #{mib + 4} MiB")
    Process.sleep(100)
    grow([chunk | kept], mib + 4)
  end
end
