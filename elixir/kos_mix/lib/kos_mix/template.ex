defmodule KosMix.Template do
  @moduledoc """
  The app template of `mix kos.new`, from `mix-templates/app/` in the checkout.

  The files are read when the archive is compiled, so an installed archive carries
  them. A file ending in `.eex` is rendered with `@app`, `@module` and `@kos_path` and
  loses the suffix; `APP` in a path becomes the app's name, and `gitignore` becomes
  `.gitignore` (kept undotted so the checkout's own git does not read it).
  """

  @template_dir Path.expand("../../../../mix-templates/app", __DIR__)
  @files (for path <- Path.wildcard(Path.join(@template_dir, "**/*"), match_dot: true),
              File.regular?(path) do
            @external_resource path
            {Path.relative_to(path, @template_dir), File.read!(path)}
          end)

  if @files == [] do
    raise "no templates in #{@template_dir}"
  end

  @doc "The template's files as `{relative_path, contents}`, sorted."
  @spec files() :: [{String.t(), String.t()}]
  def files, do: Enum.sort(@files)

  @doc "Renders the template for `assigns` into `{path, contents}` pairs."
  @spec render(keyword()) :: [{String.t(), String.t()}]
  def render(assigns) do
    for {path, contents} <- files() do
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
