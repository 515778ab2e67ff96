defmodule KosDemo.WeatherDisplay do
  @moduledoc """
  Asks the weatherstation for its latest reading (`weather_protocol`, read with
  `WeatherProtocol`) every `interval` ms and prints it: an app using what another app publishes, through the
  manifest's grant alone.
  """
  require Logger
  use GenServer

  @doc "Starts it, registered under its module name."
  @spec start_link(non_neg_integer()) :: GenServer.on_start()
  def start_link(interval), do: GenServer.start_link(__MODULE__, interval, name: __MODULE__)

  @impl true
  def init(interval) do
    send(self(), :ask)
    {:ok, %{interval: interval, token: nil}}
  end

  @impl true
  def handle_info(:ask, state) do
    Process.send_after(self(), :ask, state.interval)
    {:noreply, ask(state)}
  end

  defp ask(%{token: nil} = state) do
    case Kos.Msg.connect(WeatherProtocol.name()) do
      {:ok, token} ->
        ask(%{state | token: token})

      {:error, reason} ->
        Logger.warning("weather: no weatherstation: #{inspect(reason)}")
        state
    end
  end

  defp ask(state) do
    with {:ok, {status, _param, payload}} <-
           Kos.Msg.call(state.token, WeatherProtocol.latest(), ""),
         {:ok, r} <- WeatherProtocol.decode(status, payload) do
      Logger.info(
        "weather: #{r.temperature_c} °C, #{r.pressure_hpa} hPa, #{r.humidity_rh} %RH (#{r.age_ms} ms old)"
      )

      state
    else
      {:error, :no_reading} ->
        Logger.info("weather: no reading yet")
        state

      {:error, :bad_reply} ->
        Logger.warning("weather: unexpected reply")
        state

      {:error, reason} ->
        Logger.warning("weather: call failed: #{inspect(reason)}")
        %{state | token: nil}
    end
  end
end
