defmodule KosDemo.Upcase do
  @moduledoc "Serves `demo_protocol` from a GenServer: each call's payload comes back upcased."
  use GenServer

  @protocol "demo_protocol"

  def start_link(_), do: GenServer.start_link(__MODULE__, nil, name: __MODULE__)

  @impl true
  def init(nil) do
    :ok = Kos.Msg.serve(@protocol)
    IO.puts("serving #{@protocol}")
    {:ok, 0}
  end

  @impl true
  def handle_info({:kos_call, client, responder, {label, _param, payload}}, calls) do
    :ok = Kos.Msg.reply(responder, label, String.upcase(payload), param: client.badge)
    {:noreply, calls + 1}
  end

  def handle_info({:kos_connected, client}, calls) do
    IO.puts("client #{client.app} connected (badge #{client.badge})")
    {:noreply, calls}
  end

  def handle_info({:kos_disconnected, client}, calls) do
    IO.puts("client #{client.app} disconnected")
    {:noreply, calls}
  end

  def handle_info(other, calls) do
    IO.puts("unexpected message: #{inspect(other)}")
    {:noreply, calls}
  end
end
