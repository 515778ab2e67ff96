defmodule CanExample.OBD do
  @moduledoc """
  The frames `can_example` speaks: OBD-II mode 01 (SAE J1979) requests and replies,
  and the simulated ECU's engine broadcast (0x0C0: rpm in ¼ rpm big-endian, coolant
  °C + 40, speed km/h, …, a rolling counter).
  """

  alias Kos.CAN.Frame

  @request_id 0x7DF
  @reply_id 0x7E8
  @broadcast_id 0x0C0
  @pid_rpm 0x0C

  @doc "The functional (broadcast) OBD-II request id."
  @spec request_id() :: non_neg_integer()
  def request_id, do: @request_id
  @doc "The engine ECU's OBD-II reply id."
  @spec reply_id() :: non_neg_integer()
  def reply_id, do: @reply_id
  @doc "The id of the ECU's engine broadcast."
  @spec broadcast_id() :: non_neg_integer()
  def broadcast_id, do: @broadcast_id

  @doc "An OBD-II request for the engine speed (mode 01, PID 0x0C), padded to 8 bytes."
  @spec rpm_request() :: Frame.t()
  def rpm_request, do: %Frame{id: @request_id, data: <<2, 0x01, @pid_rpm, 0, 0, 0, 0, 0>>}

  @doc "The engine speed in an OBD-II reply, or `:error`."
  @spec rpm_reply(Frame.t()) :: {:ok, float()} | :error
  def rpm_reply(%Frame{id: @reply_id, data: <<len, 0x41, @pid_rpm, a, b, _::binary>>})
      when len >= 4,
      do: {:ok, (a * 256 + b) / 4}

  def rpm_reply(_), do: :error

  @doc "The ECU's broadcast as a map, or `:error`."
  @spec broadcast(Frame.t()) :: {:ok, map()} | :error
  def broadcast(%Frame{id: @broadcast_id, data: <<rpm4::16, coolant, speed, _::24, counter>>}),
    do: {:ok, %{rpm: rpm4 / 4, coolant_c: coolant - 40, speed_kmh: speed, counter: counter}}

  def broadcast(_), do: :error
end
