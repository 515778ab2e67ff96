defmodule Mix.Tasks.Kos.Docs do
  @shortdoc "Writes the kos library's reference as Markdown, readable offline"

  @moduledoc """
  Writes the reference of the `kos` library — every module's documentation, each
  public function with its typespecs and documentation — as Markdown files, one per
  module and an index, from the documentation compiled into the beam files. It needs
  nothing from Hex (ex_doc does) and nothing online: open `doc/kos/index.md` in any
  viewer or editor. In IEx, `h Kos.Rng.bytes` shows the same text.

  Run it in a project that depends on `kos` (one `mix kos.new` made), or name another
  application of the project with `--app`, for instance your own.

  ## Command line options

    * `--out DIR` — where the files go (default: `doc/APP`)
    * `--app APP` — the OTP application to document (default: `kos`)

  ## Examples

      mix kos.docs
      mix kos.docs --app hello --out doc/hello
  """

  use Mix.Task

  @switches [out: :string, app: :string]
  @aliases [o: :out]

  @impl true
  def run(argv) do
    opts = KosMix.options!(argv, @switches, @aliases, "kos.docs")
    Mix.Task.run("compile")
    app = String.to_atom(opts[:app] || "kos")
    _ = Application.load(app)

    modules =
      Application.spec(app, :modules) ||
        Mix.raise(
          "kos.docs: no application #{app} in this project (is it a dependency? `mix deps` lists them)"
        )

    out = opts[:out] || Path.join("doc", to_string(app))
    File.mkdir_p!(out)

    pages =
      for module <- Enum.sort(modules),
          {:docs_v1, _, :elixir, _, moddoc, _, entries} <- [Code.fetch_docs(module)],
          moddoc != :hidden do
        name = inspect(module)
        File.write!(Path.join(out, "#{name}.md"), page(module, name, moddoc, entries))
        {name, summary(moddoc)}
      end

    File.write!(Path.join(out, "index.md"), index(app, pages))

    Mix.shell().info(
      "kos.docs: #{length(pages)} modules of #{app} in #{out}/ (start with #{Path.join(out, "index.md")})"
    )
  end

  @doc false
  def page(module, name, moddoc, entries) do
    specs = specs(module)

    functions =
      for {{kind, fun, arity}, _, signatures, doc, _} <- Enum.sort(entries),
          kind in [:function, :macro],
          doc != :hidden do
        heading = Enum.join(signatures, " / ")

        spec_lines =
          specs
          |> Map.get({fun, arity}, [])
          |> Enum.map_join("", &"    @spec #{&1}\n")

        spec_block = if spec_lines == "", do: "", else: "\n" <> spec_lines

        "### #{heading}#{if kind == :macro, do: " (macro)", else: ""}\n" <>
          spec_block <> "\n" <> text(doc) <> "\n"
      end

    "# #{name}\n\n" <>
      text(moddoc) <>
      "\n" <>
      if(functions == [], do: "", else: "\n## Functions\n\n" <> Enum.join(functions, "\n"))
  end

  defp specs(module) do
    case Code.Typespec.fetch_specs(module) do
      {:ok, specs} ->
        Map.new(specs, fn {{fun, arity}, list} ->
          {{fun, arity}, Enum.map(list, &Macro.to_string(Code.Typespec.spec_to_quoted(fun, &1)))}
        end)

      :error ->
        %{}
    end
  end

  defp text(%{"en" => doc}), do: String.trim_trailing(doc) <> "\n"
  defp text(_), do: "(undocumented)\n"

  defp summary(%{"en" => doc}),
    do: doc |> String.split("\n\n") |> hd() |> String.replace("\n", " ")

  defp summary(_), do: ""

  defp index(app, pages) do
    "# #{app}: reference\n\nWritten by `mix kos.docs` from the compiled documentation.\n\n" <>
      Enum.map_join(pages, "", fn {name, line} -> "- [#{name}](#{name}.md) — #{line}\n" end)
  end
end
