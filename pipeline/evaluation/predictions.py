"""The held-out predictions frame: ``patient_id, target, prob, [pred,] fold``, built here only.

Every evaluation (the single split, the folds of a network, the reference models, the
power study's arms) hands its probabilities to these functions, so the frame's columns,
its rounding and the predicted class read the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

# Written probabilities carry six decimals; the predicted class is taken before rounding.
DIGITS = 6


def predictions_frame(patient_ids: Sequence[str], probabilities: Iterable[float],
                      folds: Sequence | None, targets: dict[str, int], threshold: float | None = None,
                      rounded: bool = False) -> pd.DataFrame:
    """One row per patient, in the order given.

    Args:
        folds: each patient's fold (a number, or the single split's part name); None for
            no ``fold`` column (the final model scoring an external cohort).
        threshold: adds ``pred`` (1 when ``prob >= threshold``) unless None.
        rounded: ``prob`` to :data:`DIGITS` decimals, as the stages write it.
    """
    probabilities = [float(p) for p in probabilities]
    frame = pd.DataFrame({"patient_id": list(patient_ids),
                          "target": [targets[i] for i in patient_ids],
                          "prob": [round(p, DIGITS) for p in probabilities] if rounded else probabilities})
    if folds is not None:
        frame["fold"] = list(folds)
    if threshold is None:
        return frame
    return with_predicted_class(frame, threshold, probabilities)


def with_predicted_class(frame: pd.DataFrame, threshold: float,
                         probabilities: Sequence[float] | None = None) -> pd.DataFrame:
    """``frame`` with ``pred`` (1 when the probability >= ``threshold``), taken from the
    unrounded ``probabilities`` when given, else from ``frame["prob"]``."""
    probabilities = frame["prob"] if probabilities is None else probabilities
    return frame.assign(pred=[int(p >= threshold) for p in probabilities])


def fold_results_frame(results: Iterable[dict], targets: dict[str, int],
                       threshold: float | None = None, rounded: bool = False) -> pd.DataFrame:
    """The predictions of finished fold jobs (``test_ids``, ``probabilities``), by fold."""
    ordered = sorted(results, key=lambda result: result["fold"])
    ids = [pid for result in ordered for pid in result["test_ids"]]
    probabilities = [p for result in ordered for p in result["probabilities"]]
    folds = [result["fold"] for result in ordered for _ in result["test_ids"]]
    return predictions_frame(ids, probabilities, folds, targets, threshold, rounded)
