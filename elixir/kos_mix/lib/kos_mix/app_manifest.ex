defmodule KosMix.AppManifest do
  @moduledoc """
  An app's entry in a KOS system manifest, read from the project's `kos.exs`.

  `kos.exs` evaluates to a keyword list:

      [
        memory_mib: 48,                 # the VM's memory budget (a hard limit)
        uses: [:kos_rng_protocol],      # protocols this app calls
        serves: [:weather_protocol],    # protocols this app publishes (in a system of
                                        # several apps, its siblings may use them)
        env: [interval_ms: 5000],       # its application environment on KOS
        i2c_addresses: [0x76],          # with kos_i2c_protocol: the devices it may use
        device_admin: [                 # optional: keep the system connected to Orbit
          orbit: "ws://127.0.0.1:4000",
          device: "my-device",
          key: "device.pem",
          deployment_key: "deploy.pub.pem",
          images: "images"
        ]
      ]

  `env` becomes the manifest entry's `env` node, which KOS sets as the app's
  application environment when its VM starts (over `config/config.exs`): atom keys,
  each an integer from 0 to 2^32 - 1, a string, or a non-empty list of either.

  Every mistake raises with the file, the key and what would be right. Names,
  budgets and addresses are checked against `KosMix.Limits`: the `kos` tool's own
  limits, so a value accepted here is accepted by the manifest checker.
  """

  defstruct [
    :name,
    :app,
    :memory_mib,
    uses: [],
    serves: [],
    env: [],
    i2c_addresses: [],
    device_admin: nil
  ]

  @type t :: %__MODULE__{}

  @keys [:memory_mib, :uses, :serves, :env, :i2c_addresses, :device_admin]
  @admin_keys [:orbit, :device, :key, :deployment_key, :images]

  @doc """
  Reads and checks `kos.exs` in `dir` for the OTP app `app`; `others` are the
  protocols other apps of the same system serve (which its `uses` may name).
  """
  @spec read!(Path.t(), atom(), KosMix.Limits.t(), [String.t()]) :: t()
  def read!(dir, app, limits, others \\ []) do
    file = Path.join(dir, "kos.exs")

    unless File.regular?(file) do
      Mix.raise("""
      #{file} is missing: it is the app's entry in the KOS manifest (memory budget,
      protocols it uses). Projects made by `mix kos.new` have one; add it to this project,
      for example:

          [memory_mib: 48, uses: [:kos_rng_protocol], env: []]
      """)
    end

    {term, _} =
      try do
        Code.eval_file(file)
      rescue
        e -> Mix.raise("#{file} does not evaluate: #{Exception.message(e)}")
      end

    parse!(term, file, app, limits, others)
  end

  @doc "The protocols `kos.exs` in `dir` says its app serves (checked by `read!/4`)."
  @spec served(Path.t()) :: [String.t()]
  def served(dir) do
    file = Path.join(dir, "kos.exs")

    with true <- File.regular?(file),
         {term, _} <- Code.eval_file(file),
         true <- Keyword.keyword?(term),
         list when is_list(list) <- Keyword.get(term, :serves, []) do
      Enum.map(list, &to_string/1)
    else
      _ -> []
    end
  end

  @doc "Checks an evaluated `kos.exs`; `file` names it in errors."
  @spec parse!(term(), String.t(), atom(), KosMix.Limits.t(), [String.t()]) :: t()
  def parse!(term, file, app, limits, others \\ []) do
    unless Keyword.keyword?(term) do
      Mix.raise("#{file} must evaluate to a keyword list, got: #{inspect(term)}")
    end

    case Keyword.keys(term) -- @keys do
      [] ->
        :ok

      [:args | _] ->
        Mix.raise(
          "#{file}: `args` is gone: configure the app with `env: [key: value]` and read it with Application.get_env/2"
        )

      extra ->
        Mix.raise("#{file}: unknown key(s) #{inspect(extra)}; the keys are #{inspect(@keys)}")
    end

    entry = %__MODULE__{
      name: manifest_name!(app, file, limits),
      app: app,
      memory_mib: memory!(Keyword.get(term, :memory_mib, 48), file, limits.memory_mib),
      uses: uses!(Keyword.get(term, :uses, []), file, others),
      serves: serves!(Keyword.get(term, :serves, []), file, limits),
      env: env!(Keyword.get(term, :env, []), file, limits),
      i2c_addresses:
        addresses!(Keyword.get(term, :i2c_addresses, []), file, limits.i2c_addresses),
      device_admin: admin!(Keyword.get(term, :device_admin), file)
    }

    # The I2C server refuses every address an app is not given: say so now, not at
    # run time as :not_permitted.
    if "kos_i2c_protocol" in entry.uses and entry.i2c_addresses == [] do
      Mix.raise(
        "#{file}: uses kos_i2c_protocol but lists no i2c_addresses: add the devices it may use, e.g. `i2c_addresses: [0x76]`"
      )
    end

    entry
  end

  @doc """
  Checks the files a device admin entry names, as the device will read them: `key`
  a private key (PKCS#8 PEM) and `deployment_key` a public key (SPKI PEM), paths taken
  from `dir` as `mix kos.run` runs there.
  """
  @spec check_admin_files!(t(), Path.t()) :: :ok
  def check_admin_files!(%__MODULE__{device_admin: nil}, _dir), do: :ok

  def check_admin_files!(%__MODULE__{device_admin: admin}, dir) do
    pem!(
      dir,
      admin.key,
      "PRIVATE KEY",
      "device_admin key",
      "openssl genpkey -algorithm ed25519 -out #{admin.key}"
    )

    pem!(
      dir,
      admin.deployment_key,
      "PUBLIC KEY",
      "device_admin deployment_key",
      "openssl pkey -in deploy.pem -pubout -out #{admin.deployment_key}"
    )
  end

  defp pem!(dir, path, kind, what, fix) do
    full = Path.expand(path, dir)

    case File.read(full) do
      {:ok, text} ->
        unless text =~ "-----BEGIN #{kind}-----" do
          Mix.raise(
            "kos.exs: #{what} #{path} is not a #{String.downcase(kind)} (PEM); make one with: #{fix}"
          )
        end

        :ok

      {:error, reason} ->
        Mix.raise(
          "kos.exs: #{what} #{path}: #{:file.format_error(reason)}; make one with: #{fix}"
        )
    end
  end

  defp manifest_name!(app, file, limits) do
    name = Atom.to_string(app)

    if KosMix.Limits.valid_name?(name, limits) do
      name
    else
      Mix.raise(
        "#{file}: the app #{inspect(app)} cannot name a manifest node (lowercase letters, digits, _, a letter first; at most #{limits.name_len.last})"
      )
    end
  end

  defp memory!(mib, file, range) do
    if is_integer(mib) and mib in range, do: mib, else: bad_memory!(mib, file, range)
  end

  defp bad_memory!(other, file, range) do
    Mix.raise(
      "#{file}: memory_mib must be a whole number of MiB from #{range.first} to #{range.last}, got: #{inspect(other)}"
    )
  end

  defp uses!(list, file, others) when is_list(list) do
    Enum.map(list, fn protocol ->
      name = to_string(protocol)

      if KosMix.Services.fetch(name) || name in others do
        name
      else
        served =
          if others == [],
            do: "",
            else: "\nand this system's apps serve: #{Enum.join(others, ", ")}"

        Mix.raise("""
        #{file}: unknown protocol #{inspect(protocol)} in uses. KOS serves:
        #{KosMix.Services.describe()}#{served}
        """)
      end
    end)
    |> Enum.uniq()
  end

  defp uses!(other, file, _),
    do: Mix.raise("#{file}: uses must be a list of protocols, got: #{inspect(other)}")

  defp serves!(list, file, limits) when is_list(list) do
    Enum.map(list, fn protocol ->
      name = to_string(protocol)

      cond do
        KosMix.Services.fetch(name) ->
          Mix.raise("#{file}: serves #{name}, which KOS's own system apps serve")

        not KosMix.Limits.valid_name?(name, limits) ->
          Mix.raise(
            "#{file}: serves #{inspect(protocol)}: a protocol is named with lowercase letters, digits and _, a letter first (at most #{limits.name_len.last})"
          )

        true ->
          name
      end
    end)
    |> Enum.uniq()
  end

  defp serves!(other, file, _),
    do: Mix.raise("#{file}: serves must be a list of protocols, got: #{inspect(other)}")

  defp env!(env, file, limits) do
    unless Keyword.keyword?(env) do
      Mix.raise(
        "#{file}: env must be a keyword list like [interval_ms: 5000], got: #{inspect(env)}"
      )
    end

    if length(env) > limits.env_keys.last do
      Mix.raise("#{file}: env has #{length(env)} keys; at most #{limits.env_keys.last}")
    end

    for {key, value} <- env do
      unless KosMix.Limits.valid_env_key?(Atom.to_string(key), limits) do
        Mix.raise(
          "#{file}: env key #{inspect(key)} must be lowercase letters, digits and _, a letter first (at most #{limits.env_key_len.last})"
        )
      end

      unless env_value?(value) do
        Mix.raise(
          "#{file}: env #{key} must be an integer from 0 to 4294967295, a string, or a non-empty list of either, got: #{inspect(value)}"
        )
      end
    end

    env
  end

  defp env_value?(n) when is_integer(n), do: n in 0..0xFFFF_FFFF
  # What the manifest reads back as the same value: text without control characters.
  defp env_value?(s) when is_binary(s),
    do: s != "" and String.printable?(s) and s =~ ~r/\A[^\x00-\x1f\x7f]+\z/u

  defp env_value?([_ | _] = l),
    do:
      Enum.all?(l, &env_value?/1) and (Enum.all?(l, &is_integer/1) or Enum.all?(l, &is_binary/1))

  defp env_value?(_), do: false

  defp addresses!(list, file, range) do
    if is_list(list) and Enum.all?(list, &(is_integer(&1) and &1 in range)) and
         length(Enum.uniq(list)) == length(list) do
      list
    else
      Mix.raise(
        "#{file}: i2c_addresses must be distinct device addresses (#{hex(range.first)}..#{hex(range.last)}), got: #{inspect(list)}"
      )
    end
  end

  defp hex(n), do: "0x" <> String.pad_leading(Integer.to_string(n, 16), 2, "0")

  defp admin!(nil, _file), do: nil

  defp admin!(admin, file) do
    unless Keyword.keyword?(admin) and Enum.sort(Keyword.keys(admin)) == Enum.sort(@admin_keys) and
             Enum.all?(Keyword.values(admin), &is_binary/1) do
      Mix.raise(
        "#{file}: device_admin must give each of #{inspect(@admin_keys)} as a string, got: #{inspect(admin)}"
      )
    end

    Map.new(admin)
  end
end
