defmodule KosMix.SystemManifest do
  @moduledoc """
  The system manifest (`system.dts`) of an app's image: the app, the system apps that
  serve the protocols it uses, and — when `kos.exs` asks for it — the device admin
  that keeps the system connected to Orbit (granted `kos_root_protocol`, so that Orbit
  can restart and upgrade it).
  """

  alias KosMix.{AppManifest, Services}

  @doc "The manifest text for `app` at `version`."
  @spec render(AppManifest.t(), String.t()) :: String.t()
  def render(%AppManifest{} = app, version) do
    grants = grants(app)

    system_apps =
      grants
      |> Enum.map(fn {protocol, _} -> Services.fetch(protocol) end)
      |> Enum.filter(& &1.entry)
      |> Enum.uniq_by(& &1.server)
      |> Enum.map(fn s -> "        #{s.server} { #{s.entry} };\n" end)

    acl =
      Enum.map(grants, fn {protocol, clients} ->
        server = Services.fetch(protocol).server
        quoted = Enum.map_join(clients, ", ", &~s("#{&1}"))
        "                #{protocol} { servers = \"#{server}\"; clients = #{quoted}; };\n"
      end)

    """
    /dts-v1/;

    /* Made by `mix kos.build` from #{app.name}'s kos.exs (version #{version}). */
    / {
        compatible = "kos,system-0.10";

        msg_servers {
            main {
                dir_access_control {
    #{acl}            };
            };
        };

        apps {
    #{system_apps}#{app_entry(app)}#{admin_entry(app, version)}    };
    };
    """
  end

  # protocol => clients, for the app and the device admin.
  defp grants(app) do
    admin = if app.device_admin, do: [{"kos_root_protocol", "device_admin"}], else: []

    (Enum.map(app.uses, &{&1, app.name}) ++ admin)
    |> Enum.group_by(&elem(&1, 0), &elem(&1, 1))
    |> Enum.sort()
  end

  defp app_entry(app) do
    servers = if app.uses == [], do: "", else: ~s( msg_servers = "main";)

    ~s(        #{app.name} { kind = "beam"; app = "#{app.name}";#{servers} memory_mib = <#{app.memory_mib}>;) <>
      args(app.args) <> addresses(app.i2c_addresses) <> " };\n"
  end

  defp admin_entry(%{device_admin: nil}, _version), do: ""

  defp admin_entry(%{device_admin: a}, version) do
    ~s(        device_admin { kind = "beam"; app = "device_admin"; msg_servers = "main"; memory_mib = <64>;) <>
      args([a.orbit, a.device, a.key, version, a.deployment_key, a.images]) <> " };\n"
  end

  defp addresses([]), do: ""

  defp addresses(list),
    do:
      " i2c_addresses = <" <> Enum.map_join(list, " ", &"0x#{Integer.to_string(&1, 16)}") <> ">;"

  defp args([]), do: ""
  defp args(list), do: " args = " <> Enum.map_join(list, ", ", &dts_string/1) <> ";"

  defp dts_string(s), do: ~s(") <> String.replace(s, ~r/["\\]/, "\\\\\\0") <> ~s(")
end
