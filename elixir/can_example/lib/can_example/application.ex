defmodule CanExample.Application do
  @moduledoc """
  `can_example`: the CAN server from Elixir. It subscribes to the engine ECU's
  broadcast (id 0x0C0) and to OBD-II replies (0x7E8), asks the ECU for its engine
  speed every interval (an OBD-II request on 0x7DF), and logs what it hears and every
  bus event (error-passive, bus-off, frames lost). Configuration (its application
  environment, the manifest's `env` node): `interval_ms`, default 2000.
  """
  use Application

  @impl true
  def start(_type, _args) do
    interval = Application.fetch_env!(:can_example, :interval_ms)

    Supervisor.start_link([{CanExample.Node, interval}],
      strategy: :one_for_one,
      name: CanExample.Supervisor
    )
  end
end
