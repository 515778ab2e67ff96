defmodule Kos.CAN do
  @moduledoc """
  CAN through the KOS CAN server (`kos_can_protocol`).

  The server multiplexes one controller (the BeagleBone Black's D_CAN, a SocketCAN
  interface, or a simulated bus shared with simulated nodes, as the manifest's
  `can_bus` node selects) over its clients. Each client has its own acceptance
  filters, send queue and receive queue; frames one client sends reach the others
  whose filters accept them, as on SocketCAN.

      {:ok, can} = Kos.CAN.open()
      {:ok, _receiver} = Kos.CAN.subscribe(can, [{0x0C0, 0x7FF}])
      :ok = Kos.CAN.send(can, %Kos.CAN.Frame{id: 0x7DF, data: <<2, 1, 0x0C, 0, 0, 0, 0, 0>>})

      receive do
        {:kos_can, :frame, %Kos.CAN.Frame{id: 0x0C0, data: data}} -> data
        {:kos_can, :bus_event, %{state: :bus_off}} -> :bus_off
      end

  Errors are values: `{:error, reason}` with `reason` one of `{:queue_full, queued}`
  (the client's send queue filled after `queued` frames), `:bus_off` (the controller
  is off the bus; the server recovers it by itself), `:bad_request`,
  `:too_many_clients` (every slot is taken, or this app has its share of eight),
  `:superseded` (another receiver took over the connection); or an error of
  `Kos.Msg.call/4`.
  """

  import Bitwise
  import Kernel, except: [send: 2]

  defmodule Frame do
    @moduledoc """
    A CAN frame: an 11-bit (or, with `extended: true`, 29-bit) identifier, up to 8
    data bytes, or a remote frame asking for `dlc` bytes (a data frame's length is its
    data's). `timestamp_us` is when the server received it.
    """
    defstruct id: 0, extended: false, remote: false, data: <<>>, dlc: nil, timestamp_us: 0

    @type t :: %__MODULE__{
            id: non_neg_integer(),
            extended: boolean(),
            remote: boolean(),
            data: binary(),
            dlc: 0..8 | nil,
            timestamp_us: non_neg_integer()
          }
  end

  @protocol "kos_can_protocol"
  @send 1
  @set_filters 2
  @recv 3
  @status 4
  @record 24

  # Failure statuses (label 0 is success).
  @statuses %{
    1 => :queue_full,
    2 => :bus_off,
    3 => :bad_request,
    4 => :unknown_operation,
    5 => :too_many_clients,
    6 => :superseded
  }
  @max_records 170

  @typedoc "A connection to the CAN server; filters and queues belong to it."
  @opaque can :: Kos.Msg.token()

  @typedoc """
  An acceptance filter: `{id, mask}` matches standard frames whose id agrees with
  `id` on the bits set in `mask`; `{id, mask, :extended}` does the same for extended
  frames; `:all` accepts every frame.
  """
  @type filter ::
          {non_neg_integer(), non_neg_integer()}
          | {non_neg_integer(), non_neg_integer(), :extended}
          | :all

  @doc "Connects to the CAN server (`opts` as for `Kos.Msg.connect/2`)."
  @spec open(keyword()) :: {:ok, can()} | {:error, atom()}
  def open(opts \\ []), do: Kos.Msg.connect(@protocol, opts)

  @doc "Queues one frame or a list of frames for sending."
  @spec send(can(), Frame.t() | [Frame.t()]) :: :ok | {:error, term()}
  def send(can, %Frame{} = frame), do: send(can, [frame])

  def send(can, frames) when is_list(frames) and frames != [] do
    payload = for f <- frames, into: <<>>, do: encode(f)

    case Kos.Msg.call(can, @send, payload) do
      {:ok, {0, _, _}} -> :ok
      {:ok, {1, queued, _}} -> {:error, {:queue_full, queued}}
      {:ok, {status, _, _}} -> {:error, reason(status)}
      error -> error
    end
  end

  @doc "Replaces this connection's acceptance filters (at most 16; `[]` receives no frames)."
  @spec set_filters(can(), [filter()]) :: :ok | {:error, term()}
  def set_filters(can, filters) when is_list(filters) do
    payload = for f <- filters, into: <<>>, do: encode_filter(f)

    case Kos.Msg.call(can, @set_filters, payload) do
      {:ok, {0, _, _}} -> :ok
      {:ok, {status, _, _}} -> {:error, reason(status)}
      error -> error
    end
  end

  @doc """
  Sets `filters` and starts a receiver (`Kos.CAN.Receiver`, supervised by the `kos`
  application) that polls this connection and sends each record to `to` (default:
  the caller) as
  `{:kos_can, :frame, %Frame{}}` or `{:kos_can, :bus_event, event}`, where `event` is
  `%{state: :error_active | :error_passive | :bus_off, tec: n, rec: n, error: atom,
  dropped: n}` (`dropped`: frames this connection lost because it read too slowly).

  A connection has one receiver: subscribing again (say, with new filters) replaces
  the previous one, which ends. The receiver ends with `to`. When the connection is
  lost the subscriber gets `{:kos_can, :error, :closed}` and should `open/1` a new one.
  """
  @spec subscribe(can(), [filter()], pid()) :: {:ok, pid()} | {:error, term()}
  def subscribe(can, filters, to \\ self()) do
    with :ok <- set_filters(can, filters) do
      DynamicSupervisor.start_child(Kos.CAN.Receivers, {Kos.CAN.Receiver, {can, to}})
    end
  end

  @doc """
  Returns up to `max` pending records, oldest first; when none is pending the server
  holds the call until one arrives or about a second has passed (`[]`): the pull form
  of `subscribe/3`.
  """
  @spec receive_records(can(), pos_integer()) ::
          {:ok, [{:frame, Frame.t()} | {:bus_event, map()}]} | {:error, term()}
  def receive_records(can, max \\ 64) when max in 1..@max_records do
    case Kos.Msg.call(can, @recv, "", param: max, timeout: 10_000) do
      {:ok, {0, _, payload}} ->
        case decode_records(payload) do
          {:ok, records} -> {:ok, records}
          :error -> {:error, :bad_reply}
        end

      {:ok, {status, _, _}} ->
        {:error, reason(status)}

      error ->
        error
    end
  end

  @doc """
  The controller's state and counters: `%{state:, tec:, rec:, frames_sent:,
  frames_received:, bus_errors:, bus_off_events:, bitrate:}`.
  """
  @spec status(can()) :: {:ok, map()} | {:error, term()}
  def status(can) do
    case Kos.Msg.call(can, @status, "") do
      {:ok, {0, _, payload}} ->
        case decode_status(payload) do
          {:ok, report} -> {:ok, report}
          {:error, _} -> {:error, :bad_reply}
        end

      {:ok, {status, _, _}} ->
        {:error, reason(status)}

      error ->
        error
    end
  end

  @doc false
  # The STATUS reply's 40-byte report as a map.
  @spec decode_status(binary()) :: {:ok, map()} | {:error, :bad_report}
  def decode_status(
        <<state, tec, rec, _, sent::little-64, received::little-64, errors::little-64,
          bus_off::little-64, bitrate::little-32>>
      )
      when state in 0..2 do
    {:ok,
     %{
       state: state(state),
       tec: tec,
       rec: rec,
       frames_sent: sent,
       frames_received: received,
       bus_errors: errors,
       bus_off_events: bus_off,
       bitrate: bitrate
     }}
  end

  def decode_status(_), do: {:error, :bad_report}

  @doc "The 24-byte record of a frame, as `kos_can_protocol` carries it."
  @spec encode(Frame.t()) :: binary()
  def encode(%Frame{id: id, extended: ext, remote: rtr, data: data} = f)
      when is_integer(id) and is_binary(data) and byte_size(data) <= 8 do
    max_id = if ext, do: 0x1FFFFFFF, else: 0x7FF

    unless id in 0..max_id do
      raise ArgumentError,
            "CAN id #{inspect(id)} is out of range for a #{if ext, do: "29", else: "11"}-bit identifier"
    end

    # A data frame carries its data; only a remote frame asks for a length of its own.
    dlc =
      cond do
        not rtr -> byte_size(data)
        f.dlc in 0..8 -> f.dlc
        f.dlc == nil -> 0
        true -> raise ArgumentError, "a remote frame's dlc is 0..8, got: #{inspect(f.dlc)}"
      end

    flags = if(ext, do: 1 <<< 31, else: 0) ||| if(rtr, do: 1 <<< 30, else: 0)
    padded = data <> :binary.copy(<<0>>, 8 - byte_size(data))
    <<id ||| flags::little-32, dlc, 0, 0::16, padded::binary, 0::little-64>>
  end

  def encode(other), do: raise(ArgumentError, "not a CAN frame: #{inspect(other)}")

  @doc """
  Decodes one 24-byte record, refusing what `kos_can_protocol` does not allow
  (reserved bits set, an unknown kind, state or error code, a standard id above
  0x7FF, a dlc above 8) with `{:error, :bad_record}`.
  """
  @spec decode(binary()) :: {:frame, Frame.t()} | {:bus_event, map()} | {:error, :bad_record}
  def decode(<<word::little-32, dlc, 0, 0::16, data::binary-size(8), ts::little-64>>)
      when (word &&& 1 <<< 29) == 0 and dlc <= 8 do
    extended = (word &&& 1 <<< 31) != 0
    remote = (word &&& 1 <<< 30) != 0
    id = word &&& 0x1FFFFFFF

    if extended or id <= 0x7FF do
      {:frame,
       %Frame{
         id: id,
         extended: extended,
         remote: remote,
         data: if(remote, do: <<>>, else: binary_part(data, 0, dlc)),
         dlc: dlc,
         timestamp_us: ts
       }}
    else
      {:error, :bad_record}
    end
  end

  def decode(<<_::32, _dlc, 1, 0::16, state, tec, rec, error, dropped::little-32, ts::little-64>>)
      when state in 0..2 and error in 0..7 do
    {:bus_event,
     %{
       state: state(state),
       tec: tec,
       rec: rec,
       error: error(error),
       dropped: dropped,
       timestamp_us: ts
     }}
  end

  def decode(_), do: {:error, :bad_record}

  @doc false
  # Every record of a RECV reply, or `:error` if any is not one.
  @spec decode_records(binary()) :: {:ok, list()} | :error
  def decode_records(payload) when rem(byte_size(payload), @record) == 0 do
    records = for <<r::binary-size(@record) <- payload>>, do: decode(r)
    if Enum.any?(records, &match?({:error, _}, &1)), do: :error, else: {:ok, records}
  end

  def decode_records(_), do: :error

  @doc false
  # The constants the vectors check: labels, failure statuses and limits.
  def __protocol__(:labels),
    do: %{send: @send, set_filters: @set_filters, recv: @recv, status: @status}

  def __protocol__(:statuses), do: @statuses

  def __protocol__(:limits),
    do: %{record_len: @record, max_records: @max_records, filter_len: 8, max_filters: 16}

  def __protocol__(:name), do: @protocol

  @doc "The 8 bytes of an acceptance filter, as `kos_can_protocol` carries it."
  @spec encode_filter(filter()) :: binary()
  def encode_filter(:all), do: <<0::little-32, 0::little-32>>

  def encode_filter({id, mask}) when id in 0..0x7FF and mask in 0..0x7FF,
    do: <<id::little-32, mask ||| 1 <<< 31::little-32>>

  def encode_filter({id, mask, :extended}) when id in 0..0x1FFFFFFF and mask in 0..0x1FFFFFFF,
    do: <<id ||| 1 <<< 31::little-32, mask ||| 1 <<< 31::little-32>>

  def encode_filter(other), do: raise(ArgumentError, "not a CAN filter: #{inspect(other)}")

  defp state(0), do: :error_active
  defp state(1), do: :error_passive
  defp state(2), do: :bus_off

  defp error(0), do: :none
  defp error(1), do: :overrun
  defp error(2), do: :bit
  defp error(3), do: :stuff
  defp error(4), do: :crc
  defp error(5), do: :form
  defp error(6), do: :ack
  defp error(7), do: :other

  defp reason(status), do: Map.get(@statuses, status, :can_error)
end
