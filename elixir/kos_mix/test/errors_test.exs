defmodule KosMix.ErrorsTest do
  @moduledoc """
  Every user mistake ends in `Mix.raise` with the fix (run in this VM, no KOS needed).
  """
  use ExUnit.Case

  @tmp Path.join(System.tmp_dir!(), "kos_mix_errors_#{System.unique_integer([:positive])}")

  setup do
    File.rm_rf!(@tmp)
    File.mkdir_p!(@tmp)
    on_exit(fn -> File.rm_rf!(@tmp) end)
    :ok
  end

  defp in_tmp(fun), do: File.cd!(@tmp, fun)

  defp limits, do: KosMix.Limits.fetch!(KosMix.Checkout.root())
  defp parse!(term, file, app), do: KosMix.AppManifest.parse!(term, file, app, limits())

  describe "kos.new" do
    test "refuses bad names, taken names, bad modules and budgets, existing directories" do
      in_tmp(fn ->
        assert_raise Mix.Error, ~r/Expected the app's name/, fn -> Mix.Tasks.Kos.New.run([]) end

        assert_raise Mix.Error, ~r/not a valid app name.*lowercase/, fn ->
          Mix.Tasks.Kos.New.run(["Hello"])
        end

        assert_raise Mix.Error, ~r/not a valid app name/, fn ->
          Mix.Tasks.Kos.New.run(["9lives"])
        end

        # The manifest's own limits, from the kos tool, not a copy.
        limits = KosMix.Limits.fetch!(KosMix.Checkout.root())
        assert limits.name_len.last == 32

        assert_raise Mix.Error, ~r/at most 32/, fn ->
          Mix.Tasks.Kos.New.run([String.duplicate("a", 33)])
        end

        assert_raise Mix.Error, ~r/taken by an Erlang\/OTP, Elixir or KOS app/, fn ->
          Mix.Tasks.Kos.New.run(["logger"])
        end

        assert_raise Mix.Error, ~r/taken/, fn -> Mix.Tasks.Kos.New.run(["rng_server"]) end

        assert_raise Mix.Error, ~r/not a valid Elixir module name/, fn ->
          Mix.Tasks.Kos.New.run(["hello", "--module", "hello"])
        end

        assert_raise Mix.Error, ~r/8 to 4096 MiB/, fn ->
          Mix.Tasks.Kos.New.run(["hello", "--memory", "7"])
        end

        assert_raise Mix.Error, ~r/Invalid option/, fn ->
          Mix.Tasks.Kos.New.run(["hello", "--memory", "lots"])
        end

        assert_raise Mix.Error, ~r/not a KOS checkout.*KOS_ROOT/s, fn ->
          Mix.Tasks.Kos.New.run(["hello", "--kos-root", @tmp])
        end

        File.mkdir_p!("hello")
        assert_raise Mix.Error, ~r/already exists/, fn -> Mix.Tasks.Kos.New.run(["hello"]) end
        # Nothing was written by any refused attempt.
        assert File.ls!(@tmp) == ["hello"]
        assert File.ls!("hello") == []
      end)
    end

    test "writes the project from the templates" do
      in_tmp(fn ->
        ExUnit.CaptureIO.capture_io(fn ->
          Mix.Tasks.Kos.New.run(["probe", "--module", "My.Probe", "--memory", "32"])
        end)

        assert File.read!("probe/mix.exs") =~ "defmodule My.Probe.MixProject"
        assert File.read!("probe/mix.exs") =~ ~s({:kos, path: ")
        assert File.read!("probe/kos.exs") =~ "memory_mib: 32"
        assert File.read!("probe/lib/probe.ex") =~ "defmodule My.Probe do"
        assert File.read!("probe/lib/probe/application.ex") =~ "My.Probe.Application"
        assert File.read!("probe/test/probe_test.exs") =~ "My.Probe.describe"
        assert File.regular?("probe/.gitignore")
        assert File.read!("probe/README.md") =~ "mix kos.run"
        {manifest, _} = Code.eval_file("probe/kos.exs")
        assert manifest[:uses] == [:kos_rng_protocol]
      end)
    end
  end

  describe "kos.exs" do
    test "each rule names the file and the fix" do
      f = "/p/kos.exs"
      assert_raise Mix.Error, ~r/keyword list/, fn -> parse!(%{}, f, :a) end

      assert_raise Mix.Error, ~r/unknown key.*:memory/, fn ->
        parse!([memory: 4], f, :a)
      end

      assert_raise Mix.Error, ~r/memory_mib must be.*8 to 4096/, fn ->
        parse!([memory_mib: 4], f, :a)
      end

      # What the manifest checker accepts, the tasks accept: its smallest budget, its
      # longest name; one past either is refused.
      assert %{memory_mib: 8} = parse!([memory_mib: 8], f, :a)
      long = String.to_atom(String.duplicate("a", 32))
      assert %{name: _} = parse!([], f, long)

      assert_raise Mix.Error, ~r/cannot name a manifest node.*at most 32/, fn ->
        parse!([], f, String.to_atom(String.duplicate("a", 33)))
      end

      assert_raise Mix.Error, ~r/i2c_addresses must be.*0x08\.\.0x77/, fn ->
        parse!([i2c_addresses: [0x07]], f, :a)
      end

      error =
        assert_raise Mix.Error, fn ->
          parse!([uses: [:kos_led_protocol]], f, :a)
        end

      assert error.message =~ "#{f}: unknown protocol :kos_led_protocol"
      assert error.message =~ "kos_rng_protocol"

      assert_raise Mix.Error, ~r/`args` is gone: configure the app with `env/, fn ->
        parse!([args: ["1"]], f, :a)
      end

      assert_raise Mix.Error, ~r/env must be a keyword list/, fn ->
        parse!([env: ["1000"]], f, :a)
      end

      assert_raise Mix.Error, ~r/env key :Interval must be lowercase/, fn ->
        parse!([env: [Interval: 1]], f, :a)
      end

      for bad <- [-1, 0x1_0000_0000, "", "a\nb", [], [1, "a"], 1.5, :atom, %{}] do
        assert_raise Mix.Error, ~r/env x must be an integer from 0 to 4294967295/, fn ->
          parse!([env: [x: bad]], f, :a)
        end
      end

      assert_raise Mix.Error, ~r/device_admin must give each of/, fn ->
        parse!([device_admin: [orbit: "ws://x"]], f, :a)
      end

      assert_raise Mix.Error,
                   ~r/uses kos_i2c_protocol but lists no i2c_addresses: .*i2c_addresses: \[0x76\]/,
                   fn -> parse!([uses: [:kos_i2c_protocol]], f, :a) end

      # What the device admin will read is checked at build time.
      admin = [
        orbit: "ws://x",
        device: "d",
        key: "dev.pem",
        deployment_key: "dep.pub.pem",
        images: "i"
      ]

      entry = parse!([device_admin: admin], f, :a)

      assert_raise Mix.Error, ~r/device_admin key dev.pem: no such file.*openssl genpkey/, fn ->
        KosMix.AppManifest.check_admin_files!(entry, @tmp)
      end

      File.write!(Path.join(@tmp, "dev.pem"), "-----BEGIN PUBLIC KEY-----\n")

      assert_raise Mix.Error, ~r/device_admin key dev.pem is not a private key/, fn ->
        KosMix.AppManifest.check_admin_files!(entry, @tmp)
      end

      File.write!(Path.join(@tmp, "dev.pem"), "-----BEGIN PRIVATE KEY-----\n")
      File.write!(Path.join(@tmp, "dep.pub.pem"), "-----BEGIN PUBLIC KEY-----\n")
      assert :ok = KosMix.AppManifest.check_admin_files!(entry, @tmp)

      assert_raise Mix.Error, ~r/cannot name a manifest node/, fn ->
        parse!([], f, :"Bad-App")
      end
    end

    test "a missing or broken kos.exs" do
      assert_raise Mix.Error, ~r/kos.exs is missing.*mix kos.new/s, fn ->
        KosMix.AppManifest.read!(@tmp, :a, limits())
      end

      File.write!(Path.join(@tmp, "kos.exs"), "[memory_mib: ")

      assert_raise Mix.Error, ~r/does not evaluate/, fn ->
        KosMix.AppManifest.read!(@tmp, :a, limits())
      end
    end

    test "the system manifest grants what the app uses and adds its servers" do
      app =
        parse!(
          [
            uses: [:kos_rng_protocol, :kos_root_protocol],
            env: [label: ~s(a"b), interval_ms: 5, pair: [1, 2], names: ["x", "y"]]
          ],
          "k",
          :probe
        )

      root = KosMix.Checkout.root()
      dts = KosMix.SystemManifest.render(app, "1.2.3", root)
      # The RNG server's entry is the checkout's fragment, the one demo.dts includes.
      assert dts =~ File.read!(Path.join(root, "systems/services/rng_server.dtsi"))
      assert dts =~ ~s(kos_rng_protocol { clients = "probe"; };)
      assert dts =~ ~s(kos_root_protocol { servers = "_root"; clients = "probe"; };)

      assert dts =~
               ~s(probe { kind = "beam"; app = "probe"; msg_servers = "main"; memory_mib = <48>; env { label = "a\\"b"; interval_ms = <5>; pair = <1 2>; names = "x", "y"; }; };)

      refute dts =~ "device_admin"
    end

    test "a system of every service and the device admin passes the kos checker" do
      admin = [orbit: "ws://x", device: "d", key: "k", deployment_key: "p", images: "i"]
      uses = [:kos_rng_protocol, :kos_i2c_protocol, :kos_can_protocol, :kos_root_protocol]
      env = [interval_ms: 5000, label: "garden", pair: [1, 2], names: ["x", "y"]]

      app =
        parse!([uses: uses, i2c_addresses: [0x76], env: env, device_admin: admin], "k", :probe)

      root = KosMix.Checkout.root()
      file = Path.join(@tmp, "system.dts")
      File.write!(file, KosMix.SystemManifest.render(app, "1.0.0", root))
      kos = KosMix.Checkout.binary!(root, "kos")
      {summary, 0} = System.cmd(kos, ["manifest", "show", file], stderr_to_stdout: true)

      for server <- ~w(rng_server i2c_server can_server device_admin probe),
          do: assert(summary =~ ~r/^  #{server} /m)

      assert summary =~
               ~s(env interval_ms = <5000>; label = "garden"; pair = <1 2>; names = "x", "y")

      assert summary =~
               ~s(env orbit_url = "ws://x"; device = "d"; key_file = "k"; version = "1.0.0")

      assert summary =~ ~r/kos_root_protocol\s+served by _root\s+used by probe, device_admin/
      assert summary =~ ~r/kos_can_protocol\s+served by can_server\s+used by probe/
    end

    test "an app using I2C gets the I2C server and its addresses" do
      app =
        parse!(
          [uses: [:kos_i2c_protocol], i2c_addresses: [0x76, 0x77]],
          "k",
          :probe
        )

      root = KosMix.Checkout.root()
      dts = KosMix.SystemManifest.render(app, "1.0.0", root)
      assert dts =~ File.read!(Path.join(root, "systems/services/i2c_server.dtsi"))
      assert dts =~ ~s(kos_i2c_protocol { clients = "probe"; };)
      assert dts =~ "i2c_addresses = <0x76 0x77>;"

      assert_raise Mix.Error, ~r/i2c_addresses must be distinct device addresses/, fn ->
        parse!([i2c_addresses: [0x80]], "k", :probe)
      end
    end
  end

  describe "tasks outside what they need" do
    test "kos.run, kos.push and kos.devices say what is wrong" do
      assert_raise Mix.Error, ~r/the profiles are minimal, embedded, stock/, fn ->
        Mix.Tasks.Kos.Run.run(["--vm-profile", "turbo"])
      end

      assert_raise Mix.Error, ~r/Unexpected argument/, fn -> Mix.Tasks.Kos.Run.run(["now"]) end

      assert_raise Mix.Error, ~r/--device NAME is required/, fn ->
        Mix.Tasks.Kos.Push.run(["--orbit", "http://127.0.0.1:1"])
      end

      assert_raise Mix.Error,
                   ~r/bundle .*missing.tar.gz does not exist.*mix kos.build --bundle/s,
                   fn ->
                     Mix.Tasks.Kos.Push.run([
                       "--device",
                       "d",
                       "--bundle",
                       Path.join(@tmp, "missing.tar.gz")
                     ])
                   end

      bundle = Path.join(@tmp, "b.tar.gz")
      File.write!(bundle, "x")
      port = closed_port()

      assert_raise Mix.Error,
                   ~r/Orbit is not reachable at http:\/\/127.0.0.1:#{port}.*orbit serve/s,
                   fn ->
                     Mix.Tasks.Kos.Push.run([
                       "--orbit",
                       "http://127.0.0.1:#{port}",
                       "--device",
                       "d",
                       "--bundle",
                       bundle
                     ])
                   end

      assert_raise Mix.Error, ~r/Orbit is not reachable/, fn ->
        Mix.Tasks.Kos.Devices.run(["--orbit", "http://127.0.0.1:#{port}"])
      end

      assert_raise Mix.Error, ~r/not an Orbit address/, fn ->
        Mix.Tasks.Kos.Devices.run(["--orbit", "127.0.0.1"])
      end

      assert_raise Mix.Error, ~r/--listen nowhere is not HOST:PORT/, fn ->
        Mix.Tasks.Kos.Orbit.Start.run(["--listen", "nowhere"])
      end
    end

    test "KOS not built names the missing binary and the build command" do
      fake = Path.join(@tmp, "kos")
      File.mkdir_p!(Path.join(fake, "kos-core/cli"))
      File.write!(Path.join(fake, "kos-core/cli/Cargo.toml"), "")

      assert_raise Mix.Error,
                   ~r/KOS is not built: .*target\/debug\/kos is missing.*cargo build --workspace/s,
                   fn ->
                     KosMix.Checkout.binary!(KosMix.Checkout.root(kos_root: fake), "kos")
                   end
    end
  end

  # A TCP port nothing listens on.
  defp closed_port do
    {:ok, socket} = :gen_tcp.listen(0, ip: {127, 0, 0, 1})
    {:ok, port} = :inet.port(socket)
    :gen_tcp.close(socket)
    port
  end

  describe "config/config.exs" do
    test "becomes a sys.config the VM reads, and a broken one is refused by name" do
      source = Path.join(@tmp, "config.exs")
      target = Path.join(@tmp, "sys.config")
      File.write!(source, "import Config\nconfig :probe, greeting: \"hi\", every_ms: 500\n")
      :ok = KosMix.Image.write_sys_config!(source, target)
      assert {:ok, [[probe: probe]]} = :file.consult(String.to_charlist(target))
      assert Enum.sort(probe) == [every_ms: 500, greeting: "hi"]

      File.write!(source, "import Config\nconfig :probe, greeting:\n")

      assert_raise Mix.Error, ~r/config.exs cannot be read/, fn ->
        KosMix.Image.write_sys_config!(source, Path.join(@tmp, "other.config"))
      end

      refute File.exists?(Path.join(@tmp, "other.config"))
      assert :ok = KosMix.Image.write_sys_config!(Path.join(@tmp, "none.exs"), target)
    end
  end

  describe "documentation" do
    test "every task has a shortdoc and documents its options with examples" do
      for task <- [
            Mix.Tasks.Kos.New,
            Mix.Tasks.Kos.Build,
            Mix.Tasks.Kos.Run,
            Mix.Tasks.Kos.Push,
            Mix.Tasks.Kos.Devices,
            Mix.Tasks.Kos.Docs
          ] do
        assert Mix.Task.shortdoc(task) =~ ~r/\w/, inspect(task)
        {:docs_v1, _, :elixir, _, %{"en" => doc}, _, _} = Code.fetch_docs(task)
        assert doc =~ "## Command line options", inspect(task)
        assert doc =~ "## Examples", inspect(task)
      end
    end
  end
end
