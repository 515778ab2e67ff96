defmodule Kos.TestRun do
  @moduledoc """
  The half of `mix kos.test` that runs inside the system. When `mix kos.test` boots
  the app's system it sets `KOS_TEST_DIR` (the project's `test/` directory) and
  `KOS_TEST_APP` (the app's name in the manifest) for `kos run`; in the VM whose
  `KOS_APP` is that name, once the app has started, this runs the ExUnit files under
  that directory (`**/*_test.exs`) — every test, those tagged `:kos` included, but
  those tagged `:host` (about life outside a KOS system) — prints ExUnit's report and
  then `kos.test: N failures`, and halts the VM with status 0 when there are none and
  1 otherwise. Elsewhere it does nothing.
  """

  @summary "kos.test:"
  # How long the app may take to start before the tests run anyway (100 ms steps).
  @start_checks 600

  @doc "Starts the run if this VM is the one `mix kos.test` asked for."
  @spec maybe_start() :: :ok
  def maybe_start do
    dir = System.get_env("KOS_TEST_DIR")
    app = System.get_env("KOS_APP")

    if dir not in [nil, ""] and app not in [nil, ""] and System.get_env("KOS_TEST_APP") == app do
      {:ok, _} = Task.start(fn -> run(dir) end)
    end

    :ok
  end

  defp run(dir) do
    wait_for(otp_app(), @start_checks)
    ExUnit.start(autorun: false, exclude: [:host])

    dir
    |> Path.join("**/*_test.exs")
    |> Path.wildcard()
    |> Enum.sort()
    |> Enum.each(&Code.require_file/1)

    %{failures: failures} = ExUnit.run()
    IO.puts("#{@summary} #{failures} failures")
    System.halt(if failures == 0, do: 0, else: 1)
  end

  # The OTP application this VM was started for (`kos run` names it).
  defp otp_app do
    case :init.get_argument(:kos_app) do
      {:ok, [[name]]} -> List.to_atom(name)
      _ -> nil
    end
  end

  defp wait_for(nil, _), do: :ok
  defp wait_for(_app, 0), do: :ok

  defp wait_for(app, checks) do
    if List.keymember?(Application.started_applications(), app, 0) do
      :ok
    else
      Process.sleep(100)
      wait_for(app, checks - 1)
    end
  end
end
