defmodule KosDemo.Application do
  @moduledoc """
  An Elixir app using KOS services through the `kos` library: it prints random bytes
  from the RNG server at an interval (first argument, ms) and, once, what the root
  server reports about every app (where the manifest grants `kos_root_protocol`).
  """
  use Application

  @impl true
  def start(_type, _args) do
    interval =
      with [first | _] <- :init.get_plain_arguments(),
           {ms, ""} <- Integer.parse(List.to_string(first)) do
        ms
      else
        _ -> 3_000
      end

    Supervisor.start_link([{KosDemo.Sampler, interval}], strategy: :one_for_one)
  end
end
