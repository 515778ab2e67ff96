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
    assert Enum.all?(apps, &(&1.state in ["running", "stopping", "restarting", "down"]))
  end
end
