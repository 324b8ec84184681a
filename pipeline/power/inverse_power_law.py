"""The learning curve's model: AUC(n) = asymptote - scale * n^(-rate) (Figueroa et al., 2012).

Fitted by weighted least squares to the mean AUC at each training-set size, larger sizes
weighing more (their means are less noisy), and projected to sizes not observed, with a
bootstrap over the repeated subsamples for the projection's interval.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

PARAMETERS = ("asymptote", "scale", "rate")
# AUC cannot exceed 1; the rate is bounded so a flat curve cannot fit a vertical step.
_BOUNDS = ([0.0, 0.0, 0.0], [1.0, 10.0, 3.0])


def curve(n, asymptote: float, scale: float, rate: float):
    """The inverse power law at training-set size(s) ``n``."""
    return asymptote - scale * np.power(np.asarray(n, dtype=float), -rate)


def fit_curve(sizes, aucs) -> dict[str, float] | None:
    """Fitted parameters for mean AUCs ``aucs`` at training sizes ``sizes``; None if it fails.

    Needs three sizes or more (three parameters).
    """
    sizes, aucs = np.asarray(sizes, dtype=float), np.asarray(aucs, dtype=float)
    keep = np.isfinite(aucs)
    sizes, aucs = sizes[keep], aucs[keep]
    if len(np.unique(sizes)) < 3:
        return None
    start = [min(1.0, float(aucs.max())), 0.5, 0.5]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            values, _ = curve_fit(curve, sizes, aucs, p0=start, bounds=_BOUNDS,
                                  sigma=1 / np.sqrt(sizes), maxfev=20000)
    except (RuntimeError, ValueError):
        return None
    return {name: float(value) for name, value in zip(PARAMETERS, values)}


def projections(points: dict[float, list[float]], sizes_out, resamples: int, seed: int) -> dict:
    """Projected AUC at each of ``sizes_out`` with a bootstrap 95% interval.

    ``points`` maps a training size to the AUCs of its repeated subsamples. Each resample
    redraws every size's repeats with replacement and refits the curve.
    """
    sizes = sorted(points)
    fitted = fit_curve(sizes, [np.mean(points[n]) for n in sizes])
    if fitted is None:
        return {str(n): {"auc": None, "ci95": None} for n in sizes_out}
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        means = [np.mean(rng.choice(points[n], len(points[n]))) for n in sizes]
        refit = fit_curve(sizes, means)
        if refit is not None:
            draws.append([float(curve(n, **refit)) for n in sizes_out])
    draws = np.asarray(draws)
    result = {}
    for index, n in enumerate(sizes_out):
        interval = (None if len(draws) < 2 else
                    [round(float(v), 4) for v in np.percentile(draws[:, index], [2.5, 97.5])])
        result[str(n)] = {"auc": round(float(curve(n, **fitted)), 4), "ci95": interval}
    return result
