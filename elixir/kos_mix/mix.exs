defmodule KosMix.MixProject do
  use Mix.Project

  # The mix tasks of KOS (`mix kos.new`, `kos.build`, `kos.run`, `kos.push`,
  # `kos.devices`), packaged as a mix archive built from this checkout:
  #
  #     cd elixir/kos_mix && mix archive.install --force
  #
  # No Hex: the archive carries the app templates of `mix-templates/` and remembers
  # where this checkout is, to find the `kos` binary and the `kos` library.
  def project do
    [
      app: :kos_mix,
      version: "0.10.0",
      elixir: "~> 1.14",
      deps: [],
      archive: [name: "kos_mix"]
    ]
  end

  def application do
    [extra_applications: [:eex]]
  end
end
