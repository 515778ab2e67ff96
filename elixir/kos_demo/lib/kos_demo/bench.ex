defmodule KosDemo.Bench do
  @moduledoc """
  Side-by-side measurements from Elixir, printed as a markdown table, then the VM halts:

    * `Kos.Rng.bytes/1` against `:crypto.strong_rand_bytes/1`, 32 B and 1 MiB;
    * a `Kos.Msg.call/3` round trip to `demo_protocol` served by another BEAM app
      against a `GenServer.call/2` round trip to a process in this VM, 16 B payload.

  Run with `kos run systems/bench-elixir.dts` (see BENCHMARKS.md).
  """

  @doc "Measures with `rounds` calls per measurement, prints the figures and halts."
  @spec run(pos_integer()) :: no_return()
  def run(rounds) do
    {:ok, token} = Kos.Msg.connect("demo_protocol", timeout: 10_000)
    {:ok, echo} = Agent.start_link(fn -> nil end)
    payload = :binary.copy("x", 16)

    rows = [
      {"32 B random bytes", "Kos.Rng.bytes", fn -> {:ok, _} = Kos.Rng.bytes(32) end,
       ":crypto.strong_rand_bytes", fn -> :crypto.strong_rand_bytes(32) end, 32},
      {"1 MiB random bytes", "Kos.Rng.bytes", fn -> {:ok, _} = Kos.Rng.bytes(1_048_576) end,
       ":crypto.strong_rand_bytes", fn -> :crypto.strong_rand_bytes(1_048_576) end, 1_048_576},
      {"16 B call round trip", "Kos.Msg.call to another VM",
       fn -> {:ok, _} = Kos.Msg.call(token, 1, payload) end, "GenServer.call in this VM",
       fn -> Agent.get(echo, fn _ -> payload end) end, 16}
    ]

    IO.puts("bench: | what | KOS | p50 µs | MB/s | baseline | p50 µs | MB/s | p50 ratio |")
    IO.puts("bench: |:---|:---|---:|---:|:---|---:|---:|---:|")

    for {what, ours_name, ours, base_name, base, size} <- rows do
      n = if size > 100_000, do: div(rounds, 100), else: rounds
      # Interleave rounds so a noisy machine slows both alike.
      {ours_t, base_t} =
        Enum.reduce(1..10, {[], []}, fn _, {o, b} ->
          {o ++ time(ours, div(n, 10)), b ++ time(base, div(n, 10))}
        end)

      {p_o, p_b} = {p50(ours_t), p50(base_t)}

      IO.puts(
        "bench: | #{what} | #{ours_name} | #{fmt(p_o)} | #{rate(size, p_o)} | #{base_name} | " <>
          "#{fmt(p_b)} | #{rate(size, p_b)} | #{Float.round(p_o / p_b, 2)}× |"
      )
    end

    IO.puts("bench: done")
    System.halt(0)
  end

  defp time(fun, n) do
    for _ <- 1..max(n, 1) do
      t0 = System.monotonic_time(:nanosecond)
      fun.()
      System.monotonic_time(:nanosecond) - t0
    end
  end

  defp p50(samples), do: Enum.at(Enum.sort(samples), div(length(samples), 2)) / 1000
  defp fmt(us), do: :erlang.float_to_binary(us / 1, decimals: 2)
  defp rate(size, us), do: :erlang.float_to_binary(size / us, decimals: 1)
end
