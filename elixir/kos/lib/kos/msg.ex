defmodule Kos.Msg do
  @moduledoc """
  KOS messaging: serve a protocol, connect to one, call, send and reply.

  A message is `{label, param, payload}`: two unsigned integers and a binary of at most
  4096 bytes. Only what the manifest's `dir_access_control` grants works: a client
  must be listed for the protocol, a server must be its server.

  ## Serving

  `serve/2` publishes a protocol and makes the calling process its owner. Events
  arrive as ordinary messages, so a `GenServer` serves in `handle_info/2`:

    * `{:kos_call, client, responder, {label, param, payload}}` — answer with `reply/3`;
    * `{:kos_send, client, {label, param, payload}}` — one way;
    * `{:kos_connected, client}` and `{:kos_disconnected, client}`;
    * `{:kos_closed}` — the message server is gone.

  `client` is `%{badge: integer, app: String.t(), protocol: String.t()}`: the message
  server vouches for the badge and the app's manifest name.

  ## Calling

      {:ok, token} = Kos.Msg.connect("demo_protocol")
      {:ok, {0, _param, "HELLO"}} = Kos.Msg.call(token, 1, "hello")

  A token is released when no process refers to it any more.
  """

  @typedoc "A token to a protocol server (a NIF resource)."
  @opaque token :: reference()
  @typedoc "The right to answer one call (a NIF resource)."
  @opaque responder :: reference()
  @type message :: {non_neg_integer(), non_neg_integer(), binary()}

  @doc """
  Connects to `protocol`, waiting up to `:timeout` ms (default 5000) for its server to
  publish it. `:msg_server` names the message server when the app has several.

      {:ok, token} = Kos.Msg.connect("demo_protocol", timeout: 1_000)
      {:error, :not_granted} = Kos.Msg.connect("secret_protocol")

  The token is given back to its server when no process refers to it any more.
  """
  @spec connect(String.t(), keyword()) :: {:ok, token()} | {:error, atom()}
  def connect(protocol, opts \\ []) when is_binary(protocol) do
    Kos.Native.msg_connect(server(opts), protocol, Keyword.get(opts, :timeout, 5_000))
  end

  @doc """
  Calls the server and waits up to `:timeout` ms (default 5000, or `:infinity`) for
  its reply. `:param` sets the message's small integer argument (default 0).

      {:ok, {label, param, payload}} = Kos.Msg.call(token, 1, "hello", timeout: 1_000)

  The call is sent without waiting in a NIF and the reply arrives as a message, so the
  caller blocks only in an ordinary `receive`: a stuck server costs it the timeout and
  costs the VM nothing, and any number of processes may call at once, on one token or
  many. Errors: `:timeout` (a reply after that is dropped), `:closed` (the server went
  away or the token was revoked), `:busy` (the server's queue is full; nothing was
  sent), `:payload_too_large`.
  """
  @spec call(token(), non_neg_integer(), binary(), keyword()) ::
          {:ok, message()} | {:error, atom()}
  def call(token, label, payload, opts \\ []) do
    check!(label, payload)
    param = Keyword.get(opts, :param, 0)
    timeout = Keyword.get(opts, :timeout, 5_000)
    # make_ref/0 and the receive in one function let the VM skip older messages.
    ref = make_ref()

    case Kos.Native.msg_call_start(token, ref, label, param, payload) do
      {:ok, id} ->
        receive do
          {:kos_reply, ^ref, reply} -> reply
        after
          timeout ->
            Kos.Native.msg_call_cancel(token, id)

            # The reply may have been sent just before the cancel.
            receive do
              {:kos_reply, ^ref, reply} -> reply
            after
              0 -> {:error, :timeout}
            end
        end

      {:error, _} = error ->
        error
    end
  end

  @doc """
  Sends one way; no reply comes. Never waits: `{:error, :busy}` when the server's
  queue is full.
  """
  @spec send(token(), non_neg_integer(), binary(), keyword()) :: :ok | {:error, atom()}
  def send(token, label, payload, opts \\ []) do
    check!(label, payload)
    Kos.Native.msg_send(token, label, Keyword.get(opts, :param, 0), payload)
  end

  @doc """
  Publishes `protocol` and delivers its events to the calling process (one serving
  process per message server and VM). A `GenServer` serves in `handle_info/2`:

      def init(_) do
        :ok = Kos.Msg.serve("demo_protocol")
        {:ok, nil}
      end

      def handle_info({:kos_call, client, responder, {label, _param, payload}}, state) do
        :ok = Kos.Msg.reply(responder, label, String.upcase(payload), param: client.badge)
        {:noreply, state}
      end

  `{:error, :not_granted}` unless the manifest names this app the protocol's server.
  """
  @spec serve(String.t(), keyword()) :: :ok | {:error, atom()}
  def serve(protocol, opts \\ []) when is_binary(protocol) do
    Kos.Native.msg_serve(server(opts), protocol)
  end

  @doc """
  Answers a call received as `{:kos_call, client, responder, message}`, from any
  process, once. Never waits: a caller that stopped reading is cut off
  (`{:error, :closed}`).

      :ok = Kos.Msg.reply(responder, 0, "done")
  """
  @spec reply(responder(), non_neg_integer(), binary(), keyword()) :: :ok | {:error, atom()}
  def reply(responder, label, payload, opts \\ []) do
    check!(label, payload)
    Kos.Native.msg_reply(responder, label, Keyword.get(opts, :param, 0), payload)
  end

  defp server(opts), do: Keyword.get(opts, :msg_server, "")

  # Wrong types raise; a payload over 4096 bytes comes back from the NIF as
  # {:error, :payload_too_large}.
  defp check!(label, payload) do
    unless is_integer(label) and label >= 0,
      do: raise(ArgumentError, "label must be a non-negative integer, got: #{inspect(label)}")

    unless is_binary(payload),
      do: raise(ArgumentError, "payload must be a binary, got: #{inspect(payload)}")
  end
end
