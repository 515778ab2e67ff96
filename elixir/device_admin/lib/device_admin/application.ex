defmodule DeviceAdmin.Application do
  @moduledoc """
  The device admin: keeps this device connected to Orbit and carries out what Orbit
  asks (ping, restart, upgrade) through `_root`.

  Arguments (the manifest's `args`): Orbit's URL (`ws://host:port`), the device's
  registered name, the path of its private key (PKCS#8 PEM), and optionally the
  running system's version (default `"0"`) and the path of the deployment's public
  key (SPKI PEM), which upgrade bundles must be signed with (without it, upgrades are
  refused).
  """
  use Application

  @impl true
  def start(_type, _args) do
    config =
      case Enum.map(:init.get_plain_arguments(), &List.to_string/1) do
        [url, device, key_file, version, trusted | _] ->
          {url, device, key_file, version, trusted}

        [url, device, key_file, version] ->
          {url, device, key_file, version, nil}

        [url, device, key_file] ->
          {url, device, key_file, "0", nil}

        other ->
          raise ArgumentError,
                "device_admin args: URL DEVICE KEY_FILE [VERSION [DEPLOYMENT_KEY]], got #{inspect(other)}"
      end

    Supervisor.start_link([{DeviceAdmin.Link, config}], strategy: :one_for_one)
  end
end
