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

    @tag :kos
    test "many processes calling on one token each get their own reply" do
      {:ok, token} = Kos.Msg.connect("demo_protocol")

      replies =
        1..200
        |> Task.async_stream(fn i -> Kos.Msg.call(token, i, "call #{i}") end,
          max_concurrency: 50
        )
        |> Enum.map(fn {:ok, reply} -> reply end)

      for {reply, i} <- Enum.with_index(replies, 1) do
        assert {:ok, {^i, _badge, payload}} = reply
        assert payload == "CALL #{i}"
      end
    end

    # demo_protocol's server never answers label 0xDEAD (KosDemo.Upcase).
    @tag :kos
    test "calls to a stuck server time out and hold nothing the VM needs" do
      {:ok, token} = Kos.Msg.connect("demo_protocol")
      # More waiting calls than the VM has dirty I/O schedulers (10).
      {:ok, {0xC0DE, held_before, _}} = Kos.Msg.call(token, 0xC0DE, "")

      stuck =
        for _ <- 1..30, do: Task.async(fn -> Kos.Msg.call(token, 0xDEAD, "", timeout: 2_000) end)

      # Every stuck call has reached the server (it says how many it holds).
      assert Enum.find_value(1..10_000, fn _ ->
               {:ok, {0xC0DE, held, _}} = Kos.Msg.call(token, 0xC0DE, "")
               held - held_before >= 30
             end)

      # While they wait, file I/O (dirty I/O schedulers) and other calls go on...
      path = Path.join(System.tmp_dir!(), "kos_msg_test_#{System.unique_integer([:positive])}")
      File.write!(path, "still working")
      assert File.read!(path) == "still working"
      File.rm!(path)
      assert {:ok, {1, _, "FREE"}} = Kos.Msg.call(token, 1, "free")
      # ...before any of the stuck calls has given up.
      assert Enum.all?(stuck, &(Task.yield(&1, 0) == nil))
      assert Enum.all?(Task.await_many(stuck, 5_000), &(&1 == {:error, :timeout}))
      # The token is still good after its calls timed out.
      assert {:ok, {2, _, "AFTER"}} = Kos.Msg.call(token, 2, "after")
    end

    @tag :kos
    test "a one-way send reaches the server and a call after it is answered" do
      {:ok, token} = Kos.Msg.connect("demo_protocol")
      assert :ok = Kos.Msg.send(token, 5, "one way")
      assert {:ok, {6, _, "TWO WAY"}} = Kos.Msg.call(token, 6, "two way")
    end
  end

  describe "serving from Elixir" do
    # The runner serves tests_protocol to itself (test/tests/elixir_kos.rs).
    @tag :kos
    test "one serving process per message server: a second is refused by name" do
      parent = self()

      spawn_link(fn ->
        send(parent, {:serve, Kos.Msg.serve("tests_protocol")})

        receive do
          {:kos_call, _client, responder, {label, _param, payload}} ->
            :ok = Kos.Msg.reply(responder, label, "first: " <> payload)
        end
      end)

      assert_receive {:serve, :ok}, 5_000
      # Refused before anything is published: not `:not_granted` for a protocol
      # the manifest does not know, and not a protocol whose clients reach the first.
      assert {:error, :already_serving} = Kos.Msg.serve("no_such_protocol")
      {:ok, token} = Kos.Msg.connect("tests_protocol")
      assert {:ok, {1, _badge, "first: hi"}} = Kos.Msg.call(token, 1, "hi")
    end
  end
end
