defmodule IdleApp.Application do
  @moduledoc """
  The smallest useful KOS BEAM app: a supervisor with one process that reports it is
  up and then beats at an interval (the first command-line argument, in ms).
  """
  use Application

  @impl true
  def start(_type, _args) do
    # The manifest's `args` reach the VM after -extra: its plain arguments.
    interval =
      with [first | _] <- :init.get_plain_arguments(),
           {ms, ""} <- Integer.parse(List.to_string(first)) do
        ms
      else
        _ -> 5_000
      end

    Supervisor.start_link([{IdleApp.Heartbeat, interval}], strategy: :one_for_one)
  end
end
