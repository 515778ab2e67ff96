defmodule CanExample.MixProject do
  use Mix.Project

  def project do
    [
      app: :can_example,
      version: "0.1.0",
      elixir: "~> 1.14",
      start_permanent: true,
      deps: [{:kos, path: "../kos"}],
      # The app itself needs a KOS system; its unit tests do not.
      aliases: [test: "test --no-start"]
    ]
  end

  def application do
    [
      mod: {CanExample.Application, []},
      extra_applications: [:logger],
      env: [interval_ms: 2_000]
    ]
  end
end
