defmodule KosDemo.DriverBench do
  @moduledoc """
  Driver throughput from Elixir, printed as `bench:` lines for `kos-bench drivers`
  (which sets them beside the same work done in Rust directly), then the VM halts:

    * I2C: `Kos.I2C.write_read/4` of the BME280's chip id through the I2C server on
      the simulated bus, as many as one process can do in `seconds`, and beside it
      a bare `Kos.Msg.call/4` round trip to the native `echo_server`;
    * CAN: four connections (four clients of the CAN server), each sending 8-byte
      frames as fast as the server takes them for `seconds`; the rate is what the
      server's STATUS says went onto the bus.

  Run with `target/release/kos-bench drivers` (see BENCHMARKS.md).
  """

  alias Kos.CAN.Frame

  @doc "Measures for `seconds` per measurement, prints the figures and halts."
  @spec run(pos_integer()) :: no_return()
  def run(seconds) do
    {:ok, bus} = Kos.I2C.open(timeout: 10_000)
    {:ok, <<0x60>>} = Kos.I2C.write_read(bus, 0x76, <<0xD0>>, 1)

    {n, us} =
      for_seconds(seconds, fn -> {:ok, <<0x60>>} = Kos.I2C.write_read(bus, 0x76, <<0xD0>>, 1) end)

    IO.puts("bench: i2c_write_read #{n} #{us}")
    # The message path alone: the same payload to a native server that only echoes it.
    {:ok, echo} = Kos.Msg.connect("kos_echo_protocol", timeout: 10_000)
    {n, us} = for_seconds(seconds, fn -> {:ok, _} = Kos.Msg.call(echo, 1, <<0xD0>>) end)
    IO.puts("bench: msg_call #{n} #{us}")

    {:ok, status} = Kos.CAN.open(timeout: 10_000)
    {:ok, %{frames_sent: before}} = Kos.CAN.status(status)
    t0 = System.monotonic_time(:microsecond)

    senders =
      for c <- 1..4 do
        Task.async(fn ->
          {:ok, can} = Kos.CAN.open()
          frames = for i <- 1..16, do: %Frame{id: 0x100 + c, data: <<c, i, 0, 0, 0, 0, 0, 0>>}
          flood(can, frames, t0 + seconds * 1_000_000, 0)
        end)
      end

    offered = senders |> Task.await_many((seconds + 10) * 1000) |> Enum.sum()
    {:ok, %{frames_sent: later}} = Kos.CAN.status(status)
    us = System.monotonic_time(:microsecond) - t0
    IO.puts("bench: can_frames_sent #{later - before} #{us} #{offered}")
    IO.puts("bench: done")
    System.halt(0)
  end

  # Sends batches until the deadline; a full queue means the bus is the limit, so
  # wait for it as a real sender would. Returns the frames the server accepted.
  defp flood(can, frames, deadline, accepted) do
    if System.monotonic_time(:microsecond) >= deadline do
      accepted
    else
      case Kos.CAN.send(can, frames) do
        :ok ->
          flood(can, frames, deadline, accepted + length(frames))

        {:error, {:queue_full, n}} ->
          Process.sleep(1)
          flood(can, frames, deadline, accepted + n)
      end
    end
  end

  defp for_seconds(seconds, fun) do
    t0 = System.monotonic_time(:microsecond)
    deadline = t0 + seconds * 1_000_000
    n = loop(fun, deadline, 0)
    {n, System.monotonic_time(:microsecond) - t0}
  end

  defp loop(fun, deadline, n) do
    if rem(n, 64) == 0 and System.monotonic_time(:microsecond) >= deadline do
      n
    else
      fun.()
      loop(fun, deadline, n + 1)
    end
  end
end
