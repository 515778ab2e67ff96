defmodule KosDemo.Application do
  @moduledoc """
  An Elixir app using KOS services through the `kos` library. Configuration (its
  application environment, the manifest's `env` node): `mode` and `interval_ms`
  (default 3000), and for the benchmarks `calls` or `seconds`. Modes:

    * `"sample"` (default) — prints random bytes from the RNG server at the interval
      and, once, what the root server reports about every app;
    * `"serve"` — serves `demo_protocol`: replies to each call with its payload upcased;
    * `"call"` — calls `demo_protocol` at the interval and prints each reply;
    * `"bench"` — measures KOS calls from Elixir against their baselines (`calls` per
      measurement, default 20000) and halts;
    * `"weather"` — asks the weatherstation for its latest reading
      (`weather_protocol`) at the interval and prints it;
    * `"driver_bench"` — measures I2C and CAN through their servers (`seconds` per
      measurement, default 3) and halts.
  """
  use Application

  @impl true
  def start(_type, _args) do
    env = &Application.fetch_env!(:kos_demo, &1)
    interval = env.(:interval_ms)

    child =
      case env.(:mode) do
        "serve" -> KosDemo.Upcase
        "call" -> {KosDemo.Caller, interval}
        "bench" -> {Task, fn -> KosDemo.Bench.run(env.(:calls)) end}
        "driver_bench" -> {Task, fn -> KosDemo.DriverBench.run(env.(:seconds)) end}
        "weather" -> {KosDemo.WeatherDisplay, interval}
        "sample" -> {KosDemo.Sampler, interval}
        other -> raise ArgumentError, "kos_demo: unknown mode #{inspect(other)}"
      end

    Supervisor.start_link([child], strategy: :one_for_one)
  end
end
