defmodule Weatherstation.Station do
  @moduledoc """
  Reads the BME280 at an interval, logs each reading and hands it to
  `Weatherstation.Publisher`. A sensor that stops answering is logged once, retried
  at every interval and set up afresh (calibration read again) when it answers again;
  the I2C server going away is survived the same way.
  """
  require Logger
  use GenServer
  alias Weatherstation.BME280

  @doc "Starts it, registered under its module name."
  @spec start_link(interval: pos_integer(), address: 0..0x7F) :: GenServer.on_start()
  def start_link(opts), do: GenServer.start_link(__MODULE__, opts, name: __MODULE__)

  @impl true
  def init(opts) do
    state = %{
      interval: Keyword.fetch!(opts, :interval),
      address: Keyword.fetch!(opts, :address),
      bus: nil,
      sensor: nil,
      failing: nil
    }

    say(
      "started: BME280 at 0x#{Integer.to_string(state.address, 16)}, every #{state.interval} ms"
    )

    send(self(), :read)
    {:ok, state}
  end

  @impl true
  def handle_info(:read, state) do
    Process.send_after(self(), :read, state.interval)
    {:noreply, read(state)}
  end

  defp read(%{bus: nil} = state) do
    case Kos.I2C.open() do
      {:ok, bus} -> read(%{state | bus: bus})
      {:error, reason} -> failed(state, {:no_i2c_server, reason})
    end
  end

  defp read(%{sensor: nil} = state) do
    case BME280.init(state.bus, state.address) do
      {:ok, sensor} -> read(%{state | sensor: sensor})
      {:error, reason} -> failed(state, reason)
    end
  end

  defp read(state) do
    case BME280.measure(state.sensor) do
      {:ok, reading} ->
        if state.failing, do: say("sensor answers again")

        say(
          "#{fixed(reading.temperature_c, 2)} °C, #{fixed(reading.pressure_hpa, 2)} hPa, " <>
            "#{fixed(reading.humidity_rh, 1)} %RH"
        )

        Weatherstation.Publisher.publish(reading)
        %{state | failing: nil}

      {:error, reason} ->
        # Set the sensor up again once it is back: it may have been power-cycled.
        failed(%{state | sensor: nil}, reason)
    end
  end

  defp failed(state, reason) do
    # The connection is dropped on :closed, so the next read reconnects.
    state =
      if reason in [:closed, {:no_i2c_server, :closed}], do: %{state | bus: nil}, else: state

    if state.failing != reason do
      say("sensor error: #{inspect(reason)} (retrying every #{state.interval} ms)")
    end

    %{state | failing: reason, sensor: nil}
  end

  defp fixed(value, decimals), do: :erlang.float_to_binary(value / 1, decimals: decimals)

  defp say(line), do: Logger.info("weatherstation: " <> line)
end
