defmodule Kos.Native do
  @moduledoc """
  The KOS NIF library (`libkos_nif.so`, built by cargo from `nifs/kos_nif`).

  Loaded when this module loads, from the directory in `KOS_NIF_DIR` (set by `kos run`
  for every BEAM app) or else this application's `priv` directory. Every function here
  is a stub the NIF library replaces; use `Kos.Rng` and `Kos.Root` instead.

  Outside a KOS system (`mix test`, `iex -S mix` on the host) the library is not
  loaded and the stubs answer as the library would there: `{:error, :not_kos}`, and
  `:ok` for what only releases something. So an app's host tests and IEx run its code
  with no crash, and code under test sees the documented error.
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
  def rng_bytes_fast(_n), do: {:error, :not_kos}
  @doc false
  def rng_bytes_large(_n), do: {:error, :not_kos}
  @doc false
  def rng_rekey_start(_tag), do: {:error, :not_kos}
  @doc false
  def rng_rekey_cancel(_id), do: :ok
  @doc false
  def rng_connect, do: {:error, :not_kos}
  @doc false
  def rng_forget, do: :ok
  @doc false
  def root_token, do: {:error, :not_kos}
  @doc false
  def root_forget(_token), do: :ok
  @doc false
  def root_encode(_op), do: {:error, :not_kos}
  @doc false
  def root_decode(_op, _label, _param, _payload), do: {:error, :not_kos}
  @doc false
  def msg_connect(_server, _protocol, _timeout_ms), do: {:error, :not_kos}
  @doc false
  def msg_call_start(_token, _tag, _label, _param, _payload),
    do: {:error, :not_kos}

  @doc false
  def msg_call_cancel(_token, _id), do: :ok

  @doc false
  def msg_send(_token, _label, _param, _payload), do: {:error, :not_kos}
  @doc false
  def msg_reply(_responder, _label, _param, _payload), do: {:error, :not_kos}
  @doc false
  def msg_serve(_server, _protocol), do: {:error, :not_kos}

  @doc false
  def orbit_start(_url, _device, _key_pem, _version, _reports, _journal),
    do: {:error, :not_kos}

  @doc false
  def orbit_result(_conn, _id, _ok, _detail), do: {:error, :not_kos}
  @doc false
  def orbit_stage(_conn, _url, _sha256, _size, _version, _trusted_pem, _images, _running),
    do: {:error, :not_kos}

  @doc false
  def orbit_report(_conn, _id, _ok, _detail), do: {:error, :not_kos}

  @doc false
  def orbit_tidy_images(_images, _running), do: {:error, :not_kos}

  @doc false
  def orbit_stop(_conn), do: :ok
end
