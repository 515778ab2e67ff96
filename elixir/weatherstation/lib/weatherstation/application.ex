defmodule Weatherstation.Application do
  @moduledoc """
  The weatherstation: reads a BME280 through the KOS I2C server every few seconds and
  publishes the readings. Arguments: the interval in ms (default 5000) and the
  sensor's address (default 0x76, written as `0x76` or `118`).
  """
  use Application

  @impl true
  def start(_type, _args) do
    {interval, address} = arguments(Enum.map(:init.get_plain_arguments(), &List.to_string/1))

    children = [
      {Weatherstation.Station, interval: interval, address: address},
      Weatherstation.Publisher
    ]

    Supervisor.start_link(children, strategy: :one_for_one, name: Weatherstation.Supervisor)
  end

  # On KOS the plain arguments are the manifest's `args`; under `mix` they are mix's
  # own, which are not numbers, so the defaults apply.
  defp arguments(args) do
    case Enum.map(args, &number/1) do
      [ms, addr | _] when is_integer(ms) and addr in 0..0x7F -> {ms, addr}
      [ms | _] when is_integer(ms) and ms > 0 -> {ms, 0x76}
      _ -> {5_000, 0x76}
    end
  end

  defp number("0x" <> hex), do: parse(Integer.parse(hex, 16))
  defp number(decimal), do: parse(Integer.parse(decimal))
  defp parse({n, ""}), do: n
  defp parse(_), do: nil
end
