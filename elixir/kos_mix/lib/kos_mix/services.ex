defmodule KosMix.Services do
  @moduledoc """
  The protocols KOS itself serves, and which system app serves each.

  An app's `kos.exs` lists the protocols it uses; `mix kos.build` adds the system app
  that serves each one to the system manifest (`_root` needs no app of its own).
  """

  @services %{
    "kos_rng_protocol" => %{
      server: "rng_server",
      entry: ~s(kind = "native"; binary = "rng_server"; msg_servers = "main"; heap_kib = <256>;),
      what: "random bytes (Kos.Rng)"
    },
    "kos_i2c_protocol" => %{
      server: "i2c_server",
      entry:
        ~s(kind = "native"; binary = "i2c_server"; msg_servers = "main"; heap_kib = <512>; i2c_bus { backend = "sim"; };),
      what: "I2C through the I2C server (Kos.I2C; simulated bus with a BME280 at 0x76)"
    },
    "kos_can_protocol" => %{
      server: "can_server",
      entry:
        ~s(kind = "native"; binary = "can_server"; msg_servers = "main"; heap_kib = <1024>; can_bus { backend = "sim"; };),
      what: "CAN through the CAN server (Kos.CAN; simulated bus with an engine ECU)"
    },
    "kos_root_protocol" => %{
      server: "_root",
      entry: nil,
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
end
