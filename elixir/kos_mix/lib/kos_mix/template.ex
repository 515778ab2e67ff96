defmodule KosMix.Template do
  @moduledoc """
  The templates of `mix kos.new`, from the checkout: `mix-templates/app/` (one app) and
  `mix-templates/system/` (`--system`: an umbrella of two apps that talk over
  `Kos.Msg`).

  The files are read when the archive is compiled, so an installed archive carries
  them. A file ending in `.eex` is rendered with `@app`, `@module` and `@kos_path` and
  loses the suffix; `APP` in a path becomes the app's name, and `gitignore` becomes
  `.gitignore` (kept undotted so the checkout's own git does not read it).
  """

  @templates Path.expand("../../../../mix-templates", __DIR__)
  @files (for kind <- [:app, :system] do
            dir = Path.join(@templates, Atom.to_string(kind))

            files =
              for path <- Path.wildcard(Path.join(dir, "**/*"), match_dot: true),
                  File.regular?(path) do
                @external_resource path
                {Path.relative_to(path, dir), File.read!(path)}
              end

            if files == [], do: raise("no templates in #{dir}")
            {kind, Enum.sort(files)}
          end)

  @doc "A template's files (`:app` or `:system`) as `{relative_path, contents}`, sorted."
  @spec files(:app | :system) :: [{String.t(), String.t()}]
  def files(kind \\ :app), do: Keyword.fetch!(@files, kind)

  @doc "Renders a template for `assigns` into `{path, contents}` pairs."
  @spec render(keyword(), :app | :system) :: [{String.t(), String.t()}]
  def render(assigns, kind \\ :app) do
    for {path, contents} <- files(kind) do
      path = path |> String.replace("APP", assigns[:app]) |> dotfile()

      if String.ends_with?(path, ".eex") do
        {String.replace_suffix(path, ".eex", ""), EEx.eval_string(contents, assigns: assigns)}
      else
        {path, contents}
      end
    end
  end

  defp dotfile("gitignore"), do: ".gitignore"
  defp dotfile(path), do: path
end
