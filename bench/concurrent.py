"""Two pipelines at once against one alone: do training processes share the cores?

Each pipeline is a child process running a stratified 5-fold cross-validation of the
configured recipe on the prepared built-in cohort, with a fresh fold cache and the
configured ``loocv.jobs`` (``python -m bench.concurrent PROJECT CACHE EPOCHS``). Fair
sharing of the cores makes two at once take about twice one; oversubscribed OpenMP teams
that spin took four times as long. With ablations, the same pair with spinning waiters
(``OMP_WAIT_POLICY=ACTIVE``) shows what the kit's passive default avoids.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.context import Context
from bench.figure import Figure, Section
from bench.timing import load_average

EPOCHS = 10  # a fold of seconds: long enough that start-up is a small part of it


def run_pipelines(project: Path, count: int, epochs: int, environment: dict | None = None) -> float:
    """Wall seconds until ``count`` cross-validations started together have all finished."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, **(environment or {}), "PYTHONPATH": str(root)}
    started = time.perf_counter()
    stamp = f"{time.time_ns()}"
    processes = [subprocess.Popen([sys.executable, "-m", "bench.concurrent", str(project),
                                   f"bench-concurrent-{stamp}-{index}", str(epochs)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for index in range(count)]
    for process in processes:
        _, stderr = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"a concurrent pipeline failed:\n{stderr[-2000:]}")
    return time.perf_counter() - started


def measure(context: Context) -> Section:
    """One cross-validation alone, then two at once (and, with ablations, two spinning)."""
    settings = context.settings
    project = context.project(settings.default_crop)
    epochs = min(EPOCHS, settings.params["train"]["max_epochs"])
    jobs = settings.params["loocv"]["jobs"]
    section = Section(f"Two pipelines at once (5-fold CV, {epochs} epochs, loocv.jobs={jobs} each)")
    section.details["load_before"] = load_average()
    alone = run_pipelines(project.root, 1, epochs)
    pair = run_pipelines(project.root, 2, epochs)
    section.figures.append(Figure(
        "two pipelines at once, wall", pair, "s", "one alone", alone, target="<= 2.2x one",
        holds=pair <= 2.2 * alone, note=f"{2 * jobs} training processes on {os.cpu_count()} cores"))
    if settings.ablations:
        spinning = run_pipelines(project.root, 2, epochs, {"OMP_WAIT_POLICY": "ACTIVE"})
        section.figures.append(Figure(
            "two pipelines at once, spinning OpenMP waiters", spinning, "s", "one alone", alone,
            note="OMP_WAIT_POLICY=ACTIVE: what the kit's PASSIVE default avoids"))
    section.details.update(alone_seconds=alone, pair_seconds=pair, load_after=load_average())
    section.findings.append(f"Two cross-validations at once took {pair / alone:.2f}x the wall time "
                            "of one alone (2x is fair sharing of the cores).")
    return section


def cross_validate(project: Path, cache: str, epochs: int) -> None:
    """One 5-fold cross-validation of the configured recipe on ``project``'s prepared cohort."""
    from pipeline import artifacts, paths
    from pipeline.executors import run_local
    from pipeline.fold_cache import fold_jobs
    from pipeline.params import read_params
    from pipeline.settings import input_settings, train_settings
    from pipeline.splits import cross_validation_folds

    params = read_params()
    params["train"]["max_epochs"] = epochs
    ids, targets = artifacts.cohort(project / paths.MANIFEST)
    folds = cross_validation_folds(ids, [targets[i] for i in ids], "kfold",
                                   params["loocv"]["inner_val_size"], params["seed"], 5)
    jobs = params["loocv"]["jobs"]
    plan = fold_jobs(folds, train_settings(params, params["loocv"]["patience"], progress_bar=False),
                     input_settings(params), targets, project / paths.PREPROCESSED,
                     project / "outputs" / cache, params["loocv"]["threads"])
    list(run_local(plan, jobs))


if __name__ == "__main__":
    cross_validate(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
