defmodule Kos.RngTest do
  use ExUnit.Case, async: true

  describe "Kos.Rng.bytes/1" do
    test "rejects arguments that are not non-negative integers" do
      assert_raise ArgumentError, fn -> Kos.Rng.bytes(-1) end
      assert_raise ArgumentError, fn -> Kos.Rng.bytes("16") end
      assert_raise ArgumentError, fn -> Kos.Rng.bytes(1.5) end
    end

    @tag :kos
    test "returns exactly the bytes asked for, of any size" do
      for n <- [0, 1, 32, 4096, 4097, 1_048_576] do
        assert {:ok, bytes} = Kos.Rng.bytes(n)
        assert byte_size(bytes) == n
      end
    end

    @tag :kos
    test "never returns the same bytes twice" do
      samples = for _ <- 1..1000, do: elem(Kos.Rng.bytes(32), 1)
      assert length(Enum.uniq(samples)) == 1000
    end

    @tag :kos
    test "is safe to call from many processes at once" do
      results =
        1..50
        |> Task.async_stream(fn _ -> Kos.Rng.bytes(64) end, max_concurrency: 50)
        |> Enum.map(fn {:ok, {:ok, bytes}} -> bytes end)

      assert length(Enum.uniq(results)) == 50
    end
  end
end
