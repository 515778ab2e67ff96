defmodule Kos.Native do
  @moduledoc """
  The KOS NIF library (`libkos_nif.so`, built by cargo from `nifs/kos_nif`).

  Loaded when this module loads, from the directory in `KOS_NIF_DIR` (set by `kos run`
  for every BEAM app) or else this application's `priv` directory. Every function here
  is a stub the NIF library replaces; use `Kos.Rng` and `Kos.Root` instead.
  """
  @on_load :load_nif

  @doc false
  def load_nif do
    {dir, under_kos?} =
      case System.get_env("KOS_NIF_DIR") do
        nil -> {to_string(:code.priv_dir(:kos)), false}
        dir -> {dir, true}
      end

    case :erlang.load_nif(String.to_charlist(Path.join(dir, "libkos_nif")), 0) do
      :ok ->
        :ok

      # Outside KOS (compiling, docs) the stubs stay; under KOS a missing library is news.
      {:error, {reason, text}} ->
        if under_kos?,
          do:
            IO.puts(:stderr, "warning: KOS NIF library not loaded from #{dir}: #{reason} #{text}")

        :ok
    end
  end

  @doc false
  def rng_bytes_fast(_n), do: :erlang.nif_error(:nif_not_loaded)
  @doc false
  def rng_bytes_large(_n), do: :erlang.nif_error(:nif_not_loaded)
  @doc false
  def rng_rekey_start(_tag), do: :erlang.nif_error(:nif_not_loaded)
  @doc false
  def rng_rekey_cancel(_id), do: :erlang.nif_error(:nif_not_loaded)
  @doc false
  def rng_connect, do: :erlang.nif_error(:nif_not_loaded)
  @doc false
  def rng_forget, do: :erlang.nif_error(:nif_not_loaded)
  @doc false
  def root_token, do: :erlang.nif_error(:nif_not_loaded)
  @doc false
  def root_forget(_token), do: :erlang.nif_error(:nif_not_loaded)
  @doc false
  def root_encode(_op), do: :erlang.nif_error(:nif_not_loaded)
  @doc false
  def root_decode(_op, _label, _param, _payload), do: :erlang.nif_error(:nif_not_loaded)
  @doc false
  def msg_connect(_server, _protocol, _timeout_ms), do: :erlang.nif_error(:nif_not_loaded)
  @doc false
  def msg_call_start(_token, _tag, _label, _param, _payload),
    do: :erlang.nif_error(:nif_not_loaded)

  @doc false
  def msg_call_cancel(_token, _id), do: :erlang.nif_error(:nif_not_loaded)

  @doc false
  def msg_send(_token, _label, _param, _payload), do: :erlang.nif_error(:nif_not_loaded)
  @doc false
  def msg_reply(_responder, _label, _param, _payload), do: :erlang.nif_error(:nif_not_loaded)
  @doc false
  def msg_serve(_server, _protocol), do: :erlang.nif_error(:nif_not_loaded)

  @doc false
  def orbit_start(_url, _device, _key_pem, _version, _reports),
    do: :erlang.nif_error(:nif_not_loaded)

  @doc false
  def orbit_result(_conn, _id, _ok, _detail), do: :erlang.nif_error(:nif_not_loaded)
  @doc false
  def orbit_stage(_conn, _url, _sha256, _size, _version, _trusted_pem, _images),
    do: :erlang.nif_error(:nif_not_loaded)

  @doc false
  def orbit_report(_conn, _id, _ok, _detail), do: :erlang.nif_error(:nif_not_loaded)

  @doc false
  def orbit_tidy_images(_images, _running), do: :erlang.nif_error(:nif_not_loaded)

  @doc false
  def orbit_stop(_conn), do: :erlang.nif_error(:nif_not_loaded)
end
