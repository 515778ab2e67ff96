defmodule KosMix.Services do
  @moduledoc """
  The protocols KOS itself serves, and which system app serves each.

  An app's `kos.exs` lists the protocols it uses; `mix kos.build` adds the system app
  that serves each one to the system manifest (`_root` needs no app of its own). A
  system app's manifest entry is not written here: it is the checkout's
  `systems/services/<server>.dtsi`, which `systems/demo.dts` includes too, and the
  generated `system.dts` carries a copy of it.
  """

  @services %{
    "kos_rng_protocol" => %{server: "rng_server", what: "random bytes (Kos.Rng)"},
    "kos_i2c_protocol" => %{
      server: "i2c_server",
      what: "I2C through the I2C server (Kos.I2C; simulated bus with a BME280 at 0x76)"
    },
    "kos_can_protocol" => %{
      server: "can_server",
      what: "CAN through the CAN server (Kos.CAN; simulated bus with an engine ECU)"
    },
    "kos_root_protocol" => %{
      server: "_root",
      what: "restart apps, system status, upgrades (Kos.Root)"
    }
  }

  @doc "The protocols KOS serves, sorted."
  @spec known() :: [String.t()]
  def known, do: @services |> Map.keys() |> Enum.sort()

  @doc "The service of a protocol, or `nil`."
  @spec fetch(String.t()) :: map() | nil
  def fetch(protocol), do: Map.get(@services, protocol)

  @doc "One line per protocol, for error messages and help."
  @spec describe() :: String.t()
  def describe do
    Enum.map_join(known(), "\n", fn p -> "  #{p} — #{@services[p].what}" end)
  end

  @doc """
  The manifest fragment of the system app `server` (`rng_server`, `device_admin`, …)
  from the checkout at `root`, or `nil` for `_root`, which is built in.
  """
  @spec include!(Path.t(), String.t()) :: String.t() | nil
  def include!(_root, "_root"), do: nil

  def include!(root, server) do
    path = Path.join([root, "systems", "services", server <> ".dtsi"])

    case File.read(path) do
      {:ok, text} ->
        text

      {:error, reason} ->
        Mix.raise("#{path}: #{:file.format_error(reason)} (is #{root} a whole KOS checkout?)")
    end
  end

  @doc "The kind of a system app's entry: `:native`, `:beam`, or `nil` for `_root`."
  @spec kind(Path.t(), String.t()) :: :native | :beam | nil
  def kind(root, server) do
    case include!(root, server) do
      nil -> nil
      text -> if text =~ ~s(kind = "native"), do: :native, else: :beam
    end
  end
end
