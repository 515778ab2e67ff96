defmodule Kos.MixProject do
  use Mix.Project

  def project do
    [app: :kos, version: "0.10.0", elixir: "~> 1.14", deps: []]
  end

  def application do
    [mod: {Kos.Application, []}, extra_applications: [:logger]]
  end
end
