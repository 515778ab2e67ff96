# A small Elixir app's everyday parts, run by tests/erl.rs under the default profile.
require Logger

defmodule Counter do
  use GenServer
  def start_link(n), do: GenServer.start_link(__MODULE__, n, name: __MODULE__)
  def init(n), do: {:ok, n}
  def handle_call(:inc, _from, n), do: {:reply, n + 1, n + 1}
end

children = [{Counter, 0}, {Registry, keys: :unique, name: Smoke.Registry}, {Task.Supervisor, name: Smoke.Tasks}]
{:ok, _} = Supervisor.start_link(children, strategy: :one_for_one)
1 = GenServer.call(Counter, :inc)
{:ok, _} = Registry.register(Smoke.Registry, :me, 1)
[4, 9] = Smoke.Tasks |> Task.Supervisor.async_stream([2, 3], &(&1 * &1)) |> Enum.map(fn {:ok, v} -> v end)
{:ok, agent} = Agent.start_link(fn -> 1 end)
1 = Agent.get(agent, & &1)
Logger.info("logger works")
table = :ets.new(:smoke, [:set])
true = :ets.insert(table, {:a, 1})
true = Regex.match?(~r/kos/, "hello kos")
1_000_000 = byte_size(:binary.copy("x", 1_000_000))

# Spawning past +P is a clean SystemLimitError, not a dead VM.
limit =
  try do
    for _ <- 1..(:erlang.system_info(:process_limit) + 1), do: spawn(fn -> Process.sleep(:infinity) end)
    :no_limit
  rescue
    SystemLimitError -> :limit
  end

:limit = limit
IO.puts("smoke ok")
