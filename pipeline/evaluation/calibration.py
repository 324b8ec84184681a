"""Whether held-out probabilities mean what they say: the Brier score and logistic
recalibration (calibration-in-the-large and the calibration slope).

The recalibration model regresses the outcome on the logit of the predicted probability
(statsmodels' logistic regression): the slope is the logit's coefficient (1 when the spread
of the probabilities is right, below 1 when they are too extreme); the intercept is fitted with the
logit as an offset (0 when the probabilities are right on average, negative when they are
too high). With perfectly separated classes the slope's estimate is infinite: it is
reported as undefined (None), never as a large number.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationError

from pipeline.evaluation.intervals import wilson_interval

# Probabilities are clipped away from 0 and 1 before the logit: a network's sigmoid can
# round to exactly 1.0 in float32.
EPSILON = 1e-6


def brier(target: np.ndarray, prob: np.ndarray) -> float | None:
    """Mean squared difference between probability and outcome; None with no patients.

    The definition itself, not scikit-learn's ``brier_score_loss``: that one's input checks
    cost more than the mean, thousands of times per bootstrap interval.
    """
    return float(np.mean((prob - target) ** 2)) if len(target) else None


def _logit(prob: np.ndarray) -> np.ndarray:
    clipped = np.clip(prob, EPSILON, 1 - EPSILON)
    return np.log(clipped / (1 - clipped))


def _estimable(target: np.ndarray, logit: np.ndarray) -> bool:
    """Both classes present and not separated by the logit (else the MLE does not exist)."""
    positives, negatives = logit[target == 1], logit[target == 0]
    return len(positives) > 0 and len(negatives) > 0 and negatives.max() > positives.min()


def _fit(target: np.ndarray, design: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray | None:
    """The logistic regression's coefficients (Newton's method: a few steps for two
    parameters, fast enough for thousands of bootstrap resamples); None if it fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # near-separation warnings: the estimate is checked below
        try:
            result = sm.Logit(target, design, offset=offset).fit(disp=0, method="newton")
        except (np.linalg.LinAlgError, ValueError, PerfectSeparationError):
            return None
    return result.params if np.all(np.isfinite(result.params)) else None


def calibration_slope(target: np.ndarray, prob: np.ndarray) -> float | None:
    """The coefficient of the logit in a logistic regression of the outcome on it."""
    logit = _logit(prob)
    if not _estimable(target, logit):
        return None
    params = _fit(target, sm.add_constant(logit, has_constant="add"))
    return None if params is None else float(params[1])


def calibration_intercept(target: np.ndarray, prob: np.ndarray) -> float | None:
    """Calibration-in-the-large: the intercept of that regression with the logit as offset."""
    if len(np.unique(target)) < 2:
        return None
    params = _fit(target, np.ones((len(target), 1)), offset=_logit(prob))
    return None if params is None else float(params[0])


STATISTICS = {"brier": brier, "calibration_intercept": calibration_intercept,
              "calibration_slope": calibration_slope}


def reliability_bins(target: np.ndarray, prob: np.ndarray, bins: int = 4) -> pd.DataFrame:
    """Patients in ``bins`` groups of about equal size by predicted probability: each
    group's mean probability against its observed share of positives, with the Wilson
    95% interval of that share. Equal-count groups, because with two dozen patients
    fixed-width bins leave most of them empty."""
    order = np.argsort(prob, kind="stable")
    rows = []
    for group in np.array_split(order, min(bins, len(order))):
        positives, total = int(target[group].sum()), len(group)
        low, high = wilson_interval(positives, total) or (None, None)
        rows.append({"patients": total, "mean_prob": float(prob[group].mean()),
                     "observed": positives / total, "low": low, "high": high})
    return pd.DataFrame(rows, columns=["patients", "mean_prob", "observed", "low", "high"])


def recalibration_curve(target: np.ndarray, prob: np.ndarray, grid: np.ndarray) -> np.ndarray | None:
    """The logistic recalibration fit's observed risk at each predicted probability of
    ``grid`` (the diagonal for perfect calibration); None where the fit does not exist."""
    logit = _logit(prob)
    if not _estimable(target, logit):
        return None
    params = _fit(target, sm.add_constant(logit, has_constant="add"))
    if params is None:
        return None
    return 1 / (1 + np.exp(-(params[0] + params[1] * _logit(grid))))
