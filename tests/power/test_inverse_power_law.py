"""The learning curve's inverse power law: recovers a known curve and projects it honestly."""

import numpy as np
import pytest

from pipeline.power.inverse_power_law import curve, fit_curve, projections

TRUE = {"asymptote": 0.92, "scale": 1.6, "rate": 0.7}
SIZES = [6, 9, 12, 15, 19]


def test_an_exact_curve_is_recovered():
    fitted = fit_curve(SIZES, curve(SIZES, **TRUE))
    for name, value in TRUE.items():
        assert fitted[name] == pytest.approx(value, rel=1e-3)


def test_too_few_sizes_give_no_fit():
    assert fit_curve([10, 20], [0.6, 0.7]) is None
    assert fit_curve([10, 10, 20, 20], [0.6, 0.61, 0.7, 0.71]) is None


def test_projections_mostly_cover_the_truth_from_noisy_repeats():
    # Extrapolating a three-parameter curve, the percentile bootstrap over repeats covers
    # the true value at 50 patients about 88% of the time (40 simulated studies): somewhat
    # short of 95%, never a zero-width interval around a biased value.
    truth = float(curve(50, **TRUE))
    covered, errors = 0, []
    for seed in range(12):
        rng = np.random.default_rng(seed)
        points = {n: list(curve(n, **TRUE) + rng.normal(0, 0.02, 8)) for n in SIZES}
        projected = projections(points, [50], resamples=40, seed=1)["50"]
        low, high = projected["ci95"]
        covered += low <= truth <= high
        errors.append(projected["auc"] - truth)
        assert 0 < high - low < 0.3
    assert covered >= 9 and abs(np.mean(errors)) < 0.02


def test_a_flat_curve_projects_what_it_saw():
    # Labels with no signal: AUC stays about 0.5 at every size, and so does the projection.
    rng = np.random.default_rng(2)
    points = {n: list(0.5 + rng.normal(0, 0.05, 6)) for n in SIZES}
    projected = projections(points, [200], resamples=100, seed=3)["200"]
    assert abs(projected["auc"] - 0.5) < 0.1 and projected["ci95"][0] < 0.5 + 0.1
