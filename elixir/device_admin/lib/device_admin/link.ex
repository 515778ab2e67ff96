defmodule DeviceAdmin.Link do
  @moduledoc """
  Owns the Orbit connection (`Kos.Orbit`) and answers its commands:

    * `:ping` — answered by this process, so a pong shows the device admin itself is
      responsive, not just its socket;
    * `:restart` — checks that `_root` answers (the manifest must grant
      `kos_root_protocol` to this app), reports, and once the report is on its way
      asks `_root` to restart every application, this one included;
    * `{:upgrade, info}` — fetches the bundle and verifies it (size, digest, the
      deployment's signature, every file's hash, the signed version against the
      command's) into a new, randomly named directory under the images directory —
      no path is built from what Orbit sent — then asks `_root` to switch to it (`Kos.Root.upgrade/1`).
      A bundle or image that fails a check is refused with the reason and nothing
      changes.

  An upgrade outlives this process: `_root` stops every app, boots the new system on
  trial and rolls back if it does not stay up. So the command is written to
  `pending-upgrade` in the images directory before the switch, and whichever device
  admin starts next — the new system's, or the old one's after a rollback — reports
  the outcome to Orbit as soon as it is connected: success when it runs the version
  the bundle carried, a rollback otherwise.
  """
  require Logger
  use GenServer

  @pending "pending-upgrade"

  @doc "Starts it, registered under its module name."
  @spec start_link({String.t(), String.t(), Path.t(), String.t(), Path.t() | nil, Path.t() | nil}) ::
          GenServer.on_start()
  def start_link(config), do: GenServer.start_link(__MODULE__, config, name: __MODULE__)

  @impl true
  def init({url, device, key_file, version, trusted_file, images}) do
    key =
      case File.read(key_file) do
        {:ok, pem} ->
          pem

        {:error, reason} ->
          raise "device_admin: cannot read key #{key_file}: #{:file.format_error(reason)}"
      end

    images = images || Path.join(System.tmp_dir!(), "kos-images")
    File.mkdir_p!(images)
    tidy(images)

    reports =
      case pending_outcome(images, version) do
        {:confirm_after, ms, id} ->
          Process.send_after(self(), {:confirm_upgrade, id}, ms)
          []

        reports ->
          reports
      end

    # Results Orbit has not recorded outlive this VM here (a kill -9, a restart).
    journal = Path.join(images, "orbit-results.json")
    {:ok, conn} = Kos.Orbit.connect(url, device, key, version, reports: reports, journal: journal)
    Logger.info("device_admin: connecting to #{url} as #{device} (version #{version})")
    trusted = if trusted_file, do: File.read!(trusted_file)

    {:ok,
     %{
       conn: conn,
       restart_after: nil,
       trusted: trusted,
       images: images,
       version: version,
       # Upgrades being staged: task ref => command id.
       staging: %{}
     }}
  end

  # The outcome of an upgrade that the previous device admin started, if any. The new
  # system runs on trial (KOS_UPGRADE_TRIAL_MS, set by _root): success is reported
  # only once the trial is over; a rollback kills this VM first, and the old system's
  # device admin reports the rollback instead.
  defp pending_outcome(images, version) do
    path = Path.join(images, @pending)

    with {:ok, text} <- File.read(path),
         [id, target] <- String.split(String.trim(text), " ", parts: 2),
         {id, ""} <- Integer.parse(id) do
      trial = System.get_env("KOS_UPGRADE_TRIAL_MS")

      cond do
        target == version and trial != nil ->
          Logger.info("device_admin: running #{version} on trial; reporting once it is kept")
          {:confirm_after, String.to_integer(trial) + 1_000, id}

        target == version ->
          File.rm(path)
          Logger.info("device_admin: upgrade to #{target} done (command #{id})")
          [{id, :ok, "running #{version}"}]

        true ->
          File.rm(path)
          upgrade_rolled_back(id, target, version)
      end
    else
      _ -> []
    end
  end

  defp upgrade_rolled_back(id, target, version) do
    Logger.warning("device_admin: upgrade to #{target} was rolled back (command #{id})")
    [{id, :error, "rolled back: the #{target} system did not stay up; running #{version} again"}]
  end

  @impl true
  def handle_info({:orbit_event, text}, state) do
    Logger.info("device_admin: #{text}")
    {:noreply, state}
  end

  def handle_info({:orbit_command, id, :ping}, state) do
    :ok = Kos.Orbit.result(state.conn, id, :ok, "pong")
    {:noreply, state}
  end

  def handle_info({:orbit_command, id, :restart}, state) do
    case Kos.Root.status() do
      {:ok, apps} ->
        Logger.info("device_admin: restart requested by Orbit (command #{id})")
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
    Logger.info(
      "device_admin: upgrade to #{info.version} requested (command #{id}, #{info.size} bytes)"
    )

    # Downloading and verifying takes as long as the bundle is big: it runs in its own
    # supervised process, and this one goes on with the link's messages meanwhile.
    %{conn: conn, trusted: trusted, images: images, version: running} = state

    task =
      Task.Supervisor.async_nolink(DeviceAdmin.Staging, fn ->
        Kos.Orbit.stage(conn, info, trusted, images, running)
      end)

    {:noreply, %{state | staging: Map.put(state.staging, task.ref, id)}}
  end

  def handle_info({ref, staged}, %{staging: staging} = state)
      when is_reference(ref) and is_map_key(staging, ref) do
    Process.demonitor(ref, [:flush])
    id = Map.fetch!(staging, ref)
    state = %{state | staging: Map.delete(state.staging, ref)}

    case staged do
      {:ok, staged} ->
        Logger.info(
          "device_admin: bundle #{staged.version} verified (#{staged.files} files); switching"
        )

        switch(state, id, staged.version, staged.dir)

      {:error, reason} ->
        Logger.warning("device_admin: upgrade refused: #{reason}")
        :ok = Kos.Orbit.result(state.conn, id, :error, reason)
    end

    {:noreply, state}
  end

  # The staging process died: the command fails, with why.
  def handle_info({:DOWN, ref, :process, _, why}, %{staging: staging} = state)
      when is_map_key(staging, ref) do
    id = Map.fetch!(staging, ref)
    Logger.warning("device_admin: staging crashed: #{inspect(why)}")
    :ok = Kos.Orbit.result(state.conn, id, :error, "staging crashed: #{inspect(why)}")
    {:noreply, %{state | staging: Map.delete(state.staging, ref)}}
  end

  def handle_info({:orbit_result_sent, id}, %{restart_after: id} = state) do
    case Kos.Root.restart_all() do
      :ok -> Logger.warning("device_admin: restarting all applications")
      {:error, reason} -> Logger.warning("device_admin: restart failed: #{reason}")
    end

    {:noreply, %{state | restart_after: nil}}
  end

  def handle_info({:orbit_result_sent, _id}, state), do: {:noreply, state}

  # The trial is over and this system still runs: the upgrade is kept.
  def handle_info({:confirm_upgrade, id}, state) do
    File.rm(Path.join(state.images, @pending))
    Logger.info("device_admin: upgrade to #{state.version} kept (command #{id})")
    :ok = Kos.Orbit.report(state.conn, id, :ok, "running #{state.version}")
    {:noreply, state}
  end

  # Records the command for whichever device admin comes up next, then asks _root.
  defp switch(state, id, version, staging) do
    pending = Path.join(state.images, @pending)
    File.write!(pending, "#{id} #{version}\n")

    case Kos.Root.upgrade(staging) do
      :ok ->
        Logger.info("device_admin: _root is switching to #{version}")

      {:error, reason} ->
        File.rm(pending)
        File.rm_rf(staging)
        why = with {:bad_image, text} <- reason, do: "the image cannot run: #{text}"
        Logger.warning("device_admin: upgrade refused by _root: #{inspect(why)}")
        :ok = Kos.Orbit.result(state.conn, id, :error, "refused by _root: #{why}")
    end
  end

  # Partial stages and old images go at start; the running image and the newest other
  # one stay (a rollback or the next boot may want it).
  defp tidy(images) do
    case Kos.Orbit.tidy_images(images, running_image(images)) do
      {:ok, %{partial: [], images: []}} ->
        :ok

      {:ok, t} ->
        Logger.info(
          "device_admin: tidied #{images}: removed #{length(t.partial)} partial stage(s) and #{length(t.images)} old image(s); kept #{Enum.join(t.kept, ", ")}"
        )

      {:error, why} ->
        Logger.warning("device_admin: could not tidy #{images}: #{why}")
    end
  end

  # The image directory this system runs from, if it runs from one under `images`:
  # the device admin's own code is inside it.
  defp running_image(images) do
    images = Path.expand(images)
    own = Path.expand(to_string(:code.lib_dir(:device_admin)))

    case Path.relative_to(own, images) do
      ^own -> nil
      relative -> Path.join(images, relative |> Path.split() |> hd())
    end
  end
end
