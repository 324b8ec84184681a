"""Stage ``headline``: each evaluation's headline figures in one small metrics file.

The full metrics files hold counts, thresholds and interval bounds, over a hundred
columns in ``dvc exp show``. This file holds only what compares runs (AUC, balanced
accuracy, p against chance), under names found in no other metrics file, so DVC shows
them without a file prefix and the ``dvc exp show`` of docs/experiments.md fits a 160-column terminal.
"""

from __future__ import annotations

from pipeline import formats
from pipeline.formats import paths

# headline name -> (metrics file, baseline name or None, key)
FIGURES = {
    "loocv_auc": (paths.LOOCV_METRICS, None, "auc"),
    "loocv_bacc": (paths.LOOCV_METRICS, None, "balanced_accuracy"),
    "loocv_p": (paths.LOOCV_METRICS, None, "p_value"),
    "holdout_auc": (paths.HOLDOUT_METRICS, None, "auc"),
    "holdout_bacc": (paths.HOLDOUT_METRICS, None, "balanced_accuracy"),
    "radiomics_auc": (paths.BASELINE_METRICS, "radiomics", "auc"),
    "radiomics_p": (paths.BASELINE_METRICS, "radiomics", "permutation_p_value"),
}


def headline(metrics_by_file: dict) -> dict:
    """The headline figures from the metrics files' contents (None where a figure is missing)."""
    figures = {}
    for name, (path, baseline, key) in FIGURES.items():
        metrics = metrics_by_file.get(path) or {}
        if baseline is not None:
            metrics = metrics.get(baseline) or {}
        figures[name] = metrics.get(key)
    return figures


def main() -> None:
    files = {path for path, _, _ in FIGURES.values()}
    formats.write_metrics(paths.HEADLINE_METRICS,
                            headline({path: formats.read_metrics(path) for path in files}))


if __name__ == "__main__":
    main()
