defmodule DeviceAdmin.Application do
  @moduledoc """
  The device admin: keeps this device connected to Orbit and carries out what Orbit
  asks (ping, restart, upgrade) through `_root`.

  Arguments (the manifest's `args`): Orbit's URL (`ws://host:port`), the device's
  registered name, the path of its private key (PKCS#8 PEM), and optionally the
  running system's version (default `"0"`), the path of the deployment's public key
  (SPKI PEM), which upgrade bundles must be signed with (without it, upgrades are
  refused), and the directory where upgrade images are staged (default
  `$TMPDIR/kos-images`).
  """
  use Application

  @impl true
  def start(_type, _args) do
    config =
      case Enum.map(:init.get_plain_arguments(), &List.to_string/1) do
        [url, device, key_file, version, trusted, images | _] ->
          {url, device, key_file, version, trusted, images}

        [url, device, key_file, version, trusted] ->
          {url, device, key_file, version, trusted, nil}

        [url, device, key_file, version] ->
          {url, device, key_file, version, nil, nil}

        [url, device, key_file] ->
          {url, device, key_file, "0", nil, nil}

        other ->
          raise ArgumentError,
                "device_admin args: URL DEVICE KEY_FILE [VERSION [DEPLOYMENT_KEY [IMAGES_DIR]]], got #{inspect(other)}"
      end

    children = [
      # Bundle downloads and verification run here, apart from the link's process.
      {Task.Supervisor, name: DeviceAdmin.Staging},
      {DeviceAdmin.Link, config}
    ]

    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
