defmodule WeatherProtocol do
  @moduledoc """
  `weather_protocol`: the latest reading of a weather station, as one app serves it
  and others read it over `Kos.Msg`. The station (`weatherstation`) and every reader
  (`kos_demo`'s display) use this module, so the layout is written once.

  A call with label `1` (`LATEST`) and no payload is answered with status 0 and
  `<<centi_celsius::signed-little-32, pascal::little-32, permille_rh::little-32,
  age_ms::little-32>>`, with status 1 before the first reading, and with status 2
  for any other label.
  """

  @protocol "weather_protocol"
  @latest 1
  @ok 0
  @no_reading 1
  @unknown_operation 2

  @typedoc "A reading: °C, hPa, %RH, and how old it is in ms."
  @type reading :: %{
          temperature_c: float(),
          pressure_hpa: float(),
          humidity_rh: float(),
          age_ms: non_neg_integer()
        }

  @doc "The protocol name, as written in `dir_access_control`."
  @spec name() :: String.t()
  def name, do: @protocol

  @doc "The label of the one call."
  @spec latest() :: pos_integer()
  def latest, do: @latest

  @doc """
  The reply to a call: `{status, payload}` for `reading` (`nil` before the first one),
  taken `age_ms` ago, or for a label other than `LATEST`.
  """
  @spec reply(non_neg_integer(), map() | nil, non_neg_integer()) ::
          {non_neg_integer(), binary()}
  def reply(@latest, nil, _age_ms), do: {@no_reading, ""}

  def reply(@latest, r, age_ms),
    do:
      {@ok,
       <<round(r.temperature_c * 100)::signed-little-32, round(r.pressure_hpa * 100)::little-32,
         round(r.humidity_rh * 10)::little-32, min(age_ms, 0xFFFFFFFF)::little-32>>}

  def reply(_label, _reading, _age_ms), do: {@unknown_operation, ""}

  @doc """
  Reads a reply: `{:ok, reading}`, `{:error, :no_reading}`, or `{:error, :bad_reply}`
  for anything else.
  """
  @spec decode(non_neg_integer(), binary()) :: {:ok, reading()} | {:error, atom()}
  def decode(
        @ok,
        <<centi::signed-little-32, pa::little-32, permille::little-32, age::little-32>>
      ),
      do:
        {:ok,
         %{
           temperature_c: centi / 100,
           pressure_hpa: pa / 100,
           humidity_rh: permille / 10,
           age_ms: age
         }}

  def decode(@no_reading, _), do: {:error, :no_reading}
  def decode(_status, _payload), do: {:error, :bad_reply}
end
