"""The arms of a comparison (each network, radiomics, prior) cross-validated on one cohort.

Every arm goes through the same folds and is judged by the same test: the one-sided
Mann-Whitney U test on its held-out probabilities (AUC > 0.5). The power study, the
controls and the learning curve all judge their arms here.
"""

from __future__ import annotations

import pandas as pd

from pipeline.evaluation.metrics import evaluate, mann_whitney_test
from pipeline.evaluation.reference_models import MODELS

REFERENCE_ARMS = tuple(MODELS)  # radiomics and prior; every other arm is a network name
BLIND_ARMS = ("prior",)  # see no image: they must never detect anything


def detection(predictions: pd.DataFrame, alpha: float) -> dict:
    """``auc``, ``p_value`` and ``detected`` (p < alpha) of one arm's held-out predictions."""
    auc = evaluate(predictions["target"], predictions["prob"], bootstrap=0)["auc"]
    p_value = mann_whitney_test(predictions["target"], predictions["prob"])["p_value"]
    return {"auc": auc, "p_value": p_value, "detected": p_value is not None and p_value < alpha}
