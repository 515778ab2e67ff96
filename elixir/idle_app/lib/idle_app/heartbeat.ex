defmodule IdleApp.Heartbeat do
  require Logger

  @moduledoc "Prints that the app is up, then a heartbeat every `interval` ms."
  use GenServer

  @doc "Starts it, registered under its module name."
  @spec start_link(pos_integer()) :: GenServer.on_start()
  def start_link(interval), do: GenServer.start_link(__MODULE__, interval, name: __MODULE__)

  @impl true
  def init(interval) do
    Logger.info("up (os pid #{System.pid()}, #{length(:code.all_loaded())} modules loaded)")
    Logger.info("env: #{inspect(Enum.sort(Application.get_all_env(:idle_app)))}")
    Process.send_after(self(), :beat, interval)
    {:ok, {interval, 1}}
  end

  @impl true
  def handle_info(:beat, {interval, n}) do
    Logger.info("heartbeat #{n}")
    Process.send_after(self(), :beat, interval)
    {:noreply, {interval, n + 1}}
  end
end
