defmodule KosDemo.Upcase do
  @moduledoc """
  Serves `demo_protocol` from a GenServer: each call's payload comes back upcased, with
  the caller's badge as the reply's param.

  A call with label #{0xDEAD} is held and never answered (up to 1000 of them): it
  stands in for a stuck server in the `kos` library's tests. A call with label
  #{0xC0DE} is answered with the number of calls held since start as its param, so a test
  knows when its stuck calls have arrived.
  """
  require Logger
  use GenServer

  @protocol "demo_protocol"
  @hold 0xDEAD
  @max_held 1000
  @count_held 0xC0DE

  @doc "Starts it, registered under its module name."
  @spec start_link(term()) :: GenServer.on_start()
  def start_link(_), do: GenServer.start_link(__MODULE__, nil, name: __MODULE__)

  @impl true
  def init(nil) do
    :ok = Kos.Msg.serve(@protocol)
    Logger.info("serving #{@protocol}")
    {:ok, %{calls: 0, held: [], held_count: 0}}
  end

  @impl true
  def handle_info({:kos_call, _client, responder, {@hold, _, _}}, state) do
    held = Enum.take([responder | state.held], @max_held)
    {:noreply, %{state | held: held, held_count: state.held_count + 1}}
  end

  def handle_info({:kos_call, _client, responder, {@count_held, _, _}}, state) do
    :ok = Kos.Msg.reply(responder, @count_held, "", param: state.held_count)
    {:noreply, state}
  end

  def handle_info({:kos_call, client, responder, {label, _param, payload}}, state) do
    :ok = Kos.Msg.reply(responder, label, String.upcase(payload), param: client.badge)
    {:noreply, %{state | calls: state.calls + 1}}
  end

  def handle_info({:kos_send, client, {label, _param, payload}}, state) do
    Logger.info("#{client.app} sent #{label}: #{inspect(payload)}")
    {:noreply, state}
  end

  def handle_info({:kos_connected, client}, state) do
    Logger.info("client #{client.app} connected (badge #{client.badge})")
    {:noreply, state}
  end

  def handle_info({:kos_disconnected, client}, state) do
    Logger.info("client #{client.app} disconnected")
    {:noreply, state}
  end

  def handle_info(other, state) do
    Logger.warning("unexpected message: #{inspect(other)}")
    {:noreply, state}
  end
end
