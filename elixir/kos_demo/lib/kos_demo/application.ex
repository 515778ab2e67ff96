defmodule KosDemo.Application do
  @moduledoc """
  An Elixir app using KOS services through the `kos` library. Arguments: an interval
  in ms, then a mode:

    * `sample` (default) — prints random bytes from the RNG server at the interval and,
      once, what the root server reports about every app;
    * `serve` — serves `demo_protocol`: replies to each call with its payload upcased;
    * `call` — calls `demo_protocol` at the interval and prints each reply;
    * `bench` — measures KOS calls from Elixir against their baselines (the first
      argument is then the number of calls per measurement) and halts;
    * `weather` — asks the weatherstation for its latest reading (`weather_protocol`)
      at the interval and prints it;
    * `driver_bench` — measures I2C and CAN through their servers (the first argument
      is then the seconds per measurement) and halts.
  """
  use Application

  @impl true
  def start(_type, _args) do
    {interval, mode} =
      case Enum.map(:init.get_plain_arguments(), &List.to_string/1) do
        [ms, mode | _] -> {String.to_integer(ms), mode}
        [ms] -> {String.to_integer(ms), "sample"}
        [] -> {3_000, "sample"}
      end

    child =
      case mode do
        "serve" -> KosDemo.Upcase
        "call" -> {KosDemo.Caller, interval}
        "bench" -> {Task, fn -> KosDemo.Bench.run(interval) end}
        "driver_bench" -> {Task, fn -> KosDemo.DriverBench.run(interval) end}
        "weather" -> {KosDemo.WeatherDisplay, interval}
        _ -> {KosDemo.Sampler, interval}
      end

    Supervisor.start_link([child], strategy: :one_for_one)
  end
end
