defmodule DeviceAdmin.Application do
  @moduledoc """
  The device admin: keeps this device connected to Orbit and carries out what Orbit
  asks (ping, restart, upgrade) through `_root`.

  Configuration (its application environment, the manifest's `env` node):

    * `orbit_url` — Orbit's address (`ws://host:port`), required;
    * `device` — the device's registered name, required;
    * `key_file` — the path of its private key (PKCS#8 PEM), required;
    * `version` — the running system's version (default `"0"`);
    * `deployment_key` — the path of the deployment's public key (SPKI PEM), which
      upgrade bundles must be signed with (without it, upgrades are refused);
    * `images_dir` — where upgrade images are staged (default `$TMPDIR/kos-images`).
  """
  use Application

  @impl true
  def start(_type, _args) do
    config = {
      required(:orbit_url),
      required(:device),
      required(:key_file),
      Application.fetch_env!(:device_admin, :version),
      Application.fetch_env!(:device_admin, :deployment_key),
      Application.fetch_env!(:device_admin, :images_dir)
    }

    children = [
      # Bundle downloads and verification run here, apart from the link's process.
      {Task.Supervisor, name: DeviceAdmin.Staging},
      {DeviceAdmin.Link, config}
    ]

    Supervisor.start_link(children, strategy: :one_for_one)
  end

  defp required(key) do
    case Application.get_env(:device_admin, key) do
      value when is_binary(value) and value != "" ->
        value

      other ->
        raise ArgumentError,
              "device_admin needs `#{key}` (a string) in its env node, got #{inspect(other)}"
    end
  end
end
