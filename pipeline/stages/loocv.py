"""Stage ``loocv``: one model per fold, each tested on patients it never saw.

Default scheme is the study's leave-one-out. Folds are cached by content (see
``pipeline.crossval.fold_jobs``): re-running after an interruption trains only the unfinished folds.
A line per fold reports progress.
"""

from __future__ import annotations

import time

import pandas as pd

from pipeline import formats
from pipeline.config.params import load_params
from pipeline.config.settings import input_settings, train_settings
from pipeline.crossval.executors import oversubscription, run_jobs
from pipeline.crossval.fold_jobs import FoldJob, fold_jobs
from pipeline.crossval.scheme import cv_folds
from pipeline.crossval.splits import Fold
from pipeline.evaluation.metrics import evaluate, mann_whitney_test, roc_points
from pipeline.evaluation.predictions import fold_results_frame
from pipeline.formats import paths
from pipeline.presentation.formatting import describe_single_class, report_line


def build_jobs(params: dict, folds: list[Fold], targets: dict[str, int]) -> list[FoldJob]:
    """One cached job per fold, keyed on its inputs."""
    settings = train_settings(params, params["loocv"]["patience"], progress_bar=False)
    threads = params["loocv"]["threads"]  # not from jobs: the folds' numbers depend on it
    return fold_jobs(folds, settings, input_settings(params), targets, paths.PREPROCESSED,
                     paths.LOOCV_FOLDS, threads, params["loocv"]["lr_grid"])


def progress_line(result: dict, total: int, targets: dict[str, int]) -> str:
    """``fold 7/24 GBM-012 p=0.81 target=1 (38 s)``."""
    tested = " ".join(f"{pid} p={p:.2f} target={targets[pid]}"
                      for pid, p in zip(result["test_ids"], result["probabilities"]))
    timing = "cached" if result["cached"] else f"{result['seconds']:.0f} s"
    chosen = f" lr={result['lr']:g}" if "lr_losses" in result else ""
    return f"fold {result['fold']}/{total} {tested}{chosen} ({timing})"


def collect(results: list[dict], jobs: list[FoldJob], targets, threshold: float):
    """Predictions (one row per patient) and the fold index, from fold results."""
    cache_of = {job.fold.number: job for job in jobs}
    index = [{"fold": result["fold"], "test_patients": ";".join(result["test_ids"]),
              "run_dir": str(cache_of[result["fold"]].live_dir), "seconds": result["seconds"],
              "best_epoch": result["best_epoch"], "lr": result["lr"]}
             for result in sorted(results, key=lambda r: r["fold"])]
    return fold_results_frame(results, targets, threshold, rounded=True), pd.DataFrame(index)


def lr_selection(grid: list[float], chosen: pd.Series) -> dict:
    """How often each rate of the nested grid was chosen: ``{"grid": [...], "chosen":
    [{"lr": 0.001, "folds": 20}, ...]}`` (a list: a rate's dots would split a dotted key)."""
    counts = chosen.value_counts()
    return {"grid": list(grid),
            "chosen": [{"lr": lr, "folds": int(counts.get(lr, 0))} for lr in grid]}


def main() -> None:
    """Runs the stage with params.yaml."""
    params = load_params()
    # outputs/loocv persists between runs (DVC does not clear it): a fold killed while
    # writing, then never retrained (its inputs changed), would leave its temporary there.
    formats.remove_leftovers(paths.LOOCV)
    patient_ids, targets = formats.cohort(paths.MANIFEST)
    folds = cv_folds(params, patient_ids, targets)
    jobs = build_jobs(params, folds, targets)
    crowded = oversubscription(params["loocv"]["jobs"], params["loocv"]["threads"])
    if crowded:
        print(crowded, flush=True)
    finished = sum(job.result_path.exists() for job in jobs)
    print(f"{params['loocv']['scheme']}: {len(folds)} folds over {len(patient_ids)} patients "
          f"({finished} cached, {len(jobs) - finished} to train, jobs={params['loocv']['jobs']}, "
          f"executor={params['loocv']['executor']})", flush=True)
    started, results = time.perf_counter(), []
    for result in run_jobs(jobs, params["loocv"]["executor"], params["loocv"]["jobs"],
                           params["loocv"]["ray_address"]):
        results.append(result)
        print(progress_line(result, len(folds), targets), flush=True)
    threshold = params["evaluate"]["threshold"]
    predictions, index = collect(results, jobs, targets, threshold)
    formats.write_predictions(paths.LOOCV_PREDICTIONS, predictions)
    formats.write_fold_index(paths.LOOCV_INDEX, index)
    metrics = {**evaluate(predictions["target"], predictions["prob"], threshold,
                          params["evaluate"]["bootstrap"], params["seed"]),
               **mann_whitney_test(predictions["target"], predictions["prob"]),
               "evaluation": "loocv", "scheme": params["loocv"]["scheme"], "folds": len(folds),
               "network": params["model"]["network"]}
    if params["loocv"]["lr_grid"]:
        metrics["lr_selection"] = lr_selection(params["loocv"]["lr_grid"], index["lr"])
    formats.write_metrics(paths.LOOCV_METRICS, metrics)
    formats.write_roc_points(paths.ROC_LOOCV, roc_points(predictions["target"], predictions["prob"]))
    print(f"{params['loocv']['scheme']} done in {time.perf_counter() - started:.0f} s")
    print(report_line("LOOCV", metrics) + f", AUC {metrics['auc']}, p={metrics['p_value']}")
    warning = describe_single_class("LOOCV", metrics)
    if warning:
        print(warning)


if __name__ == "__main__":
    main()
