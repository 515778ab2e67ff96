defmodule Kos.Rng do
  @moduledoc """
  Random bytes from the KOS RNG server (`kos_rng_protocol`): a ChaCha20 CSPRNG with
  fast key erasure. The VM keeps a generator keyed by the server and re-keys after
  16 MiB or 1 s, so requests cost no message at all between re-keys.
  """

  @doc """
  Returns `n` random bytes.

      iex> {:ok, bytes} = Kos.Rng.bytes(16)
      iex> byte_size(bytes)
      16

  Returns `{:error, reason}` (see `Kos`) when the RNG server cannot be used, and raises
  `ArgumentError` unless `n` is a non-negative integer.
  """
  @spec bytes(non_neg_integer()) :: {:ok, binary()} | {:error, atom()}
  def bytes(n) when is_integer(n) and n >= 0 do
    # Most requests are served by the VM's own generator on this scheduler; only a
    # re-key (or a large request) goes to a dirty scheduler, where waiting is allowed.
    case Kos.Native.rng_bytes_fast(n) do
      {:ok, _} = ok -> ok
      :slow -> Kos.Native.rng_bytes(n)
    end
  end

  def bytes(n), do: raise(ArgumentError, "expected a non-negative integer, got: #{inspect(n)}")
end
