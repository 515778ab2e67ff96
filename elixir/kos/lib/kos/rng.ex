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
  def bytes(n) when is_integer(n) and n >= 0, do: fill(n, 2)

  def bytes(n), do: raise(ArgumentError, "expected a non-negative integer, got: #{inspect(n)}")

  # Most requests are served by the VM's own generator on this scheduler. A spent key
  # is replaced by a call whose reply the NIF installs (nothing waits but this
  # process); a request too large for a normal scheduler is filled on a dirty CPU one.
  defp fill(n, rekeys_left) do
    case Kos.Native.rng_bytes_fast(n) do
      {:ok, _} = ok ->
        ok

      :rekey when rekeys_left > 0 ->
        with :ok <- rekey(), do: fill(n, rekeys_left - 1)

      {:error, _} = error ->
        error

      # Too large, busy (another process fills now), or re-keyed twice and the key
      # already spent again by others: the dirty CPU fill always makes progress.
      _ ->
        large(n, [])
    end
  end

  defp large(n, parts) do
    case Kos.Native.rng_bytes_large(n) do
      {:ok, bytes} ->
        {:ok, IO.iodata_to_binary(Enum.reverse([bytes | parts]))}

      {:more, bytes} ->
        with :ok <- rekey(), do: large(n - byte_size(bytes), [bytes | parts])

      {:error, _} = error ->
        error
    end
  end

  @rekey_timeout 5_000

  defp rekey(connects_left \\ 1) do
    ref = make_ref()

    case Kos.Native.rng_rekey_start(ref) do
      {:ok, id} ->
        receive do
          {:kos_reply, ^ref, result} -> keyed(result)
        after
          @rekey_timeout ->
            Kos.Native.rng_rekey_cancel(id)

            receive do
              {:kos_reply, ^ref, result} -> keyed(result)
            after
              0 -> {:error, :timeout}
            end
        end

      {:error, :not_connected} when connects_left > 0 ->
        with :ok <- Kos.Native.rng_connect(), do: rekey(connects_left - 1)

      {:error, _} = error ->
        keyed(error)
    end
  end

  # A closed token means the RNG server restarted: the next request connects anew.
  defp keyed({:error, :closed} = closed) do
    Kos.Native.rng_forget()
    closed
  end

  defp keyed(result), do: result
end
