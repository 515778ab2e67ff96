defmodule KosDemo.Caller do
  require Logger

  @moduledoc "Calls `demo_protocol` every `interval` ms and prints each reply."
  use GenServer

  @doc "Starts it, registered under its module name."
  @spec start_link(non_neg_integer()) :: GenServer.on_start()
  def start_link(interval), do: GenServer.start_link(__MODULE__, interval, name: __MODULE__)

  @impl true
  def init(interval) do
    send(self(), :call)
    {:ok, %{interval: interval, token: nil, n: 0}}
  end

  @impl true
  def handle_info(:call, state) do
    state = ensure_token(state)

    state =
      case state.token && Kos.Msg.call(state.token, 7, "hello #{state.n + 1}") do
        {:ok, {label, param, payload}} ->
          Logger.info("reply #{state.n + 1}: #{payload} (label #{label}, badge #{param})")
          %{state | n: state.n + 1}

        {:error, reason} ->
          Logger.warning("call failed: #{inspect(reason)}")
          %{state | token: nil}

        nil ->
          state
      end

    Process.send_after(self(), :call, state.interval)
    {:noreply, state}
  end

  defp ensure_token(%{token: nil} = state) do
    case Kos.Msg.connect("demo_protocol") do
      {:ok, token} ->
        %{state | token: token}

      {:error, reason} ->
        Logger.warning("connect failed: #{inspect(reason)}")
        state
    end
  end

  defp ensure_token(state), do: state
end
