defmodule Kos.CAN.Receiver do
  @moduledoc """
  The process behind `Kos.CAN.subscribe/3`: it long-polls the CAN server for one
  connection and sends each record to its subscriber, under the `kos` application's
  `Kos.CAN.Receivers` supervisor.

  It ends — normally, so it is not restarted — when its subscriber goes, when a newer
  receiver takes the connection over (`:superseded`), or when the connection is lost
  (the subscriber gets `{:kos_can, :error, :closed}` first). Any other error is sent
  to the subscriber as `{:kos_can, :error, reason}` and the poll is retried a second
  later; a crash is restarted by its supervisor with the same connection.
  """
  use GenServer, restart: :transient

  @retry_ms 1_000

  @doc false
  def start_link({can, to}), do: GenServer.start_link(__MODULE__, {can, to})

  @impl true
  def init({can, to}) do
    Process.monitor(to)
    {:ok, %{can: can, to: to}, {:continue, :poll}}
  end

  @impl true
  def handle_continue(:poll, state), do: poll(state)

  @impl true
  def handle_info(:poll, state), do: poll(state)
  def handle_info({:DOWN, _, :process, pid, _}, %{to: pid} = state), do: {:stop, :normal, state}
  def handle_info(_other, state), do: {:noreply, state}

  # One RECV at a time; the server holds it for about a second when nothing is
  # pending, so the mailbox (the subscriber's DOWN) is looked at between polls.
  defp poll(%{can: can, to: to} = state) do
    case Kos.CAN.receive_records(can, 64) do
      {:ok, records} ->
        Enum.each(records, fn {kind, value} -> send(to, {:kos_can, kind, value}) end)
        next(state)

      {:error, :timeout} ->
        next(state)

      {:error, :superseded} ->
        {:stop, :normal, state}

      {:error, :closed} ->
        send(to, {:kos_can, :error, :closed})
        {:stop, :normal, state}

      {:error, reason} ->
        send(to, {:kos_can, :error, reason})
        Process.send_after(self(), :poll, @retry_ms)
        {:noreply, state}
    end
  end

  # Polls again after whatever is already in the mailbox.
  defp next(state) do
    send(self(), :poll)
    {:noreply, state}
  end
end
