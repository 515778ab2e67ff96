defmodule Kos.CANTest do
  use ExUnit.Case
  alias Kos.CAN.Frame

  # Byte-for-byte agreement with the Rust protocol is kos_wire_vectors_test.exs.
  describe "Kos.CAN encoding" do
    test "a data frame's length is its data's, whatever dlc says" do
      received = %Frame{id: 0x100, data: <<1, 2, 3, 4, 5, 6, 7, 8>>, dlc: 8}
      assert <<_::32, 2, _::binary>> = Kos.CAN.encode(%{received | data: <<9, 9>>})
    end

    test "records round-trip; out-of-range ids and long data are refused" do
      for f <- [
            %Frame{id: 0x7DF, data: <<2, 1, 0x0C>>},
            %Frame{id: 0x1FFFFFFF, extended: true, data: <<1, 2, 3, 4, 5, 6, 7, 8>>},
            %Frame{id: 0x100, remote: true, dlc: 4}
          ] do
        assert byte_size(Kos.CAN.encode(f)) == 24
        {:frame, back} = Kos.CAN.decode(Kos.CAN.encode(f))

        assert {back.id, back.extended, back.remote, back.data} ==
                 {f.id, f.extended, f.remote, f.data}
      end

      assert_raise ArgumentError, fn -> Kos.CAN.encode(%Frame{id: 0x800}) end

      assert_raise ArgumentError, fn ->
        Kos.CAN.encode(%Frame{id: 1, data: :binary.copy(<<0>>, 9)})
      end

      assert_raise ArgumentError, fn -> Kos.CAN.set_filters(make_ref(), [{0x800, 0x7FF}]) end
    end
  end

  # The runner's manifest (test/tests/elixir_kos.rs) gives it a CAN server on the
  # simulated bus, where an engine ECU broadcasts 0x0C0 every 100 ms and answers
  # OBD-II requests on 0x7E8.
  describe "the CAN server's simulated bus" do
    @tag :kos
    test "a filtered subscription gets the ECU's broadcasts and nothing else" do
      {:ok, can} = Kos.CAN.open()
      {:ok, _} = Kos.CAN.subscribe(can, [{0x0C0, 0x7FF}])
      assert_receive {:kos_can, :frame, %Frame{id: 0x0C0, data: <<_::binary-size(8)>>}}, 2_000
      assert_receive {:kos_can, :frame, %Frame{id: 0x0C0}}, 1_000
      # Half a second more: five broadcasts, every one of them 0x0C0.
      ids = collect_ids(System.monotonic_time(:millisecond) + 500, [])
      assert length(ids) >= 2 and Enum.all?(ids, &(&1 == 0x0C0)), inspect(ids)
    end

    @tag :kos
    test "a receiver is supervised, replaced by a newer one, and ends with its subscriber" do
      {:ok, can} = Kos.CAN.open()
      filters = [{0x0C0, 0x7FF}]
      subscriber = spawn(fn -> receive do: (:stop -> :ok) end)

      {:ok, first} = Kos.CAN.subscribe(can, filters, subscriber)

      receivers = fn ->
        Enum.map(DynamicSupervisor.which_children(Kos.CAN.Receivers), &elem(&1, 1))
      end

      assert first in receivers.()
      ref = Process.monitor(first)
      # A newer receiver on the connection supersedes the first, which ends normally.
      {:ok, second} = Kos.CAN.subscribe(can, filters, subscriber)
      assert_receive {:DOWN, ^ref, :process, ^first, :normal}, 5_000
      # A receiver ends, normally, with its subscriber.
      ref = Process.monitor(second)
      send(subscriber, :stop)
      assert_receive {:DOWN, ^ref, :process, ^second, :normal}, 5_000

      # A receiver that crashes is restarted by its supervisor, and frames keep coming.
      before = receivers.()
      {:ok, third} = Kos.CAN.subscribe(can, filters)
      assert_receive {:kos_can, :frame, %Frame{id: 0x0C0}}, 2_000
      Process.exit(third, :kill)
      # Bounded: the supervisor sees the crash and starts the replacement.
      assert Enum.find_value(1..100_000, fn _ -> receivers.() -- [third | before] != [] end)
      flush_frames()
      assert_receive {:kos_can, :frame, %Frame{id: 0x0C0}}, 2_000
    end

    @tag :kos
    test "an OBD-II request is answered by the ECU" do
      {:ok, can} = Kos.CAN.open()
      {:ok, _} = Kos.CAN.subscribe(can, [{0x7E8, 0x7FF}])
      :ok = Kos.CAN.send(can, %Frame{id: 0x7DF, data: <<2, 0x01, 0x0C, 0, 0, 0, 0, 0>>})

      assert_receive {:kos_can, :frame,
                      %Frame{id: 0x7E8, data: <<4, 0x41, 0x0C, a, b, _::binary>>}},
                     2_000

      rpm = (a * 256 + b) / 4
      assert rpm >= 500 and rpm <= 7000
    end

    @tag :kos
    test "clients of one server see each other's frames through their filters only" do
      {:ok, a} = Kos.CAN.open()
      {:ok, b} = Kos.CAN.open()
      {:ok, c} = Kos.CAN.open()
      {:ok, _} = Kos.CAN.subscribe(a, [{0x123, 0x7FF}])

      # c's records come here tagged, to see what its filter let through.
      me = self()
      relay = spawn_link(fn -> relay(me) end)
      {:ok, _} = Kos.CAN.subscribe(c, [{0x456, 0x7FF}], relay)
      :ok = Kos.CAN.send(b, %Frame{id: 0x123, data: "hello"})
      :ok = Kos.CAN.send(b, %Frame{id: 0x456, data: "for c"})
      assert_receive {:kos_can, :frame, %Frame{id: 0x123, data: "hello"}}, 2_000
      assert_receive {:from_c, {:kos_can, :frame, %Frame{id: 0x456, data: "for c"}}}, 2_000
      refute_received {:kos_can, :frame, %Frame{id: 0x456}}
      refute_received {:from_c, {:kos_can, :frame, %Frame{id: 0x123}}}
      {:ok, status} = Kos.CAN.status(c)
      assert status.bitrate == 500_000 and status.state == :error_active
      assert status.frames_sent >= 1
    end

    @tag :kos
    test "a send queue that fills says how many frames it took" do
      {:ok, can} = Kos.CAN.open()
      frames = for i <- 1..100, do: %Frame{id: 0x700, data: <<i>>}
      # A fresh connection's queue holds 32; the rest is refused and counted.
      assert {:error, {:queue_full, 32}} = Kos.CAN.send(can, frames)

      assert {:error, :bad_request} = Kos.CAN.set_filters(can, List.duplicate(:all, 17))
    end
  end

  defp flush_frames do
    receive do
      {:kos_can, :frame, _} -> flush_frames()
    after
      0 -> :ok
    end
  end

  defp collect_ids(deadline, ids) do
    receive do
      {:kos_can, :frame, %Frame{id: id}} -> collect_ids(deadline, [id | ids])
    after
      max(deadline - System.monotonic_time(:millisecond), 0) -> ids
    end
  end

  defp relay(to) do
    receive do
      msg ->
        send(to, {:from_c, msg})
        relay(to)
    end
  end
end
