defmodule KosMix.Limits do
  @moduledoc """
  The manifest's limits — name lengths and characters, memory budgets, I2C addresses —
  as the `kos` tool's checker applies them (`kos manifest limits --format erlang`),
  so the tasks check `kos.exs` by the same rules and name the key at fault, without a
  copy of the rules that could drift from `kos-manifest`.
  """

  @typedoc "`%{memory_mib: 8..4096, name_len: 1..32, …, name_first: ~c\"a…z\", name_chars: …}`"
  @type t :: %{atom() => Range.t() | charlist()}

  @doc "The limits of the `kos` binary in the checkout at `root` (read once per VM)."
  @spec fetch!(Path.t()) :: t()
  def fetch!(root) do
    kos = KosMix.Checkout.binary!(root, "kos")
    key = {__MODULE__, kos, File.stat!(kos).mtime}

    case :persistent_term.get(key, nil) do
      nil ->
        limits = read!(kos)
        :persistent_term.put(key, limits)
        limits

      limits ->
        limits
    end
  end

  @doc "Is `name` a valid manifest node name under `limits`?"
  @spec valid_name?(String.t(), t()) :: boolean()
  def valid_name?(name, limits), do: name_like?(name, limits.name_len, limits)

  @doc "Is `key` a valid key of an app's `env` node under `limits` (a name's characters)?"
  @spec valid_env_key?(String.t(), t()) :: boolean()
  def valid_env_key?(key, limits), do: name_like?(key, limits.env_key_len, limits)

  defp name_like?(text, lengths, limits) do
    case String.to_charlist(text) do
      [first | rest] ->
        first in limits.name_first and Enum.all?(rest, &(&1 in limits.name_chars)) and
          byte_size(text) in lengths

      [] ->
        false
    end
  end

  defp read!(kos) do
    case System.cmd(kos, ["manifest", "limits", "--format", "erlang"], stderr_to_stdout: true) do
      {text, 0} -> parse!(text, kos)
      {text, _} -> Mix.raise("#{kos} manifest limits failed:\n#{text}")
    end
  end

  @doc false
  # The terms `kos manifest limits --format erlang` prints, as a map.
  def parse!(text, source \\ "kos manifest limits") do
    {:ok, tokens, _} = :erl_scan.string(String.to_charlist(text))

    tokens
    |> Enum.chunk_while([], &chunk_form/2, &{:cont, Enum.reverse(&1), []})
    |> Enum.reject(&(&1 == []))
    |> Map.new(fn form ->
      case :erl_parse.parse_term(form) do
        {:ok, {:limit, key, min, max}} -> {key, min..max}
        {:ok, {:name_chars, first, rest}} -> {:name, {first, rest}}
        other -> Mix.raise("#{source} printed a term the tasks do not know: #{inspect(other)}")
      end
    end)
    |> then(fn m ->
      {{first, rest}, m} = Map.pop!(m, :name)
      Map.merge(m, %{name_first: String.to_charlist(first), name_chars: String.to_charlist(rest)})
    end)
  end

  defp chunk_form({:dot, _} = dot, acc), do: {:cont, Enum.reverse([dot | acc]), []}
  defp chunk_form(token, acc), do: {:cont, [token | acc]}
end
