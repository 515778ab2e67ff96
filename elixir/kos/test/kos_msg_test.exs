defmodule Kos.MsgTest do
  use ExUnit.Case

  describe "Kos.Msg argument checks" do
    test "a label must be a non-negative integer and a payload a binary" do
      assert_raise ArgumentError, fn -> Kos.Msg.call(make_ref(), -1, "x") end
      assert_raise ArgumentError, fn -> Kos.Msg.call(make_ref(), 1, :not_binary) end
      assert_raise ArgumentError, fn -> Kos.Msg.send(make_ref(), "label", "x") end
    end
  end

  describe "calling another BEAM app" do
    @tag :kos
    test "a call to a granted protocol is answered by its server" do
      assert {:ok, token} = Kos.Msg.connect("demo_protocol")
      assert {:ok, {7, badge, "HELLO"}} = Kos.Msg.call(token, 7, "hello")
      assert badge > 0
    end

    @tag :kos
    test "a protocol the manifest does not grant is refused" do
      assert {:error, :not_granted} = Kos.Msg.connect("secret_protocol", timeout: 100)
    end

    @tag :kos
    test "a payload over 4096 bytes is refused before it is sent" do
      {:ok, token} = Kos.Msg.connect("demo_protocol")
      assert {:error, :payload_too_large} = Kos.Msg.call(token, 1, :binary.copy("x", 4097))
      assert {:ok, _} = Kos.Msg.call(token, 1, "still fine")
    end
  end
end
