defmodule KosMix.WorkflowTest do
  @moduledoc """
  The tasks as a user runs them: the archive installed from this checkout into a fresh
  MIX_HOME, then `mix kos.new`, `kos.build`, `kos.run`, `mix test`, `kos.build
  --bundle`, `kos.push` and `kos.devices` as separate `mix` commands in a temporary
  directory, against a real KOS system and a real Orbit on loopback. Needs the Rust
  build (`cargo build --workspace`), as `scripts/test.sh` does first.
  """
  use ExUnit.Case

  @moduletag timeout: 600_000
  @root Path.expand("../../..", __DIR__)

  setup_all do
    tmp = Path.join(System.tmp_dir!(), "kos_mix_workflow_#{System.unique_integer([:positive])}")
    File.rm_rf!(tmp)
    File.mkdir_p!(tmp)
    mix_home = Path.join(tmp, "mix_home")
    ez = Path.join(tmp, "kos_mix.ez")
    # The archive as a user installs it: built from the checkout's source, no Hex.
    {out, 0} =
      cmd("mix", ["archive.build", "-o", ez], Path.join(@root, "elixir/kos_mix"), mix_home)

    assert out =~ "Generated archive"
    {out, 0} = cmd("mix", ["archive.install", ez, "--force"], tmp, mix_home)
    assert out =~ "kos_mix"
    on_exit(fn -> File.rm_rf!(tmp) end)
    %{tmp: tmp, mix_home: mix_home}
  end

  test "new, build, run (until the app has started), its test, clean stop", ctx do
    {out, 0} = cmd("mix", ["kos.new", "hello_kos"], ctx.tmp, ctx.mix_home)
    assert out =~ "creating hello_kos/kos.exs"
    app = Path.join(ctx.tmp, "hello_kos")

    {out, 0} = cmd("mix", ["kos.build"], app, ctx.mix_home)
    assert out =~ "kos.build: image _build/kos/image (hello_kos 0.1.0)"
    image = Path.join(app, "_build/kos/image")
    assert File.read!(Path.join(image, "system.dts")) =~ ~s(clients = "hello_kos")
    assert File.regular?(Path.join(image, "system.dtb"))

    assert File.regular?(
             Path.join(
               image,
               "elixir/hello_kos/_build/prod/lib/hello_kos/ebin/Elixir.HelloKos.beam"
             )
           )

    assert File.regular?(
             Path.join(image, "elixir/hello_kos/_build/prod/lib/kos/ebin/Elixir.Kos.Rng.beam")
           )

    assert File.regular?(Path.join(app, "_build/kos/bin/libkos_nif.so"))
    assert File.regular?(Path.join(app, "_build/kos/bin/rng_server"))

    # Runs until it stops by itself; the app logs that it started and uses the RNG.
    {out, 0} = cmd("mix", ["kos.run", "--stop-after", "8s"], app, ctx.mix_home)
    # Logger under kos run: the message alone (Kos.Log), kos run labels the line.
    assert out =~ "[hello_kos] hello_kos started on KOS"
    assert out =~ ~r/\[hello_kos\] hello_kos: 16 random bytes from KOS: [0-9a-f]{32}/
    assert out =~ "[hello_kos] stopped (exited normally)"
    assert out =~ "all apps stopped; system down"
    assert out =~ "kos.run: the system stopped"

    {out, 0} = cmd("mix", ["test"], app, ctx.mix_home)
    assert out =~ "1 test, 0 failures"

    # The same suite inside a booted system, in the app's own VM, reported as mix
    # test reports it; a failing test makes the task fail.
    {out, 0} = cmd("mix", ["kos.test"], app, ctx.mix_home)
    assert out =~ "1 test, 0 failures", out
    assert out =~ "kos.test: no failures", out

    File.write!(Path.join(app, "test/broken_test.exs"), """
    defmodule BrokenTest do
      use ExUnit.Case
      test "runs inside KOS" do
        assert System.get_env("KOS_APP") == "hello_kos"
        assert {:ok, <<_::binary-size(4)>>} = Kos.Rng.bytes(4)
        assert 1 == 2
      end
    end
    """)

    {out, status} = cmd("mix", ["kos.test", "--no-build"], app, ctx.mix_home)
    assert status != 0, out
    assert out =~ "2 tests, 1 failure", out
    assert out =~ "assert 1 == 2", out
    File.rm!(Path.join(app, "test/broken_test.exs"))
    # On the host the app starts and runs with no crash: Kos.* answers :not_kos.
    refute out =~ "nif_not_loaded"
    refute out =~ "terminating"

    # The kos library's reference, offline, from the compiled documentation.
    {out, 0} = cmd("mix", ["kos.docs"], app, ctx.mix_home)
    assert out =~ ~r/kos\.docs: \d+ modules of kos in doc\/kos\//, out
    rng = File.read!(Path.join(app, "doc/kos/Kos.Rng.md"))
    assert rng =~ "# Kos.Rng\n"
    assert rng =~ "### bytes(n)"
    assert rng =~ "@spec bytes(non_neg_integer()) :: {:ok, binary()} | {:error, atom()}"
    assert File.read!(Path.join(app, "doc/kos/index.md")) =~ "- [Kos.Rng](Kos.Rng.md) — "
  end

  test "a system of two apps from kos.new --system: built, run, talking over Kos.Msg", ctx do
    {out, 0} = cmd("mix", ["kos.new", "--system", "shop"], ctx.tmp, ctx.mix_home)
    assert out =~ "creating shop/apps/shop_sensor/kos.exs"
    system = Path.join(ctx.tmp, "shop")

    {out, 0} = cmd("mix", ["kos.build"], system, ctx.mix_home)
    assert out =~ "kos.build: image _build/kos/image (shop 0.1.0)", out
    dts = File.read!(Path.join(system, "_build/kos/image/system.dts"))
    # The sensor serves the display; KOS's RNG serves the sensor.
    assert dts =~ ~s(shop_protocol { servers = "shop_sensor"; clients = "shop_display"; };)
    assert dts =~ ~s(kos_rng_protocol { clients = "shop_sensor"; };)

    for app <- ["shop_sensor", "shop_display"] do
      assert File.dir?(
               Path.join(system, "_build/kos/image/elixir/#{app}/_build/prod/lib/#{app}/ebin")
             )
    end

    {out, 0} = cmd("mix", ["kos.run", "--stop-after", "8s"], system, ctx.mix_home)
    assert out =~ "[shop_sensor] serving shop_protocol", out
    assert out =~ ~r/\[shop_display\] reading from shop_sensor: [0-9a-f]{8}/, out
    assert out =~ "kos.run: the system stopped"

    {out, 0} = cmd("mix", ["test"], system, ctx.mix_home)
    assert out =~ "1 test, 0 failures"

    # A protocol nobody serves is refused at build time, naming who serves what.
    display = Path.join(system, "apps/shop_display/kos.exs")
    File.write!(display, String.replace(File.read!(display), ":shop_protocol", ":shop_protocl"))
    {out, status} = cmd("mix", ["kos.build"], system, ctx.mix_home)
    assert status != 0
    assert out =~ "unknown protocol :shop_protocl in uses", out
    assert out =~ "this system's apps serve: shop_protocol", out
  end

  test "mix gone (Ctrl-C) stops the system it ran", ctx do
    {_, 0} = cmd("mix", ["kos.new", "ctrl_c"], ctx.tmp, ctx.mix_home)
    app = Path.join(ctx.tmp, "ctrl_c")
    port = spawn_mix(["kos.run"], app, ctx.mix_home)
    kill_on_exit(port)
    wait_for(port, "ctrl_c started on KOS", 120_000)
    image_bin = Path.join(app, "_build/kos")
    assert system_processes(image_bin) != []
    {:os_pid, mix_pid} = Port.info(port, :os_pid)
    # What the second Ctrl-C does to mix's VM: it is gone without a word.
    System.cmd("kill", ["-KILL", to_string(mix_pid)])

    assert eventually(fn -> system_processes(image_bin) == [] end, 15_000),
           "the KOS system outlived mix: #{inspect(system_processes(image_bin))}"
  end

  test "a bundle from kos.build is pushed through Orbit to a device running kos.run", ctx do
    dir = Path.join(ctx.tmp, "fleet")
    File.mkdir_p!(dir)
    keypair(dir, "device")
    keypair(dir, "deploy")
    data = Path.join(dir, "orbit-data")
    port = free_port()
    orbit = Path.join(@root, "target/debug/orbit")
    orbit_port = spawn_cmd(orbit, ["--data", data, "serve", "--listen", "127.0.0.1:#{port}"], dir)
    # Closing its port does not stop a server: stop it, pass or fail.
    kill_on_exit(orbit_port)
    url = "http://127.0.0.1:#{port}"

    assert eventually(
             fn ->
               match?(
                 {_, 0},
                 System.cmd(orbit, ["--data", data, "--orbit", url, "devices"],
                   stderr_to_stdout: true
                 )
               )
             end,
             20_000
           )

    {_, 0} =
      System.cmd(
        orbit,
        [
          "--data",
          data,
          "--orbit",
          url,
          "device",
          "register",
          "dev1",
          "--public-key",
          Path.join(dir, "device.pub.pem")
        ],
        stderr_to_stdout: true
      )

    {_, 0} = cmd("mix", ["kos.new", "pushed"], ctx.tmp, ctx.mix_home)
    app = Path.join(ctx.tmp, "pushed")

    File.write!(Path.join(app, "kos.exs"), """
    [
      memory_mib: 48,
      uses: [:kos_rng_protocol],
      env: [interval_ms: 1000],
      device_admin: [
        orbit: "ws://127.0.0.1:#{port}",
        device: "dev1",
        key: "#{dir}/device.pem",
        deployment_key: "#{dir}/deploy.pub.pem",
        images: "#{dir}/images"
      ]
    ]
    """)

    # 0.1.0 runs on the device; 0.2.0 is built from a copy, as CI would.
    v2 = Path.join(ctx.tmp, "pushed_v2")
    File.cp_r!(app, v2)

    File.write!(
      Path.join(v2, "mix.exs"),
      String.replace(
        File.read!(Path.join(v2, "mix.exs")),
        ~s(version: "0.1.0"),
        ~s(version: "0.2.0")
      )
    )

    File.write!(
      Path.join(v2, "lib/pushed.ex"),
      String.replace(
        File.read!(Path.join(v2, "lib/pushed.ex")),
        "started on KOS",
        "v2 started on KOS"
      )
    )

    device = spawn_mix(["kos.run", "--upgrade-trial", "3s"], app, ctx.mix_home)
    kill_on_exit(device)
    wait_for(device, "connected to Orbit", 120_000)

    {out, 0} =
      cmd("mix", ["kos.devices", "--orbit", url, "--orbit-data", data], app, ctx.mix_home)

    assert out =~ ~r/dev1\s+online/
    assert out =~ "0.1.0"

    {out, 0} =
      cmd("mix", ["kos.build", "--bundle"], v2, ctx.mix_home, [
        {"KOS_SIGNING_KEY", Path.join(dir, "deploy.pem")}
      ])

    assert out =~ "kos.build: bundle _build/kos/pushed-0.2.0.tar.gz (version 0.2.0)"

    {out, 0} =
      cmd(
        "mix",
        ["kos.push", "--orbit", url, "--device", "dev1", "--orbit-data", data],
        v2,
        ctx.mix_home
      )

    assert out =~ "running 0.2.0", out

    wait_for(device, "pushed v2 started on KOS", 60_000)

    assert eventually(
             fn ->
               elem(
                 cmd(
                   "mix",
                   ["kos.devices", "--orbit", url, "--orbit-data", data],
                   app,
                   ctx.mix_home
                 ),
                 0
               ) =~ "0.2.0"
             end,
             20_000
           )

    # A bundle signed with another key is refused by the device; 0.2.0 keeps running.
    keypair(dir, "stranger")

    {_, 0} =
      cmd(
        "mix",
        [
          "kos.build",
          "--bundle",
          "--key",
          Path.join(dir, "stranger.pem"),
          "--output",
          Path.join(dir, "forged.tar.gz")
        ],
        v2,
        ctx.mix_home
      )

    # No --bundle: the one kos.build wrote last (forged.tar.gz, --output and all). It
    # carries the version the device runs, which the push warns about.
    {out, status} =
      cmd(
        "mix",
        ["kos.push", "--orbit", url, "--device", "dev1", "--orbit-data", data],
        v2,
        ctx.mix_home
      )

    assert out =~ "forged.tar.gz (0.2.0) → dev1", out
    assert out =~ "warning: dev1 already runs 0.2.0", out
    assert status != 0
    assert out =~ "bundle refused", out

    # A device Orbit does not know is an error before anything is uploaded.
    {out, status} =
      cmd(
        "mix",
        ["kos.push", "--orbit", url, "--device", "nobody", "--orbit-data", data],
        v2,
        ctx.mix_home
      )

    assert status != 0
    assert out =~ ~s(No device "nobody" is registered with this Orbit), out
    refute out =~ "uploading", out

    # A registered device that is not connected: an error at once, saying how to wait.
    {_, 0} =
      System.cmd(
        orbit,
        ["--data", data, "--orbit", url, "device", "register", "dev2"] ++
          ["--public-key", Path.join(dir, "device.pub.pem")],
        stderr_to_stdout: true
      )

    {out, status} =
      cmd(
        "mix",
        ["kos.push", "--orbit", url, "--device", "dev2", "--orbit-data", data],
        v2,
        ctx.mix_home
      )

    assert status != 0
    assert out =~ "dev2 is offline: push again when it is connected, or pass --wait SECONDS", out
    refute out =~ "uploading", out
  end

  test "kos.orbit.start runs a local Orbit the other tasks find by default, and stops with mix",
       ctx do
    data = Path.join(ctx.tmp, "dev-orbit")
    port = free_port()
    env = [{"KOS_ORBIT_DATA", data}, {"ORBIT_URL", "http://127.0.0.1:#{port}"}]

    orbit =
      spawn_cmd(
        System.find_executable("mix"),
        ["kos.orbit.start", "--listen", "127.0.0.1:#{port}"],
        ctx.tmp,
        env(ctx.mix_home, env)
      )

    kill_on_exit(orbit)
    # It says how to register a device, with its own binary and data directory.
    hint = wait_for(orbit, "device register my-device --public-key device.pub.pem", 60_000)
    assert hint =~ "--data #{data}", hint
    wait_for(orbit, "dashboard: http://127.0.0.1:#{port}/#token=", 60_000)

    # No --orbit, no token given: the defaults point at this Orbit and its data.
    {out, 0} = cmd("mix", ["kos.devices"], ctx.tmp, ctx.mix_home, env)
    assert out =~ ~r/DEVICE\s+STATUS/, out

    # A bare `orbit` command defaults to the same data directory: its token works.
    {out, 0} =
      System.cmd(Path.join(@root, "target/debug/orbit"), ["devices"],
        env: [{"ORBIT_DATA", nil} | env],
        stderr_to_stdout: true
      )

    assert out =~ ~r/DEVICE\s+STATUS/, out

    {:os_pid, mix_pid} = Port.info(orbit, :os_pid)
    System.cmd("kill", ["-KILL", to_string(mix_pid)])

    assert eventually(fn -> system_processes(data) == [] end, 15_000),
           "Orbit outlived mix: #{inspect(system_processes(data))}"
  end

  # -- helpers ---------------------------------------------------------------------

  # `mix` as a user runs it: this test's own MIX_ENV and project must not leak in.
  defp env(mix_home, extra \\ []) do
    [
      {"MIX_HOME", mix_home},
      {"MIX_ENV", nil},
      {"MIX_EXS", nil},
      {"MIX_BUILD_PATH", nil},
      {"MIX_BUILD_ROOT", nil},
      {"MIX_DEPS_PATH", nil},
      {"KOS_ROOT", nil}
    ] ++ extra
  end

  defp cmd(exe, args, dir, mix_home, extra \\ []) do
    System.cmd(exe, args, cd: dir, env: env(mix_home, extra), stderr_to_stdout: true)
  end

  defp spawn_mix(args, dir, mix_home),
    do: spawn_cmd(System.find_executable("mix"), args, dir, env(mix_home))

  defp spawn_cmd(exe, args, dir, env \\ []) do
    env = Enum.map(env, fn {k, v} -> {String.to_charlist(k), v && String.to_charlist(v)} end)

    env =
      Enum.map(env, fn
        {k, nil} -> {k, false}
        kv -> kv
      end)

    Port.open({:spawn_executable, exe}, [
      :binary,
      :exit_status,
      :stderr_to_stdout,
      {:line, 16_384},
      args: args,
      cd: dir,
      env: env
    ])
  end

  # SIGTERM to a spawned program when the test ends: Orbit stops; mix's VM exits and
  # the system it ran stops with it (kos run --stop-on-eof).
  defp kill_on_exit(port) do
    {:os_pid, pid} = Port.info(port, :os_pid)
    on_exit(fn -> System.cmd("kill", ["-TERM", to_string(pid)], stderr_to_stdout: true) end)
  end

  defp wait_for(port, text, timeout) do
    deadline = System.monotonic_time(:millisecond) + timeout
    wait_for(port, text, deadline, [])
  end

  defp wait_for(port, text, deadline, seen) do
    left = max(deadline - System.monotonic_time(:millisecond), 0)

    receive do
      {^port, {:data, {_, line}}} ->
        if String.contains?(line, text),
          do: line,
          else: wait_for(port, text, deadline, [line | seen])

      {^port, {:exit_status, status}} ->
        flunk(
          "exited (#{status}) before #{inspect(text)}:\n" <> Enum.join(Enum.reverse(seen), "\n")
        )
    after
      left -> flunk("no #{inspect(text)} in time:\n" <> Enum.join(Enum.reverse(seen), "\n"))
    end
  end

  defp eventually(fun, timeout) do
    deadline = System.monotonic_time(:millisecond) + timeout

    Stream.repeatedly(fn -> fun.() || (Process.sleep(200) && false) end)
    |> Enum.find(fn ok -> ok or System.monotonic_time(:millisecond) > deadline end)
    |> Kernel.==(true)
  end

  # OS processes running from the project's image or bin directory.
  defp system_processes(path) do
    case System.cmd("pgrep", ["-f", path]) do
      {out, 0} -> String.split(out)
      _ -> []
    end
  end

  defp keypair(dir, name) do
    {_, 0} =
      System.cmd("openssl", [
        "genpkey",
        "-algorithm",
        "ed25519",
        "-out",
        Path.join(dir, "#{name}.pem")
      ])

    {_, 0} =
      System.cmd("openssl", [
        "pkey",
        "-in",
        Path.join(dir, "#{name}.pem"),
        "-pubout",
        "-out",
        Path.join(dir, "#{name}.pub.pem")
      ])
  end

  defp free_port do
    {:ok, socket} = :gen_tcp.listen(0, ip: {127, 0, 0, 1})
    {:ok, port} = :inet.port(socket)
    :gen_tcp.close(socket)
    port
  end
end
