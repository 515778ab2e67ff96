defmodule Kos.Log do
  @moduledoc """
  How an app's `Logger` lines look under `kos run`: the message alone for `:info`
  and `:debug` (`kos run` already stamps every line with the time and the app's
  name), the level first for anything worse (`warning: …`, `error: …`).

  The `kos` application sets it as the console format when the VM was started by
  `kos run` (`KOS_APP` is set); elsewhere — `mix test`, `iex` — Logger keeps its own.
  """

  @doc false
  # A Logger console formatter: {Kos.Log, :format}.
  @spec format(Logger.level(), Logger.message(), Logger.Formatter.time(), keyword()) ::
          IO.chardata()
  def format(level, message, _time, _metadata) when level in [:debug, :info],
    do: [line(message), ?\n]

  def format(level, message, _time, _metadata),
    do: [Atom.to_string(level), ": ", line(message), ?\n]

  # A message's own trailing newlines would make empty lines (OTP's reports have them).
  defp line(message), do: message |> IO.chardata_to_string() |> String.trim_trailing()

  @doc "Makes `Logger`'s console use this format (what `Kos.Application` does under KOS)."
  @spec install() :: :ok
  def install do
    Logger.configure_backend(:console, format: {__MODULE__, :format}, metadata: [])
    :ok
  end
end
