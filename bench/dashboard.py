"""The explorer's first page on a warm server: seconds from the request to the LOOCV numbers
on screen in headless Chromium, against the 3 s target, on the outputs of a project that
has run (default: this repository after `make run`).

One load warms the server's caches and the browser's; the figure is the median of the
next loads, each from a blank page.

``python -m bench.dashboard [--root DIR] [--loads N]``
"""

from __future__ import annotations

import statistics
from pathlib import Path

from bench import common
from pipeline import formats
from pipeline.formats import paths
from pipeline.presentation.formatting import format_value
from tests import browser

TARGET_SECONDS = 3.0
FIGURE = "first page: LOOCV numbers after the request, warm server"


def load_seconds(root: Path, loads: int) -> list[float]:
    """Seconds to the LOOCV numbers for each of ``loads`` loads after a warm-up one."""
    loocv = formats.read_metrics(root / paths.LOOCV_METRICS)
    expected = ["LOOCV accuracy", format_value(loocv["accuracy"])]
    with browser.streamlit_server(root) as (url, _, process), browser.chromium() as driver:
        browser.wait_until_healthy(url, process)
        browser.first_page_seconds(driver, url, expected)
        seconds = []
        for _ in range(loads):
            driver.get("about:blank")
            seconds.append(browser.first_page_seconds(driver, url, expected))
    return seconds


def main(argv: list[str] | None = None) -> dict:
    parser = common.parser(__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=common.REPO,
                        help="a project root holding outputs/ and metrics/ (default: this repository)")
    parser.add_argument("--loads", type=int, default=7, help="timed loads (default 7)")
    args = parser.parse_args(argv)
    section = common.Section("dashboard", "the explorer's first page on a warm server", argv)
    target = f"<= {TARGET_SECONDS:g} s"
    root = args.root.resolve()
    if not browser.chromium_available():
        section.add(common.pending(FIGURE, "s", target, "needs Debian's chromium and chromium-driver"))
    elif not (root / paths.LOOCV_METRICS).is_file():
        section.add(common.pending(FIGURE, "s", target, f"no {paths.LOOCV_METRICS} in {root}: run `make run`"))
    else:
        seconds = load_seconds(root, 2 if args.quick else args.loads)
        median = statistics.median(seconds)
        included = len(formats.included_patients(formats.read_manifest(root / paths.MANIFEST)))
        section.add(common.Row(FIGURE, median, "s", target=target, holds=median <= TARGET_SECONDS,
                               note=f"median of {len(seconds)} loads, {min(seconds):.2f}-"
                                    f"{max(seconds):.2f} s; {included} included patients"))
        section.details["seconds"] = seconds
    return section.save(args.output)


if __name__ == "__main__":
    main()
