defmodule Mix.Tasks.Kos.Test do
  @shortdoc "Runs the app's ExUnit suite inside a booted KOS system"

  @moduledoc """
  Builds the app's system image (as `mix kos.build` does), boots it on a hosted KOS
  system, and runs the project's tests (`test/**/*_test.exs`) inside the app's own VM
  once the app has started — so a test calls the app and the system's services
  (`Kos.Rng`, `Kos.Msg`, `Kos.I2C`…) for real, with the manifest's grants. Every test
  runs, those tagged `:kos` included, but those tagged `:host` (about life outside a
  system). ExUnit's report is printed as `mix test` prints it, the system is stopped,
  and the task exits with status 0 when no test failed and 1 otherwise.

  `mix test` runs the same files on the host, where `Kos.*` calls answer
  `{:error, :not_kos}`.

  ## Command line options

    * `--timeout DURATION` — stop and fail if the tests have not finished by then
      (default: `5m`)
    * `--no-build` — boot the image already in `_build/kos/` as it is
    * `--kos-root PATH` — the KOS checkout (default: `KOS_ROOT`, else the checkout
      this archive was built from)

  ## Examples

      mix kos.test
      mix kos.test --timeout 30s
  """

  use Mix.Task

  @switches [timeout: :string, build: :boolean, kos_root: :string]
  @aliases [t: :timeout]
  # What the app's VM prints when the run is over (Kos.TestRun in the `kos` library).
  @summary ~r/kos\.test: (\d+) failures?$/

  @impl true
  def run(argv) do
    opts = KosMix.options!(argv, @switches, @aliases, "kos.test")
    timeout = opts[:timeout] || "5m"

    if Mix.Project.umbrella?() do
      Mix.raise(
        "kos.test runs one app's tests in its system; a system of several apps (this umbrella) is not supported yet: use mix test here, and mix kos.run to see the apps together"
      )
    end

    {paths, root} =
      if Keyword.get(opts, :build, true) do
        Mix.Tasks.Kos.Build.build(Keyword.take(opts, [:kos_root]))
      else
        {KosMix.Image.paths(), KosMix.Checkout.root(opts)}
      end

    app = to_string(Mix.Project.config()[:app])
    tests = Path.expand("test")

    unless File.dir?(tests) do
      Mix.raise("kos.test: no test/ directory in #{File.cwd!()}")
    end

    kos = KosMix.Checkout.binary!(root, "kos")

    args =
      ["run", Path.join(paths.image, "system.dtb"), "--stop-after", timeout] ++
        ["--lock", Path.join(paths.dir, "run.lock")] ++
        ["--beam-dir", Path.join(paths.image, "elixir"), "--bin-dir", paths.bin]

    Mix.shell().info("kos.test: booting #{Path.relative_to_cwd(paths.image)} to test #{app}")

    port =
      Port.open({:spawn_executable, kos}, [
        :binary,
        :exit_status,
        :stderr_to_stdout,
        {:line, 65_536},
        args: args,
        env: [{~c"KOS_TEST_APP", String.to_charlist(app)}, {~c"KOS_TEST_DIR", ~c"#{tests}"}]
      ])

    case follow(port, app, nil, "") do
      {:ok, 0} ->
        Mix.shell().info("kos.test: no failures")

      {:ok, failures} ->
        Mix.shell().error("kos.test: #{failures} failed")
        exit({:shutdown, 1})

      {:error, why} ->
        Mix.raise("kos.test: #{why} (the system's log is above)")
    end
  end

  # Prints the system's lines — the app's own without kos run's stamp and label, so
  # ExUnit's report reads as under `mix test` — until kos run exits; on the summary
  # line it asks kos run to stop (SIGTERM, a clean stop).
  defp follow(port, app, failures, partial) do
    receive do
      {^port, {:data, {:noeol, chunk}}} ->
        follow(port, app, failures, partial <> chunk)

      {^port, {:data, {:eol, chunk}}} ->
        line = partial <> chunk
        text = own_line(line, app)
        IO.puts(text || line)

        case text && Regex.run(@summary, text) do
          [_, n] ->
            stop(port)
            follow(port, app, String.to_integer(n), "")

          _ ->
            follow(port, app, failures, "")
        end

      {^port, {:exit_status, status}} ->
        cond do
          failures != nil -> {:ok, failures}
          true -> {:error, "the system ended (status #{status}) before the tests did"}
        end
    end
  end

  # `STAMP [app] text` → `text`, for the app under test; nil for any other line.
  defp own_line(line, app) do
    case String.split(line, " [#{app}] ", parts: 2) do
      [_stamp, text] -> text
      _ -> nil
    end
  end

  defp stop(port) do
    case Port.info(port, :os_pid) do
      {:os_pid, pid} -> System.cmd("kill", ["-TERM", to_string(pid)])
      nil -> :ok
    end
  end
end
