defmodule Kos.Root do
  @moduledoc """
  Asks the root server, `_root`, to restart applications or to report on them
  (`kos_root_protocol`; only apps the manifest lists as its clients get through).

  Each request is a `Kos.Msg.call/4` on the VM's one token to `_root`, kept for the
  VM's life: no scheduler waits for `_root`, and a request that gets no answer in
  10 s is `{:error, :timeout}`. The requests and replies are encoded and
  decoded by the NIF (`kos_msg::root` in Rust), so their format is written once.
  """

  @timeout 10_000

  @typedoc "One application's state, as the root server reports it."
  @type app_status :: %{
          name: String.t(),
          state: :running | :stopping | :restarting | :down,
          pid: non_neg_integer() | nil,
          rss_kib: non_neg_integer() | nil,
          restarts: non_neg_integer()
        }

  @doc """
  Restarts every application (this one included) as new processes. The answer comes
  before the restart, so the caller sees `:ok` and is then restarted with the rest.

      :ok = Kos.Root.restart_all()

  `{:error, :not_granted}` unless the manifest lists this app as a client of
  `kos_root_protocol`.
  """
  @spec restart_all() :: :ok | {:error, atom()}
  def restart_all, do: request(:restart_all)

  @doc """
  Restarts the application named `name` in the manifest.

      :ok = Kos.Root.restart_app("weatherstation")
      {:error, :unknown_app} = Kos.Root.restart_app("no_such_app")
  """
  @spec restart_app(String.t()) :: :ok | {:error, atom()}
  def restart_app(name) when is_binary(name), do: request({:restart_app, name})

  def restart_app(name),
    do: raise(ArgumentError, "expected an app name (a string), got: #{inspect(name)}")

  @doc """
  Switches the whole system to the image in `dir`: `system.dts` and the BEAM apps'
  builds under `elixir/`, as a verified upgrade bundle unpacks (`Kos.Orbit.stage/4`).

  `_root` checks the image first; `{:error, {:bad_image, text}}` says why it cannot
  run, and nothing changes. `:ok` means the switch has begun: every app, this one
  included, is stopped, and the new system boots on trial. If its apps do not stay up
  through the trial, `_root` boots the previous system again.

      :ok = Kos.Root.upgrade("/var/kos/images/2.0.0")
  """
  @spec upgrade(Path.t()) :: :ok | {:error, atom() | {:bad_image, String.t()}}
  def upgrade(dir) when is_binary(dir), do: request({:upgrade, dir})

  def upgrade(dir),
    do: raise(ArgumentError, "expected a directory (a string), got: #{inspect(dir)}")

  @doc ~S"""
  Every application's state, pid and resident memory while it runs, and restarts, in
  manifest order.

      {:ok, apps} = Kos.Root.status()
      for %{name: name, state: state, rss_kib: kib} <- apps, do: IO.puts("#{name} #{state} #{kib} KiB")
  """
  @spec status() :: {:ok, [app_status()]} | {:error, atom()}
  def status, do: status_from(0, [])

  # A report is paged (one message holds some 70 apps): ask on from where a page
  # ended until every app is read.
  defp status_from(from, read) do
    with {:ok, apps, total} <- request({:status, from}) do
      read = read ++ apps

      if length(read) < total and apps != [],
        do: status_from(length(read), read),
        else: {:ok, read}
    end
  end

  defp request(op) do
    with {:ok, token} <- Kos.Native.root_token(),
         {label, param, payload} = Kos.Native.root_encode(op),
         {:ok, {status, reply_param, reply}} <- call(token, label, param, payload) do
      Kos.Native.root_decode(op, status, reply_param, reply)
    end
  end

  defp call(token, label, param, payload) do
    case Kos.Msg.call(token, label, payload, param: param, timeout: @timeout) do
      {:error, :closed} = closed ->
        # The next request connects anew.
        Kos.Native.root_forget(token)
        closed

      other ->
        other
    end
  end
end
