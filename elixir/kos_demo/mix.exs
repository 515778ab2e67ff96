defmodule KosDemo.MixProject do
  use Mix.Project

  def project do
    [
      app: :kos_demo,
      version: "0.1.0",
      elixir: "~> 1.14",
      start_permanent: true,
      deps: [{:kos, path: "../kos"}, {:weather_protocol, path: "../weather_protocol"}]
    ]
  end

  def application do
    [
      mod: {KosDemo.Application, []},
      extra_applications: [:crypto, :logger],
      env: [mode: "sample", interval_ms: 3_000, calls: 20_000, seconds: 3]
    ]
  end
end
