"""Collects the metrics files into one comparison, for the console, the dashboard and the report.

The honest estimates come first (LOOCV, hold-out, baselines); resubstitution is always
marked optimistic because it scores patients the model was trained on.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline import formats
from pipeline.formats import paths
from pipeline.presentation.formatting import format_interval, format_p_value

# Display order: honest numbers first.
EVALUATIONS = {
    "LOOCV": paths.LOOCV_METRICS,
    "Hold-out": paths.HOLDOUT_METRICS,
    "Resubstitution (optimistic)": paths.RESUBSTITUTION_METRICS,
}
TABLE_METRICS = ["accuracy", "sensitivity", "specificity", "balanced_accuracy", "auc"]
NOTES = {
    "LOOCV": "each patient scored by a model that never saw it",
    "Hold-out": "the single split's held-out patients",
    "Resubstitution (optimistic)": "includes the patients the model was trained on",
    "External": "the final model on data_external/, patients it never saw",
    "Baseline: prior": "predicts the training prevalence; exposes LOOCV's distributional bias",
    "Baseline: radiomics": "PyRadiomics brainstem features, selected in each fold, logistic regression",
}


_REFERENCE_MODELS = {"Baseline: prior": "prior", "Baseline: radiomics": "radiomics"}


def load_results(root: str | Path = ".") -> dict[str, dict | None]:
    """Every metrics object by display name; ``None`` for a file not produced yet."""
    root = Path(root)
    results: dict[str, dict | None] = {}
    for name, path in EVALUATIONS.items():
        results[name] = formats.read_metrics(root / path) if (root / path).exists() else None
    baselines_path = root / paths.BASELINE_METRICS
    baselines = formats.read_metrics(baselines_path) if baselines_path.exists() else {}
    for baseline, metrics in baselines.items():
        results[f"Baseline: {baseline}"] = metrics
    return results


def results_table(results: dict[str, dict | None], digits: int = 2) -> pd.DataFrame:
    """One row per evaluation: n, each rate with its 95% interval, AUC, p-value, note."""
    rows = []
    for name, metrics in results.items():
        if metrics is None:
            continue
        row = {"evaluation": name, "model": metrics.get("network", _REFERENCE_MODELS.get(name, "")),
               "n": metrics["n"]}
        for metric in TABLE_METRICS:
            row[metric] = format_interval(metrics[metric], metrics["ci95"].get(metric), digits)
        p_value = metrics.get("permutation_p_value", metrics.get("p_value"))
        row["p_value"] = format_p_value(p_value)
        note = NOTES.get(name, "")
        if metrics.get("single_class"):
            note = "predicted one class for every patient; " + note
        row["note"] = note
        rows.append(row)
    return pd.DataFrame(rows)


CALIBRATION_METRICS = ["brier", "calibration_intercept", "calibration_slope"]


def calibration_table(results: dict[str, dict | None], digits: int = 2) -> pd.DataFrame:
    """One row per evaluation: n, Brier score, calibration intercept and slope with 95%
    intervals ("n/a" where undefined, e.g. a slope under perfect separation)."""
    rows = []
    for name, metrics in results.items():
        if metrics is None or "brier" not in metrics:
            continue
        row = {"evaluation": name, "n": metrics["n"]}
        for metric in CALIBRATION_METRICS:
            row[metric] = format_interval(metrics[metric], metrics["ci95"].get(metric), digits)
        rows.append(row)
    return pd.DataFrame(rows, columns=["evaluation", "n", *CALIBRATION_METRICS])
