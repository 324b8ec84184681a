"""Renders ``report/report.qmd`` to a self-contained ``report/report.html``.

Quarto renders it wherever it is installed. Where it is not (CI, machines without
internet: Quarto's PyPI package downloads its binary at install time), the same source
goes through the Jupyter stack: parsed into a notebook, executed with nbclient, exported
with nbconvert. One source, two renderers. Either way the cells run with the repository
root as working directory, so they read the outputs through ``pipeline.formats.paths``.

Usage (from the repository root)::

    python -m report.render [--root DIR] [--source QMD] [--output HTML] [--engine auto]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml
from plotly.io import to_html
from plotly.io.base_renderers import MimetypeRenderer

from pipeline import formats
from pipeline.formats import paths, write_text
from pipeline.presentation.checklist import checklist_table

CODE_ROOT = Path(__file__).resolve().parents[1]
QUARTO_MISSING = ("Quarto not found: rendering {source} with the Jupyter stack "
                  "(nbclient + nbconvert)")
CELL_TIMEOUT_S = 600
CODE_FENCE = re.compile(r"^```\{python\}\s*$")
# Quarto cell options the Jupyter path honours, as nbconvert's tag-removal tags.
OPTION_TAGS = {"echo": "remove_input", "include": "remove_cell", "output": "remove_output"}

# The lab template without the scripts it loads from CDNs (RequireJS, MathJax, Mermaid):
# the report needs none of them, and RequireJS would capture the inlined plotly.js.
OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style>
  main { max-width: 1150px; margin: 0 auto; padding: 0 1em 3em; }
  .jp-RenderedHTMLCommon table { margin: 0.5em 0 1em; }
  .jp-RenderedHTMLCommon table.dataframe td, .jp-RenderedHTMLCommon table.dataframe th {
    text-align: left; }
  .jp-RenderedHTMLCommon table.dataframe td:not(:last-child) { white-space: nowrap; }
</style>
{%- endblock extra_css -%}
"""


# --- plotly output (used by the report's cells, under both renderers) -----------------


class EmbeddedPlotlyRenderer(MimetypeRenderer):
    """A figure as inline HTML, with plotly.js itself inside the first figure only.

    Plotly's own notebook renderers load MathJax (and plotly.js when connected) from a
    CDN; this one embeds everything, so the page opens offline and stays one file.
    """

    def __init__(self) -> None:
        # Plotly shows each figure through a shallow copy of its renderer: the flag lives in
        # a dict so that the copies share it.
        self.state = {"library_sent": False}

    def to_mimebundle(self, fig_dict: dict) -> dict:
        html = to_html(fig_dict, include_plotlyjs=not self.state["library_sent"],
                       include_mathjax=False, full_html=False, default_width="100%",
                       validate=False, config={"displaylogo": False, "responsive": True})
        self.state["library_sent"] = True
        return {"text/html": html}


def use_embedded_plotly() -> None:
    """Makes ``fig.show()`` (and a figure as a cell's last value) use the embedded renderer."""
    import plotly.io as pio

    pio.renderers["embedded"] = EmbeddedPlotlyRenderer()
    pio.renderers.default = "embedded"


# --- .qmd -> notebook -----------------------------------------------------------------


def split_front_matter(text: str) -> tuple[dict, str]:
    """The YAML front matter of a .qmd (``{}`` if none) and the body after it."""
    match = re.match(r"^---\s*\n(.*?)\n---\s*\n", text, flags=re.DOTALL)
    if not match:
        return {}, text
    return yaml.safe_load(match.group(1)) or {}, text[match.end():]


def cell_options(lines: list[str]) -> tuple[dict, list[str]]:
    """The ``#|`` options at the top of a code cell, and the code after them."""
    count = 0
    while count < len(lines) and lines[count].startswith("#|"):
        count += 1
    options = yaml.safe_load("\n".join(line[2:].strip() for line in lines[:count])) or {}
    return options, lines[count:]


def code_cell(lines: list[str], defaults: dict) -> nbformat.NotebookNode:
    """A notebook code cell; Quarto options become tags (``echo: false`` -> remove_input)."""
    options, code = cell_options(lines)
    options = {**defaults, **options}
    tags = list(options.get("tags", []))
    tags += [tag for option, tag in OPTION_TAGS.items() if options.get(option) is False]
    return nbformat.v4.new_code_cell("\n".join(code).strip("\n"), metadata={"tags": tags})


def title_cell(front_matter: dict) -> nbformat.NotebookNode | None:
    """The title block Quarto draws from the front matter, as a markdown cell."""
    if "title" not in front_matter:
        return None
    lines = [f"# {front_matter['title']}"]
    if front_matter.get("subtitle"):
        lines.append(f"*{front_matter['subtitle']}*")
    return nbformat.v4.new_markdown_cell("\n\n".join(lines))


def qmd_to_notebook(text: str) -> nbformat.NotebookNode:
    """Parses a .qmd (front matter, markdown, ```{python} cells) into an unexecuted notebook."""
    front_matter, body = split_front_matter(text)
    defaults = {key: value for key, value in (front_matter.get("execute") or {}).items()
                if key in OPTION_TAGS}
    cells, markdown, code = [title_cell(front_matter)], [], None
    for line in body.splitlines():
        if code is None and CODE_FENCE.match(line):
            cells.append(nbformat.v4.new_markdown_cell("\n".join(markdown).strip()))
            markdown, code = [], []
        elif code is not None and line.strip() == "```":
            cells.append(code_cell(code, defaults))
            code = None
        else:
            (markdown if code is None else code).append(line)
    cells.append(nbformat.v4.new_markdown_cell("\n".join(markdown).strip()))
    notebook = nbformat.v4.new_notebook(metadata={"title": front_matter.get("title", "")})
    notebook.cells = [cell for cell in cells if cell is not None and cell.source]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


# --- rendering --------------------------------------------------------------------------


def kernel_environment() -> dict:
    """The environment for the report's kernel: this checkout's code importable."""
    python_path = [str(CODE_ROOT), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(part for part in python_path if part)}


def execute(notebook: nbformat.NotebookNode, root: Path, timeout: int = CELL_TIMEOUT_S) -> None:
    """Runs every cell in a fresh python3 kernel of this interpreter, cwd = ``root``."""
    import zmq
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from traitlets.config import Config

    # Encrypt the local kernel connection where pyzmq can (ipykernel warns otherwise).
    encryption = "auto" if zmq.has("curve") else "disabled"
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(root)}},
                            config=Config({"KernelManager": {"transport_encryption": encryption}}))
    try:
        client.execute(cwd=str(root), env=kernel_environment())
    except CellExecutionError as error:
        raise SystemExit(f"A report cell failed; no report written.\n{error}") from None


def export_html(notebook: nbformat.NotebookNode) -> str:
    """One HTML page, code hidden per the cells' tags, nothing loaded from the network."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="lab", raw_template=OFFLINE_TEMPLATE,
                            exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True)
    exporter.register_preprocessor(TagRemovePreprocessor(
        remove_cell_tags={"remove_cell"}, remove_input_tags={"remove_input"},
        remove_all_outputs_tags={"remove_output"}, enabled=True), enabled=True)
    body, _ = exporter.from_notebook_node(notebook)
    return body


def render_with_jupyter(source: Path, output: Path, root: Path) -> None:
    """The Jupyter-stack renderer: parse, execute, export, write atomically."""
    notebook = qmd_to_notebook(source.read_text(encoding="utf-8"))
    execute(notebook, root)
    write_text(output, export_html(notebook))


def render_with_quarto(quarto: str, source: Path, output: Path, root: Path) -> None:
    """``quarto render`` with this interpreter's kernel, cwd of the cells = ``root``."""
    environment = {**kernel_environment(), "QUARTO_PYTHON": sys.executable}
    subprocess.run([quarto, "render", str(source), "--to", "html",
                    "--execute-dir", str(root.resolve())], check=True, env=environment)
    produced = source.with_suffix(".html")
    if produced.resolve() != output.resolve():
        output.parent.mkdir(parents=True, exist_ok=True)
        os.replace(produced, output)


def render(source: Path, output: Path, root: Path, engine: str = "auto") -> str:
    """Renders ``source`` to ``output``, reading the outputs under ``root``.

    Returns:
        The engine used: ``"quarto"`` or ``"jupyter"``.
    """
    quarto = shutil.which("quarto")
    if engine == "quarto" or (engine == "auto" and quarto):
        if quarto is None:
            raise SystemExit("Quarto not found on PATH (asked for --engine quarto).")
        render_with_quarto(quarto, source, output, root)
        return "quarto"
    if engine == "auto":
        print(QUARTO_MISSING.format(source=source), flush=True)
    render_with_jupyter(source, output, root)
    return "jupyter"


def main(argv: list[str] | None = None) -> None:
    """Command line: renders the report of the outputs under ``--root``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."),
                        help="repository root whose outputs/ and metrics/ are reported")
    parser.add_argument("--source", type=Path, default=paths.REPORT_SOURCE)
    parser.add_argument("--output", type=Path, default=None,
                        help=f"default: ROOT/{paths.REPORT_HTML}")
    parser.add_argument("--engine", choices=["auto", "quarto", "jupyter"], default="auto",
                        help="auto: Quarto if installed, else the Jupyter stack")
    args = parser.parse_args(argv)
    output = args.output or args.root / paths.REPORT_HTML
    render(args.source, output, args.root, args.engine)
    formats.write_checklist(output.parent / paths.REPORT_CHECKLIST.name, checklist_table())
    print(f"report written to {output}, its TRIPOD+AI checklist beside it")


if __name__ == "__main__":
    main()
