defmodule Kos.I2CTest do
  use ExUnit.Case

  describe "Kos.I2C argument checks" do
    test "addresses are 7-bit and sizes within one payload" do
      assert_raise ArgumentError, fn -> Kos.I2C.write(make_ref(), 0x80, <<1>>) end
      assert_raise ArgumentError, fn -> Kos.I2C.read(make_ref(), 0x76, 0) end
      assert_raise ArgumentError, fn -> Kos.I2C.read(make_ref(), 0x76, 4097) end
      assert_raise ArgumentError, fn -> Kos.I2C.transaction(make_ref(), 0x76, [{:erase, 1}]) end
    end
  end

  # The runner's manifest (test/tests/elixir_kos.rs) gives it a simulated bus with a
  # BME280 at 0x76 and allows it 0x76 and 0x77.
  describe "the I2C server's simulated bus" do
    @tag :kos
    test "features name the backend and speed" do
      {:ok, bus} = Kos.I2C.open()

      assert {:ok, %{backend: "sim", speed_hz: 400_000, max_transfer: 4096}} =
               Kos.I2C.features(bus)
    end

    @tag :kos
    test "the BME280 answers its chip id and its calibration, by every form of call" do
      {:ok, bus} = Kos.I2C.open()
      assert {:ok, <<0x60>>} = Kos.I2C.write_read(bus, 0x76, <<0xD0>>, 1)
      assert {:ok, calib} = Kos.I2C.write_read(bus, 0x76, <<0x88>>, 26)
      # The same bytes by a write (register pointer) then a separate read, and as one
      # transaction: the device's auto-increment works the same way.
      :ok = Kos.I2C.write(bus, 0x76, <<0x88>>)
      assert {:ok, ^calib} = Kos.I2C.read(bus, 0x76, 26)

      assert {:ok, <<0x60>> <> ^calib} =
               Kos.I2C.transaction(bus, 0x76, [
                 {:write, <<0xD0>>},
                 {:read, 1},
                 {:write, <<0x88>>},
                 {:read, 26}
               ])

      <<t1::little-16, _::binary>> = calib
      assert t1 > 0
    end

    @tag :kos
    test "faults and refusals are values, and the bus still works after them" do
      {:ok, bus} = Kos.I2C.open()
      # Allowed, but nothing is there.
      assert {:error, :nack_address} = Kos.I2C.write_read(bus, 0x77, <<0xD0>>, 1)
      # Not among this app's i2c_addresses: refused before the bus.
      assert {:error, :not_permitted} = Kos.I2C.write_read(bus, 0x50, <<0>>, 1)
      assert {:ok, <<0x60>>} = Kos.I2C.write_read(bus, 0x76, <<0xD0>>, 1)
    end

    @tag :kos
    test "transactions from many processes never interleave" do
      {:ok, bus} = Kos.I2C.open()
      {:ok, expected} = Kos.I2C.write_read(bus, 0x76, <<0x88>>, 26)

      results =
        1..100
        |> Task.async_stream(
          fn i ->
            # Each call moves the register pointer; an interleaved one would read
            # from the wrong register.
            if rem(i, 2) == 0,
              do: Kos.I2C.write_read(bus, 0x76, <<0x88>>, 26),
              else: Kos.I2C.write_read(bus, 0x76, <<0xD0>>, 1)
          end,
          max_concurrency: 20
        )
        |> Enum.map(fn {:ok, r} -> r end)

      assert Enum.all?(Enum.take_every(tl(results), 2), &(&1 == {:ok, expected}))
      assert Enum.all?(Enum.take_every(results, 2), &(&1 == {:ok, <<0x60>>}))
    end
  end
end
