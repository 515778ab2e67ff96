defmodule IdleApp.MixProject do
  use Mix.Project

  def project do
    [app: :idle_app, version: "0.1.0", elixir: "~> 1.14", start_permanent: true, deps: []]
  end

  def application do
    [mod: {IdleApp.Application, []}, extra_applications: [:logger], env: [interval_ms: 5_000]]
  end
end
