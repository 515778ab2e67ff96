defmodule Kos.I2C do
  @moduledoc """
  I2C through the KOS I2C server (`kos_i2c_protocol`).

  The server owns the bus (the BeagleBone Black's controller, Linux's `i2c-dev`, or a
  simulated bus with sensor models, as the manifest's `i2c_bus` node selects) and
  runs each call as one bus transaction, so transactions from different apps never
  interleave. An app may use only the addresses its manifest entry lists in
  `i2c_addresses`; any other is refused before it reaches the bus.

      {:ok, bus} = Kos.I2C.open()
      {:ok, <<0x60>>} = Kos.I2C.write_read(bus, 0x76, <<0xD0>>, 1)
      :ok = Kos.I2C.write(bus, 0x76, <<0xF4, 0x25>>)

  Bus faults are values: `{:error, reason}` with `reason` one of `:nack_address` (no
  device answered its address: absent or unplugged), `:nack_data` (the device refused
  a byte), `:arbitration_lost`, `:bus_busy`, `:bus_timeout` (a device held the clock),
  `:bus_error`, `:not_permitted` (not among this app's `i2c_addresses`),
  `:bad_request`; or an error of `Kos.Msg.call/4` (`:timeout`, `:closed`, `:busy`,
  `:not_granted`, …).
  """

  import Bitwise

  @protocol "kos_i2c_protocol"
  @features 1
  @write 2
  @read 3
  @write_read 4
  @transaction 5
  @max_transfer 4096
  @max_operations 16

  @statuses %{
    1 => :nack_address,
    2 => :nack_data,
    3 => :arbitration_lost,
    4 => :bus_busy,
    5 => :bus_timeout,
    6 => :bus_error,
    7 => :not_permitted,
    8 => :bad_request,
    9 => :unknown_operation
  }

  @typedoc "A connection to the I2C server."
  @opaque bus :: Kos.Msg.token()
  @type address :: 0..0x7F
  @type reason :: atom()

  @doc "Connects to the I2C server (`opts` as for `Kos.Msg.connect/2`)."
  @spec open(keyword()) :: {:ok, bus()} | {:error, reason()}
  def open(opts \\ []), do: Kos.Msg.connect(@protocol, opts)

  @doc """
  What the server's bus offers: `%{speed_hz: 100_000, max_transfer: 4096, backend: "sim"}`.
  """
  @spec features(bus()) :: {:ok, map()} | {:error, reason()}
  def features(bus) do
    with {:ok, payload} <- call(bus, {@features, 0, ""}) do
      case decode_features(payload) do
        {:ok, features} -> {:ok, features}
        :error -> {:error, :bad_reply}
      end
    end
  end

  @doc "Writes `data` to the device at `address` (START, address, bytes, STOP)."
  @spec write(bus(), address(), binary(), keyword()) :: :ok | {:error, reason()}
  def write(bus, address, data, opts \\ []) when is_binary(data) do
    case call(bus, encode_call({:write, address, data}), opts) do
      {:ok, _} -> :ok
      error -> error
    end
  end

  @doc "Reads `count` bytes from the device at `address`."
  @spec read(bus(), address(), pos_integer(), keyword()) :: {:ok, binary()} | {:error, reason()}
  def read(bus, address, count, opts \\ []),
    do: call(bus, encode_call({:read, address, count}), opts)

  @doc """
  Writes `data`, then — after a repeated START, with no STOP between — reads `count`
  bytes: the usual way to read a device's registers (`data` is the register number).
  """
  @spec write_read(bus(), address(), binary(), pos_integer(), keyword()) ::
          {:ok, binary()} | {:error, reason()}
  def write_read(bus, address, data, count, opts \\ []) when is_binary(data),
    do: call(bus, encode_call({:write_read, address, data, count}), opts)

  @doc """
  Runs `operations` — `{:write, binary}` and `{:read, count}`, each of 1 to 4096 bytes,
  at most 16 of them — as one transaction with repeated STARTs between them; returns
  the bytes read, concatenated.
  """
  @spec transaction(bus(), address(), [{:write, binary()} | {:read, pos_integer()}], keyword()) ::
          {:ok, binary()} | {:error, reason()}
  def transaction(bus, address, operations, opts \\ []) when is_list(operations),
    do: call(bus, encode_call({:transaction, address, operations}), opts)

  @doc false
  # The label, param and payload of a call, checked as the server will check them:
  # the one encoder, tested against `kos_i2c::protocol`'s vectors.
  @spec encode_call(tuple()) :: {pos_integer(), non_neg_integer(), binary()}
  def encode_call({:write, address, data}) when is_binary(data) do
    check_address!(address)
    check_size!(byte_size(data), 0)
    {@write, address, data}
  end

  def encode_call({:read, address, count}) do
    check_address!(address)
    check_size!(count, 1)
    {@read, address + (count <<< 16), ""}
  end

  def encode_call({:write_read, address, data, count}) when is_binary(data) do
    check_address!(address)
    # The register to read from, at least: a read alone is `read/4`.
    check_size!(byte_size(data), 1)
    check_size!(count, 1)
    {@write_read, address + (count <<< 16), data}
  end

  def encode_call({:transaction, address, operations}) when is_list(operations) do
    check_address!(address)

    if length(operations) not in 1..@max_operations do
      raise ArgumentError, "a transaction has 1..#{@max_operations} operations"
    end

    payload =
      for op <- operations, into: <<>> do
        case op do
          {:write, data} when is_binary(data) and byte_size(data) in 1..@max_transfer ->
            <<0, byte_size(data)::little-16, data::binary>>

          {:read, n} when is_integer(n) and n in 1..@max_transfer ->
            <<1, n::little-16>>

          other ->
            raise ArgumentError, "not an I2C operation: #{inspect(other)}"
        end
      end

    check_size!(byte_size(payload), 0)
    {@transaction, address, payload}
  end

  @doc false
  # The FEATURES reply's payload as a map, or `:error`.
  @spec decode_features(binary()) :: {:ok, map()} | :error
  def decode_features(<<speed::little-32, max::little-16, backend::binary>>),
    do: {:ok, %{speed_hz: speed, max_transfer: max, backend: backend}}

  def decode_features(_), do: :error

  @doc false
  # The constants the vectors check: labels, failure statuses and limits.
  def __protocol__(:labels),
    do: %{
      features: @features,
      write: @write,
      read: @read,
      write_read: @write_read,
      transaction: @transaction
    }

  def __protocol__(:statuses), do: @statuses

  def __protocol__(:limits),
    do: %{max_transfer: @max_transfer, max_operations: @max_operations, max_address: 0x7F}

  def __protocol__(:name), do: @protocol

  defp call(bus, {label, param, payload}, opts \\ []) do
    case Kos.Msg.call(bus, label, payload, Keyword.put(opts, :param, param)) do
      {:ok, {0, _param, reply}} -> {:ok, reply}
      {:ok, {status, _param, _}} -> {:error, Map.get(@statuses, status, :bus_error)}
      {:error, _} = error -> error
    end
  end

  defp check_address!(a) when is_integer(a) and a in 0..0x7F, do: :ok
  defp check_address!(a), do: raise(ArgumentError, "not a 7-bit I2C address: #{inspect(a)}")

  defp check_size!(n, min) when is_integer(n) and n >= min and n <= @max_transfer, do: :ok

  defp check_size!(n, min),
    do: raise(ArgumentError, "size #{inspect(n)} is outside #{min}..#{@max_transfer}")
end
