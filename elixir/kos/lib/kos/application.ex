defmodule Kos.Application do
  @moduledoc """
  The `kos` library's own processes: `Kos.CAN.Receivers`, the supervisor of the
  receivers `Kos.CAN.subscribe/3` starts; and, under `kos run`, `Kos.Log`'s format for
  Logger and, when `mix kos.test` asks, the app's tests (`Kos.TestRun`). It starts with
  any app that depends on
  `kos`, inside or outside a KOS system (it holds nothing until used).
  """
  use Application

  @impl true
  def start(_type, _args) do
    # Under `kos run` lines are stamped and labelled already: Logger gives the message.
    if System.get_env("KOS_APP") not in [nil, ""], do: Kos.Log.install()
    Kos.TestRun.maybe_start()

    children = [
      {DynamicSupervisor, name: Kos.CAN.Receivers, strategy: :one_for_one}
    ]

    Supervisor.start_link(children, strategy: :one_for_one, name: Kos.Supervisor)
  end
end
