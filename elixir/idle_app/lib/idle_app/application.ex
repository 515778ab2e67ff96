defmodule IdleApp.Application do
  @moduledoc """
  The smallest useful KOS BEAM app: a supervisor with one process that reports it is
  up and then beats at an interval: `interval_ms` in its application environment
  (the manifest's `env { interval_ms = <200>; };`, default 5000).
  """
  use Application

  @impl true
  def start(_type, _args) do
    interval = Application.fetch_env!(:idle_app, :interval_ms)
    Supervisor.start_link([{IdleApp.Heartbeat, interval}], strategy: :one_for_one)
  end
end
