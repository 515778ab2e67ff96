defmodule CrashApp.Application do
  @moduledoc """
  A KOS BEAM app that fails on purpose: after `delay_ms` (its application
  environment, default 300) its only process crashes more often than its supervisor allows, so
  the application stops and, being permanent, takes the VM down with it — the way a
  real bug ends an instance. With `fail_at_start: 1` its start raises instead, as an app
  missing its configuration does.
  """
  require Logger
  use Application

  @impl true
  def start(_type, _args) do
    if Application.get_env(:crash_app, :fail_at_start, 0) == 1 do
      raise "told to fail at start"
    end

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
