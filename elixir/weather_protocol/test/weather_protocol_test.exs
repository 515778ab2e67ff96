defmodule WeatherProtocolTest do
  use ExUnit.Case, async: true

  @reading %{temperature_c: 21.85, pressure_hpa: 1009.28, humidity_rh: 55.7}

  test "a reading travels as four little-endian words and reads back" do
    {0, payload} = WeatherProtocol.reply(1, @reading, 250)

    assert payload ==
             <<2185::signed-little-32, 100_928::little-32, 557::little-32, 250::little-32>>

    assert WeatherProtocol.decode(0, payload) == {:ok, Map.put(@reading, :age_ms, 250)}
  end

  test "temperatures below zero keep their sign" do
    {0, payload} = WeatherProtocol.reply(1, %{@reading | temperature_c: -12.5}, 0)
    assert {:ok, %{temperature_c: -12.5}} = WeatherProtocol.decode(0, payload)
  end

  test "before the first reading, and for other labels, the status says so" do
    assert {1, ""} = WeatherProtocol.reply(1, nil, 0)
    assert WeatherProtocol.decode(1, "") == {:error, :no_reading}
    assert {2, ""} = WeatherProtocol.reply(7, @reading, 0)
    assert WeatherProtocol.decode(0, <<1, 2, 3>>) == {:error, :bad_reply}
  end
end
