defmodule DeviceAdmin.Link do
  @moduledoc """
  Owns the Orbit connection (`Kos.Orbit`) and answers its commands:

    * `:ping` — answered by this process, so a pong shows the device admin itself is
      responsive, not just its socket;
    * `:restart` — checks that `_root` answers (the manifest must grant
      `kos_root_protocol` to this app), reports, and once the report is on its way
      asks `_root` to restart every application, this one included;
    * `{:upgrade, info}` — fetches the bundle and verifies it (size, digest, the
      deployment's signature, every file's hash) into a fresh staging directory; a
      bundle that fails any check is refused with the reason and nothing changes.
      Switching the running system to a verified bundle is not implemented yet, so a
      good bundle is reported as verified and staged, and the old system keeps
      running.
  """
  use GenServer

  def start_link(config), do: GenServer.start_link(__MODULE__, config, name: __MODULE__)

  @impl true
  def init({url, device, key_file, version, trusted_file}) do
    key =
      case File.read(key_file) do
        {:ok, pem} ->
          pem

        {:error, reason} ->
          raise "device_admin: cannot read key #{key_file}: #{:file.format_error(reason)}"
      end

    {:ok, conn} = Kos.Orbit.connect(url, device, key, version)
    IO.puts("device_admin: connecting to #{url} as #{device} (version #{version})")
    trusted = if trusted_file, do: File.read!(trusted_file)
    {:ok, %{conn: conn, restart_after: nil, trusted: trusted}}
  end

  @impl true
  def handle_info({:orbit_event, text}, state) do
    IO.puts("device_admin: #{text}")
    {:noreply, state}
  end

  def handle_info({:orbit_command, id, :ping}, state) do
    :ok = Kos.Orbit.result(state.conn, id, :ok, "pong")
    {:noreply, state}
  end

  def handle_info({:orbit_command, id, :restart}, state) do
    case Kos.Root.status() do
      {:ok, apps} ->
        IO.puts("device_admin: restart requested by Orbit (command #{id})")
        :ok = Kos.Orbit.result(state.conn, id, :ok, "restarting #{length(apps)} applications")
        {:noreply, %{state | restart_after: id}}

      {:error, reason} ->
        :ok = Kos.Orbit.result(state.conn, id, :error, "the root server refused: #{reason}")
        {:noreply, state}
    end
  end

  def handle_info({:orbit_command, id, {:upgrade, _info}}, %{trusted: nil} = state) do
    :ok =
      Kos.Orbit.result(state.conn, id, :error, "no deployment key configured: upgrades refused")

    {:noreply, state}
  end

  def handle_info({:orbit_command, id, {:upgrade, info}}, state) do
    IO.puts(
      "device_admin: upgrade to #{info.version} requested (command #{id}, #{info.size} bytes)"
    )

    staging = Path.join(System.tmp_dir!(), "kos-staged-#{System.unique_integer([:positive])}")

    case Kos.Orbit.stage(state.conn, info, state.trusted, staging) do
      {:ok, staged} ->
        IO.puts("device_admin: bundle #{staged.version} verified (#{staged.files} files)")
        File.rm_rf!(staging)

        :ok =
          Kos.Orbit.result(
            state.conn,
            id,
            :error,
            "bundle #{staged.version} verified (#{staged.files} files, #{staged.bytes} bytes); " <>
              "switching the running system to it is not implemented yet"
          )

      {:error, reason} ->
        IO.puts("device_admin: upgrade refused: #{reason}")
        :ok = Kos.Orbit.result(state.conn, id, :error, reason)
    end

    {:noreply, state}
  end

  def handle_info({:orbit_result_sent, id}, %{restart_after: id} = state) do
    case Kos.Root.restart_all() do
      :ok -> IO.puts("device_admin: restarting all applications")
      {:error, reason} -> IO.puts("device_admin: restart failed: #{reason}")
    end

    {:noreply, %{state | restart_after: nil}}
  end

  def handle_info({:orbit_result_sent, _id}, state), do: {:noreply, state}
end
