"""Stage ``learning_curve``: cross-validated AUC against training-set size, on this cohort.

Inside each outer fold the training patients are subsampled (stratified, repeatedly) to
shares of their number; each subsample trains the arm, which is scored on the outer
fold's test patients only. The pooled held-out AUC per share and repeat is one point; an
inverse power law through the points projects the AUC to cohorts larger than this one.
The radiomics arm costs seconds; a network arm trains folds x shares x repeats models.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from pipeline import formats
from pipeline.config.params import load_params
from pipeline.config.settings import input_settings, train_settings
from pipeline.crossval.executors import run_local
from pipeline.crossval.fold_jobs import fold_jobs
from pipeline.crossval.splits import (
    Fold,
    cross_validation_folds,
    subsampled_fold,
    usable_folds,
)
from pipeline.evaluation.predictions import fold_results_frame
from pipeline.evaluation.radiomics import feature_table
from pipeline.evaluation.reference_models import cross_validated_probabilities
from pipeline.formats import paths
from pipeline.power.arms import detection
from pipeline.power.inverse_power_law import fit_curve, projections


def subsampled_folds(folds: list[Fold], targets, fraction: float, repeat: int, inner_val_size: int,
                     seed: int) -> list[Fold]:
    """Every outer fold with its training side subsampled to ``fraction`` (one repeat)."""
    return [subsampled_fold(fold, targets, fraction, inner_val_size,
                            seed + 7919 * repeat + 104729 * fold.number + round(1000 * fraction))
            for fold in folds]


def arm_points(arm: str, params: dict, folds: list[Fold], targets: dict[str, int]) -> list[dict]:
    """One point (AUC of pooled held-out predictions) per share and repeat of ``arm``."""
    settings = params["learning_curve"]
    inner = params["loocv"]["inner_val_size"]
    plans = [(fraction, repeat, subsampled_folds(folds, targets, fraction, repeat, inner, params["seed"]))
             for fraction in settings["fractions"] for repeat in range(1, settings["repeats"] + 1)]
    features = feature_table(paths.PREPROCESSED, sorted(targets)) if arm == "radiomics" else None
    points = []
    for fraction, repeat, plan in plans:
        if arm == "radiomics":
            predictions = cross_validated_probabilities(arm, features, targets, plan)
        else:
            predictions = network_predictions(arm, params, plan, targets)
        points.append({"arm": arm, "fraction": fraction, "repeat": repeat,
                       "train_patients": float(np.mean([len(f.fitting_ids) for f in plan])),
                       "auc": detection(predictions, 0.05)["auc"]})
        print(f"learning curve {arm}: share {fraction:g}, repeat {repeat}: "
              f"{points[-1]['train_patients']:.1f} training patients, AUC {points[-1]['auc']}", flush=True)
    return points


def network_predictions(network: str, params: dict, plan: list[Fold], targets) -> pd.DataFrame:
    """Held-out predictions of ``network`` trained on each subsampled fold (cached folds)."""
    train = train_settings(params, params["loocv"]["patience"], progress_bar=False,
                           network=network)
    jobs_count = params["loocv"]["jobs"]
    jobs = fold_jobs(plan, train, input_settings(params), targets, paths.PREPROCESSED,
                     paths.LEARNING_CURVE_FOLDS, params["loocv"]["threads"])
    return fold_results_frame(run_local(jobs, jobs_count), targets)


def summary(points: pd.DataFrame, settings: dict, seed: int) -> dict:
    """``metrics/learning_curve.json`` for one arm's points (docs/contract.md)."""
    by_share = points.groupby("fraction")
    rows = [{"train_patients": round(float(group["train_patients"].mean()), 2),
             "auc_mean": round(float(group["auc"].mean()), 4),
             "auc_sd": round(float(group["auc"].std(ddof=1)), 4) if len(group) > 1 else None,
             "repeats": int(group["auc"].notna().sum())} for _, group in by_share]
    samples = {row["train_patients"]: group["auc"].dropna().tolist()
               for row, (_, group) in zip(rows, by_share)}
    fitted = fit_curve(list(samples), [np.mean(v) if v else np.nan for v in samples.values()])
    return {"points": rows, "fit": {k: round(v, 4) for k, v in (fitted or {}).items()},
            "projected": projections({n: v for n, v in samples.items() if v}, settings["project_to"],
                                     settings["bootstrap"], seed),
            "projected_to": "training patients"}


def main() -> None:
    """Runs the stage with params.yaml."""
    params = load_params()
    settings = params["learning_curve"]
    patient_ids, targets = formats.cohort(paths.MANIFEST)
    labels = [targets[i] for i in patient_ids]
    count = usable_folds(labels, settings["folds"])
    if count < settings["folds"]:
        print(f"learning curve: {count} folds, not {settings['folds']}: a class has only "
              f"{min(labels.count(0), labels.count(1))} patients", flush=True)
    folds = cross_validation_folds(patient_ids, labels, "kfold", params["loocv"]["inner_val_size"],
                                   params["seed"], count)
    started, frames, metrics = time.perf_counter(), [], {}
    for arm in settings["arms"]:
        points = pd.DataFrame(arm_points(arm, params, folds, targets))
        frames.append(points)
        metrics[arm] = summary(points, settings, params["seed"])
        projected = ", ".join(f"{n}: {v['auc']}" for n, v in metrics[arm]["projected"].items())
        print(f"learning curve {arm}: projected AUC with {projected} training patients")
    formats.write_learning_points(paths.LEARNING_CURVE_POINTS, pd.concat(frames, ignore_index=True))
    formats.write_metrics(paths.LEARNING_CURVE_METRICS, metrics)
    print(f"learning curve done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
