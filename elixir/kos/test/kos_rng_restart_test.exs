defmodule Kos.RngRestartTest do
  # Restarts the system's RNG server: not alongside the other suites' RNG requests.
  use ExUnit.Case, async: false

  @tag :kos
  test "after the RNG server restarts, requests reconnect by themselves" do
    assert {:ok, _} = Kos.Rng.bytes(32)
    restarts = rng_server_restarts()
    :ok = Kos.Root.restart_app("rng_server")
    wait_until(fn -> rng_server_restarts() > restarts and rng_server_running?() end)
    # More than one key's budget (16 MiB): the VM must ask the new server for keys.
    n = 17 * 1024 * 1024
    # The first request may find the old connection closed; the next one reconnects.
    results = for _ <- 1..2, do: Kos.Rng.bytes(n)

    assert Enum.all?(results, &(match?({:ok, _}, &1) or &1 == {:error, :closed})),
           inspect(Enum.map(results, &elem(&1, 0)))

    assert {:ok, bytes} = List.last(results)
    assert byte_size(bytes) == n
  end

  defp rng_server do
    {:ok, apps} = Kos.Root.status()
    Enum.find(apps, &(&1.name == "rng_server"))
  end

  defp rng_server_restarts, do: rng_server().restarts
  defp rng_server_running?, do: rng_server().state == :running

  # Polls a condition of the system's state (bounded: 10 s).
  defp wait_until(condition, tries \\ 500) do
    cond do
      condition.() ->
        :ok

      tries == 0 ->
        flunk("the RNG server did not come back")

      true ->
        Process.sleep(20)
        wait_until(condition, tries - 1)
    end
  end
end
