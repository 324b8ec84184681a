"""The metrics object of docs/contract.md: counts, rates with 95% intervals, AUC, calibration,
tests against chance.

Rates come from scikit-learn, Wilson intervals from SciPy, the AUC interval from a
stratified bootstrap. The decision threshold is an argument fixed before evaluation
(params ``evaluate.threshold``), never tuned on the patients being scored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn import metrics as skm

from pipeline.evaluation.calibration import STATISTICS as CALIBRATION
from pipeline.evaluation.intervals import stratified_bootstrap, wilson_interval

RATE_POSITIVES = {  # rate -> (numerator count, denominator counts)
    "accuracy": (("tp", "tn"), ("tp", "tn", "fp", "fn")),
    "sensitivity": (("tp",), ("tp", "fn")),
    "specificity": (("tn",), ("tn", "fp")),
}


def auc(target, prob) -> float | None:
    """The area under the ROC curve; None with one class (undefined)."""
    target = np.asarray(target, dtype=int)
    if len(np.unique(target)) < 2:
        return None
    return float(skm.roc_auc_score(target, np.asarray(prob, dtype=float)))


def _balanced_accuracy(threshold: float):
    def statistic(target, prob):
        return skm.balanced_accuracy_score(target, (prob >= threshold).astype(int))
    return statistic


def evaluate(target, prob, threshold: float = 0.5, bootstrap: int = 2000, seed: int = 0) -> dict:
    """The metrics object (docs/contract.md) for binary ``target`` and predicted probabilities ``prob``.

    Undefined values (a class absent, no patients) are ``None`` rather than a number
    that could be mistaken for a result.
    """
    target = np.asarray(target, dtype=int)
    prob = np.asarray(prob, dtype=float)
    pred = (prob >= threshold).astype(int)
    tn, fp, fn, tp = (int(v) for v in skm.confusion_matrix(target, pred, labels=[0, 1]).ravel())
    counts = {"tp": tp, "tn": tn, "fp": fp, "fn": fn}
    result: dict = {"n": int(len(target)), **counts, "threshold": threshold}
    ci95: dict = {}
    for rate, (numerator, denominator) in RATE_POSITIVES.items():
        total = sum(counts[key] for key in denominator)
        hits = sum(counts[key] for key in numerator)
        result[rate] = round(hits / total, 4) if total else None
        ci95[rate] = wilson_interval(hits, total)
    both_classes = result["sensitivity"] is not None and result["specificity"] is not None
    result["balanced_accuracy"] = (
        round(float(skm.balanced_accuracy_score(target, pred)), 4) if both_classes else None)
    ci95["balanced_accuracy"] = stratified_bootstrap(
        target, prob, _balanced_accuracy(threshold), bootstrap, seed)
    area = auc(target, prob)
    result["auc"] = None if area is None else round(area, 4)
    ci95["auc"] = stratified_bootstrap(target, prob, skm.roc_auc_score, bootstrap, seed)
    for name, statistic in CALIBRATION.items():
        value = statistic(target, prob)
        result[name] = None if value is None else round(value, 4)
        ci95[name] = stratified_bootstrap(target, prob, statistic, bootstrap, seed)
    result["ci95"] = ci95
    result.update(single_class_check(pred))
    return result


def single_class_check(pred) -> dict:
    """Flags a model that predicted the same class for every patient (as the study's LOOCV)."""
    classes = np.unique(np.asarray(pred, dtype=int))
    single = len(pred) > 1 and len(classes) == 1
    return {"single_class": bool(single),
            "single_class_predicted": int(classes[0]) if single else None}


def mann_whitney_test(target, prob) -> dict:
    """One-sided Mann-Whitney U test that positives score higher than negatives.

    Equivalent to testing AUC > 0.5 on held-out probabilities.
    """
    target = np.asarray(target, dtype=int)
    prob = np.asarray(prob, dtype=float)
    if len(np.unique(target)) < 2:
        return {"p_value": None, "test": "Mann-Whitney U (one-sided), undefined: one class"}
    result = stats.mannwhitneyu(prob[target == 1], prob[target == 0], alternative="greater")
    return {"p_value": round(float(result.pvalue), 6),
            "test": "Mann-Whitney U (one-sided): held-out probabilities of positives > negatives"}


def permutation_p_value(observed: float | None, null_values) -> float | None:
    """p-value of ``observed`` against statistics computed under shuffled labels.

    Uses (1 + #{null >= observed}) / (1 + n) so that it is never exactly zero.
    """
    null_values = np.asarray([v for v in null_values if v is not None], dtype=float)
    if observed is None or len(null_values) == 0:
        return None
    return round(float((1 + np.sum(null_values >= observed)) / (1 + len(null_values))), 6)


def roc_points(target, prob):
    """The ROC curve as a frame of ``fpr, tpr, threshold`` (empty with one class)."""
    target = np.asarray(target, dtype=int)
    if len(np.unique(target)) < 2:
        return pd.DataFrame(columns=["fpr", "tpr", "threshold"])
    fpr, tpr, thresholds = skm.roc_curve(target, np.asarray(prob, dtype=float))
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": np.minimum(thresholds, 1.0)})
