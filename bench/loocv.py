"""The LOOCV stage, in a fresh process on the prepared built-in cohort: wall time per fold
with ``loocv.jobs`` 1 and 2 against the training inside a fold; a re-run with every fold
cached (target: none retrained); the stage's peak memory against the 4 GiB budget; and two
LOOCVs at once against one alone (target: at most 2.2x, fair sharing of the cores being 2x).

Folds train for ``--epochs`` epochs (default 3), enough that training, not start-up, is
most of a fold. The scheme and everything else are as configured.

``python -m bench.loocv [--epochs N]``
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
import time
from pathlib import Path

from bench import common
from pipeline import formats
from pipeline.config.params import read_params
from pipeline.formats import paths

PAIR_TARGET = 2.2


def fresh(root: Path) -> None:
    """Removes the project's LOOCV outputs, fold cache included."""
    shutil.rmtree(root / paths.LOOCV, ignore_errors=True)


def trained_folds(output: str) -> tuple[int, int]:
    """(cached, to train) from the stage's first line."""
    found = re.search(r"\((\d+) cached, (\d+) to train", output)
    if found is None:
        raise RuntimeError(f"the loocv stage did not say what it trains:\n{output[-2000:]}")
    return int(found[1]), int(found[2])


def set_jobs(root: Path, jobs: int) -> None:
    params = read_params(root / paths.PARAMS, recipe=False)
    params["loocv"]["jobs"] = jobs
    common.write_params(root, params)


def at_once(roots: list[Path]) -> float:
    """Wall seconds until LOOCV stages started together in ``roots`` have all finished."""
    started = time.perf_counter()
    processes = [common.start([sys.executable, "-m", "pipeline.stages.loocv"], root) for root in roots]
    for process in processes:
        common.wait(process, started)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict:
    parser = common.parser(__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per fold (default 3)")
    args = parser.parse_args(argv)
    epochs = 1 if args.quick else args.epochs
    section = common.Section("loocv", f"LOOCV stage ({epochs} epoch{'s' * (epochs != 1)} per fold)", argv)
    with common.scratch() as folder:
        root = common.make_project(folder / "project", common.cohort(folder, args.cohort), args.params,
                                   {"train": {"max_epochs": epochs}})
        common.run_stage(root, "prepare")
        runs = {}
        for jobs in (1, 2):
            set_jobs(root, jobs)
            fresh(root)
            child = common.run_stage(root, "loocv")
            index = formats.read_fold_index(root / paths.LOOCV_INDEX)
            runs[jobs] = {"seconds": child.seconds, "folds": len(index), "peak": child.peak_bytes,
                          "fit": statistics.mean(index["seconds"])}
        rerun = common.run_stage(root, "loocv")
        cached, retrained = trained_folds(rerun.output)
        twin = folder / "twin"
        shutil.copytree(root, twin)
        fresh(root)
        fresh(twin)
        pair = at_once([root, twin])
    one, two = runs[1], runs[2]
    section.add(
        common.Row("jobs=1, wall per fold", one["seconds"] / one["folds"], "s",
                   "training inside a fold (mean)", one["fit"],
                   note=f"{one['folds']} folds; the rest: start-up, loading, predicting, caching"),
        common.Row("jobs=2, wall per fold", two["seconds"] / two["folds"], "s",
                   "jobs=1, wall per fold", one["seconds"] / one["folds"],
                   note=f"training inside a fold: {two['fit']:.2f} s (mean), two at once"),
        common.Row("re-run with every fold cached", rerun.seconds, "s", "the run that trained them (jobs=2)",
                   two["seconds"], target="no fold retrained", holds=retrained == 0,
                   note=f"{cached} cached, {retrained} retrained; the rest is start-up and metrics"),
        common.peak_row("LOOCV peak memory, jobs=1", one["peak"], note="the stage's process tree"),
        common.peak_row("LOOCV peak memory, jobs=2", two["peak"], note="workers included"),
        common.Row("two LOOCVs at once (jobs=2 each), wall", pair, "s", "one alone", two["seconds"],
                   target=f"<= {PAIR_TARGET}x one", holds=pair <= PAIR_TARGET * two["seconds"],
                   note="two projects; what `dvc exp run` in a queue with -j 2 runs"))
    section.details["runs"] = runs
    return section.save(args.output)


if __name__ == "__main__":
    main()
