defmodule Kos.Application do
  @moduledoc """
  The `kos` library's own processes: `Kos.CAN.Receivers`, the supervisor of the
  receivers `Kos.CAN.subscribe/3` starts. It starts with any app that depends on
  `kos`, inside or outside a KOS system (it holds nothing until used).
  """
  use Application

  @impl true
  def start(_type, _args) do
    children = [
      {DynamicSupervisor, name: Kos.CAN.Receivers, strategy: :one_for_one}
    ]

    Supervisor.start_link(children, strategy: :one_for_one, name: Kos.Supervisor)
  end
end
