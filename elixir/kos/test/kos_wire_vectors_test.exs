defmodule Kos.WireVectorsTest do
  @moduledoc """
  `Kos.I2C` and `Kos.CAN` against the wire vectors the Rust protocol crates write
  (`test/vectors/*.terms`, kept in step with `kos_i2c::protocol` and
  `kos_can::protocol` by their `vectors` tests): a change to either side alone fails
  here or there.
  """
  use ExUnit.Case, async: true
  alias Kos.CAN.Frame

  @dir Path.expand("../../../test/vectors", __DIR__)

  defp vectors(name) do
    {:ok, terms} = :file.consult(String.to_charlist(Path.join(@dir, name <> ".terms")))
    terms
  end

  defp all(terms, kind), do: for(t <- terms, elem(t, 0) == kind, do: t)
  defp one(terms, kind), do: terms |> List.keyfind!(kind, 0) |> elem(1)

  for {module, name} <- [{Kos.I2C, "kos_i2c_protocol"}, {Kos.CAN, "kos_can_protocol"}] do
    test "#{inspect(module)} has #{name}'s name, labels, statuses and limits" do
      v = vectors(unquote(name))
      assert unquote(module).__protocol__(:name) == one(v, :protocol)
      assert unquote(module).__protocol__(:labels) == one(v, :labels)
      assert unquote(module).__protocol__(:statuses) == one(v, :statuses)
      assert unquote(module).__protocol__(:limits) == one(v, :limits)
    end
  end

  describe "kos_i2c_protocol" do
    test "every call is sent as the server parses it" do
      calls = all(vectors("kos_i2c_protocol"), :call)
      assert length(calls) >= 8

      for {:call, call, wire} <- calls do
        assert Kos.I2C.encode_call(call) == wire, "#{inspect(call)}"
      end
    end

    test "the FEATURES reply reads as the service writes it" do
      for {:features, bytes, features} <- all(vectors("kos_i2c_protocol"), :features) do
        assert Kos.I2C.decode_features(bytes) == {:ok, features}
      end
    end
  end

  describe "kos_can_protocol" do
    test "frames are encoded byte for byte" do
      for {:encode, fields, bytes} <- all(vectors("kos_can_protocol"), :encode) do
        assert Kos.CAN.encode(struct!(Frame, fields)) == bytes, "#{inspect(fields)}"
      end
    end

    test "frames and bus events are decoded as the server encodes them" do
      records = all(vectors("kos_can_protocol"), :decode)
      assert Enum.any?(records, &match?({_, _, {:bus_event, _}}, &1))

      for {:decode, bytes, expected} <- records do
        case expected do
          {:frame, fields} -> assert Kos.CAN.decode(bytes) == {:frame, struct!(Frame, fields)}
          {:bus_event, event} -> assert Kos.CAN.decode(bytes) == {:bus_event, event}
        end
      end
    end

    test "records the server's decoder refuses are refused here too" do
      rejects = all(vectors("kos_can_protocol"), :reject)
      assert length(rejects) >= 8

      for {:reject, bytes, why} <- rejects do
        assert Kos.CAN.decode(bytes) == {:error, :bad_record}, why
      end

      assert Kos.CAN.decode_records(Enum.map_join(rejects, &elem(&1, 1))) == :error
    end

    test "filters are encoded byte for byte" do
      for {:filter, filter, bytes} <- all(vectors("kos_can_protocol"), :filter) do
        assert Kos.CAN.encode_filter(filter) == bytes, "#{inspect(filter)}"
      end
    end

    test "the STATUS report reads as the server writes it" do
      [{:status_report, bytes, report}] = all(vectors("kos_can_protocol"), :status_report)
      assert Kos.CAN.decode_status(bytes) == {:ok, report}
    end
  end
end
