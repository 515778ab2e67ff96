defmodule Kos.RootTest do
  use ExUnit.Case, async: true

  test "restart_app/1 wants a name" do
    assert_raise ArgumentError, fn -> Kos.Root.restart_app(:upcase) end
  end

  @tag :kos
  test "status/0 reports every app of the system with its state" do
    assert {:ok, apps} = Kos.Root.status()
    names = Enum.map(apps, & &1.name)
    assert "upcase" in names
    assert Enum.all?(apps, &(&1.state in [:running, :stopping, :restarting, :down]))
    upcase = Enum.find(apps, &(&1.name == "upcase"))
    assert %{state: :running, pid: pid, rss_kib: kib, restarts: 0} = upcase
    assert is_integer(pid) and kib > 1024
  end

  @tag :kos
  test "requests share one token and an unknown app is refused by name" do
    assert {:error, :unknown_app} = Kos.Root.restart_app("no_such_app")
    {:ok, token} = Kos.Native.root_token()
    assert {:ok, ^token} = Kos.Native.root_token()
    assert {:ok, _} = Kos.Root.status()
    assert {:ok, ^token} = Kos.Native.root_token()
  end
end
