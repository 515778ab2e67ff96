defmodule HogApp.MixProject do
  use Mix.Project

  def project do
    [app: :hog_app, version: "0.1.0", elixir: "~> 1.14", start_permanent: true, deps: []]
  end

  def application do
    [mod: {HogApp.Application, []}, extra_applications: [:logger]]
  end
end
