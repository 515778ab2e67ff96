defmodule CrashApp.Application do
  @moduledoc """
  A KOS BEAM app that fails on purpose: after `delay_ms` (its application
  environment, default 300) its only process crashes more often than its supervisor allows, so
  the application stops and, being permanent, takes the VM down with it — the way a
  real bug ends an instance.
  """
  require Logger
  use Application

  @impl true
  def start(_type, _args) do
    delay = Application.fetch_env!(:crash_app, :delay_ms)

    children = [Supervisor.child_spec({Task, fn -> crash_after(delay) end}, restart: :permanent)]
    Supervisor.start_link(children, strategy: :one_for_one, max_restarts: 0)
  end

  defp crash_after(delay) do
    Logger.info("up; crashing in #{delay} ms")
    Process.sleep(delay)
    raise "crashing on purpose"
  end
end
