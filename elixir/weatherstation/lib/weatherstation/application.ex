defmodule Weatherstation.Application do
  @moduledoc """
  The weatherstation: reads a BME280 through the KOS I2C server every few seconds and
  publishes the readings. Configuration (its application environment, the manifest's
  `env` node): `interval_ms` (default 5000) and the sensor's `address` (default 0x76).
  """
  use Application

  @impl true
  def start(_type, _args) do
    interval = Application.fetch_env!(:weatherstation, :interval_ms)
    address = Application.fetch_env!(:weatherstation, :address)

    unless is_integer(interval) and interval > 0 and address in 0..0x7F do
      raise ArgumentError,
            "weatherstation env: interval_ms > 0 and address in 0..0x7F, got #{inspect({interval, address})}"
    end

    children = [
      {Weatherstation.Station, interval: interval, address: address},
      Weatherstation.Publisher
    ]

    Supervisor.start_link(children, strategy: :one_for_one, name: Weatherstation.Supervisor)
  end
end
