defmodule KosMix.SystemManifest do
  @moduledoc """
  The system manifest (`system.dts`) of an image: its apps (one, or every app of an
  umbrella), the system apps that serve the KOS protocols they use, the grants of the
  protocols they serve to the apps that use them, and — when a `kos.exs` asks for it —
  the device admin that keeps the system connected to Orbit (granted
  `kos_root_protocol`, so that Orbit can restart and upgrade it).
  """

  alias KosMix.{AppManifest, Services}

  @doc """
  The manifest text for `apps` (one app or a list) at `version`: the system apps'
  fragments from the checkout at `root` (`systems/services/*.dtsi`, copied in so the
  image stands alone), then the grants and the apps' own entries.
  """
  @spec render(AppManifest.t() | [AppManifest.t()], String.t(), Path.t()) :: String.t()
  def render(%AppManifest{} = app, version, root), do: render([app], version, root)

  def render(apps, version, root) when is_list(apps) do
    admin = Enum.find_value(apps, & &1.device_admin)
    served = for app <- apps, protocol <- app.serves, into: %{}, do: {protocol, app.name}
    grants = grants(apps, admin)

    servers =
      grants
      |> Enum.reject(fn {protocol, _} -> Map.has_key?(served, protocol) end)
      |> Enum.map(fn {protocol, _} -> Services.fetch(protocol).server end)
      |> Kernel.++(if admin, do: ["device_admin"], else: [])
      |> Enum.uniq()

    fragments =
      for server <- servers, text = Services.include!(root, server), into: "" do
        "/* systems/services/#{server}.dtsi */\n" <> text <> "\n"
      end

    # The fragments name each KOS protocol's server; the grants add the clients
    # (kos_root_protocol, built into `_root`, has no fragment unless device_admin's).
    # A protocol an app serves names that app.
    acl =
      Enum.map(grants, fn {protocol, clients} ->
        server = Map.get(served, protocol) || Services.fetch(protocol).server

        servers =
          if server == "_root" or Map.has_key?(served, protocol),
            do: ~s(servers = "#{server}"; ),
            else: ""

        quoted = Enum.map_join(clients, ", ", &~s("#{&1}"))
        clients = if clients == [], do: "", else: "clients = #{quoted}; "
        "                #{protocol} { #{servers}#{clients}};\n"
      end)

    names = Enum.map_join(apps, ", ", & &1.name)

    """
    /dts-v1/;

    /* Made by `mix kos.build` from the kos.exs of #{names} (version #{version}). */
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
    #{Enum.map_join(apps, "", &app_entry/1)}#{admin_entry(admin, version)}    };
    };
    """
  end

  # protocol => clients, for the apps, the protocols they serve, and the device admin.
  defp grants(apps, admin) do
    admin = if admin, do: [{"kos_root_protocol", "device_admin"}], else: []
    uses = for app <- apps, protocol <- app.uses, do: {protocol, app.name}
    serves = for app <- apps, protocol <- app.serves, do: {protocol, nil}

    (uses ++ serves ++ admin)
    |> Enum.group_by(&elem(&1, 0), &elem(&1, 1))
    |> Enum.map(fn {protocol, clients} -> {protocol, Enum.reject(clients, &is_nil/1)} end)
    |> Enum.sort()
  end

  defp app_entry(app) do
    servers = if app.uses == [] and app.serves == [], do: "", else: ~s( msg_servers = "main";)

    ~s(        #{app.name} { kind = "beam"; app = "#{app.name}";#{servers} memory_mib = <#{app.memory_mib}>;) <>
      addresses(app.i2c_addresses) <> env(app.env) <> " };\n"
  end

  defp admin_entry(nil, _version), do: ""

  # The rest of the entry is services/device_admin.dtsi's.
  defp admin_entry(a, version) do
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
