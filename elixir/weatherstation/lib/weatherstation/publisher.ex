defmodule Weatherstation.Publisher do
  @moduledoc """
  Publishes the latest reading to other apps as `weather_protocol` (its layout is
  `WeatherProtocol`'s), where the manifest grants it. Inside this VM, `latest/0` gives
  the same reading as a map.
  """
  use GenServer

  @doc "Starts it, registered under its module name."
  @spec start_link(term()) :: GenServer.on_start()
  def start_link(_), do: GenServer.start_link(__MODULE__, [], name: __MODULE__)

  @doc "Records a new reading."
  @spec publish(map()) :: :ok
  def publish(reading), do: GenServer.cast(__MODULE__, {:reading, reading, now()})

  @doc "The latest reading with its time, or `nil`."
  @spec latest() :: map() | nil
  def latest, do: GenServer.call(__MODULE__, :latest)

  @impl true
  def init(_) do
    # Serving is optional: a system that grants no one weather_protocol still runs.
    served =
      case Kos.Msg.serve(WeatherProtocol.name()) do
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
  def handle_info({:kos_call, _client, responder, {label, _param, _payload}}, state) do
    age = if state.at, do: now() - state.at, else: 0
    {status, payload} = WeatherProtocol.reply(label, state.reading, age)
    Kos.Msg.reply(responder, status, payload)
    {:noreply, state}
  end

  def handle_info(_event, state), do: {:noreply, state}

  defp now, do: System.monotonic_time(:millisecond)
end
