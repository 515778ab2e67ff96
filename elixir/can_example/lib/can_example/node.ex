defmodule CanExample.Node do
  @moduledoc """
  The app's CAN node: one connection to the CAN server with filters for the ECU's
  broadcast and OBD-II replies; a request every interval; every frame and bus event
  logged (broadcasts once a second, as they come ten times as often). A lost
  connection is reopened at the next interval.
  """
  require Logger
  use GenServer
  alias CanExample.OBD

  @doc "Starts it, registered under its module name."
  @spec start_link(pos_integer()) :: GenServer.on_start()
  def start_link(interval), do: GenServer.start_link(__MODULE__, interval, name: __MODULE__)

  @impl true
  def init(interval) do
    say("started: OBD-II requests every #{interval} ms")
    send(self(), :request)

    {:ok,
     %{interval: interval, can: nil, receiver: nil, last_broadcast: nil, counter: nil, lost: 0}}
  end

  @impl true
  def handle_info(:request, state) do
    Process.send_after(self(), :request, state.interval)
    state = connect(state)

    if state.can do
      case Kos.CAN.send(state.can, OBD.rpm_request()) do
        :ok -> :ok
        {:error, reason} -> say("request not sent: #{inspect(reason)}")
      end
    end

    {:noreply, state}
  end

  def handle_info({:kos_can, :frame, frame}, state) do
    {:noreply, frame(frame, state)}
  end

  def handle_info({:kos_can, :bus_event, event}, state) do
    say(
      "bus event: #{event.state} (tec #{event.tec}, rec #{event.rec}, error #{event.error}" <>
        if(event.dropped > 0, do: ", #{event.dropped} frames lost)", else: ")")
    )

    {:noreply, state}
  end

  def handle_info({:kos_can, :error, :closed}, state) do
    say("CAN server connection lost; reconnecting at the next request")
    {:noreply, %{state | can: nil, receiver: nil}}
  end

  def handle_info({:kos_can, :error, reason}, state) do
    say("CAN server error: #{inspect(reason)}")
    {:noreply, state}
  end

  def handle_info(_other, state), do: {:noreply, state}

  defp connect(%{can: nil} = state) do
    with {:ok, can} <- Kos.CAN.open(),
         {:ok, receiver} <-
           Kos.CAN.subscribe(can, [{OBD.broadcast_id(), 0x7FF}, {OBD.reply_id(), 0x7FF}]) do
      say("subscribed to 0x#{hex(OBD.broadcast_id())} and 0x#{hex(OBD.reply_id())}")
      %{state | can: can, receiver: receiver}
    else
      {:error, reason} ->
        say("no CAN server: #{inspect(reason)}")
        state
    end
  end

  defp connect(state), do: state

  defp frame(frame, state) do
    case {OBD.rpm_reply(frame), OBD.broadcast(frame)} do
      {{:ok, rpm}, _} ->
        say("OBD reply: engine speed #{:erlang.float_to_binary(rpm, decimals: 2)} rpm")
        state

      {_, {:ok, b}} ->
        lost = if state.counter, do: rem(b.counter - state.counter + 256, 256) - 1, else: 0
        state = %{state | counter: b.counter, lost: state.lost + max(lost, 0)}
        now = System.monotonic_time(:millisecond)

        if state.last_broadcast == nil or now - state.last_broadcast >= 1_000 do
          # The ECU's rolling counter shows broadcasts this app never saw.
          missed = if state.lost > 0, do: " (#{state.lost} broadcasts missed so far)", else: ""

          say(
            "ECU: #{round(b.rpm)} rpm, coolant #{b.coolant_c} °C, #{b.speed_kmh} km/h" <> missed
          )

          %{state | last_broadcast: now}
        else
          state
        end

      _ ->
        say("frame 0x#{hex(frame.id)}: #{Base.encode16(frame.data)}")
        state
    end
  end

  defp hex(n), do: Integer.to_string(n, 16)
  defp say(line), do: Logger.info("can_example: " <> line)
end
