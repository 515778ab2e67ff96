defmodule Kos.Root do
  @moduledoc """
  Asks the root server, `_root`, to restart applications or to report on them
  (`kos_root_protocol`; only apps the manifest lists as its clients get through).
  """

  @typedoc "One application's state, as the root server reports it."
  @type app_status :: %{
          name: String.t(),
          state: String.t(),
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
  def restart_all, do: Kos.Native.restart_all()

  @doc """
  Restarts the application named `name` in the manifest.

      :ok = Kos.Root.restart_app("weatherstation")
      {:error, :unknown_app} = Kos.Root.restart_app("no_such_app")
  """
  @spec restart_app(String.t()) :: :ok | {:error, atom()}
  def restart_app(name) when is_binary(name), do: Kos.Native.restart_app(name)

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
  def upgrade(dir) when is_binary(dir), do: Kos.Native.root_upgrade(dir)

  def upgrade(dir),
    do: raise(ArgumentError, "expected a directory (a string), got: #{inspect(dir)}")

  @doc ~S"""
  Every application's state, pid and resident memory while it runs, and restarts.

      {:ok, apps} = Kos.Root.status()
      for %{name: name, state: state, rss_kib: kib} <- apps, do: IO.puts("#{name} #{state} #{kib} KiB")
  """
  @spec status() :: {:ok, [app_status()]} | {:error, atom()}
  def status do
    with {:ok, text} <- Kos.Native.status() do
      {:ok, text |> String.split("\n", trim: true) |> Enum.map(&parse_line/1)}
    end
  end

  defp parse_line(line) do
    [name, state | fields] = String.split(line, " ")
    kv = Map.new(fields, fn f -> f |> String.split("=", parts: 2) |> List.to_tuple() end)
    int = fn key -> if v = kv[key], do: String.to_integer(v) end

    %{
      name: name,
      state: state,
      pid: int.("pid"),
      rss_kib: int.("rss_kib"),
      restarts: int.("restarts") || 0
    }
  end
end
