"""Writes the HTML template that makes ``dvc plots show`` work without a network.

DVC's own page loads Vega, Vega-Lite and Vega-Embed from a CDN, so on an offline machine
(a hospital network) it is blank. This template has the three libraries inlined, and no
``{scripts}`` placeholder, where DVC would put the CDN tags. ``.dvc/config`` names it
(``plots.html_template``), so a plain ``dvc plots show`` uses it; ``make plots`` too.

The committed ``report/dvc_plots.html`` was written from the npm packages' builds:

    npm pack vega@5.33.1 vega-lite@5.23.0 vega-embed@6.29.0
    for f in vega-*.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
    python -m report.plots_template vega-5.33.1/package vega-lite-5.23.0/package \\
        vega-embed-6.29.0/package

Vega-Lite 5 and Vega 5 are the major versions DVC's own page asks for.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

TEMPLATE = Path(__file__).with_name("dvc_plots.html")
LIBRARIES = ("vega", "vega-lite", "vega-embed")  # in load order: each needs the ones before
# DVC replaces these with its own content; none may occur inside the libraries.
PLACEHOLDERS = ("{plot_divs}", "{scripts}", "{refresh_tag}")

PAGE = """<!DOCTYPE html>
<html>
<head>
    {{refresh_tag}}
    <meta charset="utf-8">
    <title>DVC plots</title>
    <!-- {versions}: inlined so the page needs no network (report/plots_template.py). -->
{scripts}
    <style>
        table {{ border-spacing: 15px; }}
    </style>
</head>
<body>
    {{plot_divs}}
</body>
</html>
"""


def _script(package: Path) -> tuple[str, str]:
    """The minified build of an npm package as an inline script, and ``name@version``."""
    manifest = json.loads((package / "package.json").read_text(encoding="utf-8"))
    code = (package / "build" / f"{manifest['name']}.min.js").read_text(encoding="utf-8")
    if "</script" in code or any(placeholder in code for placeholder in PLACEHOLDERS):
        raise ValueError(f"{manifest['name']} cannot be inlined: it holds '</script' or a "
                         "DVC placeholder")
    return f"<script>\n{code}\n</script>", f"{manifest['name']}@{manifest['version']} ({manifest['license']})"


def write_template(packages: list[Path], output: Path = TEMPLATE) -> Path:
    """Writes the template from the packages' folders (``vega``, ``vega-lite``, ``vega-embed``)."""
    scripts, versions = zip(*(_script(package) for package in packages))
    output.write_text(PAGE.format(versions=", ".join(versions), scripts="\n".join(scripts)),
                      encoding="utf-8")
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs=3, type=Path, metavar="PACKAGE",
                        help="the unpacked npm packages, in the order " + ", ".join(LIBRARIES))
    print(write_template(parser.parse_args().packages))


if __name__ == "__main__":
    main()
