"""The smallest effect detected with power 0.8, located by a sequential probit design.

Power against planted effect is modelled as P(e) = Phi(z + s (e - t)) with z = Phi^-1(0.8):
``t`` is the threshold (P(t) = 0.8) and ``s`` >= 0 the steepness, so the curve is monotone
in the effect, as planting more signal in the same patients must make it. Each replicate
cohort is one Bernoulli outcome (detected or not); the likelihood of all of an arm's
outcomes is maximised over a grid of (t, s).

Design (Wu, JASA 1985;80:974, the likelihood version of Robbins-Monro): after the controls
(effect 0 and the largest effect), each probe goes to the current maximum-likelihood t,
kept within (0, largest]. While the outcomes separate (every probe below some effect
missed, every one above it detected) the likelihood is flat over the gap and its maximum
sits mid-gap, so the first probes bisect; once outcomes overlap, the probes settle where
the 80% point is, which is where an outcome says most about it.

Interval: profile likelihood, {t : 2 (max log L - max over s of log L(t, s)) <= 3.84}, the
95% point of chi-square with one degree of freedom (Venzon and Moolgavkar, Appl Stat
1988;37:87). An end that reaches past the largest effect tried is open (None). The
steepness is capped: power may not rise from 5% to 95% within less than a tenth of the
range tried, or the gap between two probes would always look certain.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import chi2, norm

TARGET_POWER = 0.8
Z_TARGET = float(norm.ppf(TARGET_POWER))
CUTOFF = float(chi2.ppf(0.95, 1)) / 2  # log-likelihood drop at the interval's ends
# Candidate thresholds span twice the range tried, so that "beyond it" can be told apart.
THRESHOLD_POINTS = 401
SLOPE_POINTS = 120


def steepest(high: float) -> float:
    """The cap on the steepness ``s``: 5% to 95% power over at least a tenth of [0, ``high``]."""
    return 2 * float(norm.ppf(0.95)) / (0.1 * high)


def _grids(high: float) -> tuple[np.ndarray, np.ndarray]:
    thresholds = np.linspace(0.0, 2.0 * high, THRESHOLD_POINTS)
    slopes = np.concatenate([[0.0], np.geomspace(steepest(high) / 1000, steepest(high), SLOPE_POINTS - 1)])
    return thresholds, slopes


def profile(effects, detected, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Candidate thresholds and their profile log-likelihoods (maximised over the steepness)."""
    effects, detected = np.asarray(effects, dtype=float), np.asarray(detected, dtype=bool)
    thresholds, slopes = _grids(high)
    eta = Z_TARGET + slopes[None, :, None] * (effects[None, None, :] - thresholds[:, None, None])
    log_likelihood = np.where(detected, norm.logcdf(eta), norm.logcdf(-eta)).sum(axis=2)
    return thresholds, log_likelihood.max(axis=1)


def _best(thresholds: np.ndarray, likelihood: np.ndarray) -> float:
    """The maximum-likelihood threshold; the middle of a flat maximum."""
    top = np.flatnonzero(likelihood >= likelihood.max() - 1e-9)
    return float((thresholds[top[0]] + thresholds[top[-1]]) / 2)


def next_probe(effects, detected, high: float) -> float:
    """Where to probe next: the current maximum-likelihood threshold within (0, ``high``]."""
    thresholds, likelihood = profile(effects, detected, high)
    step = thresholds[1]
    return round(float(np.clip(_best(thresholds, likelihood), step, high)), 2)


def located_threshold(effects, detected, high: float) -> dict:
    """``{"effect", "ci95": [low, high]}``: the threshold and its profile-likelihood interval.

    ``effect`` is None when the fit puts power 0.8 beyond ``high``, the largest effect tried
    (as when nothing was ever detected); an interval end beyond ``high`` is None.
    """
    if not len(effects):
        return {"effect": None, "ci95": None}
    thresholds, likelihood = profile(effects, detected, high)
    best = _best(thresholds, likelihood)
    kept = thresholds[likelihood >= likelihood.max() - CUTOFF]
    low, top = float(kept.min()), float(kept.max())
    return {"effect": round(best, 3) if best <= high else None,
            "ci95": [round(low, 3), round(top, 3) if top <= high else None]}


def search(evaluate: Callable[[float, int], list[bool]], effects: list[float], detected: list[bool],
           high: float, probes: int) -> tuple[list[float], list[bool]]:
    """Runs ``probes`` probes after the outcomes so far; returns every effect and outcome.

    ``evaluate(effect, probe)`` returns the outcomes (detected or not) of probe number
    ``probe`` (1, 2, ...) at ``effect``, one per replicate cohort.
    """
    effects, detected = list(effects), list(detected)
    for probe in range(1, probes + 1):
        effect = next_probe(effects, detected, high)
        outcomes = evaluate(effect, probe)
        effects += [effect] * len(outcomes)
        detected += list(outcomes)
    return effects, detected
