defmodule CrashApp.MixProject do
  use Mix.Project

  def project do
    [app: :crash_app, version: "0.1.0", elixir: "~> 1.14", start_permanent: true, deps: []]
  end

  def application do
    [mod: {CrashApp.Application, []}, extra_applications: [:logger], env: [delay_ms: 300]]
  end
end
