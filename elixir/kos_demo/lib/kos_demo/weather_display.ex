defmodule KosDemo.WeatherDisplay do
  @moduledoc """
  Asks the weatherstation for its latest reading (`weather_protocol`, label 1) every
  `interval` ms and prints it: an app using what another app publishes, through the
  manifest's grant alone.
  """
  use GenServer

  @latest 1

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
    case Kos.Msg.connect("weather_protocol") do
      {:ok, token} ->
        ask(%{state | token: token})

      {:error, reason} ->
        IO.puts("weather: no weatherstation: #{inspect(reason)}")
        state
    end
  end

  defp ask(state) do
    case Kos.Msg.call(state.token, @latest, "") do
      {:ok,
       {0, _, <<centi::signed-little-32, pa::little-32, permille::little-32, age::little-32>>}} ->
        IO.puts(
          "weather: #{centi / 100} °C, #{pa / 100} hPa, #{permille / 10} %RH (#{age} ms old)"
        )

        state

      {:ok, {1, _, _}} ->
        IO.puts("weather: no reading yet")
        state

      {:ok, other} ->
        IO.puts("weather: unexpected reply #{inspect(other)}")
        state

      {:error, reason} ->
        IO.puts("weather: call failed: #{inspect(reason)}")
        %{state | token: nil}
    end
  end
end
