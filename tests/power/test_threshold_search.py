"""The adaptive search finds a known threshold of a stubbed, monotone detection."""

import numpy as np
from scipy.stats import norm

from pipeline.power.threshold_search import (
    Z_TARGET,
    located_threshold,
    next_probe,
    search,
)

HIGH = 3.0


def _controls(power, rng, replicates=3):
    effects = [0.0] * replicates + [HIGH] * replicates
    return effects, [bool(rng.random() < power(effect)) for effect in effects]


def test_a_step_in_power_is_bisected_and_bracketed():
    power = lambda effect: float(effect >= 1.3)  # noqa: E731
    rng = np.random.default_rng(0)
    effects, detected = _controls(power, rng)
    # separated outcomes: mid-gap, moved up by the steepest curve's distance from 50% to 80%
    assert 1.5 <= next_probe(effects, detected, HIGH) <= 1.6
    probes = []

    def evaluate(effect, probe):
        probes.append(effect)
        return [bool(power(effect))] * 3

    effects, detected = search(evaluate, effects, detected, HIGH, probes=6)
    found = located_threshold(effects, detected, HIGH)
    assert probes[1] < 1.3 < probes[0]  # a bisection while the outcomes separate
    # A step is steeper than the model allows (5% to 95% over a tenth of the range), so the
    # threshold is found to within that resolution, not exactly.
    assert abs(found["effect"] - 1.3) < 0.15
    assert 1.1 < found["ci95"][0] <= found["effect"] <= found["ci95"][1] < 1.6


def test_a_gradual_power_curve_is_located_with_fewer_trials_than_a_fine_grid():
    truth = 1.2  # power 0.8 here, climbing from the alpha floor at effect 0
    power = lambda e: 0.05 + 0.95 * norm.cdf(Z_TARGET + 2.5 * (e - truth) - 0.04)  # noqa: E731
    rng = np.random.default_rng(4)
    effects, detected = _controls(power, rng)
    evaluate = lambda effect, probe: list(rng.random(4) < power(effect))  # noqa: E731
    effects, detected = search(evaluate, effects, detected, HIGH, probes=8)
    found = located_threshold(effects, detected, HIGH)
    assert len(effects) < 13 * 4  # a grid in steps of 0.25 with 4 replicates each
    assert abs(found["effect"] - truth) < 0.35
    assert found["ci95"][0] <= truth <= found["ci95"][1]


def test_an_arm_that_never_detects_has_no_threshold():
    effects = [0.0] * 3 + [HIGH] * 3 + [2.0] * 3
    found = located_threshold(effects, [False] * 9, HIGH)
    assert found["effect"] is None and found["ci95"][1] is None and found["ci95"][0] > 1.0
