defmodule DeviceAdmin.Application do
  @moduledoc """
  The device admin: keeps this device connected to Orbit and carries out what Orbit
  asks (ping, restart, upgrade) through `_root`.

  Arguments (the manifest's `args`): Orbit's URL (`ws://host:port`), the device's
  registered name, the path of its private key (PKCS#8 PEM), and optionally the
  running system's version (default `"0"`).
  """
  use Application

  @impl true
  def start(_type, _args) do
    config =
      case Enum.map(:init.get_plain_arguments(), &List.to_string/1) do
        [url, device, key_file, version | _] ->
          {url, device, key_file, version}

        [url, device, key_file] ->
          {url, device, key_file, "0"}

        other ->
          raise ArgumentError,
                "device_admin args: URL DEVICE KEY_FILE [VERSION], got #{inspect(other)}"
      end

    Supervisor.start_link([{DeviceAdmin.Link, config}], strategy: :one_for_one)
  end
end
