defmodule KosDemo.Sampler do
  require Logger

  @moduledoc "Prints `Kos.Rng.bytes(16)` every `interval` ms, and `Kos.Root.status()` once."
  use GenServer

  @doc "Starts it, registered under its module name."
  @spec start_link(non_neg_integer()) :: GenServer.on_start()
  def start_link(interval), do: GenServer.start_link(__MODULE__, interval, name: __MODULE__)

  @impl true
  def init(interval) do
    send(self(), :sample)

    case Kos.Root.status() do
      {:ok, apps} ->
        Enum.each(apps, fn app ->
          Logger.info("app #{app.name}: #{app.state}, #{app.rss_kib || 0} KiB")
        end)

      {:error, reason} ->
        Logger.info("root status: #{inspect({:error, reason})}")
    end

    {:ok, interval}
  end

  @impl true
  def handle_info(:sample, interval) do
    case Kos.Rng.bytes(16) do
      {:ok, bytes} -> Logger.info("random bytes: #{Base.encode16(bytes, case: :lower)}")
      error -> Logger.info("random bytes: #{inspect(error)}")
    end

    Process.send_after(self(), :sample, interval)
    {:noreply, interval}
  end
end
