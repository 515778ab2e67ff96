defmodule DeviceAdmin.MixProject do
  use Mix.Project

  def project do
    [
      app: :device_admin,
      version: "0.1.0",
      elixir: "~> 1.14",
      start_permanent: true,
      deps: [{:kos, path: "../kos"}]
    ]
  end

  def application do
    [
      mod: {DeviceAdmin.Application, []},
      extra_applications: [:logger],
      env: [version: "0", deployment_key: nil, images_dir: nil]
    ]
  end
end
