defmodule Weatherstation.Publisher do
  @moduledoc """
  Publishes the latest reading to other apps as `weather_protocol`, where the manifest
  grants it: a call with label 1 (`LATEST`) is answered with status 0 and
  `<<centi_celsius::signed-little-32, pascal::little-32, permille_rh::little-32,
  age_ms::little-32>>`, or status 1 before the first reading. Inside this VM,
  `latest/0` gives the same reading as a map.
  """
  use GenServer

  @protocol "weather_protocol"
  @latest 1

  def start_link(_), do: GenServer.start_link(__MODULE__, [], name: __MODULE__)

  @doc "Records a new reading."
  def publish(reading), do: GenServer.cast(__MODULE__, {:reading, reading, now()})

  @doc "The latest reading with its time, or `nil`."
  def latest, do: GenServer.call(__MODULE__, :latest)

  @impl true
  def init(_) do
    # Serving is optional: a system that grants no one weather_protocol still runs.
    served =
      case Kos.Msg.serve(@protocol) do
        :ok -> true
        {:error, _} -> false
      end

    {:ok, %{reading: nil, at: nil, served: served}}
  end

  @impl true
  def handle_cast({:reading, reading, at}, state),
    do: {:noreply, %{state | reading: reading, at: at}}

  @impl true
  def handle_call(:latest, _from, %{reading: nil} = state), do: {:reply, nil, state}

  def handle_call(:latest, _from, state),
    do: {:reply, Map.put(state.reading, :at_ms, state.at), state}

  @impl true
  def handle_info({:kos_call, _client, responder, {@latest, _param, _payload}}, state) do
    case state.reading do
      nil ->
        Kos.Msg.reply(responder, 1, "")

      r ->
        Kos.Msg.reply(
          responder,
          0,
          <<round(r.temperature_c * 100)::signed-little-32,
            round(r.pressure_hpa * 100)::little-32, round(r.humidity_rh * 10)::little-32,
            now() - state.at::little-32>>
        )
    end

    {:noreply, state}
  end

  def handle_info({:kos_call, _client, responder, _other}, state) do
    Kos.Msg.reply(responder, 2, "")
    {:noreply, state}
  end

  def handle_info(_event, state), do: {:noreply, state}

  defp now, do: System.monotonic_time(:millisecond)
end
