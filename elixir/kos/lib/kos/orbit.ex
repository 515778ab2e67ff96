defmodule Kos.Orbit do
  @moduledoc """
  The device's connection to Orbit, the KOS fleet service.

  `connect/4` starts a WebSocket to Orbit that lives in the KOS NIF library (driven by
  `tokio-tungstenite` on a thread of its own): it authenticates with the device's
  Ed25519 key by challenge–response, and reconnects with backoff and jitter whenever
  the link drops. The calling process becomes its owner and receives:

    * `{:orbit_event, text}` — connected, disconnected (with why), refused, a command
      refused for breaking the protocol's rules (it never reaches the owner);
    * `{:orbit_command, id, command}` — `command` is `:ping`, `:restart` or
      `{:upgrade, %{url: url, sha256: hex, size: bytes, version: version}}`; answer
      every one with `result/4` (within two minutes, or Orbit records a failure);
    * `{:orbit_result_sent, id}` — the answer to `id` is on its way to Orbit; act on
      a restart only now, or it could take the answer down with it.

  The connection ends when the owner dies or `stop/1` is called.

      {:ok, conn} = Kos.Orbit.connect("ws://127.0.0.1:4000", "dev1", File.read!("dev1.pem"), "1.0.0")
      receive do
        {:orbit_command, id, :ping} -> Kos.Orbit.result(conn, id, :ok, "pong")
      end
  """

  @typedoc "An Orbit connection (a NIF resource)."
  @opaque conn :: reference()

  @doc """
  Connects to Orbit at `url` (`ws://host:port`) as `device`, whose private key is
  `key_pem` (PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes), reporting
  `version` as the running system's. Returns at once; the connection follows.

  `opts[:reports]` lists results `{id, :ok | :error, detail}` to send as soon as the
  connection is up: the outcome of a command that outlived the previous connection
  (an upgrade, reported by whichever system came up after it). `opts[:journal]` is
  a file where results Orbit has not recorded yet are kept, written before each
  result goes out: a VM killed in between sends them on its next connect.

  `{:error, {:bad_key, text}}` when the key cannot be read.
  """
  @spec connect(String.t(), String.t(), String.t(), String.t(), keyword()) ::
          {:ok, conn()} | {:error, term()}
  def connect(url, device, key_pem, version, opts \\ [])

  def connect(url, device, key_pem, version, opts)
      when is_binary(url) and is_binary(device) and is_binary(key_pem) and is_binary(version) do
    reports =
      for {id, status, detail} <- Keyword.get(opts, :reports, []), do: {id, status == :ok, detail}

    journal = opts |> Keyword.get(:journal, "") |> to_string()
    Kos.Native.orbit_start(url, device, key_pem, version, reports, journal)
  end

  def connect(url, device, _key_pem, _version, _opts),
    do: raise(ArgumentError, "expected strings, got: #{inspect({url, device})}")

  @doc "Answers command `id`: `:ok` or `:error`, with a detail Orbit records and shows."
  @spec result(conn(), non_neg_integer(), :ok | :error, String.t()) :: :ok
  def result(conn, id, status, detail)
      when is_integer(id) and status in [:ok, :error] and is_binary(detail) do
    Kos.Native.orbit_result(conn, id, status == :ok, detail)
  end

  def result(_conn, id, status, detail),
    do: raise(ArgumentError, "bad result: #{inspect({id, status, detail})}")

  @doc """
  Fetches the bundle of an upgrade command (`info` as it came in the command) and
  verifies it before anything changes: its size and SHA-256 as announced, the
  signature by the deployment's key (`trusted_pem`, the SPKI PEM of its public key),
  every file's hash, that the signed version is the command's, and that it is not
  older than `running` (as semantic versions) unless the signed index marks it a
  deliberate rollback. It is unpacked into a new directory under `images` whose name
  is random: no path is made from anything Orbit sent. Runs on a dirty scheduler.

  `{:ok, %{version: v, files: n, bytes: b, dir: image_dir}}`, or `{:error, text}`
  saying what was wrong (bad signature, a path leaving the bundle, a truncated
  archive, a version that is not one, a downgrade…); then nothing under `images` has
  changed.
  """
  @spec stage(conn(), map(), String.t(), Path.t(), String.t()) ::
          {:ok, map()} | {:error, String.t()}
  def stage(
        conn,
        %{url: url, sha256: sha, size: size, version: version},
        trusted_pem,
        images,
        running
      )
      when is_binary(trusted_pem) and is_binary(running) do
    Kos.Native.orbit_stage(
      conn,
      url,
      sha,
      size,
      version,
      trusted_pem,
      to_string(images),
      running
    )
  end

  @doc """
  Reports the result of command `id` without being asked: for a command that outlived
  the connection it came on (an upgrade, confirmed once its trial is over). Sent on
  the live connection, or the next one.
  """
  @spec report(conn(), non_neg_integer(), :ok | :error, String.t()) :: :ok
  def report(conn, id, status, detail)
      when is_integer(id) and status in [:ok, :error] and is_binary(detail) do
    Kos.Native.orbit_report(conn, id, status == :ok, detail)
  end

  @doc """
  Tidies the images directory at start, before any upgrade is staged: removes partial
  stages (`incoming-*`, left by a device admin that died mid-stage) and every complete
  image but `running` (the image this system runs from, or `nil`) and the newest
  other one. Touches nothing else there.

  `{:ok, %{partial: [name], images: [name], kept: [name]}}` (what was removed and
  kept), or `{:error, text}`.
  """
  @spec tidy_images(Path.t(), Path.t() | nil) :: {:ok, map()} | {:error, String.t()}
  def tidy_images(images, running),
    do: Kos.Native.orbit_tidy_images(to_string(images), to_string(running || ""))

  @doc "Disconnects for good."
  @spec stop(conn()) :: :ok
  def stop(conn), do: Kos.Native.orbit_stop(conn)
end
