"""The arms of a comparison (each network, radiomics, prior) cross-validated on one cohort.

Every arm goes through the same folds and is judged by the same test: the one-sided
Mann-Whitney U test on its held-out probabilities (AUC > 0.5). The power study, the
controls and the learning curve all use these functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from pipeline.metrics import evaluate, mann_whitney_test
from pipeline.radiomics import feature_table
from pipeline.reference_models import MODELS, cross_validated_probabilities
from pipeline.splits import Fold

REFERENCE_ARMS = tuple(MODELS)  # radiomics and prior; every other arm is a network name
BLIND_ARMS = ("prior",)  # see no image: they must never detect anything


def fold_predictions(results: Iterable[dict], targets: dict[str, int]) -> pd.DataFrame:
    """Held-out predictions (``patient_id, target, prob, fold``) from finished fold jobs."""
    rows = [{"patient_id": pid, "target": targets[pid], "prob": float(prob), "fold": result["fold"]}
            for result in results for pid, prob in zip(result["test_ids"], result["probabilities"])]
    return pd.DataFrame(rows, columns=["patient_id", "target", "prob", "fold"])


def reference_features(preprocessed_dir: str | Path, targets: dict[str, int]) -> pd.DataFrame:
    """The reference models' features of every patient of ``targets``."""
    return feature_table(preprocessed_dir, sorted(targets))


def reference_predictions(arm: str, features: pd.DataFrame, targets: dict[str, int],
                          folds: list[Fold]) -> pd.DataFrame:
    """Held-out predictions of the reference model ``arm`` through ``folds``."""
    return cross_validated_probabilities(arm, features, targets, folds)


def detection(predictions: pd.DataFrame, alpha: float) -> dict:
    """``auc``, ``p_value`` and ``detected`` (p < alpha) of one arm's held-out predictions."""
    auc = evaluate(predictions["target"], predictions["prob"], bootstrap=0)["auc"]
    p_value = mann_whitney_test(predictions["target"], predictions["prob"])["p_value"]
    return {"auc": auc, "p_value": p_value, "detected": p_value is not None and p_value < alpha}
