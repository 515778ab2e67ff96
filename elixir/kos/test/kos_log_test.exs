defmodule Kos.LogTest do
  use ExUnit.Case, async: true

  test "info is the message alone; worse levels say their level first" do
    ts = {{2026, 12, 3}, {12, 0, 0, 0}}

    assert IO.iodata_to_binary(Kos.Log.format(:info, "weather: 21.5 °C", ts, [])) ==
             "weather: 21.5 °C\n"

    assert IO.iodata_to_binary(Kos.Log.format(:debug, ["a", ?b], ts, [])) == "ab\n"

    assert IO.iodata_to_binary(Kos.Log.format(:warning, "upgrade refused", ts, [])) ==
             "warning: upgrade refused\n"

    assert IO.iodata_to_binary(Kos.Log.format(:error, "crashed", ts, [])) == "error: crashed\n"
  end
end
