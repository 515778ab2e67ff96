defmodule CanExample.Application do
  @moduledoc """
  `can_example`: the CAN server from Elixir. It subscribes to the engine ECU's
  broadcast (id 0x0C0) and to OBD-II replies (0x7E8), asks the ECU for its engine
  speed every interval (an OBD-II request on 0x7DF), and logs what it hears and every
  bus event (error-passive, bus-off, frames lost). Argument: the interval in ms
  (default 2000).
  """
  use Application

  @impl true
  def start(_type, _args) do
    interval =
      with [first | _] <- :init.get_plain_arguments(),
           {ms, ""} when ms > 0 <- Integer.parse(List.to_string(first)) do
        ms
      else
        _ -> 2_000
      end

    Supervisor.start_link([{CanExample.Node, interval}],
      strategy: :one_for_one,
      name: CanExample.Supervisor
    )
  end
end
