defmodule WeatherProtocol.MixProject do
  use Mix.Project

  def project do
    [
      app: :weather_protocol,
      version: "0.1.0",
      elixir: "~> 1.14",
      deps: []
    ]
  end

  def application, do: []
end
