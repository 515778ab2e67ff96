defmodule CrashApp.Application do
  @moduledoc """
  A KOS BEAM app that fails on purpose: after the delay given as its first argument
  (ms, default 300) its only process crashes more often than its supervisor allows, so
  the application stops and, being permanent, takes the VM down with it — the way a
  real bug ends an instance.
  """
  require Logger
  use Application

  @impl true
  def start(_type, _args) do
    # The manifest's `args` reach the VM after -extra: its plain arguments.
    delay =
      case Enum.map(:init.get_plain_arguments(), &List.to_string/1) do
        [ms | _] -> String.to_integer(ms)
        [] -> 300
      end

    children = [Supervisor.child_spec({Task, fn -> crash_after(delay) end}, restart: :permanent)]
    Supervisor.start_link(children, strategy: :one_for_one, max_restarts: 0)
  end

  defp crash_after(delay) do
    Logger.info("up; crashing in #{delay} ms")
    Process.sleep(delay)
    raise "crashing on purpose"
  end
end
