"""LOOCV wall time per fold with ``jobs`` 1 and 2, and what re-running finished folds costs.

The real scheme (leave-one-out) on the built-in cohort, prepared at the default crop: the
first folds of ``pipeline.stages.loocv.build_jobs`` go through ``pipeline.executors.run_local``
in a fresh process, each setting with a fresh fold cache, then the same jobs run again
(all cached). ``max_epochs`` is cut to keep the bench short; the projection to a full
LOOCV scales the per-fold time by the configured epochs (an upper bound: early stopping
can end folds sooner).
"""

from __future__ import annotations

import copy
from statistics import mean

import numpy as np

from bench.context import Context
from bench.figure import Figure, Section
from bench.probe import run_probe
from bench.timing import load_average
from pipeline.executors import threads_per_job

GIB = 2**30


def fold_params(context: Context, jobs: int) -> dict:
    """The params as configured, with the bench's epochs and ``jobs`` sharing the cores."""
    params = copy.deepcopy(context.settings.params)
    params["train"]["max_epochs"] = context.settings.loocv_epochs
    params["loocv"].update(jobs=jobs, threads=threads_per_job(jobs), executor="local")
    return params


def fold_growth(resident: list[int]) -> float:
    """Bytes the LOOCV process keeps per finished fold (slope after the first fold)."""
    later = resident[1:]
    return float(np.polyfit(range(len(later)), later, 1)[0]) if len(later) > 1 else 0.0


def measure(context: Context) -> Section:
    """Per-fold wall time for jobs 1 and 2, the cached re-run, the tree's peak memory."""
    settings = context.settings
    project = context.project(settings.default_crop)
    folds = settings.loocv_folds
    section = Section(f"LOOCV wall time per fold ({settings.params['loocv']['scheme']}, first "
                      f"{folds} folds, max_epochs={settings.loocv_epochs})")
    section.details["load_before"] = load_average()
    probes = {jobs: run_probe("loocv", {
        "project": str(project.root), "params": fold_params(context, jobs), "folds": folds,
        "cache_root": f"bench-folds-jobs{jobs}"}) for jobs in (1, 2)}
    runs = {jobs: probe["result"]["runs"] for jobs, probe in probes.items()}
    per_fold = {jobs: run["trained"]["seconds"] / folds for jobs, run in runs.items()}
    arrivals = runs[1]["trained"]["arrivals"]
    first = arrivals[0]
    later = (arrivals[-1] - arrivals[0]) / (len(arrivals) - 1) if len(arrivals) > 1 else first
    section.figures += [
        Figure("jobs=1, first fold of a fresh process", first, "s",
               "jobs=1, each later fold", later,
               note="the first pays the process's one-off warm-up (kernels, memory)"),
        Figure(f"jobs=1, wall per fold over {folds} folds", per_fold[1], "s",
               "fit inside the fold (mean)", mean(runs[1]["trained"]["fold_seconds"]),
               note="the rest: loading examples, predicting, writing the fold cache"),
        Figure(f"jobs=2, wall per fold over {folds} folds", per_fold[2], "s",
               f"jobs=1, wall per fold over {folds} folds", per_fold[1],
               note="two folds at once, one torch thread each, each worker warms up once"),
    ]
    for jobs, run in runs.items():
        cached = run["cached"]
        section.figures.append(Figure(
            f"re-run of finished folds, jobs={jobs}", cached["seconds"], "s",
            "training them", run["trained"]["seconds"], target="no fold retrained",
            holds=cached["retrained"] == 0, note=f"{cached['retrained']} of {cached['folds']} "
            "retrained" + ("; workers started all the same" if cached["seconds"] > 1 else "")))
    for jobs, probe in probes.items():
        section.figures.append(Figure(
            f"peak memory of the LOOCV process tree, jobs={jobs}", probe["tree_peak_rss_bytes"] / GIB,
            "GiB", "the 4 GiB budget of make run", 4.0,
            note=f"sampled RSS over {folds} folds, workers included"))
    total_folds = probes[1]["result"]["total_folds"]
    growth = fold_growth(runs[1]["trained"]["rss_after_each_fold"])
    section.figures.append(Figure(
        "LOOCV process, jobs=1: resident memory kept per fold", growth / 2**20, "MiB/fold",
        f"the 4 GiB budget over {total_folds} folds", 4 * 1024 / total_folds,
        note=f"slope over folds 2 to {folds}: a rough estimate from few folds"))
    epochs = settings.params["train"]["max_epochs"]
    projection = first + later * (epochs / settings.loocv_epochs * total_folds - 1)
    section.details.update(
        runs={f"jobs={jobs}": run for jobs, run in runs.items()}, first_fold_seconds=first,
        later_fold_seconds=later, per_fold_seconds_jobs1=per_fold[1],
        per_fold_seconds_jobs2=per_fold[2], total_folds=total_folds,
        tree_peak_rss_bytes={f"jobs={jobs}": p["tree_peak_rss_bytes"] for jobs, p in probes.items()},
        growth_bytes_per_fold=growth,
        projected_full_loocv_seconds=projection, load_after=load_average())
    section.findings += [
        f"Over {folds} folds, jobs=2 takes {per_fold[2] / per_fold[1]:.2f}x the wall time per "
        f"fold of jobs=1. The first fold of a process costs {first:.0f} s against {later:.0f} s "
        "for each later one.",
        f"A full LOOCV ({total_folds} folds, up to {epochs} epochs each) projects to at most "
        f"{projection / 60:.0f} min with jobs=1 on this machine under this load.",
    ]
    if runs[2]["cached"]["seconds"] > 10 * max(runs[1]["cached"]["seconds"], 0.1):
        section.findings.append(
            f"With jobs=2, re-running finished folds takes {runs[2]['cached']['seconds']:.1f} s "
            f"(jobs=1: {runs[1]['cached']['seconds']:.3f} s): nothing is retrained, but "
            "run_local starts its worker pool before it knows every fold is cached.")
    return section
