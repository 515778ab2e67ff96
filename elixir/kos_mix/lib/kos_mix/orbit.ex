defmodule KosMix.Orbit do
  @moduledoc """
  Runs the `orbit` command-line client of the KOS checkout against an Orbit, for
  `mix kos.push` and `mix kos.devices`, after checking that Orbit answers at all (so an
  unreachable Orbit gets an error that says so, not a stack of HTTP errors).

  Orbit's address is `--orbit`, else `ORBIT_URL`, else `http://127.0.0.1:4000` (where
  `mix kos.orbit.start` listens). The admin token comes from `--token`, else
  `ORBIT_TOKEN`, else `--orbit-data DIR` (the `admin-token` file an Orbit keeps in its
  data directory), else the data directory of `mix kos.orbit.start`.
  """

  @default_url "http://127.0.0.1:4000"

  @doc "Orbit's address when neither `--orbit` nor `ORBIT_URL` gives one."
  @spec default_url() :: String.t()
  def default_url, do: @default_url

  @doc """
  Where Orbit keeps its data unless told: `ORBIT_DATA`, else `KOS_ORBIT_DATA`, else
  `~/.kos/orbit-data` — the same order the `orbit` binary follows, so `mix kos.orbit.start`
  and a bare `orbit ...` command share one data directory.
  """
  @spec default_data() :: Path.t()
  def default_data do
    nonempty = fn name ->
      System.get_env(name) |> then(&if(&1 in [nil, ""], do: nil, else: &1))
    end

    nonempty.("ORBIT_DATA") || nonempty.("KOS_ORBIT_DATA") || Path.expand("~/.kos/orbit-data")
  end

  @doc "Runs `orbit <args>` against the Orbit in `opts`, streaming its output."
  @spec run!(keyword(), [String.t()]) :: :ok
  def run!(opts, args) do
    {orbit, url, auth} = client!(opts)

    case System.cmd(orbit, ["--orbit", url] ++ auth ++ args,
           into: IO.stream(:stdio, :line),
           stderr_to_stdout: true
         ) do
      {_, 0} -> :ok
      {_, status} -> Mix.raise("orbit #{hd(args)} failed (status #{status}); its output is above")
    end
  end

  @doc """
  A device as Orbit knows it: `{:online | :offline | :revoked, version}` (`nil` when it
  never reported one), or `:unknown` when no such device is registered.
  """
  @spec device_status(keyword(), String.t()) ::
          {:online | :offline | :revoked, String.t() | nil} | :unknown
  def device_status(opts, device) do
    {orbit, url, auth} = client!(opts)
    args = ["--orbit", url] ++ auth ++ ["device", "status", device]

    case System.cmd(orbit, args, stderr_to_stdout: true) do
      {line, 0} ->
        case String.split(String.trim(line), " ") do
          [_name, state, version] when state in ~w(online offline revoked) ->
            {String.to_atom(state), if(version == "-", do: nil, else: version)}

          _ ->
            Mix.raise("orbit device status said something unexpected: #{inspect(line)}")
        end

      {text, _} ->
        if text =~ "is registered",
          do: :unknown,
          else: Mix.raise("orbit device status failed:\n#{text}")
    end
  end

  defp client!(opts) do
    url = opts[:orbit] || System.get_env("ORBIT_URL") || @default_url

    reachable!(url)
    root = KosMix.Checkout.root(opts)
    orbit = KosMix.Checkout.binary!(root, "orbit")

    auth =
      cond do
        opts[:token] ->
          ["--token", opts[:token]]

        System.get_env("ORBIT_TOKEN") ->
          []

        opts[:orbit_data] ->
          ["--data", opts[:orbit_data]]

        File.regular?(Path.join(default_data(), "admin-token")) ->
          ["--data", default_data()]

        true ->
          Mix.raise(
            "Orbit needs the admin token: pass --token TOKEN, set ORBIT_TOKEN, or --orbit-data DIR (Orbit's data directory)"
          )
      end

    {orbit, url, auth}
  end

  @doc "Raises unless something accepts TCP connections at `url`'s host and port."
  @spec reachable!(String.t()) :: :ok
  def reachable!(url) do
    uri = URI.parse(url)

    unless uri.scheme in ["http", "https"] and is_binary(uri.host) and uri.host != "" do
      Mix.raise(
        "--orbit #{url} is not an Orbit address: use http://HOST:PORT or https://HOST:PORT"
      )
    end

    case :gen_tcp.connect(String.to_charlist(uri.host), uri.port, [:binary, active: false], 5_000) do
      {:ok, socket} ->
        :gen_tcp.close(socket)
        :ok

      {:error, reason} ->
        Mix.raise("""
        Orbit is not reachable at #{url} (#{:inet.format_error(reason)}).
        Is it running? Start one with: orbit serve --listen #{uri.host}:#{uri.port}
        or check the address given with --orbit.
        """)
    end
  end
end
