defmodule KosMix.SystemManifest do
  @moduledoc """
  The system manifest (`system.dts`) of an app's image: the app, the system apps that
  serve the protocols it uses, and — when `kos.exs` asks for it — the device admin
  that keeps the system connected to Orbit (granted `kos_root_protocol`, so that Orbit
  can restart and upgrade it).
  """

  alias KosMix.{AppManifest, Services}

  @doc """
  The manifest text for `app` at `version`: the system apps' fragments from the
  checkout at `root` (`systems/services/*.dtsi`, copied in so the image stands alone),
  then the grants and the app's own entry.
  """
  @spec render(AppManifest.t(), String.t(), Path.t()) :: String.t()
  def render(%AppManifest{} = app, version, root) do
    grants = grants(app)

    servers =
      grants
      |> Enum.map(fn {protocol, _} -> Services.fetch(protocol).server end)
      |> Kernel.++(if app.device_admin, do: ["device_admin"], else: [])
      |> Enum.uniq()

    fragments =
      for server <- servers, text = Services.include!(root, server), into: "" do
        "/* systems/services/#{server}.dtsi */\n" <> text <> "\n"
      end

    # The fragments name each protocol's server; the app's grants add the clients
    # (kos_root_protocol, built into `_root`, has no fragment unless device_admin's).
    acl =
      Enum.map(grants, fn {protocol, clients} ->
        server = Services.fetch(protocol).server
        servers = if server == "_root", do: ~s(servers = "_root"; ), else: ""
        quoted = Enum.map_join(clients, ", ", &~s("#{&1}"))
        "                #{protocol} { #{servers}clients = #{quoted}; };\n"
      end)

    """
    /dts-v1/;

    /* Made by `mix kos.build` from #{app.name}'s kos.exs (version #{version}). */
    #{fragments}
    / {
        compatible = "kos,system-0.10";

        msg_servers {
            main {
                dir_access_control {
    #{acl}            };
            };
        };

        apps {
    #{app_entry(app)}#{admin_entry(app, version)}    };
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
      addresses(app.i2c_addresses) <> env(app.env) <> " };\n"
  end

  defp admin_entry(%{device_admin: nil}, _version), do: ""

  # The rest of the entry is services/device_admin.dtsi's.
  defp admin_entry(%{device_admin: a}, version) do
    "        device_admin {" <>
      env(
        orbit_url: a.orbit,
        device: a.device,
        key_file: a.key,
        version: version,
        deployment_key: a.deployment_key,
        images_dir: a.images
      ) <> " };\n"
  end

  defp addresses([]), do: ""

  defp addresses(list),
    do:
      " i2c_addresses = <" <> Enum.map_join(list, " ", &"0x#{Integer.to_string(&1, 16)}") <> ">;"

  # The `env` node: one property per key, cells for integers, strings for strings.
  defp env([]), do: ""

  defp env(env),
    do: " env { " <> Enum.map_join(env, " ", fn {k, v} -> "#{k} = #{dts_value(v)};" end) <> " };"

  defp dts_value(n) when is_integer(n), do: "<#{n}>"
  defp dts_value(s) when is_binary(s), do: dts_string(s)

  defp dts_value([n | _] = l) when is_integer(n),
    do: "<" <> Enum.map_join(l, " ", &to_string/1) <> ">"

  defp dts_value(l) when is_list(l), do: Enum.map_join(l, ", ", &dts_string/1)

  defp dts_string(s), do: ~s(") <> String.replace(s, ~r/["\\]/, "\\\\\\0") <> ~s(")
end
