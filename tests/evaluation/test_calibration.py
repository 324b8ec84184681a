"""Calibration figures on cohorts whose calibration is known by construction."""

import numpy as np
import pytest

from pipeline.evaluation.calibration import (
    brier,
    calibration_intercept,
    calibration_slope,
    recalibration_curve,
    reliability_bins,
)
from pipeline.evaluation.metrics import evaluate


def _calibrated(n: int, seed: int = 0, scale: float = 1.0, shift: float = 0.0):
    """Outcomes drawn from true risks; predictions are those risks with the logit scaled
    (``scale`` > 1: too extreme) and shifted (``shift`` > 0: too high)."""
    rng = np.random.default_rng(seed)
    logit = rng.normal(0, 1.5, n)
    target = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    prob = 1 / (1 + np.exp(-(scale * logit + shift)))
    return target, prob


def test_true_risks_have_slope_one_and_intercept_zero():
    target, prob = _calibrated(20000)
    assert calibration_slope(target, prob) == pytest.approx(1, abs=0.05)
    assert calibration_intercept(target, prob) == pytest.approx(0, abs=0.05)


def test_too_extreme_probabilities_have_a_slope_below_one():
    target, prob = _calibrated(20000, scale=2.0)
    assert calibration_slope(target, prob) == pytest.approx(0.5, abs=0.05)


def test_probabilities_too_high_on_average_have_a_negative_intercept():
    target, prob = _calibrated(20000, shift=1.0)
    assert calibration_intercept(target, prob) == pytest.approx(-1.0, abs=0.07)


def test_perfect_separation_leaves_the_slope_undefined_not_huge():
    target = np.array([0, 0, 0, 1, 1, 1])
    prob = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    assert calibration_slope(target, prob) is None
    assert recalibration_curve(target, prob, np.array([0.5])) is None
    assert calibration_intercept(target, prob) is not None  # the offset model still fits


def test_one_class_leaves_intercept_and_slope_undefined():
    target, prob = np.ones(5, dtype=int), np.full(5, 0.7)
    assert calibration_intercept(target, prob) is None and calibration_slope(target, prob) is None
    assert brier(target, prob) == pytest.approx(0.09)


def test_brier_by_hand():
    assert brier(np.array([1, 0]), np.array([0.8, 0.4])) == pytest.approx((0.04 + 0.16) / 2)


def test_reliability_groups_cover_every_patient_and_count_the_positives():
    target = np.array([0, 0, 1, 0, 1, 1, 1, 1])
    prob = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
    groups = reliability_bins(target, prob, bins=4)
    assert groups["patients"].tolist() == [2, 2, 2, 2]
    assert groups["observed"].tolist() == [0.0, 0.5, 1.0, 1.0]
    assert groups["mean_prob"].tolist() == pytest.approx([0.15, 0.35, 0.65, 0.85])
    assert (groups["low"] <= groups["observed"]).all() and (groups["observed"] <= groups["high"]).all()


def test_the_metrics_object_carries_calibration_with_intervals():
    target, prob = _calibrated(60, seed=3, scale=0.5)
    metrics = evaluate(target, prob, bootstrap=200, seed=1)
    for name in ("brier", "calibration_intercept", "calibration_slope"):
        low, high = metrics["ci95"][name]
        assert low <= metrics[name] <= high
    assert metrics["calibration_slope"] > 1  # too timid probabilities: slope above one
