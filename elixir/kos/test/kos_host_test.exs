defmodule Kos.HostTest do
  @moduledoc """
  Outside a KOS system (`mix test` or `iex -S mix` on the host, no NIF library loaded)
  every `Kos.*` call answers the documented `{:error, :not_kos}` — it does not raise —
  so an app's own code runs in its host tests with no crash.
  """
  use ExUnit.Case, async: true

  @moduletag :host

  test "the services answer :not_kos" do
    assert Kos.Rng.bytes(16) == {:error, :not_kos}
    assert Kos.Rng.bytes(1_048_576) == {:error, :not_kos}
    assert Kos.Msg.connect("demo_protocol") == {:error, :not_kos}
    assert Kos.Msg.serve("demo_protocol") == {:error, :not_kos}
    assert Kos.Root.status() == {:error, :not_kos}
    assert Kos.Root.restart_all() == {:error, :not_kos}
    assert Kos.I2C.open() == {:error, :not_kos}
    assert Kos.CAN.open() == {:error, :not_kos}
  end

  test "a process using them carries on" do
    parent = self()

    pid =
      spawn(fn ->
        send(parent, {:got, Kos.Rng.bytes(8), Kos.Msg.connect("x")})
        receive do: (:stop -> :ok)
      end)

    ref = Process.monitor(pid)
    assert_receive {:got, {:error, :not_kos}, {:error, :not_kos}}
    refute_received {:DOWN, ^ref, _, _, _}
    send(pid, :stop)
    assert_receive {:DOWN, ^ref, :process, ^pid, :normal}
  end
end
