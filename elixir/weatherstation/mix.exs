defmodule Weatherstation.MixProject do
  use Mix.Project

  def project do
    [
      app: :weatherstation,
      version: "0.1.0",
      elixir: "~> 1.14",
      start_permanent: true,
      deps: [{:kos, path: "../kos"}, {:weather_protocol, path: "../weather_protocol"}],
      # The app itself needs a KOS system; its unit tests do not.
      aliases: [test: "test --no-start"]
    ]
  end

  def application do
    [
      mod: {Weatherstation.Application, []},
      extra_applications: [:logger],
      env: [interval_ms: 5_000, address: 0x76]
    ]
  end
end
