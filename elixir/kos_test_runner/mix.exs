defmodule KosTestRunner.MixProject do
  use Mix.Project

  def project do
    [
      app: :kos_test_runner,
      version: "0.1.0",
      elixir: "~> 1.14",
      start_permanent: true,
      deps: [{:kos, path: "../kos"}]
    ]
  end

  def application do
    [mod: {KosTestRunner, []}, extra_applications: [:ex_unit], env: [dir: nil]]
  end
end
